package teammessaging

import (
	"slices"
	"strings"
)

// MentionTypes are the kinds of object the markup `![:Type](id)` may name.
var MentionTypes = []string{"Person", "Team", "File", "Link", "Event", "Task", "Note", "Card"}

// maxMentionID bounds the id inside a mention: longer is not an id but text.
const maxMentionID = 64

// ParseMentions finds the mentions in a post's text, in order: `![:Person](id)` and the like.
// Markup that is not a whole mention of a known type is text.
func ParseMentions(text string) []Mention {
	var out []Mention
	for rest := text; ; {
		i := strings.Index(rest, "![:")
		if i < 0 {
			return out
		}
		rest = rest[i+3:]
		m, n, ok := mentionAt(rest)
		if ok {
			out = append(out, m)
			rest = rest[n:]
		}
	}
}

// mentionAt reads `Type](id)` at the start of s, and how many bytes it took.
func mentionAt(s string) (Mention, int, bool) {
	// The longest type is six bytes: look no further for its end, so that text full of "![:"
	// costs linear time.
	k := strings.Index(s[:min(len(s), 8)], "](")
	if k < 0 || !slices.Contains(MentionTypes, s[:k]) {
		return Mention{}, 0, false
	}
	typ, after := s[:k], s[k+2:]
	end := strings.IndexByte(after[:min(len(after), maxMentionID+1)], ')')
	if end <= 0 {
		return Mention{}, 0, false
	}
	id := after[:end]
	if strings.ContainsAny(id, " \t\r\n()[]") {
		return Mention{}, 0, false
	}
	return Mention{ID: id, Type: typ}, len(typ) + 2 + end + 1, true
}
