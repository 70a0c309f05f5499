package api_test

import (
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
)

// The extension's body is kept encoded between reads: a change of the extension, and another
// host in the request, must each give a new one.
func TestExtensionReadFollowsChangesAndHost(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	ext := "/restapi/v1.0/account/~/extension/~"
	first := a.Do(rctest.Req{Path: ext, Token: tok})
	if first.Status != 200 || first.Map(t)["contact"].(map[string]any)["firstName"] != "Ada" {
		t.Fatalf("first read: %d %s", first.Status, first.Body)
	}
	if again := a.Do(rctest.Req{Path: ext, Token: tok}); string(again.Body) != string(first.Body) {
		t.Fatalf("a second read differs:\n%s\n%s", first.Body, again.Body)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: ext, Token: tok, JSON: map[string]any{"contact": map[string]any{"firstName": "Augusta"}}}); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: ext, Token: tok}); r.Map(t)["contact"].(map[string]any)["firstName"] != "Augusta" {
		t.Fatalf("read after the update: %s", r.Body)
	}
	other := a.Do(rctest.Req{Path: ext, Token: tok, Header: map[string][]string{"X-Forwarded-Proto": {"https"}}})
	if !strings.Contains(other.Map(t)["uri"].(string), "https://") {
		t.Fatalf("another base URL kept the old uris: %s", other.Body)
	}
}
