package specmock

import (
	"bytes"
	"encoding/json"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/rcemu/rcemu/internal/spec"
)

// Sample is a valid request for an operation, generated from its spec: `~` for the caller's
// account and extension, every query parameter with a valid value, required headers, and a body
// of the operation's first body type (JSON preferred).
type Sample struct {
	Method      string
	Path        string // path and query
	Header      http.Header
	Body        []byte
	ContentType string
}

// SampleRequest generates a valid request for op.
func SampleRequest(doc *spec.Document, op *spec.Operation) Sample {
	g := newGenerator(doc, op, true)
	s := Sample{Method: op.Method, Header: http.Header{}}
	var path strings.Builder
	for i, seg := range strings.Split(op.Path, "/") {
		if i > 0 {
			path.WriteByte('/')
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			if name == "accountId" || name == "extensionId" || name == "callQueueId" {
				path.WriteString("~")
				continue
			}
			p := op.Param("path", name)
			v := "1"
			if p != nil {
				v = paramText(g, p)
			}
			path.WriteString(url.PathEscape(v))
			continue
		}
		path.WriteString(seg)
	}
	q := url.Values{}
	for _, p := range op.Params {
		switch p.In {
		case "query":
			q.Add(p.Name, paramText(g, &p))
		case "header":
			if p.Required {
				s.Header.Set(p.Name, paramText(g, &p))
			}
		}
	}
	s.Path = path.String()
	if len(q) > 0 {
		s.Path += "?" + q.Encode()
	}
	if op.Body != nil && len(op.Body.Content) > 0 {
		s.Body, s.ContentType = sampleBody(g, op.Body)
	}
	return s
}

// paramText is a valid raw value for a parameter: its example when it is valid, else a
// generated one; arrays give one item.
func paramText(g *generator, p *spec.Parameter) string {
	set := []int{p.Schema}
	if s := g.doc.Schema(p.Schema); s != nil && s.Type == "array" {
		set = []int{s.Items}
	}
	var ex any
	if len(p.Example) > 0 {
		ex, _ = spec.DecodeJSON(p.Example)
		if arr, ok := ex.([]any); ok && len(arr) > 0 {
			ex = arr[0]
		}
	}
	v := g.value(set, gctx{path: "$param." + p.Name, name: p.Name, item: -1}, ex)
	return textOf(renderSample(v))
}

func textOf(b []byte) string {
	v, err := spec.DecodeJSON(b)
	if err != nil {
		return string(b)
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case map[string]any, []any:
		return string(b)
	default:
		return strings.Trim(string(mustJSON(x)), `"`)
	}
}

func sampleBody(g *generator, b *spec.Body) ([]byte, string) {
	pick := func(kind string) *spec.Media {
		for i := range b.Content {
			if spec.BodyKind(b.Content[i].Type) == kind {
				return &b.Content[i]
			}
		}
		return nil
	}
	for _, kind := range []string{"json", "form", "multipart", "mixed", "rcmultipart", "binary"} {
		m := pick(kind)
		if m == nil {
			continue
		}
		if m.Schema == spec.None || kind == "binary" {
			ct := m.Type
			if strings.HasSuffix(ct, "/*") {
				ct = strings.TrimSuffix(ct, "*") + "octet-stream"
			}
			return []byte("rcemu"), ct
		}
		body := renderSample(g.body(m))
		switch kind {
		case "json", "rcmultipart":
			return body, m.Type
		case "form":
			return []byte(formOf(body).Encode()), m.Type
		case "multipart":
			return multipartForm(g, m, body)
		case "mixed":
			return multipartMixed(g, m, body)
		}
	}
	return nil, ""
}

func formOf(body []byte) url.Values {
	out := url.Values{}
	v, _ := spec.DecodeJSON(body)
	obj, _ := v.(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		switch x := obj[k].(type) {
		case []any:
			for _, it := range x {
				out.Add(k, textOf(mustJSON(it)))
			}
		default:
			out.Add(k, textOf(mustJSON(x)))
		}
	}
	return out
}

func multipartForm(g *generator, m *spec.Media, body []byte) ([]byte, string) {
	o := &operation{doc: g.doc}
	v, _ := spec.DecodeJSON(body)
	obj, _ := v.(map[string]any)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary("rcemu-sample-boundary")
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		typ, binary, array := o.shape(o.propSchemas(m.Schema, k))
		values := []any{obj[k]}
		if arr, ok := obj[k].([]any); ok && array && (binary || typ != "array:object") {
			values = arr
		}
		for _, it := range values {
			switch {
			case binary:
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", `form-data; name="`+k+`"; filename="file.bin"`)
				h.Set("Content-Type", "application/octet-stream")
				pw, _ := mw.CreatePart(h)
				_, _ = pw.Write([]byte("rcemu"))
			case typ == "object" || typ == "array:object" || spec.IsJSON(m.FieldType(k)):
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", `form-data; name="`+k+`"`)
				h.Set("Content-Type", "application/json")
				pw, _ := mw.CreatePart(h)
				_, _ = pw.Write(mustJSON(it))
			default:
				_ = mw.WriteField(k, textOf(mustJSON(it)))
			}
		}
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func multipartMixed(g *generator, m *spec.Media, body []byte) ([]byte, string) {
	o := &operation{doc: g.doc}
	v, _ := spec.DecodeJSON(body)
	obj, _ := v.(map[string]any)
	name, _ := o.binaryProperty(m.Schema)
	files := 0
	if name != "" {
		if arr, ok := obj[name].([]any); ok {
			files = max(1, len(arr))
		} else {
			files = 1
		}
		delete(obj, name)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary("rcemu-sample-boundary")
	pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	_ = json.NewEncoder(pw).Encode(obj)
	for i := 0; i < files; i++ {
		pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"audio/wav"}})
		_, _ = pw.Write(wavSample)
	}
	_ = mw.Close()
	return buf.Bytes(), "multipart/mixed; boundary=" + mw.Boundary()
}
