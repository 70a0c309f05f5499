package api_test

import (
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
)

// TestHostileBodies: bodies that decode into nothing, or nest absurdly deep, are refused and
// change nothing.
func TestHostileBodies(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	before := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/presence", Token: tok}).Body
	deep := strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000)
	for _, tc := range []struct {
		name, method, path, body, code, param string
	}{
		{"null extension", "PUT", "/restapi/v1.0/account/~/extension/~", "null", "CMN-101", "body"},
		{"null presence", "PUT", "/restapi/v1.0/account/~/extension/~/presence", " null ", "CMN-101", "body"},
		{"null message", "PATCH", "/restapi/v1.0/account/~/extension/~/message-store/4084361008", "null", "CMN-101", "body"},
		{"number body", "PUT", "/restapi/v1.0/account/~/extension/~/presence", "42", "CMN-101", "body"},
		{"deep", "PUT", "/restapi/v1.0/account/~/extension/~/presence", deep, "CMN-103", ""},
		{"deep array", "POST", "/restapi/v1.0/account/~/extension/~/sms", strings.Repeat("[", 5000), "CMN-103", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.Do(rctest.Req{Method: tc.method, Path: tc.path, Token: tok, Raw: tc.body,
				Header: map[string][]string{"Content-Type": {"application/json"}}})
			if r.Status != 400 || r.ErrorCode(t) != tc.code {
				t.Fatalf("%d %s, want 400 %s", r.Status, r.Body, tc.code)
			}
			if tc.param != "" && !strings.Contains(string(r.Body), `"parameterName":"`+tc.param+`"`) {
				t.Fatalf("no parameterName %s: %s", tc.param, r.Body)
			}
		})
	}
	after := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/presence", Token: tok}).Body
	if string(before) != string(after) {
		t.Fatalf("a refused body changed presence:\n%s\n%s", before, after)
	}
}

// TestConflictingOverrideHeaders: two X-HTTP-Method-Override headers that disagree are a 400,
// as a header and ?_method= that disagree are.
func TestConflictingOverrideHeaders(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	for _, hv := range [][]string{{"PUT", "DELETE"}, {"PUT, DELETE"}} {
		r := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/presence", Token: tok,
			JSON:   map[string]any{"userStatus": "Busy"},
			Header: map[string][]string{"X-Http-Method-Override": hv}})
		if r.Status != 400 || r.ErrorCode(t) != "CMN-101" || !strings.Contains(string(r.Body), "X-HTTP-Method-Override") {
			t.Fatalf("%q: %d %s", hv, r.Status, r.Body)
		}
	}
	same := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/presence", Token: tok,
		JSON: map[string]any{"userStatus": "Busy"}, Header: map[string][]string{"X-Http-Method-Override": {"PUT", "put"}}})
	if same.Status != 200 {
		t.Fatalf("agreeing headers: %d %s", same.Status, same.Body)
	}
}

// TestActiveAttachmentsAreDownloads: an HTML or SVG attachment a sender supplied is served as a
// download that cannot run in the API's origin.
func TestActiveAttachmentsAreDownloads(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "102")).AccessToken
	for _, ct := range []string{"text/html", "image/svg+xml", "image/png"} {
		in := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/inbound", JSON: map[string]any{"type": "MMS", "from": "+13125550188",
			"to": "+16505550102", "text": "look", "attachments": []map[string]any{{"contentType": ct, "fileName": "x", "text": "<script>alert(1)</script>"}}}})
		if in.Status != 200 && in.Status != 201 {
			t.Fatalf("inbound %s: %d %s", ct, in.Status, in.Body)
		}
		m := in.Map(t)
		id := int64(m["id"].(float64))
		msg := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/message-store/" + itoa(id), Token: tok}).Map(t)
		var uri string
		for _, at := range msg["attachments"].([]any) {
			if at.(map[string]any)["contentType"] == ct {
				uri = at.(map[string]any)["uri"].(string)
			}
		}
		r := a.Do(rctest.Req{Path: uri[len(a.URL):], Token: tok})
		if r.Status != 200 || r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("%s: %d %v", ct, r.Status, r.Header)
		}
		attachment := strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment")
		if attachment != (ct != "image/png") {
			t.Fatalf("%s served %q", ct, r.Header.Get("Content-Disposition"))
		}
	}
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
