package specmock

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/spec"
)

// readBody reads the request body within the operation's x-request-max-body-size (the
// conventions layer already applies the server-wide limit).
func (o *operation) readBody(r *restapi.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	limit := o.op.MaxBodySize
	if limit > 0 {
		if r.ContentLength > limit {
			return nil, restapi.TooLarge(limit)
		}
		rd = io.LimitReader(r.Body, limit+1)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, restapi.ReadError(err)
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, restapi.TooLarge(limit)
	}
	return b, nil
}

// checkBody validates the body against the operation's request body and returns it decoded
// (nil when there is none or it is not JSON, a form or multipart).
func (o *operation) checkBody(r *restapi.Request) (any, error) {
	b := o.op.Body
	if b == nil || len(b.Content) == 0 {
		return nil, nil // a body an operation does not take is ignored, as the platform does
	}
	data, err := o.readBody(r)
	if err != nil {
		return nil, err
	}
	ct := r.Header.Get("Content-Type")
	empty := len(bytes.TrimSpace(data)) == 0
	if empty && !b.Required {
		return nil, nil
	}
	mt, params := "", map[string]string(nil)
	if ct != "" {
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			return nil, restapi.UnsupportedMediaType(ct)
		}
	} else {
		// No Content-Type: JSON if the operation takes it, as SDKs send JSON by default.
		if spec.FindMedia(b.Content, "application/json") != nil {
			mt = "application/json"
		} else {
			mt = b.Content[0].Type
		}
	}
	m := spec.FindMedia(b.Content, mt)
	if m == nil {
		return nil, restapi.UnsupportedMediaType(ct)
	}
	mode := spec.Mode{Request: true, Strict: o.opt.Strict}
	var v any
	switch kind := spec.BodyKind(m.Type); kind {
	case "json", "rcmultipart":
		if empty {
			return nil, rc.BadJSON()
		}
		if v, err = spec.DecodeJSON(data); err != nil {
			return nil, rc.BadJSON()
		}
	case "form":
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, rc.CannotParse()
		}
		v = o.formObject(m.Schema, vals)
	case "multipart", "mixed":
		if empty {
			v = map[string]any{}
			break
		}
		if v, err = o.multipartObject(m, data, params["boundary"], kind == "mixed"); err != nil {
			return nil, err
		}
	default:
		return nil, nil // opaque bytes (audio, images...)
	}
	if m.Schema == spec.None {
		return v, nil
	}
	ps := o.doc.Validate(m.Schema, v, mode)
	if len(ps) == 0 {
		if o.opt.Strict {
			if name := o.readOnlySent(m.Schema, v, ""); name != "" {
				return nil, invalid(name, "is read-only")
			}
		}
		return v, nil
	}
	return nil, problemError(ps[0])
}

func problemError(p spec.Problem) *rc.Error {
	name := p.Path
	if name == "" {
		name = "body"
	}
	if p.Missing {
		return rc.Missing(name)
	}
	if p.Message == "unknown property" {
		return invalid(name, "is not recognized")
	}
	return rc.Invalid(name)
}

// propSchemas returns the schemas of property name in the object schema si and its allOf
// members (and every oneOf/anyOf member, which may declare it).
func (o *operation) propSchemas(si int, name string) []int {
	var out []int
	seen := map[int]bool{}
	var walk func(int)
	walk = func(i int) {
		s := o.doc.Schema(i)
		if s == nil || seen[i] {
			return
		}
		seen[i] = true
		if p := s.Property(name); p != spec.None {
			out = append(out, p)
		}
		for _, m := range s.AllOf {
			walk(m)
		}
		for _, m := range s.OneOf {
			walk(m)
		}
		for _, m := range s.AnyOf {
			walk(m)
		}
	}
	walk(si)
	return out
}

// shape says how a property's values arrive in a form or multipart body.
func (o *operation) shape(set []int) (typ string, binary, array bool) {
	for _, si := range set {
		for _, i := range o.doc.AllOf(si) {
			s := o.doc.Schema(i)
			if typ == "" {
				typ = s.Type
			}
			if s.Format == "binary" {
				binary = true
			}
			if s.Type == "array" {
				array = true
				if it := o.doc.Schema(s.Items); it != nil {
					for _, j := range o.doc.AllOf(s.Items) {
						if o.doc.Schema(j).Format == "binary" {
							binary = true
						}
					}
					if typ == "array" && it.Type != "" {
						typ = "array:" + it.Type
					}
				}
			}
		}
	}
	return typ, binary, array
}

// fieldValue turns a text field into the JSON value its property describes.
func (o *operation) fieldValue(set []int, typ, raw string) any {
	t := strings.TrimPrefix(typ, "array:")
	switch t {
	case "integer", "number", "boolean":
		var all []int
		for _, si := range set {
			all = append(all, o.doc.AllOf(si)...)
		}
		if v, ok := o.coerce(all, t, raw); ok {
			return v
		}
	case "object", "array":
		if v, err := spec.DecodeJSON([]byte(raw)); err == nil {
			return v
		}
	}
	return raw
}

// formObject builds the object an urlencoded form describes.
func (o *operation) formObject(si int, vals url.Values) map[string]any {
	obj := map[string]any{}
	for k, vs := range vals {
		set := o.propSchemas(si, k)
		typ, _, array := o.shape(set)
		if array {
			items := make([]any, len(vs))
			for i, v := range vs {
				items[i] = o.fieldValue(set, typ, v)
			}
			obj[k] = items
			continue
		}
		obj[k] = o.fieldValue(set, typ, vs[0])
	}
	return obj
}

// multipartObject builds the object a multipart body describes. In form-data each part is a
// field; a JSON part named after no field holds the request's fields (the SDKs' "body" or "json"
// part). In multipart/mixed the first part is the JSON request and the others are attachments,
// which fill the schema's binary property.
func (o *operation) multipartObject(m *spec.Media, data []byte, boundary string, mixed bool) (map[string]any, error) {
	if boundary == "" {
		return nil, rc.CannotParse()
	}
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	obj := map[string]any{}
	set := func(name string, v any, array bool) {
		if array {
			list, _ := obj[name].([]any)
			obj[name] = append(list, v)
			return
		}
		obj[name] = v
	}
	binaryProp := ""
	binaryArray := false
	if mixed {
		binaryProp, binaryArray = o.binaryProperty(m.Schema)
	}
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, rc.CannotParse()
		}
		content, err := io.ReadAll(part)
		if err != nil {
			return nil, rc.CannotParse()
		}
		pct := part.Header.Get("Content-Type")
		pmt, _, _ := mime.ParseMediaType(pct)
		if mixed {
			if i == 0 && (pmt == "" || spec.IsJSON(pmt)) {
				isObject, err := mergeFields(obj, content)
				if err != nil {
					return nil, err
				}
				if !isObject {
					return nil, rc.Invalid("body")
				}
				continue
			}
			if binaryProp != "" {
				set(binaryProp, "(binary)", binaryArray)
			}
			continue
		}
		name := part.FormName()
		props := o.propSchemas(m.Schema, name)
		typ, binary, array := o.shape(props)
		declared := m.FieldType(name)
		switch {
		case len(props) == 0 && (spec.IsJSON(pmt) || name == "json" || name == "body"):
			if _, err := mergeFields(obj, content); err != nil {
				return nil, err
			}
		case binary && !spec.IsJSON(pmt):
			set(name, "(binary)", array)
		case spec.IsJSON(pmt) || spec.IsJSON(declared) || typ == "object":
			v, err := spec.DecodeJSON(content)
			if err != nil {
				return nil, rc.BadJSON()
			}
			set(name, v, array && typ != "array")
		default:
			set(name, o.fieldValue(props, typ, string(content)), array)
		}
	}
	return obj, nil
}

// mergeFields copies the fields of a JSON part into obj and reports whether it was an object.
func mergeFields(obj map[string]any, content []byte) (bool, error) {
	v, err := spec.DecodeJSON(content)
	if err != nil {
		return false, rc.BadJSON()
	}
	fields, isObject := v.(map[string]any)
	maps.Copy(obj, fields)
	return isObject, nil
}

// binaryProperty finds the property attachments go to in a multipart/mixed body.
func (o *operation) binaryProperty(si int) (string, bool) {
	for _, i := range o.doc.AllOf(si) {
		for _, p := range o.doc.Schema(i).Properties {
			if _, binary, array := o.shape(o.propSchemas(si, p.Name)); binary {
				return p.Name, array
			}
		}
	}
	return "", false
}

// readOnlySent returns the path of a readOnly property present in a request body (strict mode
// refuses them; by default they are ignored, as the platform ignores them).
func (o *operation) readOnlySent(si int, v any, path string) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		for _, p := range o.propSchemas(si, k) {
			if o.doc.Schema(p).ReadOnly {
				return join(path, k)
			}
			if name := o.readOnlySent(p, obj[k], join(path, k)); name != "" {
				return name
			}
		}
	}
	return ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
