package parity

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// What the recorder redacts, by the lower-cased name of a JSON field, form field or query
// parameter (with '_' and '-' dropped, so access_token and accessToken are one rule). Secrets
// are also replaced wherever else they turn up in an exchange; personal data only where named.
var (
	secretFields = map[string]string{
		"accesstoken": "token", "refreshtoken": "token", "idtoken": "token", "token": "token",
		"wstoken": "token", "wsctoken": "token", "verificationtoken": "token", "validationtoken": "token",
		"assertion": "jwt", "jwt": "jwt", "password": "password", "clientsecret": "secret", "secret": "secret",
		"codeverifier": "secret", "apikey": "secret",
	}
	// An authorization code is a form field or query parameter; "code" in JSON bodies is
	// something else (a language's, a country's).
	formSecrets    = map[string]string{"code": "code"}
	personalFields = map[string]string{
		"phonenumber": "phone", "mainnumber": "phone", "businessphone": "phone", "businessphone2": "phone",
		"mobilephone": "phone", "mobilephone2": "phone", "homephone": "phone", "homephone2": "phone",
		"companyphone": "phone", "callbackphone": "phone", "otherphone": "phone", "carphone": "phone",
		"assistantphone": "phone", "businessfax": "phone", "otherfax": "phone", "from": "phone", "to": "phone",
		"email": "email", "email2": "email", "email3": "email", "username": "name",
		"firstname": "name", "lastname": "name", "middlename": "name", "name": "name", "fullname": "name",
		"nickname": "name", "jobtitle": "name", "subject": "text", "text": "text", "notes": "text",
		"street": "address", "street2": "address", "city": "address", "zip": "address", "birthday": "date",
	}
	// Headers whose whole value is a credential.
	secretHeaders = map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true,
		"Set-Cookie": true, "Validation-Token": true, "Verification-Token": true, "X-Api-Key": true}
)

func fieldKey(name string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
}

// Redactor replaces secrets and personal data with placeholders, the same value with the same
// placeholder for the whole recording, so that a replay can tell which token a request used and
// which answer gave it. The values it saw stay in memory only.
type Redactor struct {
	mu      sync.Mutex
	seen    map[string]string // value → placeholder
	counts  map[string]int
	secrets map[string]string // secret value → placeholder, replaced anywhere in an exchange
}

// NewRedactor returns an empty Redactor.
func NewRedactor() *Redactor {
	return &Redactor{seen: map[string]string{}, counts: map[string]int{}, secrets: map[string]string{}}
}

// placeholder keeps each kind's shape valid where it is checked on replay: phone numbers stay
// E.164 (in the fictional 555 range), e-mails stay addresses, dates stay dates.
func (r *Redactor) placeholder(kind, value string) string {
	if value == "" {
		return ""
	}
	if p, ok := r.seen[kind+"\x00"+value]; ok {
		return p
	}
	r.counts[kind]++
	n := r.counts[kind]
	var p string
	switch kind {
	case "phone":
		p = fmt.Sprintf("+1555%07d", n)
	case "email":
		p = fmt.Sprintf("redacted%d@example.invalid", n)
	case "date":
		p = "2000-01-01T00:00:00Z"
	default:
		p = fmt.Sprintf("redacted-%s-%d", kind, n)
	}
	r.seen[kind+"\x00"+value] = p
	switch kind {
	case "token", "jwt", "password", "secret", "code", "basic":
		if len(value) >= 4 {
			r.secrets[value] = p
		}
	}
	return p
}

// Value redacts one named value: a string field, form field or query parameter.
func (r *Redactor) Value(name, value string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.value(name, value)
}

func (r *Redactor) value(name, value string) string {
	k := fieldKey(name)
	if kind, ok := secretFields[k]; ok {
		return r.placeholder(kind, value)
	}
	if kind, ok := personalFields[k]; ok {
		return r.placeholder(kind, value)
	}
	return value
}

// JSON redacts a decoded JSON document in place and returns it.
func (r *Redactor) JSON(v any) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.walk("", v)
}

func (r *Redactor) walk(name string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = r.walk(k, e)
		}
	case []any:
		for i, e := range x {
			x[i] = r.walk(name, e) // the elements of "emails": [...] are e-mails
		}
	case string:
		return r.value(name, x)
	}
	return v
}

// Values redacts a form or a query.
func (r *Redactor) Values(vs url.Values) url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := url.Values{}
	for k, list := range vs {
		for _, v := range list {
			if kind, ok := formSecrets[fieldKey(k)]; ok {
				out.Add(k, r.placeholder(kind, v))
				continue
			}
			out.Add(k, r.value(k, v))
		}
	}
	return out
}

// Query redacts the query of a path ("/a?b=c").
func (r *Redactor) Query(path string) string {
	p, q, ok := strings.Cut(path, "?")
	if !ok {
		return path
	}
	vs, err := url.ParseQuery(q)
	if err != nil {
		return p + "?redacted-query"
	}
	return p + "?" + r.Values(vs).Encode()
}

// Header redacts credentials in headers: a bearer token gets the same placeholder as the
// access_token field that issued it; Basic credentials are redacted whole, their secret too.
func (r *Redactor) Header(name, value string) string {
	if !secretHeaders[name] {
		return value
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	scheme, cred, ok := strings.Cut(value, " ")
	switch {
	case ok && strings.EqualFold(scheme, "bearer"):
		return scheme + " " + r.placeholder("token", strings.TrimSpace(cred))
	case ok && strings.EqualFold(scheme, "basic"):
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
			if _, secret, ok := strings.Cut(string(raw), ":"); ok {
				r.placeholder("secret", secret)
			}
		}
		return scheme + " " + r.placeholder("basic", strings.TrimSpace(cred))
	}
	return r.placeholder("token", value)
}

// Scrub replaces every secret seen so far wherever it occurs in an encoded exchange (a token
// echoed in a URL or a message text), longest first so that no secret leaves part of another.
func (r *Redactor) Scrub(b []byte) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := string(b)
	keys := make([]string, 0, len(r.secrets))
	for k := range r.secrets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		for _, form := range []string{k, url.QueryEscape(k)} {
			if strings.Contains(s, form) {
				s = strings.ReplaceAll(s, form, r.secrets[k])
			}
		}
	}
	return []byte(s)
}
