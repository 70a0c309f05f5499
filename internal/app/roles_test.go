package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/seed"
)

// auditorSeed is the default seed with a custom Auditor role (reads only) held by 103.
func auditorSeed(t *testing.T) string {
	t.Helper()
	doc := string(seed.Default())
	doc = strings.Replace(doc, "    extensions:\n", `    roles:
      - {id: auditor, name: Auditor, permissions: [ReadExtensions, ReadUserInfo, ReadCallLog, ReadMessages, ReadCompanyInfo]}
    extensions:
`, 1)
	doc = strings.Replace(doc, "        password: rcemu-password-103\n", "        password: rcemu-password-103\n        role: Auditor\n", 1)
	file := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func wantRefusal(t *testing.T, r *rctest.Response, code, perm string) {
	t.Helper()
	body := string(r.Body)
	if r.Status != 403 || !strings.Contains(body, `"errorCode":"`+code+`"`) || (perm != "" && !strings.Contains(body, `"permissionName":"`+perm+`"`)) {
		t.Fatalf("want 403 %s %s, got %d %s", code, perm, r.Status, body)
	}
}

// TestUserRoles: every operation's x-user-permission is checked against the caller's role. The
// standard role lacks company administration (CMN-408, CMN-402 for AccountAdministration), a
// custom role grants exactly what it lists, assigning a role takes effect on the next call with
// the same token, and a refused call changes nothing.
func TestUserRoles(t *testing.T) {
	path := rctest.SpecPath()
	if path == "" {
		t.Skip("the spec has not been fetched")
	}
	a := rctest.MustOpenApp(t, rctest.WithSpec(path), rctest.WithSeed(auditorSeed(t)))
	admin := a.Login(a.User(0, "101")).AccessToken
	std := a.Login(a.User(0, "102")).AccessToken
	aud := a.Login(a.User(0, "103")).AccessToken
	acc := "/restapi/v1.0/account/~"
	ext := acc + "/extension/~"

	// Company numbers and the company call log are the administrators'.
	wantRefusal(t, a.Do(rctest.Req{Path: acc + "/phone-number", Token: std}), "CMN-408", "ReadCompanyPhoneNumbers")
	wantRefusal(t, a.Do(rctest.Req{Path: acc + "/call-log", Token: std}), "CMN-408", "FullCompanyCallLog")
	// A spec-served operation is checked the same way.
	wantRefusal(t, a.Do(rctest.Req{Path: acc + "/message-store-configuration", Token: std}), "CMN-402", "")
	for _, p := range []string{acc + "/phone-number", acc + "/call-log", acc + "/message-store-configuration"} {
		if r := a.Do(rctest.Req{Path: p, Token: admin}); r.Status != 200 {
			t.Fatalf("admin %s: %d %s", p, r.Status, r.Body)
		}
	}
	// The standard role sends SMS; the auditor reads but may not.
	sms := map[string]any{"from": map[string]any{"phoneNumber": "+16505550103"}, "to": []any{map[string]any{"phoneNumber": "+16505550102"}}, "text": "hi"}
	count := func() int {
		r := a.Do(rctest.Req{Path: ext + "/message-store?messageType=SMS&perPage=1000", Token: aud})
		if r.Status != 200 {
			t.Fatalf("auditor's message store: %d %s", r.Status, r.Body)
		}
		return strings.Count(string(r.Body), `"messageType":"SMS"`)
	}
	before := count()
	wantRefusal(t, a.Do(rctest.Req{Method: "POST", Path: ext + "/sms", Token: aud, JSON: sms}), "CMN-408", "OutboundSMS")
	if n := count(); n != before {
		t.Fatalf("a refused SMS was stored: %d → %d", before, n)
	}
	for _, p := range []string{ext, ext + "/call-log", acc} {
		if r := a.Do(rctest.Req{Path: p, Token: aud}); r.Status != 200 {
			t.Fatalf("auditor %s: %d %s", p, r.Status, r.Body)
		}
	}
	wantRefusal(t, a.Do(rctest.Req{Path: ext + "/address-book/contact", Token: aud}), "CMN-408", "ReadPersonalContacts")

	// The authorization profile tells the same story.
	prof := a.Do(rctest.Req{Path: ext + "/authz-profile", Token: std})
	if prof.Status != 200 || !strings.Contains(string(prof.Body), `"id":"OutboundSMS"`) || strings.Contains(string(prof.Body), `"id":"FullCompanyCallLog"`) {
		t.Fatalf("standard profile: %d %s", prof.Status, prof.Body)
	}
	check := func(tok, perm string) bool {
		r := a.Do(rctest.Req{Path: ext + "/authz-profile/check?permissionId=" + perm, Token: tok})
		if r.Status != 200 {
			t.Fatalf("check %s: %d %s", perm, r.Status, r.Body)
		}
		var v struct{ Successful bool }
		r.JSON(t, &v)
		return v.Successful
	}
	if check(std, "FullCompanyCallLog") || !check(admin, "FullCompanyCallLog") || check(aud, "OutboundSMS") || !check(aud, "ReadCallLog") {
		t.Fatal("authz-profile/check disagrees with the roles")
	}
	if r := a.Do(rctest.Req{Path: ext + "/authz-profile/check?permissionId=NoSuchPermission", Token: std}); r.Status != 400 {
		t.Fatalf("unknown permission: %d %s", r.Status, r.Body)
	}

	// Roles are listed, and assigned by an administrator only.
	roles := a.Do(rctest.Req{Path: acc + "/user-role", Token: admin})
	if roles.Status != 200 || !strings.Contains(string(roles.Body), `"displayName":"Auditor"`) || !strings.Contains(string(roles.Body), `"displayName":"Super Admin"`) {
		t.Fatalf("roles: %d %s", roles.Status, roles.Body)
	}
	grace := acc + "/extension/171858008/assigned-role"
	wantRefusal(t, a.Do(rctest.Req{Method: "PUT", Path: ext + "/assigned-role", Token: std, JSON: map[string]any{"records": []any{map[string]any{"id": "1"}}}}), "CMN-408", "EditAssignedRoles")
	if r := a.Do(rctest.Req{Method: "PUT", Path: grace, Token: admin, JSON: map[string]any{"records": []any{map[string]any{"id": "nope"}}}}); r.Status != 400 {
		t.Fatalf("unknown role: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: grace, Token: admin}); r.Status != 200 || !strings.Contains(string(r.Body), `"id":"3"`) {
		t.Fatalf("Grace's role after a refused change: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: grace, Token: admin, JSON: map[string]any{"records": []any{map[string]any{"id": "1"}}}}); r.Status != 200 || !strings.Contains(string(r.Body), `"displayName":"Super Admin"`) {
		t.Fatalf("assign Super Admin: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: acc + "/phone-number", Token: std}); r.Status != 200 {
		t.Fatalf("the same token after promotion: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: acc + "/extension/171857008", Token: std}); r.Status != 200 {
		t.Fatalf("another extension after promotion: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: grace + "/default", Token: admin}); r.Status != 200 || !strings.Contains(string(r.Body), `"id":"3"`) {
		t.Fatalf("default role: %d %s", r.Status, r.Body)
	}
	wantRefusal(t, a.Do(rctest.Req{Path: acc + "/phone-number", Token: std}), "CMN-408", "ReadCompanyPhoneNumbers")
	wantRefusal(t, a.Do(rctest.Req{Path: acc + "/extension/171857008/call-log", Token: std}), "CMN-419", "")
}
