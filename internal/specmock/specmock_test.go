package specmock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/spec"
	"github.com/rcemu/rcemu/internal/specmock"
)

// A small hand-written spec covering every parameter kind and body type; the real spec is
// exercised by internal/app's tests.
const testSpec = `openapi: 3.0.3
info: {title: test, version: "1"}
paths:
  /restapi/v1.0/account/{accountId}/thing:
    get:
      operationId: listThings
      x-throttling-group: Light
      x-app-permission: ReadThings
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string}}
        - {name: count, in: query, schema: {type: integer, format: int32, minimum: 1, maximum: 10}}
        - {name: flag, in: query, schema: {type: boolean}}
        - {name: kind, in: query, explode: true, schema: {type: array, items: {type: string, enum: [Alpha, Beta]}}}
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: mode, in: query, required: true, schema: {type: string, enum: [Fast, Slow]}}
        - {name: page, in: query, schema: {type: integer}}
        - {name: perPage, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {name: X-Trace, in: header, schema: {type: string, pattern: "^[a-f0-9]+$"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ThingList"}
    post:
      operationId: createThing
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ThingRequest"}
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/ThingRequest"}
          multipart/form-data:
            schema:
              type: object
              required: [attachment, name]
              properties:
                name: {type: string}
                size: {type: integer}
                attachment: {type: string, format: binary}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
  /restapi/v1.0/account/{accountId}/thing/{thingId}:
    get:
      operationId: readThing
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string}}
        - {name: thingId, in: path, required: true, schema: {type: array, items: {type: integer, format: int64}}, style: simple}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "207":
          description: several
          content:
            multipart/mixed:
              schema: {type: string}
    delete:
      operationId: deleteThing
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string}}
        - {name: thingId, in: path, required: true, schema: {type: array, items: {type: integer, format: int64}}, style: simple}
      responses:
        "204": {description: gone}
  /restapi/v1.0/account/{accountId}/thing/{thingId}/picture:
    get:
      operationId: readThingPicture
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string}}
        - {name: thingId, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            image/*:
              schema: {type: string, format: binary}
  /restapi/v1.0/account/{accountId}/extension/{callQueueId}/settings:
    get:
      operationId: readQueueSettings
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string}}
        - {name: callQueueId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: string}
                  callQueueId: {type: string}
components:
  schemas:
    Thing:
      type: object
      required: [id, uri, name, creationTime]
      properties:
        id: {type: integer, format: int64}
        uri: {type: string, format: uri}
        name: {type: string, example: Widget}
        phoneNumber: {type: string, pattern: '^\+[1-9]\d{1,14}$'}
        status: {type: string, enum: [Active, Inactive]}
        creationTime: {type: string, format: date-time, readOnly: true}
        account: {$ref: "#/components/schemas/AccountRef"}
        secret: {type: string, writeOnly: true}
    AccountRef:
      type: object
      properties:
        id: {type: string}
        uri: {type: string, format: uri}
    ThingRequest:
      type: object
      required: [name]
      properties:
        name: {type: string, minLength: 1, maxLength: 20}
        size: {type: integer, format: int32}
        email: {type: string, format: email}
        tags: {type: array, items: {type: string}, maxItems: 2}
        owner:
          type: object
          required: [id]
          properties:
            id: {type: string}
        creationTime: {type: string, format: date-time, readOnly: true}
    ThingList:
      type: object
      required: [uri, records, paging, navigation]
      properties:
        uri: {type: string, format: uri}
        records: {type: array, items: {$ref: "#/components/schemas/Thing"}}
        paging: {$ref: "#/components/schemas/Paging"}
        navigation: {$ref: "#/components/schemas/Navigation"}
    Paging:
      type: object
      additionalProperties: false
      properties:
        page: {type: integer}
        totalPages: {type: integer}
        perPage: {type: integer}
        totalElements: {type: integer}
        pageStart: {type: integer}
        pageEnd: {type: integer}
    Navigation:
      type: object
      additionalProperties: false
      properties:
        firstPage: {$ref: "#/components/schemas/Link"}
        nextPage: {$ref: "#/components/schemas/Link"}
        previousPage: {$ref: "#/components/schemas/Link"}
        lastPage: {$ref: "#/components/schemas/Link"}
    Link:
      type: object
      properties:
        uri: {type: string, format: uri}
`

type fakeAuth struct{}

func (fakeAuth) Authenticate(context.Context, string) (*rc.Principal, error) {
	return &rc.Principal{AccountID: 1000, ExtensionID: 2000, Admin: true, AllPermissions: true}, nil
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

type harness struct {
	t   *testing.T
	doc *spec.Document
	srv *httptest.Server
}

func newHarness(t *testing.T, strict bool) *harness {
	t.Helper()
	doc, err := spec.Compile([]byte(testSpec))
	if err != nil {
		t.Fatal(err)
	}
	rt := &restapi.Router{}
	// A stateful route at the same position as {callQueueId}: the spec path takes its name.
	rt.Handle("GET", "/restapi/v1.0/account/{accountId}/extension/{extensionId}", func(w http.ResponseWriter, r *restapi.Request) error {
		return restapi.JSON(w, 200, map[string]any{"stateful": true})
	}, restapi.Options{})
	specmock.Register(rt, doc, specmock.Options{Clock: fixedClock{}, Strict: strict})
	srv := httptest.NewServer(&restapi.Server{Router: rt, Auth: fakeAuth{}, Clock: fixedClock{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(srv.Close)
	return &harness{t: t, doc: doc, srv: srv}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) do(method, path, ct string, body []byte, hdr ...string) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer x")
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

// check validates a success answer against its documented schema.
func (h *harness) check(method, path string, a answer) {
	h.t.Helper()
	op, _ := h.doc.Match(method, strings.SplitN(path, "?", 2)[0])
	if op == nil {
		h.t.Fatalf("no operation for %s %s", method, path)
	}
	if ps := h.doc.CheckResponse(op, a.status, a.header.Get("Content-Type"), a.body); len(ps) > 0 {
		h.t.Errorf("%s %s: %v\n%s", method, path, ps, a.body)
	}
}

func errorOf(t *testing.T, a answer) (code, param string) {
	t.Helper()
	var body struct {
		Errors []struct {
			ErrorCode     string `json:"errorCode"`
			ParameterName string `json:"parameterName"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &body); err != nil || len(body.Errors) == 0 {
		t.Fatalf("not an error body: %s", a.body)
	}
	return body.Errors[0].ErrorCode, body.Errors[0].ParameterName
}

func TestValidRequestsGetSchemaValidAnswers(t *testing.T) {
	h := newHarness(t, false)
	for _, c := range []struct{ method, path string }{
		{"GET", "/restapi/v1.0/account/~/thing?mode=fast&count=3&flag=TRUE&kind=Alpha&kind=beta,Alpha&since=2026-01&page=1&perPage=1"},
		{"GET", "/restapi/v1.0/account/~/thing/42"},
		{"GET", "/restapi/v1.0/account/~/extension/~/settings"},
	} {
		a := h.do(c.method, c.path, "", nil)
		if a.status != 200 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, a.status, a.body)
		}
		h.check(c.method, c.path, a)
	}
}

func TestBodiesAreRealistic(t *testing.T) {
	h := newHarness(t, false)
	a := h.do("GET", "/restapi/v1.0/account/~/thing/42", "", nil)
	var thing map[string]any
	if err := json.Unmarshal(a.body, &thing); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id":           float64(42), // the path's id, as the integer the schema says
		"uri":          h.srv.URL + "/restapi/v1.0/account/1000/thing/42",
		"name":         "Widget", // the spec's example
		"creationTime": "2026-03-01T12:00:00.000Z",
	}
	for k, v := range want {
		if thing[k] != v {
			t.Errorf("%s = %v, want %v", k, thing[k], v)
		}
	}
	if acc, _ := thing["account"].(map[string]any); acc["id"] != "1000" || acc["uri"] != h.srv.URL+"/restapi/v1.0/account/1000" {
		t.Errorf("account = %v, want the caller's", thing["account"])
	}
	if p, _ := thing["phoneNumber"].(string); !strings.HasPrefix(p, "+1") || len(p) != 12 {
		t.Errorf("phoneNumber = %q, want E.164", p)
	}
	if _, ok := thing["secret"]; ok {
		t.Error("a writeOnly property in a response")
	}
	// {callQueueId} took the router's name {extensionId}: `~` is resolved and echoed.
	a = h.do("GET", "/restapi/v1.0/account/~/extension/~/settings", "", nil)
	if !strings.Contains(string(a.body), `"callQueueId":"2000"`) {
		t.Errorf("callQueueId not echoed: %s", a.body)
	}
	// The stateful route at the same position keeps its handler.
	if a := h.do("GET", "/restapi/v1.0/account/~/extension/~", "", nil); !strings.Contains(string(a.body), "stateful") {
		t.Errorf("stateful route lost: %s", a.body)
	}
}

func TestListsPage(t *testing.T) {
	h := newHarness(t, false)
	var list struct {
		URI     string           `json:"uri"`
		Records []map[string]any `json:"records"`
		Paging  map[string]int   `json:"paging"`
		Nav     map[string]struct {
			URI string `json:"uri"`
		} `json:"navigation"`
	}
	a := h.do("GET", "/restapi/v1.0/account/~/thing?mode=Fast&perPage=1&page=2", "", nil)
	if err := json.Unmarshal(a.body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Records) != 1 || list.Paging["page"] != 2 || list.Paging["totalPages"] != 2 ||
		list.Paging["totalElements"] != 2 || list.Paging["pageStart"] != 1 {
		t.Errorf("page 2 of 2: %s", a.body)
	}
	if list.URI != h.srv.URL+"/restapi/v1.0/account/1000/thing?mode=Fast&page=2&perPage=1" {
		t.Errorf("uri %q", list.URI)
	}
	if _, ok := list.Nav["nextPage"]; ok {
		t.Errorf("a next page after the last: %s", a.body)
	}
	if !strings.HasSuffix(list.Records[0]["uri"].(string), "/thing/"+jsonNumber(list.Records[0]["id"])) {
		t.Errorf("a record's uri does not end with its id: %v", list.Records[0])
	}
	// A perPage above the maximum is clamped, as the platform does.
	a = h.do("GET", "/restapi/v1.0/account/~/thing?mode=Fast&perPage=5000", "", nil)
	_ = json.Unmarshal(a.body, &list)
	if a.status != 200 || list.Paging["perPage"] != 1000 {
		t.Errorf("perPage=5000: %d %s", a.status, a.body)
	}
	a = h.do("GET", "/restapi/v1.0/account/~/thing?mode=Fast&page=3", "", nil)
	_ = json.Unmarshal(a.body, &list)
	if len(list.Records) != 0 || list.Paging["page"] != 3 {
		t.Errorf("page 3: %s", a.body)
	}
	h.check("GET", "/restapi/v1.0/account/~/thing", a)
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

func TestInvalidParameters(t *testing.T) {
	h := newHarness(t, false)
	for _, c := range []struct {
		name, path, code, param string
		hdr                     []string
	}{
		{"required query missing", "/restapi/v1.0/account/~/thing", "CMN-100", "mode", nil},
		{"enum", "/restapi/v1.0/account/~/thing?mode=Medium", "CMN-101", "mode", nil},
		{"integer type", "/restapi/v1.0/account/~/thing?mode=Fast&count=abc", "CMN-101", "count", nil},
		{"integer maximum", "/restapi/v1.0/account/~/thing?mode=Fast&count=11", "CMN-101", "count", nil},
		{"boolean", "/restapi/v1.0/account/~/thing?mode=Fast&flag=yes", "CMN-101", "flag", nil},
		{"date-time", "/restapi/v1.0/account/~/thing?mode=Fast&since=yesterday", "CMN-101", "since", nil},
		{"array item enum", "/restapi/v1.0/account/~/thing?mode=Fast&kind=Alpha&kind=Gamma", "CMN-101", "kind", nil},
		{"comma-separated item", "/restapi/v1.0/account/~/thing?mode=Fast&kind=Alpha,Gamma", "CMN-101", "kind", nil},
		{"header pattern", "/restapi/v1.0/account/~/thing?mode=Fast", "CMN-101", "X-Trace", []string{"X-Trace", "not-hex"}},
		{"path integer", "/restapi/v1.0/account/~/thing/abc", "CMN-101", "thingId", nil},
		{"path array item", "/restapi/v1.0/account/~/thing/1,x", "CMN-101", "thingId", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := h.do("GET", c.path, "", nil, c.hdr...)
			if a.status != 400 {
				t.Fatalf("%d %s", a.status, a.body)
			}
			if code, param := errorOf(t, a); code != c.code || param != c.param {
				t.Fatalf("%s naming %q, want %s naming %q: %s", code, param, c.code, c.param, a.body)
			}
		})
	}
}

func TestInvalidBodies(t *testing.T) {
	h := newHarness(t, false)
	path := "/restapi/v1.0/account/~/thing"
	form := func(fields map[string]string, withFile bool) (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		if withFile {
			fw, _ := mw.CreateFormFile("attachment", "a.txt")
			_, _ = fw.Write([]byte("hello"))
		}
		_ = mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	for _, c := range []struct {
		name, ct, body, code, param string
		status                      int
	}{
		{"bad JSON", "application/json", `{"name":`, "CMN-103", "", 400},
		{"empty JSON", "application/json", ``, "CMN-103", "", 400},
		{"required field", "application/json", `{"size":1}`, "CMN-100", "name", 400},
		{"wrong type", "application/json", `{"name":"a","size":"big"}`, "CMN-101", "size", 400},
		{"int32 range", "application/json", `{"name":"a","size":3000000000}`, "CMN-101", "size", 400},
		{"maxLength", "application/json", `{"name":"aaaaaaaaaaaaaaaaaaaaaaaaa"}`, "CMN-101", "name", 400},
		{"email format", "application/json", `{"name":"a","email":"nope"}`, "CMN-101", "email", 400},
		{"maxItems", "application/json", `{"name":"a","tags":["a","b","c"]}`, "CMN-101", "tags", 400},
		{"nested required", "application/json", `{"name":"a","owner":{}}`, "CMN-100", "owner.id", 400},
		{"nested type", "application/json", `{"name":"a","tags":[1]}`, "CMN-101", "tags[0]", 400},
		{"form required", "application/x-www-form-urlencoded", `size=2`, "CMN-100", "name", 400},
		{"form type", "application/x-www-form-urlencoded", `name=a&size=big`, "CMN-101", "size", 400},
		{"media type", "text/plain", `hello`, "AGW-415", "", 415},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := h.do("POST", path, c.ct, []byte(c.body))
			if a.status != c.status {
				t.Fatalf("%d %s", a.status, a.body)
			}
			if code, param := errorOf(t, a); code != c.code || param != c.param {
				t.Fatalf("%s naming %q, want %s naming %q: %s", code, param, c.code, c.param, a.body)
			}
		})
	}
	t.Run("multipart without its file", func(t *testing.T) {
		ct, body := form(map[string]string{"name": "a"}, false)
		a := h.do("POST", path, ct, body)
		if code, param := errorOf(t, a); a.status != 400 || code != "CMN-100" || param != "attachment" {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})
	t.Run("multipart field type", func(t *testing.T) {
		ct, body := form(map[string]string{"name": "a", "size": "big"}, true)
		a := h.do("POST", path, ct, body)
		if code, param := errorOf(t, a); a.status != 400 || code != "CMN-101" || param != "size" {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})
	t.Run("valid bodies", func(t *testing.T) {
		ct, mp := form(map[string]string{"name": "a", "size": "2"}, true)
		for _, b := range []struct{ ct, body string }{
			{"application/json", `{"name":"a","size":2,"unknown":true,"creationTime":"2020-01-01T00:00:00Z"}`},
			{"application/json; charset=utf-8", `{"name":"a"}`},
			{"application/x-www-form-urlencoded", url.Values{"name": {"a"}, "tags": {"x", "y"}}.Encode()},
			{ct, string(mp)},
		} {
			a := h.do("POST", path, b.ct, []byte(b.body))
			if a.status != 201 {
				t.Fatalf("%s: %d %s", b.ct, a.status, a.body)
			}
			h.check("POST", path, a)
		}
	})
}

func TestStrictMode(t *testing.T) {
	h := newHarness(t, true)
	path := "/restapi/v1.0/account/~/thing"
	for _, c := range []struct {
		method, path, body, param string
	}{
		{"POST", path, `{"name":"a","unknown":true}`, "unknown"},
		{"POST", path, `{"name":"a","owner":{"id":"1","extra":1}}`, "owner.extra"},
		{"POST", path, `{"name":"a","creationTime":"2020-01-01T00:00:00Z"}`, "creationTime"},
		{"GET", path + "?mode=Fast&bogus=1", "", "bogus"},
		{"GET", path + "?mode=Fast&count=1&count=2", "", "count"},
	} {
		a := h.do(c.method, c.path, "application/json", []byte(c.body))
		if a.status != 400 {
			t.Fatalf("%s %s %s: %d %s", c.method, c.path, c.body, a.status, a.body)
		}
		if code, param := errorOf(t, a); code != "CMN-101" || param != c.param {
			t.Fatalf("%s %s: %s naming %q, want CMN-101 naming %q", c.method, c.body, code, param, c.param)
		}
	}
	// Conventions stay valid in strict mode.
	if a := h.do("GET", path+"?mode=Fast&access_token=x", "", nil); a.status != 200 {
		t.Fatalf("access_token refused in strict mode: %d %s", a.status, a.body)
	}
}

func TestOtherAnswers(t *testing.T) {
	h := newHarness(t, false)
	if a := h.do("DELETE", "/restapi/v1.0/account/~/thing/1", "", nil); a.status != 204 || len(a.body) != 0 {
		t.Errorf("DELETE: %d %q", a.status, a.body)
	}
	a := h.do("GET", "/restapi/v1.0/account/~/thing/1/picture", "", nil)
	if a.status != 200 || a.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(a.body, []byte("\x89PNG")) {
		t.Errorf("picture: %d %s", a.status, a.header.Get("Content-Type"))
	}
	// Several ids: 207 and one part per id after the status part.
	a = h.do("GET", "/restapi/v1.0/account/~/thing/11,12", "", nil)
	if a.status != 207 || !strings.HasPrefix(a.header.Get("Content-Type"), "multipart/mixed; boundary=") {
		t.Fatalf("batch: %d %s", a.status, a.header.Get("Content-Type"))
	}
	for _, want := range []string{`{"response":[{"status":200},{"status":200}]}`, `"id":11`, `"id":12`} {
		if !strings.Contains(string(a.body), want) {
			t.Errorf("batch body lacks %s:\n%s", want, a.body)
		}
	}
	// Wrong method on a spec path: 405 with Allow, as for stateful paths.
	if a := h.do("PATCH", "/restapi/v1.0/account/~/thing/1", "", nil); a.status != 405 || a.header.Get("Allow") != "DELETE, GET" {
		t.Errorf("PATCH: %d Allow %q", a.status, a.header.Get("Allow"))
	}
}

func TestSampleRequestsAreValid(t *testing.T) {
	h := newHarness(t, false)
	for _, op := range h.doc.Operations {
		s := specmock.SampleRequest(h.doc, op)
		var hdr []string
		for k := range s.Header {
			hdr = append(hdr, k, s.Header.Get(k))
		}
		a := h.do(s.Method, s.Path, s.ContentType, s.Body, hdr...)
		if a.status >= 400 {
			t.Errorf("%s %s: %d %s", s.Method, s.Path, a.status, a.body)
		}
	}
}
