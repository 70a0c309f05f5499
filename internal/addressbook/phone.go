package addressbook

import "strings"

// NormalizePhone turns a phone number as a user typed it into E.164, as the platform stores
// personal contacts' numbers. A number without "+" (or "00") is national and takes the dialing
// plan's calling code, dropping a trunk "0" (or, in the North American plan, a leading "1").
// Separators (space, "-", ".", "(", ")") are dropped; anything else makes it invalid.
func NormalizePhone(raw, callingCode string) (string, bool) {
	s := strings.TrimSpace(raw)
	intl := false
	switch {
	case strings.HasPrefix(s, "+"):
		intl, s = true, s[1:]
	case strings.HasPrefix(s, "00"):
		intl, s = true, s[2:]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	digits := b.String()
	if !intl {
		if callingCode == "" || !allDigits(callingCode) {
			return "", false
		}
		if callingCode == "1" {
			if len(digits) == 11 && digits[0] == '1' {
				digits = digits[1:]
			}
			if len(digits) != 10 {
				return "", false
			}
		} else {
			digits = strings.TrimPrefix(digits, "0")
		}
		digits = callingCode + digits
	}
	// E.164: at most 15 digits, no leading zero; seven is the shortest number in use.
	if len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return "", false
	}
	return "+" + digits, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
