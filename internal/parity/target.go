package parity

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
)

// Fresh starts a new emulator for a replay: cfg's seed and spec, a throwaway database, a loopback
// port. close stops it.
func Fresh(ctx context.Context, cfg config.Config, log *slog.Logger) (t Target, close func(), err error) {
	cfg.DB, cfg.Addr = ":memory:", "127.0.0.1:0"
	if cfg.RateLimits == "" {
		cfg.RateLimits = "report" // the X-Rate-Limit headers are compared
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 10 << 20
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := app.New(cfg, log)
	if err := a.Open(ctx); err != nil {
		return Target{}, nil, err
	}
	a.Serve()
	close = func() {
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Close(shut)
	}
	creds, err := a.Credentials(ctx, a.URL())
	if err != nil {
		close()
		return Target{}, nil, err
	}
	t = Target{URL: a.URL(), Creds: creds}
	if m := a.Spec(); m != nil {
		t.Doc = m.Doc
	}
	return t, close, nil
}
