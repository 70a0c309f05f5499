// Package config reads rcemu's settings from flags, each with an RCEMU_* environment twin; a
// flag given on the command line wins over its environment variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// DefaultDB is where `rcemu serve` keeps its state when neither --db nor RCEMU_DB says otherwise.
const DefaultDB = "rcemu.db"

// Config is everything `rcemu serve` needs.
type Config struct {
	Addr string // listen address
	DB   string // SQLite file, or ":memory:"
	Seed string // seed file for a new database; "" means the embedded default
	Spec string // RingCentral OpenAPI file for the spec-served operations; "" means the cached copy, if any
	// SpecCache is where compiled specs are kept, keyed by the spec's SHA-256; "" means the user's
	// cache directory, "off" none.
	SpecCache string
	// Strict makes spec-served operations refuse what they tolerate by default: unknown query
	// parameters and body fields, read-only body fields, a single-valued parameter sent twice.
	Strict   bool
	LogLevel slog.Level
	MaxBody  int64 // request body limit in bytes
	// StrictHTTPS requires https:// WebHook addresses, as the platform does.
	StrictHTTPS bool
}

// Serve parses the flags of `rcemu serve`.
func Serve(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("rcemu serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "RCEMU_ADDR", "127.0.0.1:8080"), "listen address (RCEMU_ADDR)")
	fs.StringVar(&c.DB, "db", envOr(getenv, "RCEMU_DB", DefaultDB), `SQLite database file, ":memory:" for a throwaway one (RCEMU_DB)`)
	fs.StringVar(&c.Seed, "seed", getenv("RCEMU_SEED"), "YAML or JSON seed for a new database; default: the embedded seed (RCEMU_SEED)")
	fs.StringVar(&c.Spec, "spec", getenv("RCEMU_SPEC"), "RingCentral OpenAPI spec (YAML or JSON) that serves every operation without a stateful handler; default: .cache/spec/rc-public-openapi.yml in the working directory or beside the binary, if there; \"off\": none (RCEMU_SPEC)")
	fs.StringVar(&c.SpecCache, "spec-cache", getenv("RCEMU_SPEC_CACHE"), `directory for compiled specs, "off" for none; default: rcemu in the user's cache directory (RCEMU_SPEC_CACHE)`)
	strictEnv, strictErr := strconv.ParseBool(envOr(getenv, "RCEMU_STRICT", "false"))
	fs.BoolVar(&c.Strict, "strict", strictEnv, "spec-served operations refuse unknown query parameters and body fields (RCEMU_STRICT)")
	fs.BoolVar(&c.StrictHTTPS, "strict-https", getenv("RCEMU_STRICT_HTTPS") == "true", "refuse plain http:// WebHook addresses, as the platform does (RCEMU_STRICT_HTTPS)")
	level := fs.String("log-level", envOr(getenv, "RCEMU_LOG_LEVEL", "info"), "debug, info, warn or error (RCEMU_LOG_LEVEL)")
	maxBody := fs.String("max-body", envOr(getenv, "RCEMU_MAX_BODY", "10485760"), "largest request body in bytes (RCEMU_MAX_BODY)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if strictErr != nil && !flagSet(fs, "strict") {
		return c, fmt.Errorf("RCEMU_STRICT: %q is not true or false", getenv("RCEMU_STRICT"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", *level)
	}
	n, err := strconv.ParseInt(*maxBody, 10, 64)
	if err != nil || n < 1024 {
		return c, fmt.Errorf("--max-body: %q must be a number of bytes, at least 1024", *maxBody)
	}
	c.MaxBody = n
	if c.Addr == "" {
		return c, errors.New("--addr: must not be empty")
	}
	if c.DB == "" {
		return c, errors.New("--db: must not be empty")
	}
	return c, nil
}

// Creds is what `rcemu creds` needs.
type Creds struct {
	DB        string
	Seed      string
	ServerURL string
	Format    string // "env" or "json"
}

// ParseCreds parses the flags of `rcemu creds`.
func ParseCreds(args []string, getenv func(string) string, out io.Writer) (Creds, error) {
	var c Creds
	fs := flag.NewFlagSet("rcemu creds", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.DB, "db", envOr(getenv, "RCEMU_DB", DefaultDB), "SQLite database file (RCEMU_DB)")
	fs.StringVar(&c.Seed, "seed", getenv("RCEMU_SEED"), "seed for the database if it is new (RCEMU_SEED)")
	fs.StringVar(&c.ServerURL, "server-url", envOr(getenv, "RCEMU_SERVER_URL", "http://127.0.0.1:8080"), "server URL to print (RCEMU_SERVER_URL)")
	fs.StringVar(&c.Format, "format", envOr(getenv, "RCEMU_FORMAT", "env"), "env or json (RCEMU_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.Format = strings.ToLower(c.Format)
	if c.Format != "env" && c.Format != "json" {
		return c, fmt.Errorf("--format: %q is not env or json", c.Format)
	}
	if c.DB == ":memory:" {
		return c, errors.New("--db: creds needs a database file; a :memory: database holds nothing once closed")
	}
	return c, nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
