package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/parity"
)

// recordCmd runs the recording proxy until interrupted.
func recordCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rcemu record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	upstream := fs.String("upstream", "", "the RingCentral server to record, e.g. https://platform.devtest.ringcentral.com")
	addr := fs.String("addr", "127.0.0.1:8090", "listen address of the proxy; point the app here")
	out := fs.String("out", "recording", "directory of the recording (exchanges.jsonl, appended to)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *upstream == "" {
		return errors.New("--upstream is required")
	}
	rec, err := parity.NewRecorder(*upstream, *out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		rec.Close()
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(stdout, "recording http://%s → %s into %s (tokens, passwords and personal data redacted)\n", ln.Addr(), *upstream, *out)
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(srv.Shutdown(shut), rec.Close())
}

// parityCmd replays a recording against a fresh emulator and prints the report.
func parityCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rcemu parity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config.Config
	config.SpecFlags(fs, &cfg, getenv)
	fs.StringVar(&cfg.Seed, "seed", "", "seed of the fresh emulator; default: the embedded seed")
	format := fs.String("format", "markdown", "markdown or json")
	minScore := fs.Float64("min-score", 0, "exit with status 1 below this score (for CI)")
	// Flags may follow the directory: rcemu parity DIR --format json.
	var dir string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dir, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if dir == "" && fs.NArg() > 0 {
		dir = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if dir == "" {
		return errors.New("usage: rcemu parity DIR [--format json|markdown] [--seed FILE] [--spec PATH] [--min-score N]")
	}
	if *format != "markdown" && *format != "json" {
		return fmt.Errorf("--format: %q is not markdown or json", *format)
	}
	if err := cfg.CheckSpec(); err != nil {
		return err
	}
	exs, err := parity.ReadRecording(dir)
	if err != nil {
		return err
	}
	target, stop, err := parity.Fresh(ctx, cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer stop()
	rep, err := parity.Replay(ctx, exs, target)
	if err != nil {
		return err
	}
	if *format == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteMarkdown(stdout)
	}
	if err == nil && rep.Score < *minScore {
		err = fmt.Errorf("parity score %.3f is below --min-score %.3f", rep.Score, *minScore)
	}
	return err
}
