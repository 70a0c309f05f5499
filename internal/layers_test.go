package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/rcemu/rcemu/internal/"

// rule forbids the packages matching pkg ("directory", or "restapi/..." for a subtree) to depend,
// directly or through others, on any of forbid (a package forbids its subtree too).
type rule struct {
	pkg    string
	forbid []string
}

var (
	domain = []string{"directory", "messaging", "voice", "addressbook", "companydir", "teammessaging", "notify",
		"presence", "resources", "events"}
	handlers = []string{mod + "api", mod + "oauth", mod + "control", mod + "wsg", mod + "specmock", mod + "app", mod + "cli"}
)

func internals(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = mod + n
	}
	return out
}

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func rules() []rule {
	rs := []rule{
		{"rc", []string{mod, "database/sql", "net/http"}},
		{"clock", []string{mod + "store", mod + "restapi", "net/http"}},
		{"pathtree", []string{mod, "net/http"}},
		{"ring", []string{mod}},
		{"audio", []string{mod, "net/http"}},
		{"hookhttp", []string{mod, "net/http"}}, // it exists to do without net/http
		// The conventions layer knows neither handlers, domains nor storage.
		{"restapi/...", join(handlers, internals(domain...), internals("store", "spec"), []string{"database/sql"})},
		{"restapi/query", []string{"net/http"}},
		{"restapi/paging", []string{"net/http"}},
		// Storage contracts know no domain, and nothing above them.
		{"store", join(handlers, internals(domain...), internals("restapi", "store/sqlstore"), []string{"database/sql", "net/http"})},
		{"store/sqlstore", join(handlers, internals("restapi", "directory", "messaging", "notify", "presence"), []string{"net/http"})},
		{"spec", join(handlers, internals(domain...), internals("restapi", "store"), []string{"database/sql"})},
		{"specmock", join(internals("api", "app", "control", "oauth", "store/sqlstore", "directory", "messaging", "notify", "voice"), []string{"database/sql"})},
		{"seed", join(handlers, internals("restapi", "store/sqlstore"), []string{"net/http", "database/sql"})},
		{"credentials", join(handlers, internals("restapi", "store/sqlstore"), []string{"net/http", "database/sql"})},
		{"reqlog", join(handlers, internals("store"), []string{"database/sql"})},
		{"report", join(handlers, internals("store"), []string{"database/sql"})},
		{"specfetch", join(handlers, internals("restapi", "store"), []string{"database/sql"})},
		{"api", join(internals("store/sqlstore", "app", "control", "specmock"), []string{"database/sql"})},
		{"oauth", join(internals("store/sqlstore", "api", "app", "control"), []string{"database/sql"})},
		{"control", join(internals("store/sqlstore", "api", "app"), []string{"database/sql"})},
		{"wsg", join(internals("store/sqlstore", "api", "app", "control"), []string{"database/sql"})},
		// The console reads through services and the control plane, never SQL.
		{"console", join(internals("store/sqlstore", "api", "app", "control"), []string{"database/sql"})},
	}
	for _, d := range domain {
		rs = append(rs, rule{d, join(handlers, internals("restapi", "store/sqlstore"), []string{"database/sql", "net/http"})})
	}
	return rs
}

// TestLayers checks every rule over the packages' transitive dependencies.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Deps " "}}`, "github.com/rcemu/rcemu/...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, ds, _ := strings.Cut(line, ":")
		deps[pkg] = strings.Fields(ds)
	}
	for _, v := range check(deps, rules()) {
		t.Error(v)
	}
}

// check returns one line per dependency a rule forbids, and one per rule matching no package.
func check(deps map[string][]string, rs []rule) []string {
	var bad []string
	for _, r := range rs {
		matched := 0
		for pkg, ds := range deps {
			if !matches(pkg, r.pkg) {
				continue
			}
			matched++
			for _, d := range ds {
				for _, f := range r.forbid {
					if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") {
						bad = append(bad, strings.TrimPrefix(pkg, mod)+" depends on "+d+", which its layer must not")
					}
				}
			}
		}
		if matched == 0 {
			bad = append(bad, "rule "+r.pkg+" matches no package: renamed or moved?")
		}
	}
	return bad
}

func matches(pkg, pattern string) bool {
	if sub, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == mod+sub || strings.HasPrefix(pkg, mod+sub+"/")
	}
	return pkg == mod+pattern
}

// TestLayersCheck proves the checker fails: a forbidden dependency through another package, a
// subtree pattern, and a rule that matches nothing.
func TestLayersCheck(t *testing.T) {
	deps := map[string][]string{
		mod + "directory":     {mod + "rc", mod + "events", "net/http"}, // net/http via events, say
		mod + "restapi/query": {mod + "rc", mod + "store/sqlstore"},
		mod + "rc":            {"strings"},
	}
	got := check(deps, []rule{
		{"directory", []string{"net/http"}},
		{"restapi/...", []string{mod + "store"}},
		{"rc", []string{mod}},
		{"gone", []string{"net/http"}},
	})
	want := []string{
		"directory depends on net/http, which its layer must not",
		"restapi/query depends on " + mod + "store/sqlstore, which its layer must not",
		"rule gone matches no package: renamed or moved?",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
