package cli

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
)

// servePprof serves Go's profiles on addr (RCEMU_PPROF, e.g. 127.0.0.1:6060), on a listener of
// their own: what rcemu spends and holds, for its developers; never on the API's address.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Warn("pprof listener", "addr", addr, "err", err)
		}
	}()
	log.Info("pprof on http://" + addr + "/debug/pprof/")
}
