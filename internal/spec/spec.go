// Package spec loads a RingCentral OpenAPI document and compiles it into rcemu's own compact
// form: every operation with its parameters, bodies, responses and vendor extensions, and one
// schema graph that requests and responses are validated against. The compiled form is cached
// on disk keyed by the file's SHA-256, so a later start skips parsing.
//
// The compiler states what it supports: a schema keyword, parameter style, media type feature or
// OpenAPI version it cannot honour is a load error that names its place, never silently ignored.
package spec

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/rcemu/rcemu/internal/pathtree"
)

// None marks an absent schema reference (an index into Document.Schemas).
const None = -1

// Additional-properties markers for Schema.Additional; other values are schema indexes.
const (
	AdditionalAny  = -1 // not said: any extra property is allowed
	AdditionalNone = -2 // additionalProperties: false
)

// Document is a compiled OpenAPI document. It is immutable once loaded and shared by every
// App of a process that loads the same file.
type Document struct {
	Hash       string // hex SHA-256 of the source file
	OpenAPI    string // the document's openapi version
	Title      string
	Version    string
	Operations []*Operation // sorted by path, then method (GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH)
	Schemas    []*Schema
	// Warnings are defects of the document that the load works around (a discriminator mapping
	// to a schema that does not exist). They are logged at start-up.
	Warnings []string

	// Built after decoding; never serialised.
	byID    map[string]*Operation
	routes  *pathtree.Tree[*Operation] // the router's own matching, so both agree on a path
	checker *checker
	allOf   [][]int    // by schema index
	enums   [][]string // by schema index
	once    sync.Once
}

// Operation is one method on one path.
type Operation struct {
	ID         string
	Method     string // upper case
	Path       string // as the spec writes it: "/restapi/v1.0/account/{accountId}"
	Summary    string
	Tags       []string
	Deprecated bool

	// Vendor extensions rcemu keeps for rate limits and permissions.
	ThrottlingGroup string // x-throttling-group
	AppPermission   string // x-app-permission
	UserPermission  string // x-user-permission
	Availability    string // x-availability
	Feature         string // x-feature
	MaxBodySize     int64  // x-request-max-body-size in bytes; 0 when not given

	// Public operations need no bearer token: their security allows an empty requirement.
	Public bool

	Params    []Parameter // path-item parameters merged in, operation ones win
	Body      *Body
	Responses []Response // sorted by status
}

// Parameter is one path, query or header parameter.
type Parameter struct {
	Name       string
	In         string // "path", "query" or "header"
	Required   bool
	Style      string // "simple" or "form"
	Explode    bool
	Deprecated bool
	AllowEmpty bool
	Schema     int
	Example    json.RawMessage
}

// Body is an operation's request body.
type Body struct {
	Required bool
	Content  []Media
}

// Media is one media type of a body or response.
type Media struct {
	Type    string // "application/json", "multipart/form-data", "audio/*"...
	Schema  int
	Example json.RawMessage // the media type's example, or its first named example
	// Encoding gives the content type of multipart fields ("metadata": "application/json").
	Encoding []FieldEncoding
}

// FieldEncoding is the declared content type of one multipart field.
type FieldEncoding struct {
	Field       string
	ContentType string
}

// FieldType returns the declared content type of a multipart field, or "".
func (m *Media) FieldType(field string) string {
	for _, e := range m.Encoding {
		if e.Field == field {
			return e.ContentType
		}
	}
	return ""
}

// Response is one documented response.
type Response struct {
	Status  string // "200", "204", "2XX", "DEFAULT": upper case
	Content []Media
	Headers []Header
}

// Header is a documented response header.
type Header struct {
	Name     string
	Required bool
	Schema   int
}

// Schema is one node of the schema graph. Composition and references are indexes into
// Document.Schemas, so recursive schemas are finite.
type Schema struct {
	Name        string // component name, when the node is #/components/schemas/Name
	Type        string // "", "object", "array", "string", "integer", "number", "boolean"
	Format      string
	Nullable    bool
	ReadOnly    bool
	WriteOnly   bool
	Deprecated  bool
	UniqueItems bool

	Enum    []json.RawMessage
	Default json.RawMessage
	Example json.RawMessage

	Properties    []Property // sorted by name
	Required      []string
	Additional    int // AdditionalAny, AdditionalNone or a schema index
	Items         int // None for a schema without items
	AllOf         []int
	OneOf         []int
	AnyOf         []int
	Discriminator *Discriminator

	MinLength, MaxLength int64 // MaxLength -1: no limit
	MinItems, MaxItems   int64 // MaxItems -1: no limit
	MinProps, MaxProps   int64 // MaxProps -1: no limit
	// Bounds are values with flags, not pointers: gob drops a pointer to zero ("minimum: 0").
	Minimum, Maximum float64
	HasMinimum       bool
	HasMaximum       bool
	ExclusiveMin     bool
	ExclusiveMax     bool
	MultipleOf       float64
	Pattern          string // RE2 form of SourcePattern
	SourcePattern    string // the pattern as the spec writes it
}

// Property is a named property of an object schema.
type Property struct {
	Name   string
	Schema int
}

// Discriminator picks the schema of a polymorphic value by one property.
type Discriminator struct {
	Property string
	Mapping  []Mapping // sorted by value
}

// Mapping is one discriminator value and its schema.
type Mapping struct {
	Value  string
	Schema int
}

// Property returns the schema index of a property, or None.
func (s *Schema) Property(name string) int {
	i := sort.Search(len(s.Properties), func(i int) bool { return s.Properties[i].Name >= name })
	if i < len(s.Properties) && s.Properties[i].Name == name {
		return s.Properties[i].Schema
	}
	return None
}

// IsRequired reports whether name is in the schema's required list.
func (s *Schema) IsRequired(name string) bool { return slices.Contains(s.Required, name) }

// Schema returns the schema at index i, or nil for None.
func (d *Document) Schema(i int) *Schema {
	if i < 0 || i >= len(d.Schemas) {
		return nil
	}
	return d.Schemas[i]
}

// Operation returns the operation with the given operationId.
func (d *Document) Operation(id string) *Operation {
	d.init()
	return d.byID[id]
}

func (d *Document) init() {
	d.once.Do(func() {
		d.byID = make(map[string]*Operation, len(d.Operations))
		d.routes = &pathtree.Tree[*Operation]{}
		for _, op := range d.Operations {
			d.byID[op.ID] = op
			norm := NormalizePath(op.Path)
			if err := d.routes.Add(op.Method, norm, op); err != nil {
				panic("spec: " + err.Error()) // compile keeps one operation per method and path
			}
		}
		d.checker = newChecker(d)
		// Derived once here: specmock asks for them per parameter of every request.
		d.allOf = allOfClosures(d.Schemas)
		d.enums = make([][]string, len(d.Schemas))
		for i, s := range d.Schemas {
			for _, e := range s.Enum {
				var v string
				if len(e) > 0 && e[0] == '"' && json.Unmarshal(e, &v) == nil {
					d.enums[i] = append(d.enums[i], v)
				}
			}
		}
	})
}

// AllOf returns the schemas a value of schema si must satisfy together: si and, transitively,
// its allOf members, each once, depth first. The slice is shared: append copies it, but it must
// not be written to.
func (d *Document) AllOf(si int) []int {
	d.init()
	if si < 0 || si >= len(d.allOf) {
		return nil
	}
	return d.allOf[si]
}

// EnumStrings returns the string values of schema si's enum, decoded.
func (d *Document) EnumStrings(si int) []string {
	d.init()
	if si < 0 || si >= len(d.enums) {
		return nil
	}
	return d.enums[si]
}

// allOfClosures computes AllOf for every schema. The schemas without allOf, most of them, share
// one array.
func allOfClosures(schemas []*Schema) [][]int {
	self := make([]int, len(schemas))
	out := make([][]int, len(schemas))
	for i, s := range schemas {
		self[i] = i
		if len(s.AllOf) == 0 {
			out[i] = self[i : i+1 : i+1]
			continue
		}
		var c []int
		var add func(int)
		add = func(j int) {
			if j < 0 || j >= len(schemas) || slices.Contains(c, j) {
				return
			}
			c = append(c, j)
			for _, m := range schemas[j].AllOf {
				add(m)
			}
		}
		add(i)
		out[i] = slices.Clip(c)
	}
	return out
}

// Match finds the operation a request addresses, after method tunnelling. It returns the path
// parameters by the spec's names. Fixed segments win over parameters, as in rcemu's router.
func (d *Document) Match(method, path string) (*Operation, map[string]string) {
	d.init()
	op, params, _, ok := d.routes.Lookup(method, path)
	if !ok {
		return nil, nil
	}
	names := PathParamNames(op.Path)
	out := make(map[string]string, len(names))
	for i, p := range params {
		if i < len(names) {
			out[names[i]] = p.Value
		}
	}
	return op, out
}

// PathParamNames lists the {names} of a path template in order.
func PathParamNames(p string) []string {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// Param returns the operation's parameter called name in the given location.
func (op *Operation) Param(in, name string) *Parameter {
	for i := range op.Params {
		if op.Params[i].In == in && op.Params[i].Name == name {
			return &op.Params[i]
		}
	}
	return nil
}

// Response returns the documented response for status: the exact code, then "NXX", then
// "default".
func (op *Operation) Response(status int) *Response {
	code := itoa(status)
	class := code[:1] + "XX"
	var def *Response
	for i := range op.Responses {
		r := &op.Responses[i]
		switch r.Status {
		case code:
			return r
		case class:
			def = r
		case "DEFAULT":
			if def == nil {
				def = r
			}
		}
	}
	return def
}

// Success returns the operation's main success response: the lowest documented 2xx, or the
// lowest 3xx when it has no 2xx.
func (op *Operation) Success() *Response {
	for _, prefix := range []string{"2", "3"} {
		for i := range op.Responses {
			if strings.HasPrefix(op.Responses[i].Status, prefix) && len(op.Responses[i].Status) == 3 &&
				op.Responses[i].Status[1] != 'X' {
				return &op.Responses[i]
			}
		}
	}
	return nil
}

// FindMedia returns the response or body media type best matching mt ("application/json" matches
// "application/json" and, failing that, any JSON type; "image/png" matches "image/*").
func FindMedia(content []Media, mt string) *Media {
	for i := range content {
		if strings.EqualFold(content[i].Type, mt) {
			return &content[i]
		}
	}
	for i := range content {
		if wildcardMatch(content[i].Type, mt) {
			return &content[i]
		}
	}
	if IsJSON(mt) {
		for i := range content {
			if IsJSON(content[i].Type) {
				return &content[i]
			}
		}
	}
	return nil
}

func wildcardMatch(pattern, mt string) bool {
	p, ok := strings.CutSuffix(pattern, "/*")
	if !ok {
		return false
	}
	major, _, _ := strings.Cut(mt, "/")
	return strings.EqualFold(p, major)
}

// IsJSON reports whether a media type carries JSON ("application/json", "application/scim+json",
// "application/vnd.ringcentral.multipart+json" is not a plain JSON body and is excluded).
func IsJSON(mt string) bool {
	mt = strings.ToLower(mt)
	if mt == "application/json" {
		return true
	}
	return strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") && !strings.Contains(mt, "multipart")
}

// NormalizePath replaces every {name} with {} so that paths compare by shape.
func NormalizePath(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

func itoa(n int) string {
	if n < 0 || n > 999 {
		return "0"
	}
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}
