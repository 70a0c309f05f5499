package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/spec"
	"github.com/rcemu/rcemu/internal/specfetch"
)

// Commit is the commit rcemu was built from, set by the release build with
// -ldflags "-X github.com/rcemu/rcemu/internal/cli.Commit=…"; otherwise it comes from the build
// information the go command records (vcs.revision), which `go install …@version` leaves out.
var Commit = ""

func commit() string {
	if Commit != "" {
		return Commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v // a module version from go install names its commit
		}
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// versionCmd prints rcemu's version and commit, the pinned spec package, and the version of the
// spec a start would load, when there is a copy (nothing is fetched).
func versionCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rcemu version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rcemu %s (commit %s)\n", app.Version, commit())
	line := fmt.Sprintf("spec %s@%s", specfetch.Package, specfetch.Version)
	path, _ := spec.DefaultPath()
	if path == "" {
		if p, ok := app.SpecFetcher(config.Config{SpecCache: getenv("RCEMU_SPEC_CACHE")}, io.Discard).Cached(); ok {
			path = p
		}
	}
	if path != "" {
		if doc, _, err := spec.Load(path, spec.LoadOptions{CacheDir: getenv("RCEMU_SPEC_CACHE")}); err == nil {
			line += fmt.Sprintf(", %s %s (%d operations)", strings.TrimSpace(doc.Title), doc.Version, len(doc.Operations))
		}
	} else {
		line += ", not fetched yet"
	}
	fmt.Fprintln(stdout, line)
	return nil
}

// healthCmd asks a running rcemu for /_rcemu/health: the container image's HEALTHCHECK, which
// has no curl in a scratch image. The default address follows RCEMU_ADDR, as the server does.
func healthCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rcemu health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := "http://127.0.0.1:8080"
	if addr := getenv("RCEMU_ADDR"); addr != "" {
		if host, port, err := net.SplitHostPort(addr); err == nil {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			def = "http://" + net.JoinHostPort(host, port)
		}
	}
	server := fs.String("server-url", def, "the rcemu to check (default from RCEMU_ADDR)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(*server, "/")+"/_rcemu/health", nil)
	if err != nil {
		return fmt.Errorf("--server-url: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer res.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&body) != nil || body.Status != "ok" {
		return fmt.Errorf("unhealthy: %s answered %d", *server, res.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
