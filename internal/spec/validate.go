package spec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Mode says which side of an exchange a value is on.
type Mode struct {
	// Request: readOnly properties are not required (and tolerated); date-times may take the
	// platform's shorter forms. Otherwise the value is a response: writeOnly properties are not
	// required.
	Request bool
	// Strict: properties no schema declares are errors.
	Strict bool
}

// Problem is one way a value fails its schema.
type Problem struct {
	Path    string // "contact.email", "to[0].phoneNumber"; "" for the value itself
	Missing bool   // a required property is absent
	Message string
}

func (p Problem) String() string {
	path := p.Path
	if path == "" {
		path = "(root)"
	}
	return path + ": " + p.Message
}

// checker holds what validation precompiles: patterns and the property closure of composed
// object schemas.
type checker struct {
	doc      *Document
	patterns []*regexp.Regexp // by schema index
	known    sync.Map         // schema index → map[string]bool
}

func newChecker(d *Document) *checker {
	c := &checker{doc: d, patterns: make([]*regexp.Regexp, len(d.Schemas))}
	for i, s := range d.Schemas {
		if s.Pattern != "" {
			// Compile errors were reported at load time; a cached document is trusted.
			c.patterns[i], _ = regexp.Compile(s.Pattern)
		}
	}
	return c
}

// Validate checks a decoded JSON value (numbers as json.Number, as json.Decoder.UseNumber
// gives them) against the schema at index schema and returns every problem found.
func (d *Document) Validate(schema int, v any, mode Mode) []Problem {
	d.init()
	var ps []Problem
	d.checker.value(schema, v, "", mode, false, nil, &ps)
	return ps
}

// DecodeJSON decodes JSON the way Validate expects it: numbers as json.Number. Trailing data is
// an error.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if isInteger(x) {
			return "integer"
		}
		return "number"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func isInteger(n json.Number) bool {
	if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
}

// value validates v against schema si. member is true when si is checked as a member of an
// allOf/anyOf/oneOf, whose siblings may declare the other properties. dispatched lists the
// discriminator bases already resolved for this value (a mapped schema usually includes its base
// through allOf).
func (c *checker) value(si int, v any, path string, mode Mode, member bool, dispatched []int, ps *[]Problem) {
	s := c.doc.Schema(si)
	if s == nil {
		return
	}
	if v == nil {
		if s.Nullable || (s.Type == "" && len(s.AllOf)+len(s.OneOf)+len(s.AnyOf) == 0) {
			return
		}
		if s.Type != "" {
			*ps = append(*ps, Problem{Path: path, Message: "null is not allowed (" + s.Type + " expected)"})
			return
		}
	}

	// Discriminator: validate against the schema the value names.
	if d := s.Discriminator; d != nil && !slices.Contains(dispatched, si) {
		if obj, ok := v.(map[string]any); ok {
			if name, ok := obj[d.Property].(string); ok {
				for _, m := range d.Mapping {
					if m.Value == name {
						c.value(m.Schema, v, path, mode, member, append(dispatched, si), ps)
						return
					}
				}
				if len(s.OneOf)+len(s.AnyOf) == 0 || len(d.Mapping) > 0 {
					*ps = append(*ps, Problem{Path: join(path, d.Property), Message: fmt.Sprintf("%q is not one of the discriminator values %s", name, mappingValues(d))})
					return
				}
			}
		}
	}

	if s.Type != "" && v != nil {
		k := kindOf(v)
		if !(k == s.Type || (s.Type == "number" && k == "integer")) {
			*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%s expected, got %s", s.Type, k)})
			return
		}
	}
	if len(s.Enum) > 0 && v != nil && !c.inEnum(s, v) {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%s is not one of %s", short(v), enumList(s))})
	}

	switch x := v.(type) {
	case string:
		c.str(si, s, x, path, mode, ps)
	case json.Number, float64:
		c.num(s, v, path, ps)
	case []any:
		if int64(len(x)) < s.MinItems {
			*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%d item(s), at least %d expected", len(x), s.MinItems)})
		}
		if s.MaxItems >= 0 && int64(len(x)) > s.MaxItems {
			*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%d item(s), at most %d expected", len(x), s.MaxItems)})
		}
		if s.UniqueItems {
			seen := map[string]bool{}
			for i, it := range x {
				k := canonical(it)
				if seen[k] {
					*ps = append(*ps, Problem{Path: index(path, i), Message: "duplicate item"})
					break
				}
				seen[k] = true
			}
		}
		if s.Items != None {
			for i, it := range x {
				c.value(s.Items, it, index(path, i), mode, false, nil, ps)
			}
		}
	case map[string]any:
		c.object(si, s, x, path, mode, member, ps)
	}

	for _, m := range s.AllOf {
		c.value(m, v, path, mode, true, dispatched, ps)
	}
	if len(s.AnyOf) > 0 || len(s.OneOf) > 0 {
		// oneOf is checked as anyOf: RingCentral's oneOf members overlap (objects whose
		// properties are all optional), so "exactly one" would reject the platform's own bodies.
		members := append(append([]int(nil), s.OneOf...), s.AnyOf...)
		var best []Problem
		for i, m := range members {
			var mp []Problem
			c.value(m, v, path, mode, true, dispatched, &mp)
			if len(mp) == 0 {
				best = nil
				break
			}
			if i == 0 || len(mp) < len(best) {
				best = mp
			}
		}
		*ps = append(*ps, best...)
	}
}

func mappingValues(d *Discriminator) string {
	vs := make([]string, len(d.Mapping))
	for i, m := range d.Mapping {
		vs[i] = m.Value
	}
	return "[" + strings.Join(vs, ", ") + "]"
}

func (c *checker) object(si int, s *Schema, obj map[string]any, path string, mode Mode, member bool, ps *[]Problem) {
	for _, r := range s.Required {
		if _, ok := obj[r]; ok {
			continue
		}
		if p := c.doc.Schema(s.Property(r)); p != nil {
			if (mode.Request && p.ReadOnly) || (!mode.Request && p.WriteOnly) {
				continue
			}
		}
		*ps = append(*ps, Problem{Path: join(path, r), Missing: true, Message: "required property is missing"})
	}
	if int64(len(obj)) < s.MinProps {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%d properties, at least %d expected", len(obj), s.MinProps)})
	}
	if s.MaxProps >= 0 && int64(len(obj)) > s.MaxProps {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%d properties, at most %d expected", len(obj), s.MaxProps)})
	}
	var known map[string]bool
	for _, k := range sortedKeys(obj) {
		pv := obj[k]
		if psi := s.Property(k); psi != None {
			c.value(psi, pv, join(path, k), mode, false, nil, ps)
			continue
		}
		switch {
		case s.Additional >= 0:
			c.value(s.Additional, pv, join(path, k), mode, false, nil, ps)
		case member:
			// A sibling of the composition may declare it; the composing schema checks.
		case s.Additional == AdditionalNone || mode.Strict:
			if known == nil {
				known = c.knownProps(si)
			}
			if !known[k] {
				*ps = append(*ps, Problem{Path: join(path, k), Message: "unknown property"})
			}
		}
	}
}

// knownProps is every property name a schema declares itself or through its compositions and
// discriminator mappings.
func (c *checker) knownProps(si int) map[string]bool {
	if k, ok := c.known.Load(si); ok {
		return k.(map[string]bool)
	}
	known := map[string]bool{}
	open := false
	var walk func(i int, seen map[int]bool)
	walk = func(i int, seen map[int]bool) {
		s := c.doc.Schema(i)
		if s == nil || seen[i] {
			return
		}
		seen[i] = true
		for _, p := range s.Properties {
			known[p.Name] = true
		}
		if s.Additional >= 0 {
			open = true
		}
		for _, m := range s.AllOf {
			walk(m, seen)
		}
		for _, m := range s.OneOf {
			walk(m, seen)
		}
		for _, m := range s.AnyOf {
			walk(m, seen)
		}
		if s.Discriminator != nil {
			for _, m := range s.Discriminator.Mapping {
				walk(m.Schema, seen)
			}
		}
	}
	walk(si, map[int]bool{})
	if open {
		known = nil // a member takes any property: nothing is unknown
	}
	c.known.Store(si, known)
	return known
}

func (c *checker) str(si int, s *Schema, x string, path string, mode Mode, ps *[]Problem) {
	n := int64(utf8.RuneCountInString(x))
	if n < s.MinLength {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%d character(s), at least %d expected", n, s.MinLength)})
	}
	if s.MaxLength >= 0 && n > s.MaxLength {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%d character(s), at most %d expected", n, s.MaxLength)})
	}
	if re := c.patterns[si]; re != nil && !re.MatchString(x) {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%s does not match %s", short(x), s.SourcePattern)})
	}
	if s.Type == "string" || s.Type == "" {
		if msg := CheckFormat(s.Format, x, mode.Request); msg != "" {
			*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%s is not %s", short(x), msg)})
		}
	}
}

func (c *checker) num(s *Schema, v any, path string, ps *[]Problem) {
	f, ok := getNumber(v)
	if !ok {
		*ps = append(*ps, Problem{Path: path, Message: "not a number"})
		return
	}
	switch s.Format {
	case "int32":
		if f < math.MinInt32 || f > math.MaxInt32 {
			*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%v is out of the int32 range", v)})
		}
	case "int64":
		if n, ok := v.(json.Number); ok {
			if _, err := strconv.ParseInt(string(n), 10, 64); err != nil && isInteger(n) {
				*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%v is out of the int64 range", v)})
			}
		}
	}
	if s.HasMinimum && (f < s.Minimum || (s.ExclusiveMin && f == s.Minimum)) {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%v is below the minimum %v", v, s.Minimum)})
	}
	if s.HasMaximum && (f > s.Maximum || (s.ExclusiveMax && f == s.Maximum)) {
		*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%v is above the maximum %v", v, s.Maximum)})
	}
	if s.MultipleOf > 0 {
		q := f / s.MultipleOf
		if math.Abs(q-math.Round(q)) > 1e-9 {
			*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf("%v is not a multiple of %v", v, s.MultipleOf)})
		}
	}
}

func (c *checker) inEnum(s *Schema, v any) bool {
	if str, ok := v.(string); ok {
		for _, e := range s.Enum {
			if len(e) == len(str)+2 && e[0] == '"' && string(e[1:len(e)-1]) == str {
				return true
			}
		}
	}
	cv := canonical(v)
	for _, e := range s.Enum {
		if ev, err := DecodeJSON(e); err == nil && canonical(ev) == cv {
			return true
		}
	}
	return false
}

func enumList(s *Schema) string {
	parts := make([]string, 0, len(s.Enum))
	for i, e := range s.Enum {
		if i == 8 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, string(e))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// canonical renders a decoded JSON value with sorted keys and normalised numbers.
func canonical(v any) string {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case map[string]any:
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			b.WriteString(canonical(x[k]))
		}
		b.WriteByte('}')
		return b.String()
	case []any:
		var b strings.Builder
		b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(canonical(it))
		}
		b.WriteByte(']')
		return b.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func short(v any) string {
	var s string
	if str, ok := v.(string); ok {
		s = strconv.Quote(str)
	} else {
		s = canonical(v)
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// Format patterns, compiled on first use: rcemu without a spec never needs them.
var (
	uuidRe     = lazyRegexp(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	timeRe     = lazyRegexp(`^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$`)
	hostnameRe = lazyRegexp(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
	emailRe    = lazyRegexp(`^[^\s@]+@[^\s@]+$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// platformTimeLayouts are the date-time forms the platform takes in requests besides RFC 3339.
var platformTimeLayouts = []string{
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
}

// CheckFormat returns "" when s is valid for format, else what it should be ("a date-time").
func CheckFormat(format, s string, lenient bool) string {
	switch format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return ""
		}
		if lenient {
			for _, l := range platformTimeLayouts {
				if _, err := time.Parse(l, s); err == nil {
					return ""
				}
			}
		}
		return "an RFC 3339 date-time"
	case "date":
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return "a date (YYYY-MM-DD)"
		}
	case "time":
		if !timeRe().MatchString(s) {
			return "a time (hh:mm[:ss])"
		}
	case "email":
		if !emailRe().MatchString(s) {
			return "an email address"
		}
	case "uri":
		u, err := url.Parse(s)
		if err != nil || !u.IsAbs() {
			return "an absolute URI"
		}
	case "uri-reference":
		if _, err := url.Parse(s); err != nil {
			return "a URI reference"
		}
	case "uuid":
		if !uuidRe().MatchString(s) {
			return "a UUID"
		}
	case "ipv4":
		if ip := net.ParseIP(s); ip == nil || ip.To4() == nil || strings.Contains(s, ":") {
			return "an IPv4 address"
		}
	case "ipv6":
		if ip := net.ParseIP(s); ip == nil || !strings.Contains(s, ":") {
			return "an IPv6 address"
		}
	case "hostname":
		if !hostnameRe().MatchString(s) {
			return "a host name"
		}
	case "byte":
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return "base64 data"
		}
	}
	return ""
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
