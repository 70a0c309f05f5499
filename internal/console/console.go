// Package console is the web console at /_rcemu/console/: plain HTML, CSS and ES modules embedded
// in the binary (no build step, nothing fetched from elsewhere, so it works offline), a few JSON
// reads the control plane does not already answer, and a live stream of events and requests.
package console

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/reqlog"
	"github.com/rcemu/rcemu/internal/restapi"
)

// Prefix is where the console lives, under the control plane.
const Prefix = "/_rcemu/console"

//go:embed assets
var embedded embed.FS

// Handler serves the console. Its sources are narrow interfaces that app's services and store
// already satisfy; the console reads through them and writes only through the control plane.
type Handler struct {
	Directory     Directory
	Messages      Messages
	Subscriptions Subscriptions
	CallLog       CallLog
	Chats         Chats
	Attempts      Attempts
	Sockets       Sockets
	Bus           *events.Bus
	Requests      *reqlog.Log

	// MaxStreams bounds the live streams open at once (default 16); more are refused with 503.
	MaxStreams int

	once    sync.Once
	mu      sync.Mutex
	streams int
	closed  chan struct{}
}

// csp keeps data shown by the console from ever running as code: scripts only from the console's
// own files (no inline script, no eval), nothing loaded from elsewhere, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Register adds the console's routes.
func (h *Handler) Register(rt *restapi.Router) {
	h.init()
	o := restapi.Options{Public: true, Internal: true}
	rt.Handle("GET", Prefix, h.index, o)
	rt.Handle("GET", Prefix+"/{asset}", h.asset, o)
	rt.Handle("GET", Prefix+"/events", h.stream, o)
	rt.Handle("GET", Prefix+"/api/directory", h.directory, o)
	rt.Handle("GET", Prefix+"/api/messages", h.messages, o)
	rt.Handle("GET", Prefix+"/api/call-log", h.callLog, o)
	rt.Handle("GET", Prefix+"/api/chats", h.chats, o)
	rt.Handle("GET", Prefix+"/api/posts", h.posts, o)
	rt.Handle("GET", Prefix+"/api/subscriptions", h.subscriptions, o)
}

func (h *Handler) init() {
	h.once.Do(func() { h.closed = make(chan struct{}) })
}

// Close ends the live streams, so that a graceful shutdown does not wait on them.
func (h *Handler) Close() {
	h.init()
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.closed:
	default:
		close(h.closed)
	}
}

func (h *Handler) index(w http.ResponseWriter, r *restapi.Request) error {
	return serveAsset(w, r.Request, "index.html")
}

func (h *Handler) asset(w http.ResponseWriter, r *restapi.Request) error {
	return serveAsset(w, r.Request, r.Param("asset"))
}

func serveAsset(w http.ResponseWriter, r *http.Request, name string) error {
	if name != path.Base(name) || strings.HasPrefix(name, ".") {
		return rc.NotFound("asset")
	}
	b, err := fs.ReadFile(embedded, "assets/"+name)
	if err != nil {
		return rc.NotFound("asset")
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) { // the system's MIME table may lack these or disagree
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".html":
		ctype = "text/html; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	// The assets change only with the binary; no-cache makes the browser revalidate with the
	// ETag, so a new rcemu is never run with an old script, at the cost of a 304 per file.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
