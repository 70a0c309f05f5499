package spec

import (
	"mime"
	"sort"
	"strconv"
	"strings"
)

// CheckResponse compares a response with what the operation documents and returns every
// difference, each naming its place ("$.records[0].uri: ..."):
//   - a success or redirect status must be documented; an error status the operation does not
//     list is accepted (the spec lists few of the errors every operation can give, such as 401);
//   - a body needs a documented media type, and a JSON body must validate against its schema;
//   - a success status documented without content must come without a body (an error or a
//     redirect may carry one: http.Redirect writes a short HTML body, and error bodies are
//     often left out of the spec).
func (d *Document) CheckResponse(op *Operation, status int, contentType string, body []byte) []string {
	r := op.Response(status)
	if r == nil {
		if status >= 400 {
			return nil
		}
		return []string{"status " + strconv.Itoa(status) + " is not documented (documented: " + statuses(op) + ")"}
	}
	if len(r.Content) == 0 {
		if status < 300 && len(strings.TrimSpace(string(body))) > 0 {
			return []string{"status " + strconv.Itoa(status) + " documents no body, but one was sent (" + contentType + ")"}
		}
		return nil
	}
	if len(body) == 0 {
		if status == 204 || status == 304 {
			return nil
		}
		return []string{"empty body; documented: " + mediaTypes(r.Content)}
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return []string{"unparsable Content-Type " + strconv.Quote(contentType)}
	}
	m := FindMedia(r.Content, mt)
	if m == nil {
		return []string{"Content-Type " + mt + " is not documented for status " + strconv.Itoa(status) + " (documented: " + mediaTypes(r.Content) + ")"}
	}
	if m.Schema == None || !IsJSON(mt) {
		return nil
	}
	v, err := DecodeJSON(body)
	if err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	var out []string
	for _, p := range d.Validate(m.Schema, v, Mode{}) {
		path := "$"
		if p.Path != "" {
			path += "." + p.Path
		}
		out = append(out, path+": "+p.Message)
	}
	return out
}

func statuses(op *Operation) string {
	var s []string
	for _, r := range op.Responses {
		s = append(s, r.Status)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func mediaTypes(content []Media) string {
	var s []string
	for _, m := range content {
		s = append(s, m.Type)
	}
	return strings.Join(s, ", ")
}
