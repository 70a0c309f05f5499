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

	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
	"github.com/rcemu/rcemu/internal/specfetch"
)

// DefaultDB is where `rcemu serve` keeps its state when neither --db nor RCEMU_DB says otherwise.
const DefaultDB = "rcemu.db"

// Config is everything `rcemu serve` needs.
type Config struct {
	Addr string // listen address
	DB   string // SQLite file, ":memory:", or a postgres:// or postgresql:// URL
	Seed string // seed file for a new database; "" means the embedded default
	// Spec is the RingCentral OpenAPI file for the spec-served operations: a path, "off" for none,
	// "required" (like "" but the start fails without a spec), or "" for the copy found or fetched
	// (see SpecFetch).
	Spec string
	// SpecCache is where compiled specs are kept, keyed by the spec's SHA-256, and where a fetched
	// spec goes (its spec/ directory); "" means the user's cache directory, "off" no compiled cache.
	SpecCache string
	// SpecFetch says where a spec is looked for when Spec is "" and no .cache/spec copy is found:
	// "on" the user cache's copy, fetched from the npm registry first if missing; "off" that copy
	// only. A Config built in code leaves it "" and looks no further than .cache/spec, so that
	// tests never depend on the user's cache or the network.
	SpecFetch string
	// NPMRegistry is the registry the spec is fetched from; "" means npm's public one.
	NPMRegistry string
	// Strict makes spec-served operations refuse what they tolerate by default: unknown query
	// parameters and body fields, read-only body fields, a single-valued parameter sent twice.
	Strict   bool
	LogLevel slog.Level
	MaxBody  int64 // request body limit in bytes
	// StrictHTTPS requires https:// WebHook addresses, as the platform does.
	StrictHTTPS bool
	// RateLimits is off, report (the default: X-Rate-Limit headers, never a refusal) or enforce.
	RateLimits string
}

// Serve parses the flags of `rcemu serve`.
func Serve(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("rcemu serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "RCEMU_ADDR", "127.0.0.1:8080"), "listen address (RCEMU_ADDR)")
	fs.StringVar(&c.DB, "db", envOr(getenv, "RCEMU_DB", DefaultDB), `SQLite database file, ":memory:" for a throwaway one, or a postgres:// URL (RCEMU_DB)`)
	fs.StringVar(&c.Seed, "seed", getenv("RCEMU_SEED"), "YAML or JSON seed for a new database; default: the embedded seed (RCEMU_SEED)")
	SpecFlags(fs, &c, getenv)
	strictEnv, strictErr := strconv.ParseBool(envOr(getenv, "RCEMU_STRICT", "false"))
	fs.BoolVar(&c.Strict, "strict", strictEnv, "spec-served operations refuse unknown query parameters and body fields (RCEMU_STRICT)")
	fs.BoolVar(&c.StrictHTTPS, "strict-https", getenv("RCEMU_STRICT_HTTPS") == "true", "refuse plain http:// WebHook addresses, as the platform does (RCEMU_STRICT_HTTPS)")
	fs.StringVar(&c.RateLimits, "rate-limits", envOr(getenv, "RCEMU_RATE_LIMITS", "report"), "off, report (X-Rate-Limit-* headers, never refused) or enforce (429 CMN-301 with Retry-After) (RCEMU_RATE_LIMITS)")
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
	if err := c.CheckSpec(); err != nil {
		return c, err
	}
	if _, err := ratelimit.ParseMode(c.RateLimits); err != nil {
		return c, fmt.Errorf("--rate-limits: %w", err)
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

// SpecFlags defines --spec, --spec-cache and --spec-fetch on fs, for every command that loads the
// spec; call CheckSpec after parsing.
func SpecFlags(fs *flag.FlagSet, c *Config, getenv func(string) string) {
	fs.StringVar(&c.Spec, "spec", getenv("RCEMU_SPEC"), "RingCentral OpenAPI spec (YAML or JSON) that serves every operation without a stateful handler; default: .cache/spec/rc-public-openapi.yml in the working directory or beside the binary, else the copy in the user's cache, fetched from npm if missing; \"off\": none; \"required\": the default, but fail without one (RCEMU_SPEC)")
	fs.StringVar(&c.SpecCache, "spec-cache", getenv("RCEMU_SPEC_CACHE"), `directory for compiled and fetched specs, "off" for no compiled ones; default: rcemu in the user's cache directory (RCEMU_SPEC_CACHE)`)
	fs.StringVar(&c.SpecFetch, "spec-fetch", envOr(getenv, "RCEMU_SPEC_FETCH", "on"), `"off": never fetch a missing spec from the npm registry (RCEMU_NPM_REGISTRY, npm_config_registry) (RCEMU_SPEC_FETCH)`)
	c.NPMRegistry = specfetch.Registry(getenv)
}

// CheckSpec validates the spec settings SpecFlags parsed.
func (c *Config) CheckSpec() error {
	switch strings.ToLower(c.SpecFetch) {
	case "on", "true", "1":
		c.SpecFetch = "on"
	case "off", "false", "0":
		c.SpecFetch = "off"
	default:
		return fmt.Errorf("--spec-fetch: %q is not on or off", c.SpecFetch)
	}
	return nil
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
	fs.StringVar(&c.DB, "db", envOr(getenv, "RCEMU_DB", DefaultDB), "SQLite database file or postgres:// URL (RCEMU_DB)")
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
