package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
)

const book = "/restapi/v1.0/account/~/extension/~/address-book/contact"

type abApp struct {
	*rctest.App
	ada, grace, alan, marie string // account 1: admin 101, users 102 and 103; account 2: admin 101
	t                       *testing.T
}

func openAB(t *testing.T) *abApp {
	a := rctest.MustOpenApp(t)
	return &abApp{App: a, t: t, ada: a.Login(a.User(0, "101")).AccessToken, grace: a.Login(a.User(0, "102")).AccessToken,
		alan: a.Login(a.User(0, "103")).AccessToken, marie: a.Login(a.User(1, "101")).AccessToken}
}

func (a *abApp) do(method, path, tok string, body any) *rctest.Response {
	a.t.Helper()
	return a.Do(rctest.Req{Method: method, Path: path, Token: tok, JSON: body})
}

func (a *abApp) must(r *rctest.Response, status int, what string) map[string]any {
	a.t.Helper()
	if r.Status != status {
		a.t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.Map(a.t)
}

func (a *abApp) wantError(r *rctest.Response, status int, code, param, what string) {
	a.t.Helper()
	if r.Status != status {
		a.t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	m := r.Map(a.t)
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		a.t.Fatalf("%s: no errors[]: %s", what, r.Body)
	}
	e := errs[0].(map[string]any)
	if e["errorCode"] != code || (param != "" && e["parameterName"] != param) {
		a.t.Fatalf("%s: error %v, want %s naming %q", what, e, code, param)
	}
}

func (a *abApp) create(tok string, body map[string]any) map[string]any {
	a.t.Helper()
	return a.must(a.do("POST", book, tok, body), 200, "create contact")
}

func (a *abApp) contactPath(c map[string]any) string {
	return fmt.Sprintf("%s/%.0f", book, c["id"].(float64))
}

func (a *abApp) names(tok, query string) []string {
	a.t.Helper()
	m := a.must(a.do("GET", book+query, tok, nil), 200, "list "+query)
	var out []string
	for _, r := range m["records"].([]any) {
		c := r.(map[string]any)
		out = append(out, fmt.Sprint(c["firstName"], " ", c["lastName"]))
	}
	return out
}

func TestContactCRUDWithPutAndPatchSemantics(t *testing.T) {
	a := openAB(t)
	c := a.create(a.grace, map[string]any{"firstName": "Linus", "lastName": "Torvalds", "company": "Linux Foundation",
		"email": "linus@example.org", "mobilePhone": "+1 (503) 555-0142", "notes": "kernel",
		"homeAddress": map[string]any{"city": "Portland", "state": "OR"}})
	if c["availability"] != "Alive" || c["mobilePhone"] != "+15035550142" || c["firstName"] != "Linus" {
		t.Fatalf("created = %v", c)
	}
	if !strings.HasSuffix(c["uri"].(string), fmt.Sprintf("/address-book/contact/%.0f", c["id"])) ||
		!strings.Contains(c["uri"].(string), "/extension/171858008/") {
		t.Fatalf("uri = %v", c["uri"])
	}
	path := a.contactPath(c)
	got := a.must(a.do("GET", path, a.grace, nil), 200, "read")
	if got["email"] != "linus@example.org" || got["homeAddress"].(map[string]any)["city"] != "Portland" {
		t.Fatalf("read = %v", got)
	}

	// PATCH: a value sets, null removes, absence keeps.
	p := a.must(a.do("PATCH", path, a.grace, map[string]any{"jobTitle": "Maintainer", "notes": nil}), 200, "patch")
	if p["jobTitle"] != "Maintainer" || p["notes"] != nil || p["email"] != "linus@example.org" || p["company"] != "Linux Foundation" ||
		p["homeAddress"] == nil {
		t.Fatalf("patched = %v", p)
	}

	// PUT: a full replacement; what the body leaves out is gone.
	u := a.must(a.do("PUT", path, a.grace, map[string]any{"firstName": "Linus", "lastName": "Torvalds", "email": "lt@example.org"}), 200, "put")
	for _, gone := range []string{"company", "jobTitle", "mobilePhone", "homeAddress", "notes"} {
		if u[gone] != nil {
			t.Errorf("after PUT %s = %v, want it gone", gone, u[gone])
		}
	}
	if u["email"] != "lt@example.org" || u["id"] != c["id"] {
		t.Fatalf("put = %v", u)
	}
	if again := a.must(a.do("GET", path, a.grace, nil), 200, "read after put"); again["company"] != nil || again["email"] != "lt@example.org" {
		t.Fatalf("read after put = %v", again)
	}

	a.must(a.do("DELETE", path, a.grace, nil), 204, "delete")
	a.wantError(a.do("GET", path, a.grace, nil), 404, "CMN-102", "contactId", "read deleted")
	a.wantError(a.do("DELETE", path, a.grace, nil), 404, "CMN-102", "contactId", "delete twice")
	a.wantError(a.do("PATCH", path, a.grace, map[string]any{"notes": "x"}), 404, "CMN-102", "contactId", "patch deleted")
}

func TestContactTunnelling(t *testing.T) {
	a := openAB(t)
	c := a.create(a.grace, map[string]any{"firstName": "Ken", "lastName": "Thompson", "company": "Bell Labs", "notes": "unix"})
	path := a.contactPath(c)

	r := a.Do(rctest.Req{Method: "POST", Path: path, Token: a.grace, JSON: map[string]any{"notes": nil},
		Header: http.Header{"X-Http-Method-Override": {"PATCH"}}})
	if m := a.must(r, 200, "tunnelled PATCH"); m["notes"] != nil || m["company"] != "Bell Labs" {
		t.Fatalf("tunnelled PATCH = %v", m)
	}
	r = a.Do(rctest.Req{Method: "POST", Path: path + "?_method=PUT", Token: a.grace, JSON: map[string]any{"firstName": "Kenneth"}})
	if m := a.must(r, 200, "tunnelled PUT"); m["firstName"] != "Kenneth" || m["lastName"] != nil || m["company"] != nil {
		t.Fatalf("tunnelled PUT = %v", m)
	}
	r = a.Do(rctest.Req{Method: "POST", Path: path + "?_method=PUT", Token: a.grace, JSON: map[string]any{"firstName": "X"},
		Header: http.Header{"X-Http-Method-Override": {"DELETE"}}})
	if r.Status != 400 {
		t.Fatalf("conflicting tunnels: %d %s", r.Status, r.Body)
	}
	a.must(a.Do(rctest.Req{Method: "POST", Path: path + "?_method=DELETE", Token: a.grace}), 204, "tunnelled DELETE")
	a.wantError(a.do("GET", path, a.grace, nil), 404, "CMN-102", "contactId", "read after tunnelled delete")
}

func TestContactValidationChangesNothing(t *testing.T) {
	a := openAB(t)
	c := a.create(a.grace, map[string]any{"firstName": "Dennis", "lastName": "Ritchie", "email": "dmr@example.org",
		"businessPhone": "+19085550100"})
	path := a.contactPath(c)
	before := a.names(a.grace, "")
	for _, tc := range []struct {
		method string
		path   string
		body   any
		raw    string
		code   string
		param  string
	}{
		{"POST", book, map[string]any{"firstName": "A", "email": "not-an-email"}, "", "CMN-101", "email"},
		{"POST", book, map[string]any{"firstName": "A", "email2": "a@b"}, "", "CMN-101", "email2"},
		{"POST", book, map[string]any{"firstName": "A", "mobilePhone": "call me"}, "", "CMN-101", "mobilePhone"},
		{"POST", book, map[string]any{"firstName": "A", "homePhone": "12345"}, "", "CMN-101", "homePhone"},
		{"POST", book, map[string]any{"firstName": 7}, "", "CMN-101", "firstName"},
		{"POST", book, map[string]any{"birthday": "yesterday"}, "", "CMN-101", "birthday"},
		{"POST", book, map[string]any{"ringtoneIndex": strings.Repeat("x", 65)}, "", "CMN-101", "ringtoneIndex"},
		{"POST", book, nil, `{"firstName": "A",`, "CMN-103", ""},
		{"POST", book + "?dialingPlan=ZZ", map[string]any{"firstName": "A"}, "", "CMN-101", "dialingPlan"},
		{"PUT", path, map[string]any{"email": "bad@"}, "", "CMN-101", "email"},
		{"PATCH", path, map[string]any{"businessPhone": "+0000"}, "", "CMN-101", "businessPhone"},
		{"PATCH", path, nil, `[1,2]`, "CMN-103", ""},
		{"PATCH", path, nil, `null`, "", ""},
		{"GET", book + "?sortBy=Email", nil, "", "CMN-101", "sortBy"},
		{"GET", book + "?page=0", nil, "", "CMN-101", "page"},
		{"GET", book + "?perPage=many", nil, "", "CMN-101", "perPage"},
		{"GET", book + "?phoneNumber=abc", nil, "", "CMN-101", "phoneNumber"},
		{"GET", book + "/abc", nil, "", "CMN-101", "contactId"},
		{"PUT", book + "/1,2", map[string]any{"firstName": "A"}, "", "CMN-101", "contactId"},
		{"GET", book + "/999999999", nil, "", "CMN-102", "contactId"},
		{"PUT", book + "/999999999", map[string]any{"firstName": "A"}, "", "CMN-102", "contactId"},
	} {
		what := tc.method + " " + tc.path
		r := a.Do(rctest.Req{Method: tc.method, Path: tc.path, Token: a.grace, JSON: tc.body, Raw: tc.raw,
			Header: http.Header{"Content-Type": {"application/json"}}})
		if tc.code == "" {
			if r.Status != 400 {
				t.Errorf("%s %s: status %d, want 400", what, tc.raw, r.Status)
			}
			continue
		}
		status := 400
		if tc.code == "CMN-102" {
			status = 404
		}
		a.wantError(r, status, tc.code, tc.param, what)
	}
	if after := a.names(a.grace, ""); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("contacts changed: %v → %v", before, after)
	}
	got := a.must(a.do("GET", path, a.grace, nil), 200, "read")
	if got["email"] != "dmr@example.org" || got["businessPhone"] != "+19085550100" {
		t.Fatalf("contact changed: %v", got)
	}
}

func TestContactsArePerExtension(t *testing.T) {
	a := openAB(t)
	c := a.create(a.grace, map[string]any{"firstName": "Barbara", "lastName": "Liskov"})
	id := fmt.Sprintf("%.0f", c["id"])
	// Another user's contact does not exist in one's own address book.
	a.wantError(a.do("GET", book+"/"+id, a.alan, nil), 404, "CMN-102", "contactId", "alan reads grace's contact via ~")
	a.wantError(a.do("DELETE", book+"/"+id, a.alan, nil), 404, "CMN-102", "contactId", "alan deletes grace's contact")
	for _, n := range a.names(a.alan, "") {
		if strings.Contains(n, "Liskov") {
			t.Fatalf("alan lists grace's contact: %v", n)
		}
	}
	// Nor may a user address another's address book.
	grace := "/restapi/v1.0/account/~/extension/171858008/address-book/contact"
	a.wantError(a.do("GET", grace, a.alan, nil), 403, "CMN-419", "", "alan lists grace's book")
	a.wantError(a.do("POST", grace, a.alan, map[string]any{"firstName": "X"}), 403, "CMN-419", "", "alan writes grace's book")
	// The administrator may, within the account; another account's does not exist.
	m := a.must(a.do("GET", grace+"/"+id, a.ada, nil), 200, "admin reads grace's contact")
	if m["lastName"] != "Liskov" {
		t.Fatalf("admin read = %v", m)
	}
	a.wantError(a.do("GET", "/restapi/v1.0/account/159048008/extension/171858008/address-book/contact", a.marie, nil),
		404, "CMN-102", "accountId", "another account's admin")
	a.wantError(a.do("GET", "/restapi/v1.0/account/~/extension/171999008/address-book/contact", a.ada, nil),
		404, "CMN-102", "extensionId", "unknown extension")
}

func TestContactListFiltersSortingAndPaging(t *testing.T) {
	a := openAB(t)
	for _, c := range []map[string]any{
		{"firstName": "Zoe", "lastName": "Adams", "company": "Beta", "mobilePhone": "+14155550001"},
		{"firstName": "adam", "lastName": "Young", "company": "Alpha", "homePhone": "4155550002"},
		{"firstName": "Bob", "lastName": "Zed", "company": "Gamma", "businessPhone": "+14155550001"},
		{"firstName": "Carl", "lastName": "Adamson", "company": "Alpha"},
		{"firstName": "Dora", "lastName": "Brown", "company": "Delta"},
	} {
		a.create(a.alan, c)
	}
	if got := a.names(a.alan, "?startsWith=ADA"); strings.Join(got, ",") != "Zoe Adams,adam Young,Carl Adamson" {
		t.Fatalf("startsWith = %v", got)
	}
	if got := a.names(a.alan, "?sortBy=FirstName"); strings.Join(got, ",") != "adam Young,Bob Zed,Carl Adamson,Dora Brown,Zoe Adams" {
		t.Fatalf("sortBy=FirstName = %v", got)
	}
	if got := a.names(a.alan, "?sortBy=Company&sortBy=LastName"); strings.Join(got, ",") != "Carl Adamson,adam Young,Zoe Adams,Dora Brown,Bob Zed" {
		t.Fatalf("sortBy=Company,LastName = %v", got)
	}
	if got := a.names(a.alan, "?phoneNumber=%2B14155550001&sortBy=LastName"); strings.Join(got, ",") != "Zoe Adams,Bob Zed" {
		t.Fatalf("phoneNumber = %v", got)
	}
	// A national number reads in the extension's dialing plan, in the filter as in the body.
	if got := a.names(a.alan, "?phoneNumber=4155550002&phoneNumber=%2B14155550009"); strings.Join(got, ",") != "adam Young" {
		t.Fatalf("phoneNumber national = %v", got)
	}

	m := a.must(a.do("GET", book+"?sortBy=LastName&page=2&perPage=2", a.alan, nil), 200, "page 2")
	pg := m["paging"].(map[string]any)
	if pg["page"] != 2.0 || pg["perPage"] != 2.0 || pg["totalElements"] != 5.0 || pg["totalPages"] != 3.0 ||
		pg["pageStart"] != 2.0 || pg["pageEnd"] != 3.0 {
		t.Fatalf("paging = %v", pg)
	}
	recs := m["records"].([]any)
	if len(recs) != 2 || recs[0].(map[string]any)["lastName"] != "Brown" {
		t.Fatalf("page 2 = %v", recs)
	}
	nav := m["navigation"].(map[string]any)
	next := nav["nextPage"].(map[string]any)["uri"].(string)
	if !strings.Contains(next, "sortBy=LastName") || !strings.Contains(next, "page=3&perPage=2") || nav["previousPage"] == nil {
		t.Fatalf("navigation = %v", nav)
	}
	if !strings.Contains(m["uri"].(string), "/address-book/contact?sortBy=LastName&page=2&perPage=2") {
		t.Fatalf("uri = %v", m["uri"])
	}
	if g := m["groups"].(map[string]any)["uri"].(string); !strings.HasSuffix(g, "/address-book/group") {
		t.Fatalf("groups = %v", g)
	}
	u, _ := url.Parse(next)
	last := a.must(a.do("GET", u.RequestURI(), a.alan, nil), 200, "next page")
	if n := len(last["records"].([]any)); n != 1 {
		t.Fatalf("last page has %d records", n)
	}
}

func TestSeededAddressBook(t *testing.T) {
	a := openAB(t)
	if got := a.names(a.ada, "?sortBy=LastName"); strings.Join(got, ",") != "Charles Babbage,Augustus De Morgan,Mary Somerville" {
		t.Fatalf("ada's seeded contacts = %v", got)
	}
	if got := a.names(a.marie, ""); len(got) != 1 || got[0] != "Pierre Curie" {
		t.Fatalf("marie's seeded contacts = %v", got)
	}
}

func TestContactBulkReadAndDelete(t *testing.T) {
	a := openAB(t)
	c1 := a.create(a.grace, map[string]any{"firstName": "One"})
	c2 := a.create(a.grace, map[string]any{"firstName": "Two"})
	ids := fmt.Sprintf("%.0f,%.0f", c1["id"], c2["id"])
	r := a.Do(rctest.Req{Path: book + "/" + ids + ",999999999", Token: a.grace,
		Header: http.Header{"Accept": {"application/vnd.ringcentral.multipart+json"}}})
	if r.Status != 207 {
		t.Fatalf("bulk read: %d %s", r.Status, r.Body)
	}
	var parts []struct {
		ResourceID string         `json:"resourceId"`
		Status     int            `json:"status"`
		Body       map[string]any `json:"body"`
	}
	r.JSON(t, &parts)
	if len(parts) != 3 || parts[0].Status != 200 || parts[0].Body["firstName"] != "One" || parts[1].Body["firstName"] != "Two" ||
		parts[2].Status != 404 {
		t.Fatalf("bulk parts = %+v", parts)
	}
	r = a.Do(rctest.Req{Path: book + "/" + ids, Token: a.grace})
	if r.Status != 207 || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/mixed; boundary=") || !strings.Contains(string(r.Body), `"firstName":"Two"`) {
		t.Fatalf("bulk read multipart: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	a.must(a.do("DELETE", book+"/"+ids, a.grace, nil), 204, "bulk delete")
	if got := a.names(a.grace, ""); len(got) != 2 { // the two seeded ones
		t.Fatalf("after bulk delete: %v", got)
	}
	r = a.do("DELETE", fmt.Sprintf("%s/%.0f,999999999", book, c1["id"]), a.grace, nil)
	if r.Status != 207 {
		t.Fatalf("bulk delete with unknown ids: %d %s", r.Status, r.Body)
	}
}

func TestAddressBookSync(t *testing.T) {
	a := openAB(t)
	sync := "/restapi/v1.0/account/~/extension/~/address-book-sync"
	var made []map[string]any
	for i := range 5 {
		made = append(made, a.create(a.alan, map[string]any{"firstName": fmt.Sprintf("C%d", i)}))
	}
	// A full sync in pages of two walks every contact once.
	var seen []string
	m := a.must(a.do("GET", sync+"?syncType=FSync&perPage=2", a.alan, nil), 200, "FSync")
	token := m["syncInfo"].(map[string]any)["syncToken"].(string)
	if m["syncInfo"].(map[string]any)["syncType"] != "FSync" || token == "" {
		t.Fatalf("syncInfo = %v", m["syncInfo"])
	}
	for {
		for _, r := range m["records"].([]any) {
			seen = append(seen, r.(map[string]any)["firstName"].(string))
		}
		next, _ := m["nextPageUri"].(string)
		if next == "" {
			break
		}
		if m["nextPageId"] == nil {
			t.Fatalf("nextPageUri without nextPageId: %v", m)
		}
		u, _ := url.Parse(next)
		m = a.must(a.do("GET", u.RequestURI(), a.alan, nil), 200, "FSync next page")
	}
	if strings.Join(seen, ",") != "C0,C1,C2,C3,C4" {
		t.Fatalf("FSync pages = %v", seen)
	}
	token = m["syncInfo"].(map[string]any)["syncToken"].(string)

	// Nothing changed: an empty incremental sync.
	m = a.must(a.do("GET", sync+"?syncType=ISync&syncToken="+url.QueryEscape(token), a.alan, nil), 200, "ISync empty")
	if len(m["records"].([]any)) != 0 {
		t.Fatalf("ISync with no changes = %v", m["records"])
	}
	token = m["syncInfo"].(map[string]any)["syncToken"].(string)

	// An update, a deletion and a creation come in the next incremental sync; other users' do not.
	a.must(a.do("PATCH", a.contactPath(made[1]), a.alan, map[string]any{"company": "Acme"}), 200, "patch")
	a.must(a.do("DELETE", a.contactPath(made[2]), a.alan, nil), 204, "delete")
	a.create(a.alan, map[string]any{"firstName": "New"})
	a.create(a.grace, map[string]any{"firstName": "NotAlans"})
	m = a.must(a.do("GET", sync+"?syncType=ISync&syncToken="+url.QueryEscape(token), a.alan, nil), 200, "ISync")
	var got []string
	for _, r := range m["records"].([]any) {
		c := r.(map[string]any)
		got = append(got, fmt.Sprint(c["firstName"], ":", c["availability"]))
	}
	if strings.Join(got, ",") != "C1:Alive,C2:Deleted,New:Alive" {
		t.Fatalf("ISync records = %v", got)
	}
	if m["syncInfo"].(map[string]any)["syncType"] != "ISync" {
		t.Fatalf("syncInfo = %v", m["syncInfo"])
	}
	// An incremental sync in pages of one takes the changes one at a time.
	m = a.must(a.do("GET", sync+"?syncType=ISync&perPage=1&syncToken="+url.QueryEscape(token), a.alan, nil), 200, "ISync page")
	if n := len(m["records"].([]any)); n != 1 {
		t.Fatalf("ISync perPage=1 gave %d", n)
	}
	tok2 := m["syncInfo"].(map[string]any)["syncToken"].(string)
	m = a.must(a.do("GET", sync+"?syncType=ISync&perPage=5&syncToken="+url.QueryEscape(tok2), a.alan, nil), 200, "ISync rest")
	if n := len(m["records"].([]any)); n != 2 {
		t.Fatalf("ISync after the first change gave %d", n)
	}

	a.wantError(a.do("GET", sync+"?syncType=ISync", a.alan, nil), 400, "CMN-100", "syncToken", "ISync without token")
	a.wantError(a.do("GET", sync+"?syncType=ISync&syncToken=garbage", a.alan, nil), 400, "CMN-101", "syncToken", "bad token")
	a.wantError(a.do("GET", sync+"?syncType=ISync&syncToken="+url.QueryEscape(token), a.grace, nil), 400, "CMN-101", "syncToken", "another's token")
	a.wantError(a.do("GET", sync+"?syncType=Partial", a.alan, nil), 400, "CMN-101", "syncType", "bad syncType")
	a.wantError(a.do("GET", sync+"?pageId=x", a.alan, nil), 400, "CMN-101", "pageId", "bad pageId")
}

func TestFavoriteContacts(t *testing.T) {
	a := openAB(t)
	fav := "/restapi/v1.0/account/~/extension/~/favorite"
	m := a.must(a.do("GET", fav, a.grace, nil), 200, "empty favorites")
	if len(m["records"].([]any)) != 0 || !strings.HasSuffix(m["uri"].(string), "/extension/171858008/favorite") {
		t.Fatalf("favorites = %v", m)
	}
	c := a.create(a.grace, map[string]any{"firstName": "Fav"})
	cid := fmt.Sprintf("%.0f", c["id"])
	m = a.must(a.do("PUT", fav, a.grace, map[string]any{"records": []map[string]any{
		{"extensionId": "171857008"}, {"contactId": cid}, {"extensionId": 171859008}}}), 200, "set favorites")
	recs := m["records"].([]any)
	if len(recs) != 3 || recs[0].(map[string]any)["extensionId"] != "171857008" || recs[0].(map[string]any)["accountId"] != "159048008" ||
		recs[1].(map[string]any)["contactId"] != cid || recs[2].(map[string]any)["id"] != 3.0 {
		t.Fatalf("set favorites = %v", recs)
	}
	// A favorite that names nothing is refused and changes nothing.
	a.wantError(a.do("PUT", fav, a.grace, map[string]any{"records": []map[string]any{{"extensionId": "999999008"}}}),
		400, "CMN-102", "records.extensionId", "unknown extension")
	a.wantError(a.do("PUT", fav, a.grace, map[string]any{"records": []map[string]any{{"contactId": "999999008"}}}),
		400, "CMN-102", "records.contactId", "unknown contact")
	a.wantError(a.do("PUT", fav, a.grace, map[string]any{}), 400, "CMN-100", "records", "no records")
	if n := len(a.must(a.do("GET", fav, a.grace, nil), 200, "favorites")["records"].([]any)); n != 3 {
		t.Fatalf("favorites changed by bad requests: %d", n)
	}
	// A deleted contact leaves the favorites.
	a.must(a.do("DELETE", a.contactPath(c), a.grace, nil), 204, "delete favorite contact")
	recs = a.must(a.do("GET", fav, a.grace, nil), 200, "favorites")["records"].([]any)
	if len(recs) != 2 || recs[1].(map[string]any)["extensionId"] != "171859008" {
		t.Fatalf("favorites after delete = %v", recs)
	}
}

// TestContactsSurviveExportImportAndReset: contacts, their phone index, favorites and the sync
// state travel in a state snapshot; a reset brings back the seeded address book.
func TestContactsSurviveExportImportAndReset(t *testing.T) {
	a := openAB(t)
	c := a.create(a.grace, map[string]any{"firstName": "Exported", "mobilePhone": "+14155550777"})
	a.must(a.do("PUT", "/restapi/v1.0/account/~/extension/~/favorite", a.grace,
		map[string]any{"records": []map[string]any{{"contactId": fmt.Sprintf("%.0f", c["id"])}}}), 200, "favorites")
	state := a.Do(rctest.Req{Path: "/_rcemu/state"})
	if state.Status != 200 {
		t.Fatalf("export: %d %s", state.Status, state.Body)
	}
	a.must(a.do("DELETE", a.contactPath(c), a.grace, nil), 204, "delete")
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/state", Raw: string(state.Body),
		Header: http.Header{"Content-Type": {"application/json"}}}); r.Status != 200 && r.Status != 204 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	tok := a.Login(a.User(0, "102")).AccessToken
	if got := a.names(tok, "?phoneNumber=%2B14155550777"); len(got) != 1 || !strings.HasPrefix(got[0], "Exported") {
		t.Fatalf("after import, by number: %v", got)
	}
	fav := a.must(a.do("GET", "/restapi/v1.0/account/~/extension/~/favorite", tok, nil), 200, "favorites")
	if n := len(fav["records"].([]any)); n != 1 {
		t.Fatalf("after import, %d favorites", n)
	}
	// New contacts continue above the imported ids.
	if d := a.create(tok, map[string]any{"firstName": "After"}); d["id"].(float64) <= c["id"].(float64) {
		t.Fatalf("new id %v not above %v", d["id"], c["id"])
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/reset"}); r.Status != 204 && r.Status != 200 {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	tok = a.Login(a.User(0, "102")).AccessToken
	if got := a.names(tok, "?sortBy=LastName"); strings.Join(got, ",") != "Howard Aiken,Jean Sammet" {
		t.Fatalf("after reset: %v", got)
	}
}

func TestContactBulkUpdate(t *testing.T) {
	a := openAB(t)
	c1 := a.create(a.grace, map[string]any{"firstName": "One", "company": "Old"})
	c2 := a.create(a.grace, map[string]any{"firstName": "Two", "company": "Old"})
	ids := fmt.Sprintf("%.0f,%.0f", c1["id"], c2["id"])

	// The JSON form: one body per id, in path order; each part replaces its contact.
	r := a.Do(rctest.Req{Method: "PUT", Path: book + "/" + ids + ",999999999", Token: a.grace,
		Raw: `[{"body":{"firstName":"Uno"}},{"body":{"firstName":"Dos","email":"bad"}},{"body":{"firstName":"X"}}]`,
		Header: http.Header{"Content-Type": {"application/vnd.ringcentral.multipart+json"},
			"Accept": {"application/vnd.ringcentral.multipart+json"}}})
	if r.Status != 207 {
		t.Fatalf("bulk PUT: %d %s", r.Status, r.Body)
	}
	var parts []struct {
		Status int            `json:"status"`
		Body   map[string]any `json:"body"`
	}
	r.JSON(t, &parts)
	if len(parts) != 3 || parts[0].Status != 200 || parts[0].Body["firstName"] != "Uno" || parts[0].Body["company"] != nil ||
		parts[1].Status != 400 || parts[2].Status != 404 {
		t.Fatalf("bulk PUT parts = %+v", parts)
	}
	if got := a.must(a.do("GET", a.contactPath(c2), a.grace, nil), 200, "read"); got["firstName"] != "Two" || got["company"] != "Old" {
		t.Fatalf("a refused part changed its contact: %v", got)
	}

	// multipart/mixed: a JSON part per id.
	const b = "Boundary_1"
	body := "--" + b + "\r\nContent-Type: application/json\r\n\r\n{\"firstName\":\"Eins\"}\r\n" +
		"--" + b + "\r\nContent-Type: application/json\r\n\r\n{\"firstName\":\"Zwei\",\"mobilePhone\":\"+14155550123\"}\r\n--" + b + "--\r\n"
	r = a.Do(rctest.Req{Method: "PUT", Path: book + "/" + ids, Token: a.grace, Raw: body,
		Header: http.Header{"Content-Type": {"multipart/mixed; boundary=" + b}}})
	if r.Status != 207 || !strings.Contains(string(r.Body), `"firstName":"Zwei"`) {
		t.Fatalf("multipart bulk PUT: %d %s", r.Status, r.Body)
	}
	if got := a.must(a.do("GET", a.contactPath(c2), a.grace, nil), 200, "read"); got["firstName"] != "Zwei" || got["mobilePhone"] != "+14155550123" || got["company"] != nil {
		t.Fatalf("after multipart PUT: %v", got)
	}
	// Parts and ids must agree in number; one plain body for several ids is refused.
	a.wantError(a.Do(rctest.Req{Method: "PUT", Path: book + "/" + ids, Token: a.grace, Raw: `[{"body":{}}]`,
		Header: http.Header{"Content-Type": {"application/vnd.ringcentral.multipart+json"}}}), 400, "CMN-101", "contactId", "too few parts")
}
