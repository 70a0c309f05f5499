package teammessaging

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseMentions(t *testing.T) {
	for _, c := range []struct {
		text string
		want []Mention
	}{
		{"hi ![:Person](101) and ![:Team](7)!", []Mention{{ID: "101", Type: "Person"}, {ID: "7", Type: "Team"}}},
		{"![:Person](1)![:Note](n-2)", []Mention{{ID: "1", Type: "Person"}, {ID: "n-2", Type: "Note"}}},
		{"![:Bogus](1) ![:Person]() ![:Person](a b) ![:Person](1", nil},
		{"![:![:Person](5)", []Mention{{ID: "5", Type: "Person"}}},
		{"![:Person](" + strings.Repeat("9", maxMentionID) + ")", []Mention{{ID: strings.Repeat("9", maxMentionID), Type: "Person"}}},
		{"![:Person](" + strings.Repeat("9", maxMentionID+1) + ")", nil},
		{"plain text", nil},
	} {
		if got := ParseMentions(c.text); !slices.Equal(got, c.want) {
			t.Errorf("ParseMentions(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// FuzzMentions checks that any text parses without panicking, that every mention is one of the
// known types with an id that is a substring of the text, and that the markup re-rendered from
// the mentions appears in the text in the same order.
func FuzzMentions(f *testing.F) {
	for _, s := range []string{"![:Person](1)", "![:Team](2) ![:Card](x)", "![:", "![:Person](", "![:Person]()", "a![:Link](h)b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rest := text
		for _, m := range ParseMentions(text) {
			if !slices.Contains(MentionTypes, m.Type) || m.ID == "" || len(m.ID) > maxMentionID || !utf8.ValidString(m.ID) && utf8.ValidString(text) {
				t.Fatalf("bad mention %+v in %q", m, text)
			}
			markup := "![:" + m.Type + "](" + m.ID + ")"
			i := strings.Index(rest, markup)
			if i < 0 {
				t.Fatalf("mention %+v is not in order in %q", m, text)
			}
			rest = rest[i+len(markup):]
		}
	})
}
