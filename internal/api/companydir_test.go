package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
)

const entries = "/restapi/v1.0/account/~/directory/entries"

func entryList(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range m["records"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

func entryIDs(m map[string]any) []string {
	var out []string
	for _, e := range entryList(m) {
		out = append(out, e["id"].(string))
	}
	return out
}

// TestDirectoryEntriesMatchTheExtensionList: every entry is an extension of the store, with the
// same id, names, number and phone numbers, and readable as an extension.
func TestDirectoryEntriesMatchTheExtensionList(t *testing.T) {
	a := openAB(t)
	exts := a.must(a.do("GET", "/restapi/v1.0/account/~/extension?perPage=1000", a.grace, nil), 200, "extensions")
	dir := a.must(a.do("GET", entries+"?showFederated=false", a.grace, nil), 200, "directory")
	byID := map[string]map[string]any{}
	for _, e := range entryList(dir) {
		byID[e["id"].(string)] = e
		if e["account"] != nil {
			t.Errorf("showFederated=false entry %s has an account section", e["id"])
		}
	}
	var extIDs []string
	for _, x := range records(exts) {
		xid := fmt.Sprintf("%.0f", x["id"])
		extIDs = append(extIDs, xid)
		e := byID[xid]
		if e == nil {
			t.Fatalf("extension %s (%v) is not in the directory", xid, x["name"])
		}
		c := x["contact"].(map[string]any)
		if e["extensionNumber"] != x["extensionNumber"] || e["status"] != x["status"] || e["email"] != c["email"] {
			t.Errorf("entry %s = %v, extension = %v", xid, e, x)
		}
		if x["type"] == "User" {
			if e["type"] != "User" || e["firstName"] != c["firstName"] || e["lastName"] != c["lastName"] {
				t.Errorf("user entry %s = %v, contact %v", xid, e, c)
			}
		} else if e["type"] != x["type"] || e["name"] != x["name"] {
			t.Errorf("entry %s = %v, extension %v", xid, e, x)
		}
		// The entry's numbers are the extension's.
		nums := a.must(a.do("GET", "/restapi/v1.0/account/~/extension/"+xid+"/phone-number", a.ada, nil), 200, "numbers")
		var want, got []string
		for _, n := range records(nums) {
			want = append(want, n["phoneNumber"].(string))
		}
		for _, n := range e["phoneNumbers"].([]any) {
			got = append(got, n.(map[string]any)["phoneNumber"].(string))
		}
		if strings.Join(want, ",") != strings.Join(got, ",") {
			t.Errorf("entry %s numbers %v, extension's %v", xid, got, want)
		}
		// And it exists everywhere else.
		a.must(a.do("GET", "/restapi/v1.0/account/~/extension/"+xid, a.ada, nil), 200, "extension of entry")
		one := a.must(a.do("GET", entries+"/"+xid, a.grace, nil), 200, "entry")
		if one["id"] != xid || one["extensionNumber"] != x["extensionNumber"] {
			t.Errorf("entry %s read alone = %v", xid, one)
		}
	}
	if got := entryIDs(dir); strings.Join(got, ",") != strings.Join(extIDs, ",") {
		t.Fatalf("directory ids %v, extension ids %v", got, extIDs)
	}
	pg := dir["paging"].(map[string]any)
	if pg["totalElements"] != float64(len(extIDs)) || pg["perPage"] != 1000.0 || pg["page"] != 1.0 {
		t.Fatalf("paging = %v", pg)
	}
	if n := byID["171857008"]["phoneNumbers"].([]any)[0].(map[string]any); n["formattedPhoneNumber"] != "+1 (650) 555-0101" ||
		n["usageType"] != "DirectNumber" {
		t.Fatalf("number = %v", n)
	}
}

func TestDirectoryFederation(t *testing.T) {
	a := openAB(t)
	dir := a.must(a.do("GET", entries, a.grace, nil), 200, "federated directory")
	ids := entryIDs(dir)
	// Both seeded accounts: the caller's first, then the other, each with its account section.
	if !slices.Contains(ids, "171857008") || !slices.Contains(ids, "271857008") || ids[0] != "171857008" {
		t.Fatalf("federated ids = %v", ids)
	}
	for _, e := range entryList(dir) {
		acc, _ := e["account"].(map[string]any)
		if acc == nil {
			t.Fatalf("federated entry without account: %v", e)
		}
		if strings.HasPrefix(e["id"].(string), "27") && (acc["id"] != "259048008" || acc["companyName"] != "Second Company" ||
			acc["mainNumber"].(map[string]any)["phoneNumber"] != "+14155550100") {
			t.Fatalf("account section = %v", acc)
		}
	}
	// Another account's entry reads through the federation; its extension through its own account.
	e := a.must(a.do("GET", entries+"/271858008", a.grace, nil), 200, "federated entry")
	if e["firstName"] != "Niels" || e["account"].(map[string]any)["id"] != "259048008" {
		t.Fatalf("federated entry = %v", e)
	}
	a.must(a.do("GET", "/restapi/v1.0/account/~/extension/271858008", a.marie, nil), 200, "its extension")

	f := a.must(a.do("GET", "/restapi/v1.0/account/~/directory/federation", a.grace, nil), 200, "federation")
	var accs []string
	for _, x := range f["accounts"].([]any) {
		accs = append(accs, x.(map[string]any)["id"].(string))
	}
	if f["type"] != "Regular" || strings.Join(accs, ",") != "159048008,259048008" || f["id"] == "" {
		t.Fatalf("federation = %v", f)
	}
	a.wantError(a.do("GET", "/restapi/v1.0/account/~/directory/federation?types=AdminOnly", a.grace, nil), 404, "ADG-105", "", "admin-only federation")
	a.wantError(a.do("GET", "/restapi/v1.0/account/~/directory/federation?types=Odd", a.grace, nil), 400, "ADG-121", "types", "bad types")
}

func TestDirectoryFiltersPagingAndErrors(t *testing.T) {
	a := openAB(t)
	if got := entryIDs(a.must(a.do("GET", entries+"?showFederated=false&type=Department", a.grace, nil), 200, "type")); strings.Join(got, ",") != "171860008" {
		t.Fatalf("type=Department = %v", got)
	}
	if got := entryIDs(a.must(a.do("GET", entries+"?showFederated=false&typeGroup=User", a.grace, nil), 200, "typeGroup")); len(got) != 3 || slices.Contains(got, "171860008") {
		t.Fatalf("typeGroup=User = %v", got)
	}
	if got := entryIDs(a.must(a.do("GET", entries+"?siteId=main-site", a.grace, nil), 200, "siteId")); len(got) != 0 {
		t.Fatalf("siteId = %v", got)
	}
	m := a.must(a.do("GET", entries+"?page=2&perPage=2", a.grace, nil), 200, "page 2")
	pg := m["paging"].(map[string]any)
	if got := entryIDs(m); len(got) != 2 || got[0] != "171859008" || pg["totalElements"] != 6.0 || pg["totalPages"] != 3.0 || pg["pageStart"] != 2.0 {
		t.Fatalf("page 2 = %v %v", got, pg)
	}
	if m := a.must(a.do("GET", entries+"?perPage=all", a.grace, nil), 200, "all"); len(entryIDs(m)) != 6 {
		t.Fatalf("perPage=all = %v", entryIDs(m))
	}
	if m := a.must(a.do("GET", entries+"?page=9", a.grace, nil), 200, "past the end"); len(entryIDs(m)) != 0 {
		t.Fatalf("page past the end = %v", entryIDs(m))
	}
	for _, tc := range []struct{ q, param string }{
		{"?type=Nobody", "type"}, {"?typeGroup=Bots", "typeGroup"}, {"?page=0", "page"}, {"?perPage=-1", "perPage"},
		{"?perPage=lots", "perPage"}, {"?showFederated=maybe", "showFederated"},
	} {
		a.wantError(a.do("GET", entries+tc.q, a.grace, nil), 400, "ADG-121", tc.param, tc.q)
	}
	a.wantError(a.do("GET", entries+"/999999999", a.grace, nil), 404, "ADG-122", "", "unknown entry")
	a.wantError(a.do("GET", entries+"/abc", a.grace, nil), 404, "ADG-122", "", "malformed entry id")
	a.wantError(a.do("GET", "/restapi/v1.0/account/259048008/directory/entries", a.grace, nil), 404, "CMN-102", "accountId", "another account's directory")
}

func TestDirectoryETag(t *testing.T) {
	a := openAB(t)
	r := a.Do(rctest.Req{Path: entries, Token: a.grace})
	tag := r.Header.Get("ETag")
	if r.Status != 200 || tag == "" {
		t.Fatalf("first read: %d, ETag %q", r.Status, tag)
	}
	r = a.Do(rctest.Req{Path: entries, Token: a.grace, Header: http.Header{"If-None-Match": {tag}}})
	if r.Status != 304 || len(r.Body) != 0 {
		t.Fatalf("unchanged directory: %d %s", r.Status, r.Body)
	}
	// An extension update shows in the directory at once, and changes its ETag.
	a.must(a.do("PUT", "/restapi/v1.0/account/~/extension/~", a.grace, map[string]any{
		"contact": map[string]any{"firstName": "Amazing", "jobTitle": "Rear Admiral", "department": "Navy"}}), 200, "update extension")
	r = a.Do(rctest.Req{Path: entries, Token: a.grace, Header: http.Header{"If-None-Match": {tag}}})
	if r.Status != 200 || r.Header.Get("ETag") == tag {
		t.Fatalf("changed directory: %d, ETag %q (was %q)", r.Status, r.Header.Get("ETag"), tag)
	}
	e := a.must(a.do("GET", entries+"/171858008", a.grace, nil), 200, "entry")
	if e["firstName"] != "Amazing" || e["lastName"] != "Hopper" || e["jobTitle"] != "Rear Admiral" || e["department"] != "Navy" {
		t.Fatalf("entry after update = %v", e)
	}
	got := entryIDs(a.must(a.do("POST", entries+"/search", a.grace, map[string]any{"searchString": "amaz", "searchFields": []string{"firstName"}}), 200, "search"))
	if strings.Join(got, ",") != "171858008" {
		t.Fatalf("search for the new name = %v", got)
	}
}

func TestDirectorySearch(t *testing.T) {
	a := openAB(t)
	search := func(body map[string]any) []string {
		t.Helper()
		return entryIDs(a.must(a.do("POST", entries+"/search", a.grace, body), 200, fmt.Sprint("search ", body)))
	}
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"searchString": "grace hopper"}, "171858008"},
		{map[string]any{"searchString": "LOVELACE"}, "171857008"},
		{map[string]any{"searchString": "555-0103"}, "171859008"},
		{map[string]any{"searchString": "example.org"}, "271857008,271858008"},
		{map[string]any{"searchString": "example.org", "showFederated": false}, ""},
		{map[string]any{"searchString": "10", "searchFields": []string{"extensionNumber"}, "showFederated": false}, "171857008,171858008,171859008"},
		{map[string]any{"searchString": "ada", "searchFields": []string{"lastName"}}, ""},
		{map[string]any{"extensionType": "Department"}, "171860008"},
		{map[string]any{"extensionTypes": []string{"Department"}}, "171860008"},
		{map[string]any{"accountIds": []string{"259048008"}}, "271857008,271858008"},
		{map[string]any{"extensionIds": []string{"171859008", "271858008"}}, "171859008,271858008"},
		{map[string]any{"extensionStatuses": []string{"Disabled"}}, ""},
		{map[string]any{"showFederated": false, "orderBy": []map[string]any{{"fieldName": "lastName", "direction": "Desc"}}, "extensionType": "User"},
			"171859008,171857008,171858008"},
		{map[string]any{"showFederated": false, "orderBy": []map[string]any{{"fieldName": "firstName"}}, "page": 2, "perPage": 2}, "171858008,171860008"},
	} {
		if got := strings.Join(search(tc.body), ","); got != tc.want {
			t.Errorf("search %v = %s, want %s", tc.body, got, tc.want)
		}
	}
	for _, tc := range []struct {
		body  any
		raw   string
		code  string
		param string
	}{
		{map[string]any{"searchFields": []string{"shoeSize"}}, "", "ADG-121", "searchFields"},
		{map[string]any{"extensionType": "Robot"}, "", "ADG-121", "extensionType"},
		{map[string]any{"orderBy": []map[string]any{{"fieldName": "age"}}}, "", "ADG-121", "orderBy.fieldName"},
		{map[string]any{"orderBy": []map[string]any{{"fieldName": "email", "direction": "Up"}}}, "", "ADG-121", "orderBy.direction"},
		{map[string]any{"page": 0}, "", "ADG-121", "page"},
		{map[string]any{"accountIds": []string{"x"}}, "", "ADG-121", "accountIds"},
		{map[string]any{"searchString": 5}, "", "ADG-121", "searchString"},
		{nil, `{"searchString": `, "ADG-112", ""},
	} {
		r := a.Do(rctest.Req{Method: "POST", Path: entries + "/search", Token: a.grace, JSON: tc.body, Raw: tc.raw,
			Header: http.Header{"Content-Type": {"application/json"}}})
		a.wantError(r, 400, tc.code, tc.param, fmt.Sprint(tc.body, tc.raw))
	}
}
