package app_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/seed"
)

// readOnlyAppSeed writes the default seed with one more app, readOnlyClientId000001, which lists
// only ReadAccounts; it comes after the default app, which stays the credentials' first.
func readOnlyAppSeed(t *testing.T) string {
	t.Helper()
	doc := strings.Replace(string(seed.Default()), "  - clientId: rcemuPublicClientId001\n", `  - clientId: readOnlyClientId000001
    clientSecret: readOnlyClientSecret00000000000000000001
    name: read-only app
    grants: ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    permissions: [ReadAccounts]
  - clientId: rcemuPublicClientId001
`, 1)
	file := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestAppPermissions: an app seeded with only ReadAccounts reads the account and the extension
// but is refused SMS with 403 InsufficientPermissions / CMN-401 naming SendSMS's permission, and
// nothing is sent; the default app, which lists none, may call everything.
func TestAppPermissions(t *testing.T) {
	path := rctest.SpecPath()
	if path == "" {
		t.Skip("the spec has not been fetched")
	}
	// After the default app, which stays the credentials' first.
	file := readOnlyAppSeed(t)
	a := rctest.MustOpenApp(t, rctest.WithSpec(path), rctest.WithSeed(file))
	res := a.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/token", Basic: [2]string{"readOnlyClientId000001", "readOnlyClientSecret00000000000000000001"},
		Form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a.User(0, "101").JWT}}})
	if res.Status != 200 {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var tok rctest.Token
	res.JSON(t, &tok)
	ro := tok.AccessToken
	for _, p := range []string{"/restapi/v1.0/account/~", "/restapi/v1.0/account/~/extension/~"} {
		if r := a.Do(rctest.Req{Path: p, Token: ro}); r.Status != 200 {
			t.Fatalf("%s with ReadAccounts: %d %s", p, r.Status, r.Body)
		}
	}
	ext := "/restapi/v1.0/account/~/extension/~"
	count := func(tok string) int {
		r := a.Do(rctest.Req{Path: ext + "/message-store?messageType=SMS&perPage=1000", Token: tok})
		if r.Status != 200 {
			t.Fatalf("message store: %d %s", r.Status, r.Body)
		}
		return strings.Count(string(r.Body), `"messageType":"SMS"`)
	}
	full := a.Login(a.User(0, "101")).AccessToken
	before := count(full)
	sms := map[string]any{"from": map[string]any{"phoneNumber": "+16505550101"}, "to": []any{map[string]any{"phoneNumber": "+16505550102"}}, "text": "hi"}
	r := a.Do(rctest.Req{Method: "POST", Path: ext + "/sms", Token: ro, JSON: sms})
	if r.Status != 403 || !strings.HasPrefix(string(r.Body), `{"errorCode":"InsufficientPermissions"`) || !strings.Contains(string(r.Body), `"errorCode":"CMN-401"`) ||
		!strings.Contains(string(r.Body), `"permissionName":"SMS"`) {
		t.Fatalf("SMS without the permission: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: ext + "/message-store", Token: ro}); r.Status != 403 || !strings.Contains(string(r.Body), `"permissionName":"ReadMessages"`) {
		t.Fatalf("message store without ReadMessages: %d %s", r.Status, r.Body)
	}
	if n := count(full); n != before {
		t.Fatalf("a refused SMS was stored: %d → %d", before, n)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: ext + "/sms", Token: full, JSON: sms}); r.Status != 200 {
		t.Fatalf("the default app's SMS: %d %s", r.Status, r.Body)
	}
}
