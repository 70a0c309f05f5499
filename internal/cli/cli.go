// Package cli is rcemu's command line: `rcemu [serve]` runs the emulator, `rcemu creds` prints
// the credentials of a database, `rcemu spec coverage` lists the operations of the spec and who
// serves them, `rcemu spec fetch` fetches the spec, `rcemu version` prints the version.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/specfetch"
	"github.com/rcemu/rcemu/internal/specmock"
)

const usage = `rcemu — a local emulator of the RingCentral REST API

Usage:
  rcemu [serve] [flags]   run the emulator (flags: rcemu serve -h)
  rcemu creds [flags]     print the credentials held in a database (flags: rcemu creds -h)
  rcemu spec coverage     list every operation of the spec with its tier, throttling group and
                          permissions (flags: rcemu spec coverage -h)
  rcemu spec fetch        fetch RingCentral's OpenAPI spec from the npm registry into the user
                          cache and print where it is (flags: rcemu spec fetch -h)
  rcemu report [flags]    print the graduation report of a running rcemu (flags: rcemu report -h)
  rcemu record [flags]    a recording proxy in front of a RingCentral server (flags: rcemu record -h)
  rcemu parity DIR        replay a recording against a fresh rcemu and report the differences
                          (flags: rcemu parity -h)
  rcemu health            exit 0 when the rcemu at --server-url answers /_rcemu/health, else 1
  rcemu version           print the version, the commit and the spec's version
`

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (len(args[0]) == 0 || args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, getenv, stdout, stderr)
	case "creds":
		err = creds(ctx, args, getenv, stdout, stderr)
	case "spec":
		err = specCmd(ctx, args, getenv, stdout, stderr)
	case "report":
		err = reportCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		err = versionCmd(args, getenv, stdout, stderr)
	case "health":
		err = healthCmd(ctx, args, getenv, stdout, stderr)
	case "record":
		err = recordCmd(ctx, args, getenv, stdout, stderr)
	case "parity":
		err = parityCmd(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprint(stderr, usage)
		fmt.Fprintf(stderr, "\nrcemu: unknown command %q\n", cmd)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "rcemu:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Serve(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	a := app.New(cfg, log)
	if err := a.Open(ctx); err != nil {
		return err
	}
	a.Serve()
	if addr := getenv("RCEMU_PPROF"); addr != "" {
		servePprof(addr, log)
	}
	c, err := a.Credentials(ctx, a.URL())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rcemu %s listening on %s (database %s)\n", app.Version, a.URL(), cfg.DB)
	fmt.Fprintln(stdout, "# paste into your .env:")
	_ = c.WriteEnv(stdout)
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	var failed error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case failed = <-a.Failed():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Close(shut); failed == nil {
		return err
	}
	return failed
}

func creds(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.ParseCreds(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, _, err := app.OpenStore(ctx, cfg.DB, cfg.Seed, log, time.Now())
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := credentials.Collect(ctx, db, cfg.ServerURL)
	if err != nil {
		return err
	}
	if cfg.Format == "json" {
		return writeJSON(stdout, c)
	}
	return c.WriteEnv(stdout)
}

func specCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && args[0] == "coverage":
		return specCoverage(ctx, args[1:], getenv, stdout, stderr)
	case len(args) > 0 && args[0] == "fetch":
		return specFetch(ctx, args[1:], getenv, stdout, stderr)
	}
	return errors.New("usage: rcemu spec coverage [--spec PATH] [--format text|json], or rcemu spec fetch [--force] [--dir DIR]")
}

// specFetch fetches the spec into the user cache (or --dir) unless it is there already, and
// prints where it is; `make spec` uses it to fill .cache/spec.
func specFetch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rcemu spec fetch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config.Config
	fs.StringVar(&cfg.SpecCache, "spec-cache", getenv("RCEMU_SPEC_CACHE"), `the spec goes into its spec/ directory; default: rcemu in the user's cache directory (RCEMU_SPEC_CACHE)`)
	dir := fs.String("dir", "", "write the spec into this directory instead (e.g. .cache/spec)")
	force := fs.Bool("force", false, "download again even if a copy with the recorded SHA-256 is there")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.NPMRegistry = specfetch.Registry(getenv)
	f := app.SpecFetcher(cfg, stderr)
	if *dir != "" {
		f.Dir = *dir
	}
	get := f.Ensure
	if *force {
		get = f.Fetch
	}
	path, err := get(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}

func specCoverage(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rcemu spec coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config.Config
	config.SpecFlags(fs, &cfg, getenv)
	format := fs.String("format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.CheckSpec(); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format: %q is not text or json", *format)
	}
	m, err := app.SpecCoverage(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	type row struct {
		Method          string `json:"method"`
		Path            string `json:"path"`
		OperationID     string `json:"operationId"`
		Tier            string `json:"tier"`
		Role            string `json:"role,omitempty"`
		ThrottlingGroup string `json:"throttlingGroup,omitempty"`
		AppPermission   string `json:"appPermission,omitempty"`
		UserPermission  string `json:"userPermission,omitempty"`
	}
	rows := make([]row, 0, len(m.Coverage))
	for _, c := range m.Coverage {
		rows = append(rows, row{Method: c.Op.Method, Path: c.Op.Path, OperationID: c.Op.ID, Tier: tierName(c.Tier), Role: c.Role,
			ThrottlingGroup: c.Op.ThrottlingGroup, AppPermission: c.Op.AppPermission, UserPermission: c.Op.UserPermission})
	}
	if *format == "json" {
		return writeJSON(stdout, struct {
			Operations  int   `json:"operations"`
			HandWritten int   `json:"handWritten"`
			Generic     int   `json:"statefulGeneric"`
			Generated   int   `json:"generated"`
			Coverage    []row `json:"coverage"`
		}{len(rows), m.Stateful, m.Generic, m.Served - m.Generic, rows})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tMETHOD\tPATH\tOPERATION\tTHROTTLING\tAPP PERMISSION\tUSER PERMISSION")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Tier, r.Method, r.Path, r.OperationID,
			dash(r.ThrottlingGroup), dash(r.AppPermission), dash(r.UserPermission))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d operations: %d hand-written, %d stateful-generic, %d generated\n", len(rows), m.Stateful,
		m.Generic, m.Served-m.Generic)
	return nil
}

// tierName is how coverage names a tier: who serves the operation and whether it keeps state.
func tierName(t string) string {
	switch t {
	case specmock.TierStateful:
		return "hand-written"
	case specmock.TierGeneric:
		return "stateful-generic"
	}
	return "generated"
}

// writeJSON prints v indented, for people as much as for scripts.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
