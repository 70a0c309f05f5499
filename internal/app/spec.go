package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/spec"
	"github.com/rcemu/rcemu/internal/specmock"
)

// openSpec loads the OpenAPI spec and registers the operations no stateful handler serves.
// Without --spec it uses the fetched copy (spec.DefaultPath) when there is one; --spec off runs
// without a spec.
func (a *App) openSpec(ctx context.Context, rt *restapi.Router) error {
	start := time.Now()
	path := a.Config.Spec
	if path == "off" {
		a.Log.Info("no OpenAPI spec loaded (--spec off): spec-only operations are off")
		return nil
	}
	if path == "" {
		found, _ := spec.DefaultPath()
		if found == "" {
			a.Log.Info("no OpenAPI spec loaded: spec-only operations are off (run scripts/fetch-spec.sh or pass --spec)")
			return nil
		}
		path = found
	}
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
	m := specmock.Register(rt, doc, specmock.Options{Clock: a.Clock, Strict: a.Config.Strict, Log: a.Log})
	a.spec = m
	a.Log.Info(fmt.Sprintf("%d operations: %d stateful, %d from the spec", len(doc.Operations), m.Stateful, m.Served),
		"spec", path, "cache", info.Cache, "ms", time.Since(start).Milliseconds(), "strict", a.Config.Strict)
	return nil
}

// Spec returns the spec layer of an open App, or nil when it runs without a spec.
func (a *App) Spec() *specmock.Mock { return a.spec }

// SpecCoverage opens a throwaway App (a temporary database, a loopback port) with cfg's spec and
// returns every operation of the spec with the tier that serves it.
func SpecCoverage(ctx context.Context, cfg config.Config) (*specmock.Mock, error) {
	cfg.DB, cfg.Addr, cfg.Seed = ":memory:", "127.0.0.1:0", ""
	if cfg.MaxBody == 0 {
		cfg.MaxBody = restapi.DefaultMaxBody
	}
	a := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := a.Open(ctx); err != nil {
		return nil, err
	}
	defer a.Close(context.Background())
	m := a.Spec()
	if m == nil {
		return nil, errors.New("no spec: run scripts/fetch-spec.sh or pass --spec")
	}
	return m, nil
}
