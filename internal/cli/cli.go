// Package cli is rcemu's command line: `rcemu [serve]` runs the emulator, `rcemu creds` prints
// the credentials of a database, `rcemu version` prints the version.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/credentials"
)

const usage = `rcemu — a local emulator of the RingCentral REST API

Usage:
  rcemu [serve] [flags]   run the emulator (flags: rcemu serve -h)
  rcemu creds [flags]     print the credentials held in a database (flags: rcemu creds -h)
  rcemu version           print the version
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
	case "version":
		fmt.Fprintln(stdout, "rcemu", app.Version)
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
	<-ctx.Done()
	log.Info("shutting down")
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Close(shut)
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
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	return c.WriteEnv(stdout)
}
