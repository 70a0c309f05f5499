package restapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/clock"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
)

// tokens is a stand-in token table for unit tests of the conventions layer alone; the real
// OAuth service is exercised by the integration tests.
type tokens map[string]*rc.Principal

func (t tokens) Authenticate(_ context.Context, tok string) (*rc.Principal, error) {
	if p := t[tok]; p != nil {
		return p, nil
	}
	return nil, rc.Unauthorized("OAU-213", "Token not found")
}

type echo struct {
	Method      string `json:"method"`
	AccountID   int64  `json:"accountId"`
	ExtensionID int64  `json:"extensionId"`
	Query       string `json:"query"`
	Name        string `json:"name,omitempty"`
}

func newServer(t *testing.T) (*httptest.Server, *[]restapi.Entry) {
	t.Helper()
	s, seen := newHandler()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, seen
}

func newHandler() (*restapi.Server, *[]restapi.Entry) {
	rt := &restapi.Router{}
	h := func(w http.ResponseWriter, r *restapi.Request) error {
		return restapi.JSON(w, 200, echo{Method: r.Method, AccountID: r.AccountID, ExtensionID: r.ExtensionID, Query: r.Query.Encode()})
	}
	acc := "/restapi/v1.0/account/{accountId}"
	rt.Handle("GET", acc+"/extension/{extensionId}", h, restapi.Options{})
	rt.Handle("PUT", acc+"/extension/{extensionId}", func(w http.ResponseWriter, r *restapi.Request) error {
		var body struct {
			Name string `json:"name"`
		}
		if err := r.DecodeJSON(&body); err != nil {
			return err
		}
		return restapi.JSON(w, 200, echo{Method: r.Method, Name: body.Name})
	}, restapi.Options{})
	rt.Handle("DELETE", acc+"/extension/{extensionId}", h, restapi.Options{})
	rt.Handle("GET", acc+"/extension/{extensionId}/panic", func(http.ResponseWriter, *restapi.Request) error {
		panic("boom")
	}, restapi.Options{})
	rt.Handle("GET", acc+"/directory", h, restapi.Options{OtherExtensionAllowed: true})
	restapi.RegisterDiscovery(rt, "test", "rev")
	var seen []restapi.Entry
	s := &restapi.Server{Router: rt, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.New(),
		MaxBody: 1024, Observe: func(e restapi.Entry) { seen = append(seen, e) },
		Auth: tokens{
			"admin": {AccountID: 1, ExtensionID: 11, Admin: true, ClientID: "app"},
			"user":  {AccountID: 1, ExtensionID: 12, ClientID: "app"},
		}}
	return s, &seen
}

type result struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, srv *httptest.Server, method, path, token string, hdr map[string]string, body string) result {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, path, b)
		}
	}
	return result{res.StatusCode, res.Header, m}
}

func firstError(m map[string]any) map[string]any {
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		return map[string]any{}
	}
	e, _ := errs[0].(map[string]any)
	return e
}

func TestConventions(t *testing.T) {
	srv, _ := newServer(t)
	ext := "/restapi/v1.0/account/~/extension/~"
	json := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		token   string
		hdr     map[string]string
		body    string
		status  int
		code    string // errors[0].errorCode ("" for success)
		param   string // parameterName
		check   func(t *testing.T, r result)
		wantTop string
	}{
		{name: "TildeResolvesToCaller", method: "GET", path: ext, token: "user", status: 200,
			check: func(t *testing.T, r result) {
				if r.body["accountId"] != 1.0 || r.body["extensionId"] != 12.0 {
					t.Errorf("body = %v", r.body)
				}
			}},
		{name: "ExplicitIDsSameAsTilde", method: "GET", path: "/restapi/v1.0/account/1/extension/12", token: "user", status: 200},
		{name: "ErrOtherAccount", method: "GET", path: "/restapi/v1.0/account/2/extension/~", token: "admin", status: 404, code: "CMN-102", param: "accountId"},
		{name: "ErrOtherExtensionNonAdmin", method: "GET", path: "/restapi/v1.0/account/~/extension/11", token: "user", status: 403, code: "CMN-419"},
		{name: "OtherExtensionAdmin", method: "GET", path: "/restapi/v1.0/account/~/extension/12", token: "admin", status: 200},
		{name: "ErrNonNumericID", method: "GET", path: "/restapi/v1.0/account/~/extension/abc", token: "admin", status: 400, code: "CMN-101", param: "extensionId"},
		{name: "ErrUnknownPath", method: "GET", path: "/restapi/v1.0/account/~/nothing-here", token: "admin", status: 404, code: "",
			check: func(t *testing.T, r result) {
				if r.body["errorCode"] != "AGW-404" || len(r.body["errors"].([]any)) != 0 {
					t.Errorf("body = %v, want AGW-404 with empty errors", r.body)
				}
			}},
		{name: "ErrWrongMethod", method: "PATCH", path: ext, token: "admin", status: 405,
			check: func(t *testing.T, r result) {
				if got := r.header.Get("Allow"); got != "DELETE, GET, PUT" {
					t.Errorf("Allow = %q", got)
				}
			}},
		{name: "TrailingSlash", method: "GET", path: ext + "/", token: "user", status: 200},
		{name: "ErrNoToken", method: "GET", path: ext, status: 401, code: "OAU-123"},
		{name: "ErrBasicScheme", method: "GET", path: ext, hdr: map[string]string{"Authorization": "Basic abc"}, status: 401, code: "OAU-151"},
		{name: "ErrEmptyBearer", method: "GET", path: ext, hdr: map[string]string{"Authorization": "Bearer "}, status: 401, code: "OAU-134"},
		{name: "LowerCaseBearer", method: "GET", path: ext, hdr: map[string]string{"Authorization": "bearer user"}, status: 200},
		{name: "AccessTokenQuery", method: "GET", path: ext + "?access_token=user", status: 200},
		{name: "ErrUnknownToken", method: "GET", path: ext, token: "nope", status: 401, code: "OAU-213", wantTop: "TokenInvalid"},
		{name: "TunnelHeader", method: "POST", path: ext, token: "user", hdr: map[string]string{"X-HTTP-Method-Override": "PUT", "Content-Type": "application/json"},
			body: `{"name":"x"}`, status: 200, check: func(t *testing.T, r result) {
				if r.body["method"] != "PUT" || r.body["name"] != "x" {
					t.Errorf("body = %v", r.body)
				}
			}},
		{name: "TunnelQuery", method: "POST", path: ext + "?_method=delete&a=1", token: "user", status: 200,
			check: func(t *testing.T, r result) {
				if r.body["method"] != "DELETE" || r.body["query"] != "a=1" {
					t.Errorf("body = %v", r.body)
				}
			}},
		{name: "TunnelBothSame", method: "POST", path: ext + "?_method=DELETE", token: "user", hdr: map[string]string{"X-HTTP-Method-Override": "delete"}, status: 200},
		{name: "ErrTunnelConflict", method: "POST", path: ext + "?_method=DELETE", token: "user", hdr: map[string]string{"X-HTTP-Method-Override": "PUT"},
			status: 400, code: "CMN-101", param: "_method"},
		{name: "ErrTunnelUnknownMethod", method: "POST", path: ext + "?_method=TRACE", token: "user", status: 400, code: "CMN-101", param: "_method"},
		{name: "GetIgnoresTunnel", method: "GET", path: ext + "?_method=DELETE", token: "user", status: 200,
			check: func(t *testing.T, r result) {
				if r.body["method"] != "GET" {
					t.Errorf("method = %v", r.body["method"])
				}
			}},
		{name: "ErrBadJSON", method: "PUT", path: ext, token: "user", hdr: json, body: `{"name":`, status: 400, code: "CMN-103"},
		{name: "ErrEmptyJSON", method: "PUT", path: ext, token: "user", hdr: json, body: ``, status: 400, code: "CMN-103"},
		{name: "ErrWrongFieldType", method: "PUT", path: ext, token: "user", hdr: json, body: `{"name":5}`, status: 400, code: "CMN-101", param: "name"},
		{name: "ErrMediaType", method: "PUT", path: ext, token: "user", hdr: map[string]string{"Content-Type": "text/plain"}, body: `{}`, status: 415, code: "AGW-415"},
		{name: "ErrTooLarge", method: "PUT", path: ext, token: "user", hdr: json, body: `{"name":"` + strings.Repeat("a", 2000) + `"}`, status: 413, code: "AGW-413"},
		{name: "JSONContentTypeOnGet", method: "GET", path: ext, token: "user", hdr: json, status: 200},
		{name: "ErrBadQueryEscape", method: "GET", path: ext + "?dateFrom=%zz", token: "user", status: 400, code: "CMN-101", param: "dateFrom"},
		{name: "ErrPanicIsCMN203", method: "GET", path: ext + "/panic", token: "user", status: 500, code: "CMN-203"},
		{name: "DiscoveryNeedsNoToken", method: "GET", path: "/restapi", status: 200,
			check: func(t *testing.T, r result) {
				if r.body["uri"] != srv.URL+"/restapi/" {
					t.Errorf("uri = %v", r.body["uri"])
				}
				v := r.body["apiVersions"].([]any)[0].(map[string]any)
				if v["uri"] != srv.URL+"/restapi/v1.0" || v["uriString"] != "v1.0" {
					t.Errorf("apiVersions[0] = %v", v)
				}
			}},
		{name: "DiscoveryVersion", method: "GET", path: "/restapi/v1.0", status: 200},
		{name: "OtherExtensionAllowedByRoute", method: "GET", path: "/restapi/v1.0/account/~/directory", token: "user", status: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, srv, tc.method, tc.path, tc.token, tc.hdr, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d; body %v", r.status, tc.status, r.body)
			}
			if r.header.Get("RCRequestId") == "" || r.header.Get("Content-Language") != "en-US" {
				t.Errorf("missing RCRequestId or Content-Language: %v", r.header)
			}
			if tc.code != "" {
				e := firstError(r.body)
				if e["errorCode"] != tc.code {
					t.Errorf("errors[0].errorCode = %v, want %s; body %v", e["errorCode"], tc.code, r.body)
				}
				if r.body["message"] == nil || r.body["message"] == "" || e["message"] != r.body["message"] {
					t.Errorf("top-level message must repeat errors[0].message: %v", r.body)
				}
				if tc.param != "" && (e["parameterName"] != tc.param || r.body["parameterName"] != tc.param) {
					t.Errorf("parameterName = %v / %v, want %s", e["parameterName"], r.body["parameterName"], tc.param)
				}
				if tc.wantTop != "" && r.body["errorCode"] != tc.wantTop {
					t.Errorf("errorCode = %v, want %s", r.body["errorCode"], tc.wantTop)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestObserveRecordsRequests(t *testing.T) {
	srv, seen := newServer(t)
	r := do(t, srv, "GET", "/restapi/v1.0/account/~/extension/~", "user",
		map[string]string{"User-Agent": "go-test", "X-User-Agent": "MyApp/1.0 (ci)"}, "")
	if len(*seen) != 1 {
		t.Fatalf("observed %d requests", len(*seen))
	}
	e := (*seen)[0]
	if e.RequestID != r.header.Get("RCRequestId") || e.Status != 200 || e.ClientID != "app" ||
		e.UserAgent != "MyApp/1.0 (ci)" || e.UserAgentHeader != "X-User-Agent" || e.Method != "GET" {
		t.Fatalf("entry = %+v", e)
	}
	_ = time.Second
}

func TestRequestIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := restapi.NewRequestID()
		if len(id) != 36 || id[14] != '4' || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestCORS(t *testing.T) {
	srv, seen := newServer(t)
	pre := do(t, srv, "OPTIONS", "/restapi/v1.0/account/~/extension/~", "", map[string]string{
		"Origin": "http://app.example", "Access-Control-Request-Method": "PUT",
		"Access-Control-Request-Headers": "authorization,content-type,x-user-agent"}, "")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "http://app.example" ||
		pre.header.Get("Access-Control-Allow-Headers") != "authorization,content-type,x-user-agent" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
	if len(*seen) != 0 {
		t.Fatal("a preflight must not count as an API request")
	}
	r := do(t, srv, "GET", "/restapi/v1.0/account/~/extension/~", "user", map[string]string{"Origin": "http://app.example"}, "")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "http://app.example" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "RCRequestId") {
		t.Fatalf("CORS response: %d %v", r.status, r.header)
	}
}
