package cli

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/app"
)

// No Docker engine runs the tests, so the image's contract with the binary is checked here: the
// commands and environment it names exist, the ldflags it sets name real variables, it runs as
// a non-root user, and the module installs without replace directives.
func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	for _, want := range []string{`HEALTHCHECK`, `CMD ["/rcemu", "health"]`, `ENTRYPOINT ["/rcemu"]`, `CMD ["serve"]`,
		"CGO_ENABLED=0", "-trimpath", "FROM scratch", "EXPOSE 8080"} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile has no %q", want)
		}
	}
	if m := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(df); m == nil || strings.HasPrefix(m[1], "0") || m[1] == "root" {
		t.Errorf("the image must run as a non-root user: %v", m)
	}
	for _, x := range regexp.MustCompile(`-X (\S+)=`).FindAllStringSubmatch(df, -1) {
		switch x[1] {
		case "github.com/rcemu/rcemu/internal/app.Version", "github.com/rcemu/rcemu/internal/cli.Commit":
		default:
			t.Errorf("ldflags set %s, which is not a version variable", x[1])
		}
	}
	_, _ = app.Version, Commit // the variables the ldflags set; a rename breaks this build
	var out, errOut bytes.Buffer
	Run(context.Background(), []string{"serve", "-h"}, env(), &out, &errOut)
	for _, v := range regexp.MustCompile(`(RCEMU_[A-Z_]+)=`).FindAllStringSubmatch(df, -1) {
		if !strings.Contains(errOut.String(), "("+v[1]+")") {
			t.Errorf("the Dockerfile sets %s, which rcemu serve does not read", v[1])
		}
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^\s*replace\b`).Match(mod) {
		t.Error("go.mod has a replace directive: go install …@latest would refuse the module")
	}
}
