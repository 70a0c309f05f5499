package restapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/restapi"
)

// FuzzRequest throws arbitrary tunnelling headers, _method values, queries and JSON bodies at the
// conventions layer: whatever comes in, the answer is a RingCentral-shaped response with a
// client-error or success status, never a 5xx, and never a panic.
func FuzzRequest(f *testing.F) {
	f.Add("POST", "PUT", "", "a=1", `{"name":"x"}`)
	f.Add("POST", "", "DELETE", "", ``)
	f.Add("POST", "PUT", "DELETE", "", `{}`)
	f.Add("POST", "GET", "", "perPage=%zz", `{"name":5}`)
	f.Add("PUT", "", "", "", `{"name":"\u0000"}`)
	f.Add("PUT", "", "", "", `[1,2,3]`)
	f.Add("POST", "patch", "PATCH", "x=1&x=2", `{"name":`)
	f.Add("GET", "TRACE", "TRACE", "_method=", `null`)
	f.Fuzz(func(t *testing.T, method, override, qmethod, rawQuery, body string) {
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			method = "POST"
		}
		s, _ := newHandler()
		q := rawQuery
		if qmethod != "" {
			if q != "" {
				q += "&"
			}
			q += "_method=" + url.QueryEscape(qmethod)
		}
		req := httptest.NewRequest(method, "http://rcemu.test/restapi/v1.0/account/~/extension/~", strings.NewReader(body))
		req.URL.RawQuery = q
		req.Header.Set("Authorization", "Bearer user")
		req.Header.Set("Content-Type", "application/json")
		if override != "" && !strings.ContainsAny(override, "\r\n\x00") {
			req.Header.Set("X-HTTP-Method-Override", override)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %s override=%q _method=%q query=%q body=%q: %s", w.Code, method, override, qmethod, rawQuery, body, w.Body)
		}
		if w.Code >= 400 {
			var e struct {
				ErrorCode string `json:"errorCode"`
				Message   string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.ErrorCode == "" || e.Message == "" {
				t.Fatalf("error body is not RingCentral-shaped: %s", w.Body)
			}
		}
		if len(w.Header()["RCRequestId"]) == 0 {
			t.Fatal("no RCRequestId")
		}
		_ = http.StatusOK
	})
}

// FuzzJSONShape: the shape check before decoding never panics, refuses what is nested deeper
// than the limit, and lets every well-formed shallow object or array through to the decoder.
func FuzzJSONShape(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `null`, `"x"`, `{"a":"}}}}"}`, `{"a":"\"{["}`, strings.Repeat("[", 100),
		`{"a":[{"b":{}}]}`, "\x00", `{"a":"\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 {
			return
		}
		err := restapi.CheckJSONShape(body)
		if !json.Valid(body) || (body[0] != '{' && body[0] != '[') {
			return
		}
		var v any
		depth := jsonDepth(body)
		if depth <= restapi.MaxJSONDepth && err != nil {
			t.Fatalf("refused %q (depth %d): %v", body, depth, err)
		}
		if depth > restapi.MaxJSONDepth && err == nil {
			t.Fatalf("accepted %q (depth %d)", body, depth)
		}
		if err == nil && json.Unmarshal(body, &v) != nil {
			t.Fatalf("accepted %q, which does not decode", body)
		}
	})
}

// jsonDepth measures a valid document's nesting by decoding it token by token.
func jsonDepth(body []byte) int {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	depth, most := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return most
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			most = max(most, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}
