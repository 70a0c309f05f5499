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
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/rctest"
)

const specBenchPath = "/restapi/v1.0/account/~/extension/~/call-log"

func specBenchApp(b *testing.B) *rctest.App {
	path := rctest.SpecPath()
	if path == "" {
		b.Skip("the spec has not been fetched (scripts/fetch-spec.sh)")
	}
	return rctest.MustOpenApp(b, rctest.WithSpec(path))
}

func BenchmarkSpecServedGetHandler(b *testing.B) {
	a := specBenchApp(b)
	tok := a.Login(a.User(0, "101")).AccessToken
	h := a.Handler()
	target := a.URL + specBenchPath
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}

func BenchmarkSpecServedGet(b *testing.B) {
	a := specBenchApp(b)
	tok := a.Login(a.User(0, "101")).AccessToken
	tr := benchTransport(b)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := benchNewGet(b, a.URL+specBenchPath, tok)
		for pb.Next() {
			res, err := tr.RoundTrip(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

func BenchmarkOpenWithSpec(b *testing.B) {
	path := rctest.SpecPath()
	if path == "" {
		b.Skip("the spec has not been fetched (scripts/fetch-spec.sh)")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		cfg := config.Config{Addr: "127.0.0.1:0", DB: filepath.Join(b.TempDir(), "rcemu.db"), MaxBody: 1 << 20, Spec: path}
		a := app.New(cfg, log)
		if err := a.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		_ = a.Close(context.Background())
	}
}
