// Package query decodes RingCentral query strings: RFC-1738 encoding ('+' is a space, %XX
// escapes), repeated keys as multi-values whose filters are a union, unknown keys kept but
// ignored, and typed getters whose failures are CMN-101 errors naming the parameter.
package query

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// Values is a decoded query string. Keys keep their first-seen order so that URIs echoed back
// to the client list parameters the way they were sent.
type Values struct {
	keys []string
	m    map[string][]string
}

// Parse decodes a raw query string. A malformed escape is a CMN-101 error naming its key.
func Parse(raw string) (Values, error) {
	v := Values{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return Values{}, rc.Invalid(k)
		}
		dec, err := url.QueryUnescape(val)
		if err != nil {
			return Values{}, rc.Invalid(key)
		}
		v.Add(key, dec)
	}
	return v, nil
}

// Add appends a value to key.
func (v *Values) Add(key, val string) {
	if v.m == nil {
		v.m = make(map[string][]string)
	}
	if _, ok := v.m[key]; !ok {
		v.keys = append(v.keys, key)
	}
	v.m[key] = append(v.m[key], val)
}

// Del removes key.
func (v *Values) Del(key string) {
	if _, ok := v.m[key]; !ok {
		return
	}
	delete(v.m, key)
	for i, k := range v.keys {
		if k == key {
			v.keys = append(v.keys[:i:i], v.keys[i+1:]...)
			break
		}
	}
}

// Has reports whether key was given.
func (v Values) Has(key string) bool { _, ok := v.m[key]; return ok }

// All returns every value of key, in order.
func (v Values) All(key string) []string { return v.m[key] }

// Get returns key's first value, or "".
func (v Values) Get(key string) string {
	if vs := v.m[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Keys returns the keys in first-seen order.
func (v Values) Keys() []string { return v.keys }

// Encode renders the values in key order with RFC-1738 escaping, as the platform echoes them.
func (v Values) Encode() string {
	var b strings.Builder
	for _, k := range v.keys {
		for _, val := range v.m[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escape(k))
			b.WriteByte('=')
			b.WriteString(escape(val))
		}
	}
	return b.String()
}

// escape is url.QueryEscape but for ':', which the platform leaves as it is in the dates it
// echoes (dateFrom=2018-09-17T12:53:00.000Z).
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%3A", ":")
}

// Clone returns an independent copy.
func (v Values) Clone() Values {
	c := Values{keys: append([]string(nil), v.keys...), m: make(map[string][]string, len(v.m))}
	for k, vs := range v.m {
		c.m[k] = append([]string(nil), vs...)
	}
	return c
}

// Int returns key as an integer in [min, max], or def when absent.
func (v Values) Int(key string, def, min, max int) (int, error) {
	s := v.Get(key)
	if !v.Has(key) {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < min || n > max {
		return 0, rc.Invalid(key)
	}
	return n, nil
}

// Int64s returns every value of key as a 64-bit integer; values may also be comma-separated.
// An absent key gives nil.
func (v Values) Int64s(key string) ([]int64, error) {
	var out []int64
	for _, raw := range v.m[key] {
		for _, s := range strings.Split(raw, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, rc.Invalid(key)
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// Bool returns key as a boolean ("true"/"false", any case), or def when absent.
func (v Values) Bool(key string, def bool) (bool, error) {
	if !v.Has(key) {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v.Get(key))) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, rc.Invalid(key)
}

// Enum returns every value of key, each of which must be one of allowed (matched without regard
// to case and returned in its canonical spelling). Values may also be comma-separated, as some
// clients send them. An absent key gives nil: no filter.
func (v Values) Enum(key string, allowed []string) ([]string, error) {
	var out []string
	for _, raw := range v.m[key] {
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			found := ""
			for _, a := range allowed {
				if strings.EqualFold(a, s) {
					found = a
					break
				}
			}
			if found == "" {
				return nil, rc.Invalid(key)
			}
			out = append(out, found)
		}
	}
	return out, nil
}

// Time returns key as an instant. Accepted forms are the platform's: YYYY, YYYY-MM, YYYY-MM-DD,
// and YYYY-MM-DDThh:mm[:ss[.s]] with an optional zone designator (Z or ±hh:mm); no zone means UTC.
func (v Values) Time(key string) (time.Time, bool, error) {
	if !v.Has(key) {
		return time.Time{}, false, nil
	}
	t, err := ParseTime(v.Get(key))
	if err != nil {
		return time.Time{}, false, rc.Invalid(key)
	}
	return t, true, nil
}

var timeLayouts = []string{
	"2006", "2006-01", "2006-01-02",
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
}

// ParseTime parses one of the platform's date-time forms.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}
