package restapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
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
