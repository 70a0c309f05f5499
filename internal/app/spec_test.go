package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/spec"
	"github.com/rcemu/rcemu/internal/specmock"
)

// specApp runs rcemu with the fetched spec, or skips the test when it has not been fetched.
func specApp(t *testing.T, opts ...rctest.Option) *rctest.App {
	t.Helper()
	return rctest.MustOpenApp(t, append([]rctest.Option{withSpec(t)}, opts...)...)
}

// withSpec loads the cached spec, skipping the test when it has not been fetched.
func withSpec(t *testing.T) rctest.Option {
	t.Helper()
	path := rctest.SpecPath()
	if path == "" {
		t.Skip("the spec has not been fetched (scripts/fetch-spec.sh; make test does it)")
	}
	return rctest.WithSpec(path)
}

// TestEveryOperationAnswers sends one generated valid request to every operation of the spec.
// A spec-served operation must answer its documented success status. A stateful one must answer
// a status it documents or a client error (generated ids do not exist and generated values break
// business rules; the spec documents few of the errors); rctest checks every body against the
// schema documented for its status.
func TestEveryOperationAnswers(t *testing.T) {
	a := specApp(t)
	m := a.Spec()
	if m == nil {
		t.Fatal("the app has no spec layer")
	}
	if f := m.GenerationFailures(); len(f) > 0 {
		t.Errorf("no valid value could be generated for: %v", f)
	}
	doc := m.Doc
	tok := a.Login(a.User(0, "101")).AccessToken
	for _, c := range m.Coverage {
		op := c.Op
		s := specmock.SampleRequest(doc, op)
		h := s.Header.Clone()
		if s.ContentType != "" {
			h.Set("Content-Type", s.ContentType)
		}
		req := rctest.Req{Method: s.Method, Path: s.Path, Token: tok, Raw: string(s.Body), Header: h}
		if strings.HasPrefix(op.Path, "/restapi/oauth/") && c.Tier == specmock.TierStateful {
			req.Token, req.Basic = "", [2]string{a.Creds.ClientID, a.Creds.ClientSecret}
		}
		res := a.Do(req)
		switch c.Tier {
		case specmock.TierGeneric:
			// A generated id names no stored record: 404 for the item operations.
			want := op.Success()
			item := c.Role == "read" || c.Role == "replace" || c.Role == "patch" || c.Role == "delete"
			if (want == nil || strconv.Itoa(res.Status) != want.Status) && !(item && res.Status == 404 && res.ErrorCode(t) != "") {
				t.Errorf("%s %s (%s, %s): status %d, want %v or 404 for an unknown id: %s", s.Method, s.Path, op.ID, c.Role, res.Status, want.Status, res.Body)
			}
		case specmock.TierSpec:
			want := op.Success()
			if want == nil || strconv.Itoa(res.Status) != want.Status {
				t.Errorf("%s %s (%s): status %d, want the documented success %v: %s", s.Method, s.Path, op.ID, res.Status, want.Status, res.Body)
			}
		default:
			if op.Response(res.Status) == nil && (res.Status < 400 || res.Status >= 500) && !(res.Status == 200 && op.ID == "authorize") {
				t.Errorf("%s %s (%s, stateful): status %d is not documented: %s", s.Method, s.Path, op.ID, res.Status, res.Body)
			}
			// A stateful operation may have changed the caller (PUT extension): start again.
			if s.Method != "GET" {
				if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/reset"}); r.Status != 204 && r.Status != 200 {
					t.Fatalf("reset: %d %s", r.Status, r.Body)
				}
				tok = a.Login(a.User(0, "101")).AccessToken
			}
		}
	}
}

// TestSpecAnswersAreDeterministic: the same request gives the same body, across apps, with the
// clock frozen.
func TestSpecAnswersAreDeterministic(t *testing.T) {
	var bodies [2][]string
	for i := range bodies {
		a := specApp(t)
		a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/clock", JSON: map[string]any{"set": "2026-03-01T12:00:00Z", "freeze": true}})
		tok := a.Login(a.User(0, "101")).AccessToken
		doc := a.Spec().Doc
		for _, c := range a.Spec().Coverage {
			if c.Tier != specmock.TierSpec || c.Op.Method != "GET" {
				continue
			}
			s := specmock.SampleRequest(doc, c.Op)
			res := a.Do(rctest.Req{Path: s.Path, Token: tok, Header: s.Header})
			bodies[i] = append(bodies[i], strings.ReplaceAll(string(res.Body), a.URL, "BASE"))
		}
	}
	if len(bodies[0]) == 0 {
		t.Fatal("no spec-served GET")
	}
	for j := range bodies[0] {
		if bodies[0][j] != bodies[1][j] {
			t.Fatalf("body %d differs between runs:\n%s\n%s", j, bodies[0][j], bodies[1][j])
		}
	}
}

// TestStartWithoutSpec: no spec, no spec-only operations, and a log line saying so.
func TestStartWithoutSpec(t *testing.T) {
	t.Chdir(t.TempDir()) // no .cache/spec here
	var log strings.Builder
	cfg := config.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "rcemu.db"), MaxBody: 1 << 20}
	a := app.New(cfg, slog.New(slog.NewTextHandler(&log, nil)))
	if err := a.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	if a.Spec() != nil {
		t.Fatal("a spec layer without a spec")
	}
	if !strings.Contains(log.String(), "spec-only operations are off") {
		t.Fatalf("no log line about the missing spec:\n%s", log.String())
	}
	a.Serve()
	res, err := http.Get(a.URL() + "/restapi/v1.0/account/~/business-hours")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("a spec-only path answered %d without a spec, want 404", res.StatusCode)
	}
}

// TestStartLogsTiers: the start-up line counts the operations by tier.
func TestStartLogsTiers(t *testing.T) {
	path := rctest.SpecPath()
	if path == "" {
		t.Skip("the spec has not been fetched")
	}
	var log strings.Builder
	cfg := config.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "rcemu.db"), MaxBody: 1 << 20, Spec: path}
	a := app.New(cfg, slog.New(slog.NewTextHandler(&log, nil)))
	if err := a.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	m := a.Spec()
	want := strconv.Itoa(len(m.Doc.Operations)) + " operations: " + strconv.Itoa(m.Stateful) + " hand-written, " +
		strconv.Itoa(m.Served) + " from the spec (" + strconv.Itoa(m.Generic) + " of them keeping state)"
	if !strings.Contains(log.String(), want) {
		t.Fatalf("log lacks %q:\n%s", want, log.String())
	}
	if m.Stateful+m.Served != len(m.Doc.Operations) || m.Stateful == 0 || m.Served == 0 || m.Generic == 0 || m.Generic > m.Served {
		t.Fatalf("tiers %d + %d of %d operations", m.Stateful, m.Served, len(m.Doc.Operations))
	}
}

// TestUnsupportedSpecFeature: a spec using a keyword rcemu does not handle does not load, and
// the error names the keyword and its place.
func TestUnsupportedSpecFeature(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "spec.yml")
	doc := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /restapi/v1.0/thing:
    get:
      operationId: readThing
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  name: {type: string, not: {enum: [x]}}
`
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Addr: "127.0.0.1:0", DB: filepath.Join(dir, "rcemu.db"), MaxBody: 1 << 20, Spec: file, SpecCache: "off"}
	a := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	err := a.Open(context.Background())
	if err == nil {
		a.Close(context.Background())
		t.Fatal("a spec with `not` loaded")
	}
	for _, want := range []string{file, "not supported", "keyword not", "/properties/name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestSpecInvalidRequests sends, for each kind of parameter and body, an invalid request to the
// first spec-served operation that has one, and expects the platform's 400 naming the input.
// The AI (CAI-) and Directory (ADG-) APIs document error codes of their own, which rcemu does
// not produce, so they are not picked.
func TestSpecInvalidRequests(t *testing.T) {
	a := specApp(t)
	m := a.Spec()
	doc := m.Doc
	tok := a.Login(a.User(0, "101")).AccessToken
	var served []*spec.Operation // but for the AI and Directory APIs
	for _, cv := range m.Coverage {
		if cv.Tier == specmock.TierSpec && !strings.HasPrefix(cv.Op.Path, "/ai/") && !strings.Contains(cv.Op.Path, "/directory/") {
			served = append(served, cv.Op)
		}
	}
	type kase struct {
		kind  string
		match func(*spec.Operation, *spec.Parameter, *spec.Schema) bool
		bad   string
		code  string
	}
	simple := func(in, typ string, enum bool) func(*spec.Operation, *spec.Parameter, *spec.Schema) bool {
		return func(op *spec.Operation, p *spec.Parameter, s *spec.Schema) bool {
			return p.In == in && s.Type == typ && (len(s.Enum) > 0) == enum && p.Name != "accountId" && p.Name != "extensionId"
		}
	}
	cases := []kase{
		{"path integer", simple("path", "integer", false), "abc", "CMN-101"},
		{"path enum", simple("path", "string", true), "NoSuchValue", "CMN-101"},
		{"query integer", simple("query", "integer", false), "abc", "CMN-101"},
		{"query boolean", simple("query", "boolean", false), "maybe", "CMN-101"},
		{"query enum", simple("query", "string", true), "NoSuchValue", "CMN-101"},
		{"query date-time", func(op *spec.Operation, p *spec.Parameter, s *spec.Schema) bool {
			return p.In == "query" && s.Format == "date-time"
		}, "yesterday", "CMN-101"},
		{"query array item", func(op *spec.Operation, p *spec.Parameter, s *spec.Schema) bool {
			it := doc.Schema(s.Items)
			return p.In == "query" && s.Type == "array" && it != nil && len(it.Enum) > 0
		}, "NoSuchValue", "CMN-101"},
		{"query required", func(op *spec.Operation, p *spec.Parameter, s *spec.Schema) bool {
			return p.In == "query" && p.Required
		}, "", "CMN-100"},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			for _, op := range served {
				for i := range op.Params {
					p := &op.Params[i]
					if !c.match(op, p, doc.Schema(p.Schema)) {
						continue
					}
					s := specmock.SampleRequest(doc, op)
					u, _ := url.Parse(s.Path)
					q := u.Query()
					if p.In == "path" {
						segs := strings.Split(op.Path, "/")
						cur := strings.Split(u.Path, "/")
						for j, seg := range segs {
							if seg == "{"+p.Name+"}" {
								cur[j] = c.bad
							}
						}
						u.Path = strings.Join(cur, "/")
					} else if c.bad == "" {
						q.Del(p.Name)
					} else {
						q.Set(p.Name, c.bad)
					}
					u.RawQuery = q.Encode()
					h := http.Header{}
					if s.ContentType != "" {
						h.Set("Content-Type", s.ContentType)
					}
					res := a.Do(rctest.Req{Method: s.Method, Path: u.String(), Token: tok, Raw: string(s.Body), Header: h})
					if res.Status != 400 || res.ErrorCode(t) != c.code || !strings.Contains(string(res.Body), `"parameterName":"`+p.Name+`"`) {
						t.Fatalf("%s %s (%s): %d %s, want 400 %s naming %s", s.Method, u, op.ID, res.Status, res.Body, c.code, p.Name)
					}
					t.Logf("%s %s → %s naming %s", s.Method, u, c.code, p.Name)
					return
				}
			}
			t.Fatalf("no spec-served operation has a %s parameter", c.kind)
		})
	}

	// JSON bodies: the first spec-served operation whose JSON body has a required string
	// property.
	t.Run("JSON body", func(t *testing.T) {
		for _, op := range served {
			if op.Body == nil {
				continue
			}
			media := spec.FindMedia(op.Body.Content, "application/json")
			if media == nil || media.Schema == spec.None {
				continue
			}
			s := doc.Schema(media.Schema)
			name := ""
			for _, r := range s.Required {
				if p := doc.Schema(s.Property(r)); p != nil && p.Type == "string" && !p.ReadOnly {
					name = r
					break
				}
			}
			if name == "" {
				continue
			}
			sample := specmock.SampleRequest(doc, op)
			var body map[string]any
			if err := json.Unmarshal(sample.Body, &body); err != nil {
				continue
			}
			send := func(b any, raw string) *rctest.Response {
				h := http.Header{"Content-Type": {"application/json"}}
				if raw == "" {
					enc, _ := json.Marshal(b)
					raw = string(enc)
				}
				return a.Do(rctest.Req{Method: op.Method, Path: sample.Path, Token: tok, Raw: raw, Header: h})
			}
			if res := send(body, ""); res.Status >= 400 {
				t.Fatalf("%s %s: the valid body got %d %s", op.Method, sample.Path, res.Status, res.Body)
			}
			wrong := maps.Clone(body)
			wrong[name] = 12
			if res := send(wrong, ""); res.Status != 400 || res.ErrorCode(t) != "CMN-101" || !strings.Contains(string(res.Body), `"parameterName":"`+name+`"`) {
				t.Fatalf("%s: wrong type: %d %s", op.ID, res.Status, res.Body)
			}
			delete(wrong, name)
			if res := send(wrong, ""); res.Status != 400 || res.ErrorCode(t) != "CMN-100" || !strings.Contains(string(res.Body), `"parameterName":"`+name+`"`) {
				t.Fatalf("%s: missing: %d %s", op.ID, res.Status, res.Body)
			}
			if res := send(nil, `{"`+name+`":`); res.Status != 400 || res.ErrorCode(t) != "CMN-103" {
				t.Fatalf("%s: bad JSON: %d %s", op.ID, res.Status, res.Body)
			}
			t.Logf("%s %s: wrong type, missing and unparsable %s", op.Method, sample.Path, name)
			return
		}
		t.Fatal("no spec-served operation takes a JSON body with a required string")
	})

	// Multipart bodies: a spec-served operation whose multipart/form-data body requires a file.
	t.Run("multipart body", func(t *testing.T) {
		for _, op := range served {
			if op.Body == nil {
				continue
			}
			media := spec.FindMedia(op.Body.Content, "multipart/form-data")
			if media == nil || len(op.Body.Content) != 1 {
				continue
			}
			s := doc.Schema(media.Schema)
			file := ""
			for _, r := range s.Required {
				if p := doc.Schema(s.Property(r)); p != nil && p.Format == "binary" {
					file = r
				}
			}
			if file == "" {
				continue
			}
			sample := specmock.SampleRequest(doc, op)
			h := http.Header{"Content-Type": {sample.ContentType}}
			if res := a.Do(rctest.Req{Method: op.Method, Path: sample.Path, Token: tok, Raw: string(sample.Body), Header: h}); res.Status >= 400 {
				t.Fatalf("%s: the valid body got %d %s", op.ID, res.Status, res.Body)
			}
			// The same body without the file part.
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("unrelated", "x")
			_ = mw.Close()
			h.Set("Content-Type", mw.FormDataContentType())
			res := a.Do(rctest.Req{Method: op.Method, Path: sample.Path, Token: tok, Raw: buf.String(), Header: h})
			if res.Status != 400 || res.ErrorCode(t) != "CMN-100" {
				t.Fatalf("%s without its file: %d %s", op.ID, res.Status, res.Body)
			}
			t.Logf("%s %s without %q → %s", op.Method, sample.Path, file, res.Body)
			return
		}
		t.Fatal("no spec-served operation takes a multipart body with a required file")
	})
}
