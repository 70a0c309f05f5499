package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps the layering honest: the conventions layer apart from resource handlers, both
// apart from storage, and the vocabulary free of everything.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "github.com/rcemu/rcemu/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const mod = "github.com/rcemu/rcemu/internal/"
	rules := map[string][]string{
		"rc":               {mod, "database/sql", "net/http"},
		"clock":            {mod},
		"restapi":          {mod + "api", mod + "directory", mod + "store", mod + "oauth", mod + "app", "database/sql"},
		"restapi/query":    {mod + "api", mod + "store", mod + "restapi/paging", "database/sql", "net/http"},
		"restapi/paging":   {mod + "api", mod + "store", "database/sql", "net/http"},
		"restapi/apierror": {mod + "api", mod + "store", "database/sql"},
		"store":            {mod + "restapi", mod + "api", "database/sql", "net/http"},
		"store/sqlstore":   {mod + "restapi", mod + "api", mod + "oauth", mod + "directory", "net/http"},
		"directory":        {mod + "restapi", mod + "api", mod + "store/sqlstore", "database/sql", "net/http"},
		"api":              {mod + "store/sqlstore", mod + "app", "database/sql"},
		"oauth":            {mod + "store/sqlstore", mod + "api", mod + "app", "database/sql"},
		"control":          {mod + "store/sqlstore", mod + "app", "database/sql"},
		"console":          {mod + "store/sqlstore", mod + "app", "database/sql"},
		"seed":             {mod + "restapi", mod + "api", mod + "store/sqlstore", "net/http", "database/sql"},
		"credentials":      {mod + "restapi", mod + "store/sqlstore", "net/http", "database/sql"},
		"reqlog":           {mod + "store", mod + "api", "database/sql"},
		"hookhttp":         {mod, "net/http"}, // it exists to do without net/http
		"voice":            {mod + "restapi", mod + "api", mod + "store/sqlstore", "net/http", "database/sql"},
		"teammessaging":    {mod + "restapi", mod + "api", mod + "store/sqlstore", mod + "notify", "net/http", "database/sql"},
		"audio":            {mod, "net/http"},
		"addressbook":      {mod + "restapi", mod + "api", mod + "store/sqlstore", "net/http", "database/sql"},
		"companydir":       {mod + "restapi", mod + "api", mod + "store/sqlstore", "net/http", "database/sql"},
		"specfetch":        {mod + "restapi", mod + "api", mod + "store", "database/sql"},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		name := strings.TrimPrefix(pkg, mod)
		forbidden, ok := rules[name]
		if !ok {
			continue
		}
		checked++
		for _, imp := range strings.Fields(imports) {
			for _, f := range forbidden {
				if imp == f || strings.HasPrefix(imp, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) {
					t.Errorf("%s imports %s, which its layer must not", name, imp)
				}
			}
		}
	}
	if checked < len(rules)-1 {
		t.Fatalf("checked %d packages, expected %d: is the module path right?", checked, len(rules))
	}
}
