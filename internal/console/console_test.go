package console

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/clock"
	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/reqlog"
	"github.com/rcemu/rcemu/internal/restapi"
)

func serve(t *testing.T) (*Handler, *httptest.Server) {
	t.Helper()
	h := &Handler{Bus: events.New(10), Requests: reqlog.New(10)}
	rt := &restapi.Router{}
	h.Register(rt)
	srv := httptest.NewServer(&restapi.Server{Router: rt, Clock: clock.New(), Log: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { h.Close(); srv.Close() })
	return h, srv
}

func TestAssets(t *testing.T) {
	_, srv := serve(t)
	for _, c := range []struct{ path, ctype string }{
		{"/_rcemu/console/", "text/html; charset=utf-8"},
		{"/_rcemu/console", "text/html; charset=utf-8"},
		{"/_rcemu/console/app.js", "text/javascript; charset=utf-8"},
		{"/_rcemu/console/dom.js", "text/javascript; charset=utf-8"},
		{"/_rcemu/console/console.css", "text/css; charset=utf-8"},
		{"/_rcemu/console/icon.svg", "image/svg+xml"},
	} {
		res, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: %d %q", c.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", c.path, csp)
		}
		if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") == "" {
			t.Errorf("%s: caching %q %q", c.path, res.Header.Get("Cache-Control"), res.Header.Get("ETag"))
		}
		req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
		req.Header.Set("If-None-Match", res.Header.Get("ETag"))
		again, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		again.Body.Close()
		if again.StatusCode != 304 {
			t.Errorf("%s with its ETag: %d", c.path, again.StatusCode)
		}
	}
	for _, p := range []string{"/_rcemu/console/nope.js", "/_rcemu/console/..%2fconsole.go", "/_rcemu/console/.hidden"} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
}

func TestNoInlineScriptOrMarkupFromData(t *testing.T) {
	b, err := embedded.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "<script>") || regexp.MustCompile(`\son[a-z]+=`).Match(b) {
		t.Error("index.html has inline script, which the CSP would refuse")
	}
	for _, f := range []string{"app.js", "dom.js", "api.js"} {
		js, _ := embedded.ReadFile("assets/" + f)
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(string(js), bad) {
				t.Errorf("%s uses %s", f, bad)
			}
		}
	}
}

// readEvent reads one SSE block (up to the blank line).
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v (read %q)", err, b.String())
		}
		if line == "\n" {
			return b.String()
		}
		b.WriteString(line)
	}
}

func TestStreamFraming(t *testing.T) {
	defer func(h, p time.Duration) { heartbeat, requestPoll = h, p }(heartbeat, requestPoll)
	heartbeat, requestPoll = 50*time.Millisecond, 10*time.Millisecond
	h, srv := serve(t)
	res, err := http.Get(srv.URL + "/_rcemu/console/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(res.Body)
	if got := readEvent(t, r); got != ": rcemu console stream\n" {
		t.Fatalf("opening %q", got)
	}
	h.Bus.Publish(rc.Event{Kind: "message-store", AccountID: 1, ExtensionID: 2, Time: time.Unix(0, 0)})
	if got := readEvent(t, r); got != "event: event\ndata: {\"kind\":\"message-store\",\"accountId\":1,\"extensionId\":2,\"time\":\"1970-01-01T00:00:00.000Z\"}\n" {
		t.Fatalf("event %q", got)
	}
	h.Requests.Add(restapi.Entry{Method: "GET", Path: "/restapi/v1.0", Status: 200})
	for {
		got := readEvent(t, r)
		if got == ": heartbeat\n" {
			continue
		}
		if !strings.HasPrefix(got, "event: requests\ndata: [{") || !strings.Contains(got, `"path":"/restapi/v1.0"`) {
			t.Fatalf("requests %q", got)
		}
		break
	}
	for readEvent(t, r) != ": heartbeat\n" {
	}
}

// A client that stops reading is dropped: its queue on the bus stays bounded and the stream ends.
func TestSlowClientDropped(t *testing.T) {
	defer func(d time.Duration) { writeDeadline = d }(writeDeadline)
	writeDeadline = 100 * time.Millisecond
	h, srv := serve(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /_rcemu/console/events HTTP/1.1\r\nHost: x\r\n\r\n")
	deadline := time.Now().Add(10 * time.Second)
	for open := func() int { h.mu.Lock(); defer h.mu.Unlock(); return h.streams }; open() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("stream never opened")
		}
	}
	// Never read: publish until the socket's buffers and the stream's queue are full.
	for i := 0; ; i++ {
		h.Bus.Publish(rc.Event{Kind: strings.Repeat("k", 512)})
		h.mu.Lock()
		n := h.streams
		h.mu.Unlock()
		if n == 0 {
			break
		}
		if i%1000 == 0 && time.Now().After(deadline) {
			t.Fatal("slow stream was never dropped")
		}
		if i%100 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func TestStreamsBounded(t *testing.T) {
	h, srv := serve(t)
	h.MaxStreams = 1
	first, err := http.Get(srv.URL + "/_rcemu/console/events")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	second, err := http.Get(srv.URL + "/_rcemu/console/events")
	if err != nil {
		t.Fatal(err)
	}
	second.Body.Close()
	if second.StatusCode != 503 {
		t.Fatalf("second stream: %d, want 503", second.StatusCode)
	}
}
