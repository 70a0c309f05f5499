package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// reportCmd prints the graduation report of a running rcemu (GET /_rcemu/report): the report
// is of the traffic that server saw, so it asks the server rather than reading a database.
func reportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rcemu report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server-url", envOr(getenv, "RC_SERVER_URL", "http://127.0.0.1:8080"), "the running rcemu (RC_SERVER_URL)")
	format := fs.String("format", "markdown", "markdown or json")
	check := fs.Bool("check", false, "exit with status 1 when an app fails a rule")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *format != "markdown" && *format != "json" {
		return fmt.Errorf("--format: %q is not markdown or json", *format)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(*server, "/")+"/_rcemu/report?format="+*format, nil)
	if err != nil {
		return fmt.Errorf("--server-url: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no rcemu at %s: %w", *server, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("%s answered %d: %.200s", *server, res.StatusCode, body)
	}
	if _, err := stdout.Write(body); err != nil {
		return err
	}
	if *check && failed(body, *format) {
		return fmt.Errorf("an app fails the report")
	}
	return nil
}

// failed says the report has an app that fails a rule.
func failed(body []byte, format string) bool {
	if format == "json" {
		return strings.Contains(string(body), `"result":"fail"`)
	}
	return strings.Contains(string(body), ": FAIL\n")
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
