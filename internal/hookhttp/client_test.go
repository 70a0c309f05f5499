package hookhttp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func mustTarget(t *testing.T, address string) *Target {
	t.Helper()
	tg, err := ParseTarget(address)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

var jsonHeaders = []Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Validation-Token", Value: "tok"}}

// burst posts n empty notifications to tg at once and returns when all are answered; failures
// are test errors.
func burst(t *testing.T, c *Client, tg *Target, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Post(tg, nil, []byte("{}")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestPostSendsTheRequestAndReusesConnections(t *testing.T) {
	var conns atomic.Int32
	type seen struct {
		method, uri, host, auth, ctype, token, body string
		length                                      int64
	}
	got := make(chan seen, 10)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.RequestURI, r.Host, r.Header.Get("Authorization"), r.Header.Get("Content-Type"),
			r.Header.Get("Validation-Token"), string(b), r.ContentLength}
		w.Header().Set("X-Answer", "yes")
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := New(time.Second)
	defer c.CloseIdle()
	tg := mustTarget(t, strings.Replace(srv.URL, "http://", "http://user:pa%20ss@", 1)+"/hook/a?x=1&y=%2F")
	for i := 0; i < 5; i++ {
		res, err := c.Post(tg, jsonHeaders, []byte(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 200 || res.BodyBytes != 2 || res.HeaderBytes < len("X-Answer: yes\r\n") {
			t.Fatalf("response %+v", res)
		}
		s := <-got
		if s.method != "POST" || s.uri != "/hook/a?x=1&y=%2F" || s.host != strings.TrimPrefix(srv.URL, "http://") ||
			s.auth != "Basic dXNlcjpwYSBzcw==" || s.ctype != "application/json" || s.token != "tok" || s.body != `{"n":1}` || s.length != 7 {
			t.Fatalf("request %+v", s)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 5 sequential requests, want 1", n)
	}
}

func TestAnswerShapes(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("part one,"))
		w.(http.Flusher).Flush()
		w.Write([]byte("part two"))
	})
	mux.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a>; rel=preload")
		w.WriteHeader(103)
		w.WriteHeader(201)
		w.Write([]byte("created"))
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(503)
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "c="+strings.Repeat("x", 10000))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), 5000)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := New(time.Second)
	c.MaxBody = 4096
	defer c.CloseIdle()
	for _, tc := range []struct {
		path         string
		status       int
		body         int64
		keepsTheConn bool
	}{
		{"/chunked", 200, int64(len("part one,part two")), true},
		{"/early", 201, 7, true},
		{"/close", 503, 0, false},
		{"/empty", 204, 0, true},
		{"/cookie", 200, 0, true},
		{"/big", 200, 4096, false},
	} {
		c.CloseIdle()
		res, err := c.Post(mustTarget(t, srv.URL+tc.path), nil, []byte("{}"))
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if res.Status != tc.status || res.BodyBytes != tc.body {
			t.Fatalf("%s: %+v, want status %d body %d", tc.path, res, tc.status, tc.body)
		}
		c.mu.Lock()
		idle := 0
		for _, l := range c.idle {
			idle += len(l)
		}
		c.mu.Unlock()
		if (idle == 1) != tc.keepsTheConn {
			t.Fatalf("%s: %d idle connections after it, want kept=%v", tc.path, idle, tc.keepsTheConn)
		}
	}
}

// rawServer answers each connection's requests with the given function, on a plain listener.
func rawServer(t *testing.T, serve func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// readRequest consumes one request of the client's shape.
func readRequest(r *bufio.Reader) error {
	req, err := http.ReadRequest(r)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err
}

func TestAConnectionTheReceiverClosedIsReplacedOnce(t *testing.T) {
	var served atomic.Int32
	// Answers one request per connection and closes it without saying so, as a receiver whose
	// keep-alive timer fired does.
	url := rawServer(t, func(c net.Conn, r *bufio.Reader) {
		if readRequest(r) != nil {
			return
		}
		served.Add(1)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	c := New(time.Second)
	defer c.CloseIdle()
	tg := mustTarget(t, url)
	for i := 0; i < 3; i++ {
		if res, err := c.Post(tg, nil, []byte("{}")); err != nil || res.Status != 200 {
			t.Fatalf("request %d: %+v %v", i, res, err)
		}
		time.Sleep(10 * time.Millisecond) // let the close arrive
	}
	if n := served.Load(); n != 3 {
		t.Fatalf("served %d, want 3", n)
	}
}

func TestHTTP10AndCloseDelimitedBodies(t *testing.T) {
	url := rawServer(t, func(c net.Conn, r *bufio.Reader) {
		if readRequest(r) == nil {
			io.WriteString(c, "HTTP/1.0 202 Accepted\r\nX-A: b\r\n\r\nuntil the end")
		}
	})
	c := New(time.Second)
	res, err := c.Post(mustTarget(t, url), nil, nil)
	if err != nil || res.Status != 202 || res.BodyBytes != int64(len("until the end")) || res.HeaderBytes != len("X-A: b\r\n") {
		t.Fatalf("%+v %v", res, err)
	}
	if len(c.idle) != 0 {
		t.Fatal("an HTTP/1.0 connection was kept")
	}
}

func TestTimeoutsAndRefusals(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	url := rawServer(t, func(c net.Conn, r *bufio.Reader) {
		readRequest(r)
		<-stall
	})
	c := New(150 * time.Millisecond)
	start := time.Now()
	_, err := c.Post(mustTarget(t, url), nil, []byte("{}"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("stalled receiver: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("gave up after %v", d)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := c.Post(mustTarget(t, "http://"+addr+"/"), nil, nil); err == nil {
		t.Fatal("closed port: no error")
	}

	url = rawServer(t, func(c net.Conn, r *bufio.Reader) {
		if readRequest(r) == nil {
			io.WriteString(c, "SMTP ready\r\n\r\n")
		}
	})
	if _, err := c.Post(mustTarget(t, url), nil, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("not HTTP: %v", err)
	}
}

func TestHeadersMustBeOneLine(t *testing.T) {
	c := New(time.Second)
	tg := mustTarget(t, "http://127.0.0.1:1/")
	for _, h := range []Header{{"X-Token", "a\r\nX-Evil: 1"}, {"X-Token", "a\nb"}, {"Bad Name", "v"}, {"", "v"}, {"X:", "v"}} {
		if _, err := c.Post(tg, []Header{h}, nil); !errors.Is(err, ErrHeader) {
			t.Errorf("%q: %v", h, err)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for _, bad := range []string{"https://example.com/", "ftp://x/", "http:///nohost", "::"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	tg := mustTarget(t, "http://example.com")
	if tg.hostPort != "example.com:80" || !bytes.HasPrefix(tg.head, []byte("POST / HTTP/1.1\r\nHost: example.com\r\n")) {
		t.Fatalf("%q %q", tg.hostPort, tg.head)
	}
	tg = mustTarget(t, "http://[::1]:8080/p")
	if tg.hostPort != "[::1]:8080" {
		t.Fatal(tg.hostPort)
	}
}

func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nTrailer: t\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 500 Oops\nConnection: keep-alive\n\nbody",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 2000\r\n\r\n",
		"HTTP/1.1 200\r\nTransfer-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const maxBody = 64
		res, keep, err := ReadResponse(bufio.NewReaderSize(bytes.NewReader(b), 64), maxBody)
		if err != nil {
			return
		}
		if res.Status < 100 || res.Status > 999 || res.BodyBytes < 0 || res.BodyBytes > maxBody || res.HeaderBytes > len(b) {
			t.Fatalf("%q: %+v", b, res)
		}
		if keep && res.Status == 101 {
			t.Fatalf("%q: switching protocols kept as HTTP", b)
		}
	})
}

func TestConnectionsPerHostAreBounded(t *testing.T) {
	var now, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
	}))
	defer srv.Close()
	c := New(2 * time.Second)
	c.MaxConnsPerHost = 3
	defer c.CloseIdle()
	burst(t, c, mustTarget(t, srv.URL), 12)
	if p := peak.Load(); p > 3 || p < 2 {
		t.Fatalf("at most %d requests at once, want 3 (2 on a very busy machine)", p)
	}

	// All connections to a receiver stay busy: the next request gives up after SlotWait.
	c = New(time.Second)
	c.MaxConnsPerHost, c.SlotWait = 1, 50*time.Millisecond
	tg := mustTarget(t, "http://127.0.0.1:1/")
	slots, err := c.acquire(tg.hostPort)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Post(tg, nil, nil); !errors.Is(err, ErrBusy) {
		t.Fatalf("request to a busy receiver: %v", err)
	}
	<-slots
	if _, err := c.Post(tg, nil, nil); err == nil || errors.Is(err, ErrBusy) {
		t.Fatalf("with the connection free, the closed port answers: %v", err)
	}
	// Close ends the wait at once.
	slots, _ = c.acquire(tg.hostPort)
	c.SlotWait = time.Minute
	done := make(chan error)
	go func() {
		_, err := c.Post(tg, nil, nil)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting at Close: %v", err)
	}
	<-slots
}

// Waiting for a connection is rcemu's doing: the receiver's timeout starts when it has one.
func TestTheTimeoutStartsWithTheConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
	}))
	defer srv.Close()
	c := New(400 * time.Millisecond)
	c.MaxConnsPerHost = 1
	defer c.Close()
	burst(t, c, mustTarget(t, srv.URL), 4) // 600 ms in all, one at a time
}

// Every kept-alive connection the receiver closed is passed over, not only the first.
func TestManyConnectionsTheReceiverClosed(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(10 * time.Millisecond)
	}))
	srv.Config.IdleTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c := New(time.Second)
	defer c.Close()
	tg := mustTarget(t, srv.URL)
	burst(t, c, tg, 8)
	if n := len(c.idle[tg.hostPort]); n < 2 {
		t.Fatalf("%d idle connections after a burst", n)
	}
	time.Sleep(300 * time.Millisecond) // the receiver closes them all
	for i := 0; i < 3; i++ {
		if _, err := c.Post(tg, nil, nil); err != nil {
			t.Fatalf("after the receiver closed its idle connections: %v", err)
		}
	}
	if n := served.Load(); n != 11 {
		t.Fatalf("served %d, want 11", n)
	}
}

// A request that went out is not sent again, whatever happens to its answer.
func TestARequestIsSentOnce(t *testing.T) {
	var served atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		panic(http.ErrAbortHandler) // closes the connection without an answer
	})
	release := make(chan struct{})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		<-release
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)
	c := New(300 * time.Millisecond)
	defer c.Close()
	for _, path := range []string{"/abort", "/slow"} {
		served.Store(0)
		if _, err := c.Post(mustTarget(t, srv.URL+"/ok"), nil, nil); err != nil { // a kept-alive connection to reuse
			t.Fatal(err)
		}
		if _, err := c.Post(mustTarget(t, srv.URL+path), nil, nil); err == nil {
			t.Fatalf("%s: no error", path)
		}
		time.Sleep(50 * time.Millisecond)
		if n := served.Load(); n != 1 {
			t.Fatalf("%s: the receiver got it %d times", path, n)
		}
	}
}

// Receivers that go away leave no sockets behind once the pool is swept.
func TestSweepClosesWhatReceiversClosed(t *testing.T) {
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	c := New(time.Second)
	defer c.Close()
	tg := mustTarget(t, gone.URL)
	burst(t, c, tg, 4)
	idle := len(c.idle[tg.hostPort])
	gone.Close()
	time.Sleep(50 * time.Millisecond)
	c.mu.Lock()
	stale := c.sweep(time.Now())
	_, left := c.idle[tg.hostPort]
	c.mu.Unlock()
	for _, cn := range stale {
		cn.Close()
	}
	if idle == 0 || len(stale) != idle || left {
		t.Fatalf("%d idle before, %d swept, entry left: %v", idle, len(stale), left)
	}
}
