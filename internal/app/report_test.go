package app_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/report"
)

// TestGraduationReport: an app that logs in again and again, polls the message store, runs
// into the Heavy limit and retries at once, and sends a malformed User-Agent fails or warns on
// each of those rules; a well-behaved app with exactly the permissions it uses passes them all
// until it calls an operation it lacks the permission for.
func TestGraduationReport(t *testing.T) {
	path := rctest.SpecPath()
	if path == "" {
		t.Skip("the spec has not been fetched")
	}
	file := readOnlyAppSeed(t)
	a := rctest.MustOpenApp(t, rctest.WithSpec(path), rctest.WithSeed(file))
	a.Clock.Set(a.Clock.Now(), true)
	ext := "/restapi/v1.0/account/~/extension/~"

	var tok string
	for range 6 {
		tok = a.Login(a.User(0, "101")).AccessToken
	}
	for range 25 {
		a.Do(rctest.Req{Path: ext + "/message-store", Token: tok})
	}
	a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/rate-limits", JSON: map[string]any{"mode": "enforce"}})
	for range 12 {
		a.Do(rctest.Req{Path: ext + "/call-log", Token: tok})
	}
	a.Do(rctest.Req{Path: ext, Token: tok, Header: map[string][]string{"User-Agent": {"my app"}}})

	res := a.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/token", Basic: [2]string{"readOnlyClientId000001", "readOnlyClientSecret00000000000000000001"},
		Form: url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a.User(0, "102").JWT}}})
	var ro rctest.Token
	res.JSON(t, &ro)
	a.Clock.Advance(2 * time.Minute)
	for range 3 {
		if r := a.Do(rctest.Req{Path: ext, Token: ro.AccessToken}); r.Status != 200 {
			t.Fatalf("read-only app: %d %s", r.Status, r.Body)
		}
	}

	get := func() map[string]map[string]report.Check {
		r := a.Do(rctest.Req{Path: "/_rcemu/report"})
		if r.Status != 200 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		var rep report.Report
		if err := json.Unmarshal(r.Body, &rep); err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]report.Check{}
		for _, app := range rep.Apps {
			out[app.ClientID] = map[string]report.Check{}
			for _, c := range app.Checks {
				out[app.ClientID][c.Rule] = c
			}
		}
		return out
	}
	rep := get()
	bad := rep[a.Creds.ClientID]
	for rule, want := range map[string]string{"logins": report.Warn, "polling": report.Warn, "rate-limits": report.Fail,
		"retry-after": report.Fail, "user-agent": report.Fail, "permissions": report.Warn, "errors": report.Pass} {
		if bad[rule].Result != want {
			t.Errorf("default app %s = %s (%s), want %s", rule, bad[rule].Result, bad[rule].Reason, want)
		}
	}
	if !strings.Contains(bad["polling"].Reason, "listMessages") || !strings.Contains(bad["rate-limits"].Reason, "Heavy") {
		t.Errorf("reasons: %q, %q", bad["polling"].Reason, bad["rate-limits"].Reason)
	}
	good := rep["readOnlyClientId000001"]
	for rule, c := range good {
		if c.Result != report.Pass {
			t.Errorf("read-only app %s = %s (%s)", rule, c.Result, c.Reason)
		}
	}
	a.Do(rctest.Req{Method: "POST", Path: ext + "/sms", Token: ro.AccessToken, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550102"}, "to": []any{map[string]any{"phoneNumber": "+16505550101"}}, "text": "x"}})
	if c := get()["readOnlyClientId000001"]["permissions"]; c.Result != report.Fail || !strings.Contains(c.Reason, "SMS") {
		t.Errorf("after a refused SMS: %+v", c)
	}

	md := a.Do(rctest.Req{Path: "/_rcemu/report?format=markdown"})
	if md.Status != 200 || !strings.HasPrefix(md.Header.Get("Content-Type"), "text/markdown") ||
		!strings.Contains(string(md.Body), "## read-only app (readOnlyClientId000001): FAIL") || !strings.Contains(string(md.Body), "| retry-after | fail |") {
		t.Fatalf("markdown: %d %s", md.Status, md.Body)
	}
}
