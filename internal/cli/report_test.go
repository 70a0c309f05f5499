package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/cli"
	"github.com/rcemu/rcemu/internal/rctest"
)

func TestReportCommand(t *testing.T) {
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: tok, Header: map[string][]string{"User-Agent": {"no version"}}})
	env := func(k string) string {
		if k == "RC_SERVER_URL" {
			return a.URL
		}
		return ""
	}
	var out, errOut bytes.Buffer
	if code := cli.Run(context.Background(), []string{"report"}, env, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "# rcemu graduation report") || !strings.Contains(out.String(), "| user-agent | fail |") {
		t.Fatalf("report:\n%s", out.String())
	}
	out.Reset()
	if code := cli.Run(context.Background(), []string{"report", "--format", "json", "--check"}, env, &out, &errOut); code != 1 ||
		!strings.Contains(out.String(), `"result":"fail"`) {
		t.Fatalf("--check: exit %d: %s", code, out.String())
	}
	if code := cli.Run(context.Background(), []string{"report", "--server-url", "http://127.0.0.1:1"}, env, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "no rcemu at http://127.0.0.1:1") {
		t.Fatalf("no server: exit %d: %s", code, errOut.String())
	}
}
