package specmock

import (
	"regexp/syntax"
	"strings"
	"unicode"
)

// patternSample returns a short string matching an RE2 pattern: the first alternative, the
// fewest repetitions, a letter or digit from each character class.
func patternSample(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !sampleRe(re.Simplify(), &b, 0) {
		return "", false
	}
	return b.String(), true
}

func sampleRe(re *syntax.Regexp, b *strings.Builder, depth int) bool {
	if depth > 100 {
		return false
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
		return true
	case syntax.OpCharClass:
		r, ok := classRune(re.Rune)
		if ok {
			b.WriteRune(r)
		}
		return ok
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteByte('a')
		return true
	case syntax.OpCapture:
		return sampleRe(re.Sub[0], b, depth+1)
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpPlus:
		return sampleRe(re.Sub[0], b, depth+1)
	case syntax.OpRepeat:
		for i := 0; i < re.Min; i++ {
			if !sampleRe(re.Sub[0], b, depth+1) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !sampleRe(s, b, depth+1) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			var alt strings.Builder
			if sampleRe(s, &alt, depth+1) {
				b.WriteString(alt.String())
				return true
			}
		}
		return false
	}
	return false
}

// classRune picks a readable rune from a character class: a letter or digit when it has one.
func classRune(ranges []rune) (rune, bool) {
	if len(ranges) == 0 {
		return 0, false
	}
	for _, want := range []rune{'a', 'A', '1', '0'} {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want, true
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r < ranges[i]+256; r++ {
			if unicode.IsPrint(r) && r != ' ' {
				return r, true
			}
		}
	}
	return ranges[0], true
}
