package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
)

func TestAccountInfo(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	byTilde := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~", Token: tok})
	byID := a.Do(rctest.Req{Path: "/restapi/v1.0/account/159048008", Token: tok})
	if byTilde.Status != 200 || string(byTilde.Body) != string(byID.Body) {
		t.Fatalf("~ and explicit id differ:\n%s\n%s", byTilde.Body, byID.Body)
	}
	m := byTilde.Map(t)
	if m["id"] != 159048008.0 || m["uri"] != a.URL+"/restapi/v1.0/account/159048008" || m["mainNumber"] != "+16505550100" ||
		m["status"] != "Confirmed" {
		t.Fatalf("account = %v", m)
	}
	op := m["operator"].(map[string]any)
	if op["id"] != 171857008.0 || op["extensionNumber"] != "101" {
		t.Fatalf("operator = %v", op)
	}
	si := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/service-info", Token: tok}).Map(t)
	if si["uri"] != a.URL+"/restapi/v1.0/account/159048008/service-info" || len(si["serviceFeatures"].([]any)) == 0 {
		t.Fatalf("service-info = %v", si)
	}
}

func TestExtensionList(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "102")).AccessToken // a non-admin may list the directory
	list := func(q string) map[string]any {
		t.Helper()
		r := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension" + q, Token: tok})
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
		return r.Map(t)
	}
	numbers := func(m map[string]any) string {
		var out []string
		for _, r := range m["records"].([]any) {
			out = append(out, r.(map[string]any)["extensionNumber"].(string))
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[string]string{
		"":                                    "101,102,103,200",
		"?type=User":                          "101,102,103",
		"?type=User&type=Department":          "101,102,103,200",
		"?type=Department":                    "200",
		"?extensionNumber=103":                "103",
		"?status=Enabled&type=User&perPage=2": "101,102",
		"?email=alan.turing%40example.com":    "103",
		"?status=Disabled":                    "",
	} {
		if got := numbers(list(q)); got != want {
			t.Errorf("%q = %q, want %q", q, got, want)
		}
	}
	m := list("?perPage=1&page=2&type=User")
	if m["uri"] != a.URL+"/restapi/v1.0/account/159048008/extension?type=User&page=2&perPage=1" {
		t.Errorf("uri = %v", m["uri"])
	}
	p := m["paging"].(map[string]any)
	if p["page"] != 2.0 || p["perPage"] != 1.0 || p["totalPages"] != 3.0 || p["totalElements"] != 3.0 || p["pageStart"] != 1.0 || p["pageEnd"] != 1.0 {
		t.Errorf("paging = %v", p)
	}
	nav := m["navigation"].(map[string]any)
	for k, page := range map[string]int{"firstPage": 1, "previousPage": 1, "nextPage": 3, "lastPage": 3} {
		want := fmt.Sprintf("%s/restapi/v1.0/account/159048008/extension?type=User&page=%d&perPage=1", a.URL, page)
		if nav[k].(map[string]any)["uri"] != want {
			t.Errorf("%s = %v, want %s", k, nav[k], want)
		}
	}
	rec := m["records"].([]any)[0].(map[string]any)
	if rec["uri"] != a.URL+"/restapi/v1.0/account/159048008/extension/171858008" || rec["id"] != 171858008.0 {
		t.Errorf("record = %v", rec)
	}
	// The second account's users are not in the first account's list.
	if strings.Contains(numbers(list("?perPage=1000")), "Marie") {
		t.Error("other account leaked")
	}
	for _, bad := range []string{"?type=Robot", "?status=Sleeping", "?perPage=0", "?page=x", "?extensionNumber=123456789"} {
		r := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension" + bad, Token: tok})
		if r.Status != 400 || r.ErrorCode(t) != "CMN-101" {
			t.Errorf("%s: %d %s, want 400 CMN-101", bad, r.Status, r.Body)
		}
	}
}

func TestExtensionReadAndAccess(t *testing.T) {
	a := rctest.MustOpenApp(t)
	admin := a.Login(a.User(0, "101")).AccessToken
	user := a.Login(a.User(0, "102")).AccessToken
	other := a.Login(a.User(1, "101")).AccessToken
	for _, tc := range []struct {
		name, path, tok string
		status          int
		code            string
	}{
		{"Self", "/restapi/v1.0/account/~/extension/~", user, 200, ""},
		{"SelfExplicit", "/restapi/v1.0/account/159048008/extension/171858008", user, 200, ""},
		{"AdminReadsOther", "/restapi/v1.0/account/~/extension/171858008", admin, 200, ""},
		{"ErrUserReadsOther", "/restapi/v1.0/account/~/extension/171857008", user, 403, "CMN-419"},
		{"ErrOtherAccount", "/restapi/v1.0/account/159048008/extension/171857008", other, 404, "CMN-102"},
		{"ErrOtherAccountsExtension", "/restapi/v1.0/account/~/extension/171857008", other, 404, "CMN-102"},
		{"ErrUnknownExtension", "/restapi/v1.0/account/~/extension/999999", admin, 404, "CMN-102"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.Do(rctest.Req{Path: tc.path, Token: tc.tok})
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.code != "" && r.ErrorCode(t) != tc.code {
				t.Fatalf("code %s, want %s", r.ErrorCode(t), tc.code)
			}
		})
	}
	m := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: user}).Map(t)
	acc := m["account"].(map[string]any)
	if m["id"] != 171858008.0 || acc["id"] != "159048008" || m["name"] != "Grace Hopper" ||
		m["regionalSettings"].(map[string]any)["timezone"].(map[string]any)["name"] != "America/Los_Angeles" {
		t.Fatalf("extension = %v", m)
	}
	for _, v := range []any{m["uri"], acc["uri"]} {
		if s, _ := v.(string); !strings.HasPrefix(s, a.URL+"/restapi/v1.0/account/159048008") || strings.Contains(s, "~") {
			t.Errorf("uri %v is not absolute with real ids", v)
		}
	}
}

func TestExtensionUpdate(t *testing.T) {
	a := rctest.MustOpenApp(t)
	admin := a.Login(a.User(0, "101")).AccessToken
	user := a.Login(a.User(0, "102")).AccessToken
	path := "/restapi/v1.0/account/~/extension/~"

	r := a.Do(rctest.Req{Method: "PUT", Path: path, Token: user, JSON: map[string]any{
		"contact":          map[string]any{"firstName": "Amazing", "jobTitle": "Admiral"},
		"regionalSettings": map[string]any{"timezone": map[string]any{"id": "58"}, "timeFormat": "24h"}}})
	if r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	c := m["contact"].(map[string]any)
	if c["firstName"] != "Amazing" || c["lastName"] != "Hopper" || c["jobTitle"] != "Admiral" || m["name"] != "Amazing Hopper" {
		t.Fatalf("after update: %v", m)
	}
	got := a.Do(rctest.Req{Path: path, Token: user}).Map(t)
	rs := got["regionalSettings"].(map[string]any)
	if got["contact"].(map[string]any)["firstName"] != "Amazing" || rs["timeFormat"] != "24h" ||
		rs["timezone"].(map[string]any)["name"] != "America/New_York" {
		t.Fatalf("GET after update: %v", got)
	}

	for _, tc := range []struct {
		name   string
		tok    string
		path   string
		body   any
		raw    string
		status int
		code   string
	}{
		{"ErrUserChangesStatus", user, path, map[string]any{"status": "Disabled"}, "", 403, "CMN-402"},
		{"ErrUserChangesOther", user, "/restapi/v1.0/account/~/extension/171857008", map[string]any{"contact": map[string]any{"firstName": "x"}}, "", 403, "CMN-419"},
		{"ErrBadEmail", user, path, map[string]any{"contact": map[string]any{"email": "nope"}}, "", 400, "CMN-101"},
		{"ErrBadStatus", admin, path, map[string]any{"status": "Asleep"}, "", 400, "CMN-101"},
		{"ErrBadTimezone", user, path, map[string]any{"regionalSettings": map[string]any{"timezone": map[string]any{"id": "0"}}}, "", 400, "CMN-101"},
		{"ErrDuplicateNumber", admin, "/restapi/v1.0/account/~/extension/171858008", map[string]any{"extensionNumber": "103"}, "", 400, "CMN-406"},
		{"ErrWrongType", user, path, map[string]any{"contact": "Grace"}, "", 400, "CMN-101"},
		{"ErrBadJSON", user, path, nil, `{"contact":`, 400, "CMN-103"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := rctest.Req{Method: "PUT", Path: tc.path, Token: tc.tok, JSON: tc.body}
			if tc.raw != "" {
				req.Raw, req.Header = tc.raw, map[string][]string{"Content-Type": {"application/json"}}
			}
			r := a.Do(req)
			if r.Status != tc.status || r.ErrorCode(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	// Refused updates changed nothing.
	after := a.Do(rctest.Req{Path: path, Token: user}).Map(t)
	if after["status"] != "Enabled" || after["extensionNumber"] != "102" || after["contact"].(map[string]any)["email"] != "grace.hopper@example.com" {
		t.Fatalf("a refused update changed the extension: %v", after)
	}

	// Admin renumbers another extension; tunnelled PUT both ways.
	r = a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/171859008", Token: admin,
		Header: map[string][]string{"X-Http-Method-Override": {"PUT"}}, JSON: map[string]any{"extensionNumber": "113"}})
	if r.Status != 200 || r.Map(t)["extensionNumber"] != "113" {
		t.Fatalf("tunnelled header PUT: %d %s", r.Status, r.Body)
	}
	r = a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/171859008?_method=PUT", Token: admin,
		JSON: map[string]any{"status": "Disabled"}})
	if r.Status != 200 || r.Map(t)["status"] != "Disabled" {
		t.Fatalf("tunnelled query PUT: %d %s", r.Status, r.Body)
	}
	// A disabled user can no longer log in.
	if r := a.TokenRequest(map[string][]string{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion": {a.User(0, "103").JWT}}); r.Status != 401 {
		t.Fatalf("disabled user login: %d %s", r.Status, r.Body)
	}
}

func TestPhoneNumbers(t *testing.T) {
	a := rctest.MustOpenApp(t)
	admin := a.Login(a.User(0, "101")).AccessToken
	user := a.Login(a.User(0, "102")).AccessToken

	m := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/phone-number", Token: user}).Map(t)
	recs := m["records"].([]any)
	if len(recs) != 1 {
		t.Fatalf("records = %v", recs)
	}
	n := recs[0].(map[string]any)
	feats := fmt.Sprint(n["features"])
	if n["phoneNumber"] != "+16505550102" || n["usageType"] != "DirectNumber" || n["type"] != "VoiceFax" ||
		!strings.Contains(feats, "SmsSender") || !strings.Contains(feats, "MmsSender") || !strings.Contains(feats, "CallerId") ||
		n["extension"].(map[string]any)["id"] != 171858008.0 {
		t.Fatalf("number = %v", n)
	}
	if m["paging"] == nil || m["navigation"] == nil {
		t.Fatal("no paging")
	}

	acc := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/phone-number?usageType=MainCompanyNumber&usageType=CompanyFaxNumber", Token: admin}).Map(t)
	var got []string
	for _, r := range acc["records"].([]any) {
		got = append(got, r.(map[string]any)["usageType"].(string))
	}
	if strings.Join(got, ",") != "MainCompanyNumber,CompanyFaxNumber" {
		t.Fatalf("company numbers = %v", got)
	}
	all := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/phone-number?perPage=2", Token: admin}).Map(t)
	if all["paging"].(map[string]any)["totalElements"] != 5.0 || len(all["records"].([]any)) != 2 {
		t.Fatalf("paging = %v", all["paging"])
	}
	one := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/phone-number/1171858008", Token: admin}).Map(t)
	if one["phoneNumber"] != "+16505550102" || one["extension"].(map[string]any)["extensionNumber"] != "102" {
		t.Fatalf("one = %v", one)
	}
	for _, tc := range []struct {
		path, tok string
		status    int
		code      string
	}{
		{"/restapi/v1.0/account/~/phone-number", user, 403, "CMN-402"},
		{"/restapi/v1.0/account/~/phone-number/42", admin, 404, "CMN-102"},
		{"/restapi/v1.0/account/~/phone-number/1271857008", admin, 404, "CMN-102"}, // another account's number
		{"/restapi/v1.0/account/~/phone-number/abc", admin, 400, "CMN-101"},
		{"/restapi/v1.0/account/~/phone-number?usageType=Nope", admin, 400, "CMN-101"},
		{"/restapi/v1.0/account/~/extension/~/phone-number?status=Weird", user, 400, "CMN-101"},
		{"/restapi/v1.0/account/~/extension/171857008/phone-number", user, 403, "CMN-419"},
	} {
		r := a.Do(rctest.Req{Path: tc.path, Token: tc.tok})
		if r.Status != tc.status || r.ErrorCode(t) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.path, r.Status, r.Body, tc.status, tc.code)
		}
	}
}
