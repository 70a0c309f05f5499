package app_test

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/store/pgtest"
)

// cutProxy stands between rcemu and PostgreSQL, so that a test can make the database go away
// (every connection cut, new ones refused) without stopping the server other tests share.
type cutProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// through returns dsn with its host replaced by the proxy's.
func (p *cutProxy) through(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

func proxied(t *testing.T) (*cutProxy, string) {
	t.Helper()
	dsn := pgtest.Database(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newCutProxy(t, u.Host)
	return p, p.through(t, dsn)
}

// A database that goes away: requests that need it get the platform's 503 CMN-201 within the
// connect timeout (no hang, no 500), and after the give-up time the app reports it cannot go on.
func TestPostgresLostDatabaseAnswers503ThenFails(t *testing.T) {
	p, dsn := proxied(t)
	a := rctest.MustOpenApp(t, rctest.WithDB(dsn))
	a.Store.SetGiveUp(time.Second)
	ada := a.Login(a.User(0, "101"))
	list := rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/message-store", Token: ada.AccessToken}
	if r := a.Do(list); r.Status != 200 {
		t.Fatalf("before the cut: %d %s", r.Status, r.Body)
	}
	p.cut()
	began := time.Now()
	r := a.Do(list)
	if took := time.Since(began); took > 7*time.Second {
		t.Fatalf("a request took %v with the database gone", took)
	}
	if r.Status != 503 || !strings.Contains(string(r.Body), `"errorCode":"CMN-201"`) {
		t.Fatalf("with the database gone: %d %s, want 503 CMN-201", r.Status, r.Body)
	}
	select {
	case err := <-a.Failed():
		if !strings.Contains(err.Error(), "lost the database") || strings.Contains(err.Error(), "password") {
			t.Fatalf("failure: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the app did not report the lost database")
	}
}

// The binary itself exits non-zero, saying why, when its database goes away for good.
func TestPostgresLostDatabaseExitsNonZero(t *testing.T) {
	p, dsn := proxied(t)
	bin := buildRcemu(t)
	c := startChild(t, bin, dsn)
	p.cut()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("rcemu still running 30 s after its database went away:\n%s", c.out.String())
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit status %d, want 1:\n%s", code, c.out.String())
	}
	if out := c.out.String(); !strings.Contains(out, "rcemu: lost the database") {
		t.Fatalf("no clear reason on exit:\n%s", out)
	}
}
