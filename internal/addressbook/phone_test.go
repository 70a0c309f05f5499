package addressbook

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		raw, cc, want string
	}{
		{"+16505550123", "1", "+16505550123"},
		{"+1 (650) 555-0123", "1", "+16505550123"},
		{"(650) 555.0123", "1", "+16505550123"},
		{"1 650 555 0123", "1", "+16505550123"},
		{"0044 20 7946 0958", "1", "+442079460958"},
		{"020 7946 0958", "44", "+442079460958"},
		{"650555012", "1", ""},         // nine digits is no North American number
		{"+0123456789", "1", ""},       // no country code starts with 0
		{"+1650555012345678", "1", ""}, // longer than E.164 allows
		{"+1650555x0123", "1", ""},     // letters
		{"6505550123", "", ""},         // a national number needs a plan
		{"", "1", ""},
		{"+", "1", ""},
	} {
		got, ok := NormalizePhone(tc.raw, tc.cc)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tc.raw, tc.cc, got, ok, tc.want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+16505550123", "(650) 555-0123", "0044 20", "+", "00", "1 650 555 0123", "\x00+1"} {
		f.Add(s, "1")
		f.Add(s, "44")
	}
	f.Fuzz(func(t *testing.T, raw, cc string) {
		got, ok := NormalizePhone(raw, cc)
		if !ok {
			if got != "" {
				t.Fatalf("invalid %q gave %q", raw, got)
			}
			return
		}
		if len(got) < 8 || len(got) > 16 || got[0] != '+' || got[1] == '0' || !allDigits(got[1:]) {
			t.Fatalf("NormalizePhone(%q, %q) = %q, not E.164", raw, cc, got)
		}
		// A normalised number is a fixed point, whatever the plan.
		if again, ok := NormalizePhone(got, "7"); !ok || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want it unchanged", got, again, ok)
		}
		if strings.ContainsAny(raw, "abcxyz*#") {
			t.Fatalf("%q has letters but normalised to %q", raw, got)
		}
	})
}
