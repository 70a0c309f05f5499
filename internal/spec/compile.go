package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// UnsupportedError lists every feature of a document the layer cannot honour, each with its place.
type UnsupportedError struct {
	Problems []string
}

func (e *UnsupportedError) Error() string {
	const max = 20
	var b strings.Builder
	fmt.Fprintf(&b, "the spec uses %d feature(s) rcemu does not support:", len(e.Problems))
	for i, p := range e.Problems {
		if i == max {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-max)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

// KnownFormats are the string and number formats the validator checks and the generator
// produces. Any other format is a load error.
var KnownFormats = map[string]bool{
	"int32": true, "int64": true, "float": true, "double": true,
	"date-time": true, "date": true, "time": true, "email": true, "uri": true, "uri-reference": true,
	"uuid": true, "ipv4": true, "ipv6": true, "hostname": true, "binary": true, "byte": true, "password": true,
}

// The fields each OpenAPI 3.0 object may have (x- extensions are always allowed). A field that
// is not listed is an error: rcemu says what it does not know rather than ignore it.
// Annotations (descriptions, examples, external docs, tags, servers, links, callbacks) are listed:
// they change nothing rcemu validates or generates.
var (
	rootFields      = set("openapi", "info", "servers", "paths", "components", "security", "tags", "externalDocs")
	pathItemFields  = set("summary", "description", "servers", "parameters", "get", "put", "post", "delete", "options", "head", "patch", "trace")
	operationFields = set("tags", "summary", "description", "externalDocs", "operationId", "parameters", "requestBody",
		"responses", "callbacks", "deprecated", "security", "servers")
	parameterFields = set("name", "in", "description", "required", "deprecated", "allowEmptyValue", "style", "explode",
		"allowReserved", "schema", "example", "examples", "content")
	headerFields   = set("description", "required", "deprecated", "allowEmptyValue", "style", "explode", "allowReserved", "schema", "example", "examples", "content")
	bodyFields     = set("description", "content", "required")
	mediaFields    = set("schema", "example", "examples", "encoding")
	encodingFields = set("contentType", "headers", "style", "explode", "allowReserved")
	responseFields = set("description", "headers", "content", "links")
	exampleFields  = set("summary", "description", "value", "externalValue")
	discrimFields  = set("propertyName", "mapping")
	schemaFields   = set("type", "format", "nullable", "readOnly", "writeOnly", "deprecated", "uniqueItems", "enum", "default",
		"example", "properties", "required", "additionalProperties", "items", "allOf", "oneOf", "anyOf", "discriminator",
		"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minimum", "maximum",
		"exclusiveMinimum", "exclusiveMaximum", "multipleOf", "pattern", "title", "description", "externalDocs", "xml",
		"examples", "$comment")
	// Schema keywords rcemu knows and does not handle (JSON Schema or OpenAPI 3.1).
	schemaUnsupported = set("not", "const", "prefixItems", "contains", "minContains", "maxContains", "patternProperties",
		"dependentSchemas", "dependentRequired", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "if", "then",
		"else", "$defs", "definitions", "$dynamicRef", "$dynamicAnchor", "$id", "$anchor", "$schema", "contentMediaType",
		"contentEncoding", "contentSchema", "allowEmptyValue")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// compiler turns the document tree into a Document.
type compiler struct {
	doc      *Document
	root     map[string]any
	index    map[string]int // by "#/components/schemas/Name", or by identity for inline schemas
	problems []string
}

// Compile parses an OpenAPI 3.0 document (YAML or JSON) and compiles it. Every unsupported
// feature is reported at once in an *UnsupportedError.
func Compile(data []byte) (*Document, error) {
	sum := sha256.Sum256(data)
	tree, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	root, ok := asMap(tree)
	if !ok {
		return nil, errors.New("parse: the document is not a mapping")
	}
	version := getString(root, "openapi")
	if n, ok := root["openapi"].(json.Number); ok { // "openapi: 3.0" unquoted
		version = string(n)
	}
	switch {
	case version == "" && root["swagger"] != nil:
		return nil, &UnsupportedError{Problems: []string{"swagger " + fmt.Sprint(root["swagger"]) + ": Swagger 2.0 is not supported; only OpenAPI 3.0.x"}}
	case version == "":
		return nil, errors.New("not an OpenAPI document (no openapi field)")
	case !strings.HasPrefix(version, "3.0"):
		return nil, &UnsupportedError{Problems: []string{fmt.Sprintf("openapi %s: only OpenAPI 3.0.x documents are supported", version)}}
	}
	c := &compiler{root: root, index: map[string]int{},
		doc: &Document{Hash: hex.EncodeToString(sum[:]), OpenAPI: version}}
	if info, ok := asMap(root["info"]); ok {
		c.doc.Title, c.doc.Version = getString(info, "title"), fmt.Sprint(info["version"])
	}
	c.fields(root, "#", rootFields, "document")
	if comps, ok := asMap(root["components"]); ok {
		// Components first, in name order, so that schema indexes are stable.
		if schemas, ok := asMap(comps["schemas"]); ok {
			for _, name := range sortedKeys(schemas) {
				c.schema(map[string]any{"$ref": "#/components/schemas/" + escapePointer(name)}, "#/components/schemas/"+name)
			}
		}
	}
	c.paths()
	sort.Strings(c.doc.Warnings)
	if len(c.problems) > 0 {
		sort.Strings(c.problems)
		return nil, &UnsupportedError{Problems: c.problems}
	}
	return c.doc, nil
}

func (c *compiler) problem(where, format string, args ...any) {
	c.problems = append(c.problems, where+": "+fmt.Sprintf(format, args...))
}

// fields reports the fields of an object that its kind does not have.
func (c *compiler) fields(m map[string]any, where string, allowed map[string]bool, kind string) {
	for k := range m {
		if !allowed[k] && !strings.HasPrefix(k, "x-") {
			c.problem(where, "unknown field %q in %s", k, kind)
		}
	}
}

// deref follows $ref (local references only) and returns the object and its place.
func (c *compiler) deref(v any, where string) (map[string]any, string, bool) {
	for range 32 {
		m, ok := asMap(v)
		if !ok {
			c.problem(where, "an object is expected")
			return nil, where, false
		}
		ref, isRef := m["$ref"].(string)
		if !isRef {
			return m, where, true
		}
		if !strings.HasPrefix(ref, "#") {
			c.problem(where, "$ref %q: only references inside the document are supported", ref)
			return nil, where, false
		}
		target, ok := pointer(c.root, ref)
		if !ok {
			c.problem(where, "$ref %q does not resolve", ref)
			return nil, where, false
		}
		v, where = target, ref
	}
	c.problem(where, "$ref chain too long or circular")
	return nil, where, false
}

var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

func (c *compiler) paths() {
	paths, ok := asMap(c.root["paths"])
	if !ok {
		c.problem("#/paths", "missing")
		return
	}
	seenShape := map[string]string{}
	seenID := map[string]string{}
	for _, p := range sortedKeys(paths) {
		if strings.HasPrefix(p, "x-") {
			continue
		}
		where := "#/paths/" + escapePointer(p)
		item, ok := asMap(paths[p])
		if !ok {
			c.problem(where, "a path item is expected")
			continue
		}
		if _, ok := item["$ref"]; ok {
			c.problem(where, "path item $ref is not supported")
			continue
		}
		c.fields(item, where, pathItemFields, "a path item")
		for _, method := range methods {
			opv, ok := item[strings.ToLower(method)]
			if !ok {
				continue
			}
			owhere := where + "/" + strings.ToLower(method)
			op, ok := asMap(opv)
			if !ok {
				c.problem(owhere, "an operation is expected")
				continue
			}
			shape := method + " " + NormalizePath(p)
			if other, dup := seenShape[shape]; dup {
				c.problem(owhere, "same method and path shape as %s (only the parameter names differ)", other)
				continue
			}
			seenShape[shape] = p
			o := c.operation(method, p, item, op, owhere)
			if other, dup := seenID[o.ID]; dup {
				c.problem(owhere, "operationId %q is also used by %s", o.ID, other)
				continue
			}
			seenID[o.ID] = method + " " + p
			c.doc.Operations = append(c.doc.Operations, o)
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func (c *compiler) operation(method, path string, item, op map[string]any, where string) *Operation {
	c.fields(op, where, operationFields, "an operation")
	o := &Operation{ID: getString(op, "operationId"), Method: method, Path: path, Summary: getString(op, "summary"),
		Deprecated: getBool(op, "deprecated")}
	if o.ID == "" {
		o.ID = strings.ToLower(method) + " " + path
	}
	for _, t := range asList(op["tags"]) {
		if s, ok := t.(string); ok {
			o.Tags = append(o.Tags, s)
		}
	}
	o.ThrottlingGroup = extString(op, "x-throttling-group")
	o.AppPermission = extString(op, "x-app-permission")
	o.UserPermission = extString(op, "x-user-permission")
	o.Availability = extString(op, "x-availability")
	o.Feature = extString(op, "x-feature")
	if s := extString(op, "x-request-max-body-size"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			c.problem(where, "x-request-max-body-size %q: %v", s, err)
		}
		o.MaxBodySize = n
	}
	security, ok := op["security"]
	if !ok {
		security = c.root["security"]
	}
	for _, req := range asList(security) {
		if m, ok := asMap(req); ok && len(m) == 0 {
			o.Public = true
		}
	}

	// Path-item parameters, then the operation's, which override them by (in, name).
	var params []Parameter
	add := func(list any, w string) {
		if list == nil {
			return
		}
		l, ok := list.([]any)
		if !ok {
			c.problem(w, "parameters must be a list")
			return
		}
		for i, pv := range l {
			pw := fmt.Sprintf("%s/parameters/%d", w, i)
			p, ok := c.parameter(pv, pw)
			if !ok {
				continue
			}
			replaced := false
			for j := range params {
				if params[j].In == p.In && params[j].Name == p.Name {
					params[j], replaced = p, true
				}
			}
			if !replaced {
				params = append(params, p)
			}
		}
	}
	add(item["parameters"], "#/paths/"+escapePointer(path))
	add(op["parameters"], where)
	o.Params = params
	names := PathParamNames(path)
	for _, n := range names {
		if o.Param("path", n) == nil {
			c.problem(where, "path parameter {%s} is not declared", n)
		}
	}
	for _, p := range o.Params {
		if p.In == "path" && !slices.Contains(names, p.Name) {
			c.problem(where, "path parameter %q is not in the path", p.Name)
		}
	}

	if rbv, ok := op["requestBody"]; ok {
		if rb, rw, ok := c.deref(rbv, where+"/requestBody"); ok {
			c.fields(rb, rw, bodyFields, "a request body")
			o.Body = &Body{Required: getBool(rb, "required"), Content: c.content(rb["content"], rw+"/content", true)}
		}
	}
	responses, ok := asMap(op["responses"])
	if !ok || len(responses) == 0 {
		c.problem(where, "no responses")
		return o
	}
	for _, status := range sortedKeys(responses) {
		if strings.HasPrefix(status, "x-") {
			continue
		}
		rw := where + "/responses/" + status
		if !validStatus(status) {
			c.problem(rw, "status %q is not a code, NXX or default", status)
			continue
		}
		resp, rw, ok := c.deref(responses[status], rw)
		if !ok {
			continue
		}
		c.fields(resp, rw, responseFields, "a response")
		r := Response{Status: strings.ToUpper(status), Content: c.content(resp["content"], rw+"/content", false)}
		if hs, ok := asMap(resp["headers"]); ok {
			for _, h := range sortedKeys(hs) {
				hv, hw, ok := c.deref(hs[h], rw+"/headers/"+h)
				if !ok {
					continue
				}
				c.fields(hv, hw, headerFields, "a header")
				if _, ok := hv["content"]; ok {
					c.problem(hw, "header content (instead of schema) is not supported")
					continue
				}
				r.Headers = append(r.Headers, Header{Name: h, Required: getBool(hv, "required"), Schema: c.schema(hv["schema"], hw+"/schema")})
			}
		}
		o.Responses = append(o.Responses, r)
	}
	return o
}

func validStatus(s string) bool {
	if strings.EqualFold(s, "default") {
		return true
	}
	if len(s) != 3 || s[0] < '1' || s[0] > '5' {
		return false
	}
	if strings.EqualFold(s[1:], "XX") {
		return true
	}
	_, err := strconv.Atoi(s)
	return err == nil
}

func extString(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// parseSize reads "10m", "100k", "1g" or a plain number of bytes.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a size")
	}
	return n * mult, nil
}

func (c *compiler) parameter(v any, where string) (Parameter, bool) {
	p, where, ok := c.deref(v, where)
	if !ok {
		return Parameter{}, false
	}
	c.fields(p, where, parameterFields, "a parameter")
	out := Parameter{Name: getString(p, "name"), In: getString(p, "in"), Required: getBool(p, "required"),
		Style: getString(p, "style"), Deprecated: getBool(p, "deprecated"), AllowEmpty: getBool(p, "allowEmptyValue")}
	where += "(" + out.Name + ")"
	if out.Name == "" {
		c.problem(where, "parameter without a name")
		return out, false
	}
	explode, hasExplode := p["explode"].(bool)
	switch out.In {
	case "path", "header":
		if out.Style == "" {
			out.Style = "simple"
		}
		if out.Style != "simple" {
			c.problem(where, "style %q for a %s parameter (only simple is supported)", out.Style, out.In)
			return out, false
		}
		out.Explode = hasExplode && explode
	case "query":
		if out.Style == "" {
			out.Style = "form"
		}
		if out.Style != "form" {
			c.problem(where, "style %q for a query parameter (only form is supported)", out.Style)
			return out, false
		}
		out.Explode = !hasExplode || explode
	case "cookie":
		c.problem(where, "cookie parameters are not supported")
		return out, false
	default:
		c.problem(where, "parameter location %q", out.In)
		return out, false
	}
	if out.In == "path" {
		out.Required = true
	}
	if _, ok := p["content"]; ok {
		c.problem(where, "parameter content (instead of schema) is not supported")
		return out, false
	}
	if p["schema"] == nil {
		c.problem(where, "parameter without a schema")
		return out, false
	}
	out.Schema = c.schema(p["schema"], where+"/schema")
	out.Example = c.example(p, where)
	return out, true
}

// example returns an object's example, or the value of its first named example.
func (c *compiler) example(m map[string]any, where string) json.RawMessage {
	if v, ok := m["example"]; ok && v != nil {
		return marshal(v)
	}
	named, ok := asMap(m["examples"])
	if !ok {
		return nil
	}
	for _, k := range sortedKeys(named) {
		ex, ew, ok := c.deref(named[k], where+"/examples/"+k)
		if !ok {
			continue
		}
		c.fields(ex, ew, exampleFields, "an example")
		if v, ok := ex["value"]; ok && v != nil {
			return marshal(v)
		}
	}
	return nil
}

func marshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// Media types a request body may have. JSON types are validated against their schema, forms
// and multipart bodies field by field; the others are taken as opaque bytes.
// BodyKind classifies a media type: json, form, multipart, mixed, rcmultipart (the platform's
// JSON bulk form) or binary.
func BodyKind(mt string) string {
	l := strings.ToLower(mt)
	switch {
	case IsJSON(l):
		return "json"
	case l == "application/x-www-form-urlencoded":
		return "form"
	case l == "multipart/form-data":
		return "multipart"
	case l == "multipart/mixed":
		return "mixed"
	case l == "application/vnd.ringcentral.multipart+json":
		return "rcmultipart"
	}
	return "binary"
}

func (c *compiler) content(v any, where string, request bool) []Media {
	if v == nil {
		return nil
	}
	content, ok := asMap(v)
	if !ok {
		c.problem(where, "content must be a map of media types")
		return nil
	}
	var out []Media
	for _, k := range sortedKeys(content) {
		mw := where + "/" + escapePointer(k)
		mt, ok := asMap(content[k])
		if !ok {
			if content[k] != nil {
				c.problem(mw, "a media type object is expected")
			}
			out = append(out, Media{Type: k, Schema: None})
			continue
		}
		c.fields(mt, mw, mediaFields, "a media type")
		m := Media{Type: k, Schema: None, Example: c.example(mt, mw)}
		if enc, ok := asMap(mt["encoding"]); ok {
			for _, f := range sortedKeys(enc) {
				ew := mw + "/encoding/" + escapePointer(f)
				e, ok := asMap(enc[f])
				if !ok {
					continue
				}
				c.fields(e, ew, encodingFields, "an encoding")
				if !strings.HasPrefix(strings.ToLower(k), "multipart/") {
					c.problem(ew, "encoding is only supported for multipart bodies")
					continue
				}
				_, style := e["style"]
				_, explode := e["explode"]
				if style || explode || getBool(e, "allowReserved") {
					c.problem(ew, "style, explode and allowReserved apply to form bodies and are not supported")
				}
				if hs, ok := asMap(e["headers"]); ok {
					for h := range hs {
						// Part headers other than these two would need checking part by part.
						if !strings.EqualFold(h, "Content-Disposition") && !strings.EqualFold(h, "Content-Type") {
							c.problem(ew, "part header %q is not supported", h)
						}
					}
				}
				m.Encoding = append(m.Encoding, FieldEncoding{Field: f, ContentType: getString(e, "contentType")})
			}
		}
		if sv, ok := mt["schema"]; ok && sv != nil {
			m.Schema = c.schema(sv, mw+"/schema")
		}
		if request && BodyKind(k) == "binary" && m.Schema != None {
			if s := c.doc.Schema(m.Schema); s != nil && !(s.Type == "string" || s.Type == "") {
				c.problem(mw, "a %s body with a %s schema: only JSON, form and multipart bodies are validated field by field", k, s.Type)
			}
		}
		out = append(out, m)
	}
	return out
}

// schema compiles a schema (or a reference to one) and returns its index.
func (c *compiler) schema(v any, where string) int {
	if v == nil {
		return None
	}
	if b, ok := v.(bool); ok {
		c.problem(where, "boolean schema %v (OpenAPI 3.1) is not supported", b)
		return None
	}
	m, ok := asMap(v)
	if !ok {
		c.problem(where, "a schema is expected")
		return None
	}
	key, name := "", ""
	if ref, isRef := m["$ref"].(string); isRef {
		key = ref
		if i, ok := c.index[key]; ok {
			return i
		}
		target, tw, ok := c.deref(m, where)
		if !ok {
			return None
		}
		if tw != ref {
			// A reference to a reference: compile the final one, and remember both.
			i := c.schema(map[string]any{"$ref": tw}, tw)
			c.index[key] = i
			return i
		}
		if n, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok && !strings.Contains(n, "/") {
			name = strings.ReplaceAll(strings.ReplaceAll(n, "~1", "/"), "~0", "~")
		}
		m, where = target, ref
	} else {
		key = mapKey(m)
		if i, ok := c.index[key]; ok {
			return i
		}
	}
	out := &Schema{Name: name, Additional: AdditionalAny, Items: None, MaxLength: -1, MaxItems: -1, MaxProps: -1}
	i := len(c.doc.Schemas)
	c.index[key] = i
	c.doc.Schemas = append(c.doc.Schemas, out)
	c.fill(out, m, where)
	return i
}

func (c *compiler) count(m map[string]any, k, where string) (int64, bool) {
	v, ok := m[k]
	if !ok {
		return 0, false
	}
	f, ok := getNumber(v)
	if !ok || f < 0 || f != math.Trunc(f) {
		c.problem(where, "%s must be a non-negative integer", k)
		return 0, false
	}
	return int64(f), true
}

func (c *compiler) fill(out *Schema, m map[string]any, where string) {
	for k := range m {
		switch {
		case strings.HasPrefix(k, "x-"):
		case schemaUnsupported[k]:
			c.problem(where, "keyword %s is not supported", k)
		case !schemaFields[k]:
			c.problem(where, "unknown keyword %q", k)
		}
	}
	switch t := m["type"].(type) {
	case nil:
	case string:
		out.Type = t
	case []any:
		var types []string
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				types = append(types, s)
			} else if ok {
				out.Nullable = true
			}
		}
		if len(types) == 1 {
			out.Type = types[0]
		} else {
			c.problem(where, "type %v: several types are not supported", t)
		}
	default:
		c.problem(where, "type must be a string")
	}
	switch out.Type {
	case "", "object", "array", "string", "integer", "number", "boolean":
	default:
		c.problem(where, "type %q is not supported", out.Type)
	}
	out.Format = getString(m, "format")
	if out.Format != "" && !KnownFormats[out.Format] {
		c.problem(where, "format %q is not supported", out.Format)
	}
	out.Nullable = out.Nullable || getBool(m, "nullable")
	out.ReadOnly, out.WriteOnly = getBool(m, "readOnly"), getBool(m, "writeOnly")
	out.Deprecated, out.UniqueItems = getBool(m, "deprecated"), getBool(m, "uniqueItems")
	if e, ok := m["enum"]; ok {
		list, ok := e.([]any)
		if !ok {
			c.problem(where, "enum must be a list")
		}
		for _, v := range list {
			out.Enum = append(out.Enum, marshal(v))
		}
	}
	if v, ok := m["default"]; ok && v != nil {
		out.Default = marshal(v)
	}
	if v, ok := m["example"]; ok && v != nil {
		out.Example = marshal(v)
	} else if l, ok := m["examples"].([]any); ok && len(l) > 0 {
		out.Example = marshal(l[0])
	}

	out.MinLength, _ = c.count(m, "minLength", where)
	if n, ok := c.count(m, "maxLength", where); ok {
		out.MaxLength = n
	}
	out.MinItems, _ = c.count(m, "minItems", where)
	if n, ok := c.count(m, "maxItems", where); ok {
		out.MaxItems = n
	}
	out.MinProps, _ = c.count(m, "minProperties", where)
	if n, ok := c.count(m, "maxProperties", where); ok {
		out.MaxProps = n
	}
	if v, ok := m["minimum"]; ok {
		if out.Minimum, out.HasMinimum = getNumber(v); !out.HasMinimum {
			c.problem(where, "minimum must be a number")
		}
	}
	if v, ok := m["maximum"]; ok {
		if out.Maximum, out.HasMaximum = getNumber(v); !out.HasMaximum {
			c.problem(where, "maximum must be a number")
		}
	}
	switch v := m["exclusiveMinimum"].(type) {
	case nil:
	case bool:
		out.ExclusiveMin = v
	default:
		if f, ok := getNumber(v); ok { // the 3.1 form: the bound itself
			out.Minimum, out.HasMinimum, out.ExclusiveMin = f, true, true
		}
	}
	switch v := m["exclusiveMaximum"].(type) {
	case nil:
	case bool:
		out.ExclusiveMax = v
	default:
		if f, ok := getNumber(v); ok {
			out.Maximum, out.HasMaximum, out.ExclusiveMax = f, true, true
		}
	}
	if v, ok := m["multipleOf"]; ok {
		f, ok := getNumber(v)
		if !ok || f <= 0 || math.IsInf(f, 0) {
			c.problem(where, "multipleOf %v must be a positive number", v)
		}
		out.MultipleOf = f
	}
	if p := getString(m, "pattern"); p != "" {
		out.SourcePattern = p
		re2, err := TranslatePattern(p)
		if err != nil {
			c.problem(where, "pattern %q: %v", p, err)
		}
		out.Pattern = re2
	}

	if pv, ok := m["properties"]; ok {
		props, ok := asMap(pv)
		if !ok {
			c.problem(where, "properties must be a map")
		}
		for _, n := range sortedKeys(props) {
			out.Properties = append(out.Properties, Property{Name: n, Schema: c.schema(props[n], where+"/properties/"+escapePointer(n))})
		}
	}
	for _, r := range asListOrNil(m["required"]) {
		if s, ok := r.(string); ok {
			out.Required = append(out.Required, s)
		} else {
			c.problem(where, "required must list property names")
		}
	}
	switch ap := m["additionalProperties"].(type) {
	case nil:
	case bool:
		if !ap {
			out.Additional = AdditionalNone
		}
	default:
		out.Additional = c.schema(ap, where+"/additionalProperties")
	}
	if iv, ok := m["items"]; ok {
		if _, tuple := iv.([]any); tuple {
			c.problem(where, "items as a list (tuple validation) is not supported")
		} else {
			out.Items = c.schema(iv, where+"/items")
		}
	}
	if out.Type == "array" && out.Items == None {
		c.problem(where, "array without items")
	}
	for _, kw := range []string{"allOf", "oneOf", "anyOf"} {
		v, ok := m[kw]
		if !ok {
			continue
		}
		list, ok := v.([]any)
		if !ok || (len(list) == 0 && kw != "allOf") { // an empty allOf constrains nothing
			c.problem(where, "%s must be a non-empty list", kw)
			continue
		}
		for i, sv := range list {
			idx := c.schema(sv, fmt.Sprintf("%s/%s/%d", where, kw, i))
			switch kw {
			case "allOf":
				out.AllOf = append(out.AllOf, idx)
			case "oneOf":
				out.OneOf = append(out.OneOf, idx)
			case "anyOf":
				out.AnyOf = append(out.AnyOf, idx)
			}
		}
	}
	if dv, ok := m["discriminator"]; ok {
		c.discriminator(out, dv, where+"/discriminator")
	}
}

func asListOrNil(v any) []any {
	l, _ := v.([]any)
	return l
}

func (c *compiler) discriminator(out *Schema, v any, where string) {
	d, ok := asMap(v)
	if !ok {
		c.problem(where, "an object is expected")
		return
	}
	c.fields(d, where, discrimFields, "a discriminator")
	out.Discriminator = &Discriminator{Property: getString(d, "propertyName")}
	if out.Discriminator.Property == "" {
		c.problem(where, "discriminator without propertyName")
	}
	mapping, _ := asMap(d["mapping"])
	for _, val := range sortedKeys(mapping) {
		ref, _ := mapping[val].(string)
		if !strings.HasPrefix(ref, "#") {
			ref = "#/components/schemas/" + escapePointer(ref) // a bare component name
		}
		if _, ok := pointer(c.root, ref); !ok {
			// A defect of the document rather than a feature: the value is left out of the
			// mapping (so it is refused) and the load goes on with a warning.
			c.doc.Warnings = append(c.doc.Warnings, fmt.Sprintf("%s: discriminator mapping %q refers to %q, which does not exist; the value is refused", where, val, mapping[val]))
			continue
		}
		out.Discriminator.Mapping = append(out.Discriminator.Mapping,
			Mapping{Value: val, Schema: c.schema(map[string]any{"$ref": ref}, where+"/mapping/"+val)})
	}
	if len(mapping) == 0 {
		// Without a mapping the value is the component name of a oneOf/anyOf member.
		for _, i := range append(append([]int(nil), out.OneOf...), out.AnyOf...) {
			if n := c.doc.Schemas[i].Name; n != "" {
				out.Discriminator.Mapping = append(out.Discriminator.Mapping, Mapping{Value: n, Schema: i})
			}
		}
		if len(out.Discriminator.Mapping) == 0 {
			c.problem(where, "discriminator without mapping over members that are not components")
		}
	}
}

// lookahead matches the one ECMA-262 construct RingCentral's patterns use that RE2 lacks: a
// negative lookahead over single characters repeated, ((?!(a|b|c)).)*, which is exactly [^abc]*.
var lookahead = lazyRegexp(`\(\(\?!\(((?:\\.|[^\\|()])(?:\|(?:\\.|[^\\|()]))*)\)\)\.\)\*`)

// TranslatePattern turns an OpenAPI (ECMA-262) pattern into Go RE2 syntax. Patterns RE2
// cannot express, like general lookarounds and backreferences, are an error.
func TranslatePattern(p string) (string, error) {
	la := lookahead()
	out := la.ReplaceAllStringFunc(p, func(m string) string {
		alts := la.FindStringSubmatch(m)[1]
		var b strings.Builder
		b.WriteString(`[^\n`)
		for _, a := range strings.Split(alts, "|") {
			a = strings.TrimPrefix(a, `\`)
			if strings.ContainsAny(a, `]\^-[`) {
				b.WriteByte('\\')
			}
			b.WriteString(a)
		}
		b.WriteString("]*")
		return b.String()
	})
	if _, err := regexp.Compile(out); err != nil {
		return out, fmt.Errorf("RE2 cannot run it: %v", err)
	}
	return out, nil
}
