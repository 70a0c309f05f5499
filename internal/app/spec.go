package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/resources"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/spec"
	"github.com/rcemu/rcemu/internal/specfetch"
	"github.com/rcemu/rcemu/internal/specmock"
)

// openSpec loads the OpenAPI spec (findSpec says which) and registers the operations no stateful
// handler serves. Without a spec the start goes on with the stateful operations only, unless
// --spec required.
func (a *App) openSpec(ctx context.Context, rt *restapi.Router) error {
	path, missing, err := findSpec(ctx, a.Config, logLines{a.Log})
	if err != nil {
		return err
	}
	if path == "" {
		msg := "no OpenAPI spec loaded: spec-only operations are off (" + missing + ")"
		if a.Config.SpecFetch == "on" && a.Config.Spec != "off" {
			a.Log.Warn(msg) // a fetch was tried and failed
		} else {
			a.Log.Info(msg)
		}
		return nil
	}
	start := time.Now()
	doc, info, err := spec.Load(path, spec.LoadOptions{CacheDir: a.Config.SpecCache})
	if err != nil {
		return fmt.Errorf("spec %s: %w", path, err)
	}
	if info.CacheErr != nil {
		a.Log.Warn("spec cache not used", "err", info.CacheErr)
	}
	for _, w := range doc.Warnings {
		a.Log.Warn("spec defect: " + w)
	}
	m := specmock.Register(rt, doc, specmock.Options{Clock: a.Clock, Strict: a.Config.Strict, Log: a.Log,
		Resources: resources.New(a.Store, a.Clock)})
	a.spec = m
	a.Log.Info(fmt.Sprintf("%d operations: %d hand-written, %d from the spec (%d of them keeping state)", len(doc.Operations), m.Stateful, m.Served, m.Generic),
		"spec", path, "cache", info.Cache, "ms", time.Since(start).Milliseconds(), "strict", a.Config.Strict)
	return nil
}

// findSpec picks the spec file: --spec FILE; none with --spec off; else the .cache/spec copy of a
// checkout (spec.DefaultPath), then the user cache's copy, fetched into it when missing. A Config
// built in code (SpecFetch "") stops after .cache/spec unless the spec is required. With no spec
// it returns "" and why, in words that say how to provide one; an error means the start must
// fail: the spec is required, or the start was interrupted during the fetch.
func findSpec(ctx context.Context, cfg config.Config, progress io.Writer) (path, missing string, err error) {
	switch cfg.Spec {
	case "off":
		return "", "--spec off", nil
	case "", "required":
	default:
		return cfg.Spec, "", nil
	}
	if found, _ := spec.DefaultPath(); found != "" {
		return found, "", nil
	}
	const how = "pass --spec FILE, or run `rcemu spec fetch` when online"
	required := cfg.Spec == "required"
	if cfg.SpecFetch == "" && !required {
		return "", how, nil
	}
	f := SpecFetcher(cfg, progress)
	if p, ok := f.Cached(); ok {
		return p, "", nil
	}
	var why error
	if cfg.SpecFetch == "off" {
		why = fmt.Errorf("none in .cache/spec or %s, and fetching is off (--spec-fetch, RCEMU_SPEC_FETCH)", f.Dir)
	} else {
		p, err := f.Fetch(ctx)
		if err == nil {
			return p, "", nil
		}
		if ctx.Err() != nil {
			return "", "", err
		}
		why = err
	}
	if required {
		return "", "", fmt.Errorf("--spec required: no OpenAPI spec: %v; %s", why, how)
	}
	return "", fmt.Sprintf("%v; %s", why, how), nil
}

// SpecFetcher fetches the spec into the spec/ directory of cfg's spec cache (the user's cache
// directory unless --spec-cache names another), reporting on progress.
func SpecFetcher(cfg config.Config, progress io.Writer) *specfetch.Fetcher {
	dir := cfg.SpecCache
	if dir == "" || dir == "off" {
		dir = spec.DefaultCacheDir()
	}
	return &specfetch.Fetcher{Dir: filepath.Join(dir, "spec"), Registry: cfg.NPMRegistry, Out: progress}
}

// logLines turns the fetcher's lines into log records, among the rest of the start-up log.
type logLines struct{ log *slog.Logger }

func (l logLines) Write(p []byte) (int, error) {
	for line := range strings.Lines(string(p)) {
		l.log.Info(strings.TrimSpace(line))
	}
	return len(p), nil
}

// Spec returns the spec layer of an open App, or nil when it runs without a spec.
func (a *App) Spec() *specmock.Mock { return a.spec }

// SpecCoverage opens a throwaway App (a temporary database, a loopback port) with cfg's spec,
// found or fetched as a start would (fetch progress goes to progress), and returns every operation
// of the spec with the tier that serves it.
func SpecCoverage(ctx context.Context, cfg config.Config, progress io.Writer) (*specmock.Mock, error) {
	path, missing, err := findSpec(ctx, cfg, progress)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("no OpenAPI spec: " + missing)
	}
	cfg.Spec, cfg.DB, cfg.Addr, cfg.Seed = path, ":memory:", "127.0.0.1:0", ""
	if cfg.MaxBody == 0 {
		cfg.MaxBody = restapi.DefaultMaxBody
	}
	a := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := a.Open(ctx); err != nil {
		return nil, err
	}
	defer a.Close(context.Background())
	return a.Spec(), nil
}
