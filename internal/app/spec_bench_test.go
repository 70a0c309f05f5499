package app_test

// Benchmarks of the spec layer (go test -run XXX -bench Spec ./internal/app/):
//
//	BenchmarkSpecServedGetHandler   a spec-served list (call log, 2 records, paging) without the
//	                                network, beside BenchmarkGetExtensionHandler for comparison
//	BenchmarkSpecServedGet          the same over loopback HTTP
//	BenchmarkOpenWithSpec           App.Open with the spec already compiled in the process (the
//	                                store, seed and routes; internal/spec has the load benchmarks)

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/rctest"
)

const specBenchPath = "/restapi/v1.0/account/~/extension/~/answering-rule"

func specBenchPathOrSkip(b *testing.B) string {
	path := rctest.SpecPath()
	if path == "" {
		b.Skip("the spec has not been fetched (scripts/fetch-spec.sh)")
	}
	return path
}

func specBenchApp(b *testing.B) *rctest.App {
	return rctest.MustOpenApp(b, rctest.WithSpec(specBenchPathOrSkip(b)))
}

func BenchmarkSpecServedGetHandler(b *testing.B) {
	benchHandler(b, specBenchApp(b), specBenchPath)
}

func BenchmarkSpecServedGet(b *testing.B) {
	benchGet(b, specBenchApp(b), specBenchPath)
}

func BenchmarkOpenWithSpec(b *testing.B) {
	path := specBenchPathOrSkip(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ReportAllocs()
	for b.Loop() {
		cfg := config.Config{Addr: "127.0.0.1:0", DB: filepath.Join(b.TempDir(), "rcemu.db"), MaxBody: 1 << 20, Spec: path}
		a := app.New(cfg, log)
		if err := a.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		_ = a.Close(context.Background())
	}
}
