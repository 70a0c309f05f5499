package spec_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/spec"
)

const base = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /restapi/v1.0/account/{accountId}/thing/{thingId}:
    parameters:
      - {name: accountId, in: path, required: true, schema: {type: string}}
    get:
      operationId: readThing
      x-throttling-group: Light
      x-app-permission: ReadAccounts
      x-user-permission: ReadThings
      x-request-max-body-size: 10m
      parameters:
        - {name: thingId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
  /restapi/v1.0/account/{accountId}/thing/special:
    get:
      operationId: readSpecial
      security: [{}]
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string}}
      responses:
        "204": {description: none}
components:
  schemas:
    Thing:
      type: object
      required: [id, kind]
      properties:
        id: {type: string}
        kind: {type: string, enum: [Cat, Dog]}
        count: {type: integer, format: int32, minimum: 0}
        when: {type: string, format: date-time}
        name: {type: string, pattern: '^((?!(<|>|\/|\")).)*$'}
        secret: {type: string, writeOnly: true}
        created: {type: string, readOnly: true}
        pet: {$ref: "#/components/schemas/Pet"}
        closed: {type: object, additionalProperties: false, properties: {a: {type: string}}}
        map: {type: object, additionalProperties: {type: integer}}
        either:
          oneOf:
            - {type: object, properties: {a: {type: string}}}
            - {type: object, properties: {b: {type: string}}}
    Pet:
      type: object
      required: [petType]
      properties:
        petType: {type: string}
      discriminator:
        propertyName: petType
        mapping:
          Cat: "#/components/schemas/Cat"
    Cat:
      allOf:
        - $ref: "#/components/schemas/Pet"
        - type: object
          required: [lives]
          properties:
            lives: {type: integer}
`

func compile(t *testing.T, doc string) *spec.Document {
	t.Helper()
	d, err := spec.Compile([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCompile(t *testing.T) {
	d := compile(t, base)
	if len(d.Operations) != 2 {
		t.Fatalf("%d operations", len(d.Operations))
	}
	op := d.Operation("readThing")
	if op.ThrottlingGroup != "Light" || op.AppPermission != "ReadAccounts" || op.UserPermission != "ReadThings" ||
		op.MaxBodySize != 10<<20 || op.Public {
		t.Fatalf("extensions: %+v", op)
	}
	if op.Param("path", "accountId") == nil || op.Param("path", "thingId") == nil {
		t.Fatal("path-item parameters are not merged")
	}
	if !d.Operation("readSpecial").Public {
		t.Fatal("security [{}] is not public")
	}
	// Fixed segments win over parameters.
	if op, params := d.Match("GET", "/restapi/v1.0/account/~/thing/special"); op == nil || op.ID != "readSpecial" {
		t.Fatalf("special: %v %v", op, params)
	}
	if op, params := d.Match("GET", "/restapi/v1.0/account/~/thing/7"); op == nil || op.ID != "readThing" || params["thingId"] != "7" {
		t.Fatalf("thing: %v %v", op, params)
	}
}

func TestUnsupportedFeaturesAreReported(t *testing.T) {
	for _, c := range []struct{ name, from, to, want string }{
		{"not", "count: {type: integer,", "count: {not: {type: string}, type: integer,", "keyword not"},
		{"unknown keyword", "count: {type: integer,", "count: {frobnicate: 1, type: integer,", `unknown keyword "frobnicate"`},
		{"format", "format: date-time", "format: color", `format "color"`},
		{"lookbehind", `pattern: '^((?!(<|>|\/|\")).)*$'`, `pattern: '(?<=a)b'`, "RE2 cannot run it"},
		{"cookie", "- {name: thingId, in: path,", "- {name: c, in: cookie, schema: {type: string}}\n        - {name: thingId, in: path,", "cookie parameters"},
		{"style", "- {name: thingId, in: path,", "- {name: q, in: query, style: deepObject, schema: {type: object}}\n        - {name: thingId, in: path,", `style "deepObject"`},
		{"version", "openapi: 3.0.3", "openapi: 3.1.0", "only OpenAPI 3.0.x"},
		{"swagger", "openapi: 3.0.3", "swagger: \"2.0\"", "Swagger 2.0 is not supported"},
		{"unknown operation field", "operationId: readThing", "operationId: readThing\n      frobnicate: true", `unknown field "frobnicate" in an operation`},
		{"external ref", `$ref: "#/components/schemas/Pet"}`, `$ref: "pets.yml#/Pet"}`, "only references inside the document"},
		{"dangling ref", `$ref: "#/components/schemas/Pet"}`, `$ref: "#/components/schemas/Nope"}`, "does not resolve"},
		{"tuple items", "count: {type: integer,", "count: {type: array, items: [{type: string}],", "tuple validation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(base, c.from, c.to, 1)
			if doc == base {
				t.Fatal("the replacement did not apply")
			}
			_, err := spec.Compile([]byte(doc))
			var ue *spec.UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want an UnsupportedError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v lacks %q", err, c.want)
			}
		})
	}
}

// TestYAMLForms: unquoted status codes, anchors and merge keys, and examples that look like
// timestamps keep their text.
func TestYAMLForms(t *testing.T) {
	doc := `openapi: 3.0.0
info: {title: t, version: 1}
paths:
  /a:
    get:
      operationId: a
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: &obj
                type: object
                properties:
                  day: {type: string, format: date, example: 2024-05-01}
        404:
          description: missing
          content:
            application/json:
              schema:
                <<: *obj
                required: [day]
`
	d := compile(t, doc)
	op := d.Operation("a")
	if op.Response(200) == nil || op.Response(404) == nil {
		t.Fatalf("responses %v", op.Responses)
	}
	s := d.Schema(d.Schema(op.Response(404).Content[0].Schema).Property("day"))
	if string(s.Example) != `"2024-05-01"` {
		t.Fatalf("example %s", s.Example)
	}
	if !d.Schema(op.Response(404).Content[0].Schema).IsRequired("day") {
		t.Fatal("merge key lost")
	}
}

func TestDanglingDiscriminatorIsAWarning(t *testing.T) {
	doc := strings.Replace(base, `Cat: "#/components/schemas/Cat"`, `Cat: "#/components/schemas/Cat"
          Dog: "#/components/schemas/Dog"`, 1)
	d := compile(t, doc)
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "Dog") {
		t.Fatalf("warnings %v", d.Warnings)
	}
}

func TestTranslatePattern(t *testing.T) {
	re, err := spec.TranslatePattern(`^((?!(<|>|\/|\")).)*$`)
	if err != nil || re != `^[^\n<>/"]*$` {
		t.Fatalf("%q %v", re, err)
	}
	if _, err := spec.TranslatePattern(`^\+[1-9]\d{1,14}$`); err != nil {
		t.Fatal(err)
	}
	if _, err := spec.TranslatePattern(`(a)\1`); err == nil {
		t.Fatal("a backreference translated")
	}
}

func TestValidate(t *testing.T) {
	d := compile(t, base)
	thing := -1
	for i, s := range d.Schemas {
		if s.Name == "Thing" {
			thing = i
		}
	}
	for _, c := range []struct {
		name, body string
		mode       spec.Mode
		want       string // "" for valid; else the first problem's path and a word of its message
	}{
		{"valid", `{"id":"1","kind":"Cat","count":2,"when":"2026-01-01T00:00:00.000Z","name":"Ada"}`, spec.Mode{}, ""},
		{"missing", `{"id":"1"}`, spec.Mode{}, "kind: required"},
		{"enum", `{"id":"1","kind":"Cow"}`, spec.Mode{}, "kind: not one of"},
		{"type", `{"id":1,"kind":"Cat"}`, spec.Mode{}, "id: string expected"},
		{"minimum", `{"id":"1","kind":"Cat","count":-1}`, spec.Mode{}, "count: below the minimum"},
		{"int32", `{"id":"1","kind":"Cat","count":4294967296}`, spec.Mode{}, "count: out of the int32 range"},
		{"date-time", `{"id":"1","kind":"Cat","when":"2026-01-01"}`, spec.Mode{}, "when: not an RFC 3339"},
		{"platform date-time in a request", `{"id":"1","kind":"Cat","when":"2026-01-01T10:00"}`, spec.Mode{Request: true}, ""},
		{"translated pattern", `{"id":"1","kind":"Cat","name":"<b>"}`, spec.Mode{}, "name: does not match"},
		{"additionalProperties false", `{"id":"1","kind":"Cat","closed":{"b":"x"}}`, spec.Mode{}, "closed.b: unknown property"},
		{"additionalProperties schema", `{"id":"1","kind":"Cat","map":{"x":"y"}}`, spec.Mode{}, "map.x: integer expected"},
		{"unknown tolerated", `{"id":"1","kind":"Cat","extra":1}`, spec.Mode{}, ""},
		{"unknown in strict mode", `{"id":"1","kind":"Cat","extra":1}`, spec.Mode{Strict: true}, "extra: unknown property"},
		{"discriminator", `{"id":"1","kind":"Cat","pet":{"petType":"Cat"}}`, spec.Mode{}, "pet.lives: required"},
		{"discriminator value", `{"id":"1","kind":"Cat","pet":{"petType":"Cow"}}`, spec.Mode{}, "pet.petType: not one of the discriminator values"},
		{"discriminator ok", `{"id":"1","kind":"Cat","pet":{"petType":"Cat","lives":9}}`, spec.Mode{Strict: true}, ""},
		{"oneOf members overlap", `{"id":"1","kind":"Cat","either":{}}`, spec.Mode{}, ""},
		{"oneOf in strict mode", `{"id":"1","kind":"Cat","either":{"a":"x","c":1}}`, spec.Mode{Strict: true}, "either.c: unknown property"},
		{"writeOnly not required in responses", `{"id":"1","kind":"Cat"}`, spec.Mode{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := spec.DecodeJSON([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			ps := d.Validate(thing, v, c.mode)
			if c.want == "" {
				if len(ps) > 0 {
					t.Fatalf("problems: %v", ps)
				}
				return
			}
			if len(ps) == 0 {
				t.Fatalf("valid, want %q", c.want)
			}
			path, word, _ := strings.Cut(c.want, ": ")
			if ps[0].Path != path || !strings.Contains(ps[0].Message, word) {
				t.Fatalf("first problem %v, want %q", ps[0], c.want)
			}
		})
	}
}

func TestCheckResponse(t *testing.T) {
	d := compile(t, base)
	op := d.Operation("readThing")
	if ps := d.CheckResponse(op, 200, "application/json;charset=utf-8", []byte(`{"id":"1","kind":"Cat"}`)); len(ps) > 0 {
		t.Fatal(ps)
	}
	for _, c := range []struct {
		status int
		ct     string
		body   string
		want   string
	}{
		{200, "application/json", `{"id":"1","kind":"Cow"}`, "$.kind"},
		{201, "application/json", `{}`, "status 201 is not documented"},
		{200, "text/html", `<p>`, "text/html is not documented"},
	} {
		ps := d.CheckResponse(op, c.status, c.ct, []byte(c.body))
		if len(ps) == 0 || !strings.Contains(ps[0], c.want) {
			t.Errorf("%d %s: %v, want %q", c.status, c.body, ps, c.want)
		}
	}
	// Undocumented errors are accepted: the spec lists few of them.
	if ps := d.CheckResponse(op, 401, "application/json", []byte(`{"errorCode":"OAU-123"}`)); len(ps) > 0 {
		t.Fatal(ps)
	}
}

func TestLoadCachesTheCompiledForm(t *testing.T) {
	dir := t.TempDir()
	// A spec of its own (a comment makes the hash differ from other tests').
	file := filepath.Join(dir, "spec.yml")
	if err := os.WriteFile(file, []byte(base+"# "+t.Name()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	d, info, err := spec.Load(file, spec.LoadOptions{CacheDir: cache})
	if err != nil || info.Cache != "miss" {
		t.Fatalf("first load: %v %+v", err, info)
	}
	if d2, info, _ := spec.Load(file, spec.LoadOptions{CacheDir: cache}); info.Cache != "memory" || d2 != d {
		t.Fatalf("second load: %+v", info)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "spec-*.gob"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	// What the cache holds decodes to the same document.
	d3, err := spec.ReadCacheForTest(files[0], d.Hash)
	if err != nil {
		t.Fatal(err)
	}
	// gob leaves empty slices nil: compare with both normalised that way.
	norm := func(d *spec.Document) string {
		b, _ := json.Marshal(d)
		return strings.NewReplacer("[]", "null", `""`, "null").Replace(string(b))
	}
	if a, b := norm(d), norm(d3); a != b {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Fatalf("the cached document differs at %d:\n%s\n%s", i, a[max(0, i-80):min(len(a), i+80)], b[max(0, i-80):min(len(b), i+80)])
	}
}

// TestRealSpec compiles the fetched spec, when there is one: every operation has an id and a
// throttling group, and every response schema compiles.
func TestRealSpec(t *testing.T) {
	path := spec.FindInModule()
	if path == "" {
		t.Skip("the spec has not been fetched (scripts/fetch-spec.sh)")
	}
	d, _, err := spec.Load(path, spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Operations) < 400 {
		t.Fatalf("%d operations", len(d.Operations))
	}
	for _, op := range d.Operations {
		if op.ThrottlingGroup == "" || op.Success() == nil {
			t.Errorf("%s %s: throttling %q, success %v", op.Method, op.Path, op.ThrottlingGroup, op.Success())
		}
	}
}
