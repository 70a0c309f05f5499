package wsg_test

// Performance of WebSocket fan-out (issue 4: "1,000 WebHook subscriptions on loopback receive
// ≥ 5,000 notifications per second in total; event to delivery p99 < 50 ms; WebSocket fan-out
// measured the same way").
//
// Skipped unless RCEMU_PERF is set or -run names it:
//
//	RCEMU_PERF=1 go test -run TestPerfWebSocketFanout -v -timeout 10m ./internal/wsg/
//
// A real rcemu (rctest) is seeded with RCEMU_PERF_USERS users (default 40); RCEMU_PERF_SOCKETS
// gateway sessions (default 1,000; at most 30 live subscriptions per user and app, so 25 per
// user by default) each get a ws token over HTTP, connect, read ConnectionDetails and subscribe
// with a ClientRequest frame, as @rc-ex/ws does. A reader per socket times every
// ServerNotification. For each offered rate in RCEMU_PERF_RATES (notifications per second,
// default 5000), presence events are published on the app's event bus at the pace that gives
// that many notifications, for RCEMU_PERF_WARMUP (2s, not recorded) then RCEMU_PERF_DURATION
// (10s); stragglers get 10 s more.
//
// RCEMU_PERF_MODE: account (default: every session subscribes to /restapi/v1.0/account/~/presence,
// one event fans out to every socket) or extension (session i watches its owner's presence,
// events go round-robin over the users, SOCKETS/USERS notifications per event).
//
// Reported: notifications/s received in the measured window, event-to-delivery latency at the
// client (publish to frame read; p50, p90, p99, max), undelivered notifications, events the bus
// dropped, and the process CPU per notification (server and clients share the process).

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/rctest"
)

func perfEnabled(t *testing.T) {
	t.Helper()
	if os.Getenv("RCEMU_PERF") != "" {
		return
	}
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "Perf") {
		return
	}
	t.Skip("performance test: set RCEMU_PERF=1 or select it with -run")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envRates(name string, def []int) []int {
	var out []int
	for _, f := range strings.Split(os.Getenv(name), ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && v > 0 {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}

// perfSeed writes a seed with one account of n users (the first an administrator).
func perfSeed(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`jwtSigningKey: rcemu-perf-signing-key
apps:
  - clientId: rcemuPerfClientId00001
    clientSecret: rcemuPerfClientSecret000000000000000001
    name: rcemu perf app
    grants: [refresh_token, "urn:ietf:params:oauth:grant-type:jwt-bearer"]
accounts:
  - companyName: Perf
    mainNumber: "+16505550100"
    phoneNumbers:
      - {phoneNumber: "+16505550100", usageType: MainCompanyNumber}
    extensions:
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "      - {extensionNumber: \"%d\", firstName: Perf, lastName: U%d, email: perf%d@example.com, password: perf-password-%d, admin: %v}\n",
			1000+i, i, i, i, i == 0)
	}
	path := filepath.Join(t.TempDir(), "perf-seed.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type perfUser struct {
	accountID, extensionID int64
	token                  string
}

// bodyInt reads the integer after `"name":` in the notification body of a frame (after
// `"body":`, since the frame's meta has a wsc sequence of its own); cheaper than decoding.
func bodyInt(b []byte, name string) int64 {
	if i := bytes.Index(b, []byte(`"body":`)); i >= 0 {
		b = b[i:]
	}
	i := bytes.Index(b, []byte(`"`+name+`":`))
	if i < 0 {
		return -1
	}
	b = b[i+len(name)+3:]
	var n int64
	seen := false
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			if seen {
				break
			}
			continue
		}
		n, seen = n*10+int64(ch-'0'), true
	}
	return n
}

func eventKey(ext, seq int64) uint64 { return uint64(ext)<<24 ^ uint64(seq) }

type perfClock struct {
	mu        sync.Mutex
	published map[uint64]time.Time
	measured  map[uint64]bool
	lat       []time.Duration
	inWindow  atomic.Int64
	unknown   atomic.Int64
	window    atomic.Bool
}

func (c *perfClock) publish(key uint64, at time.Time, measured bool) {
	c.mu.Lock()
	c.published[key] = at
	if measured {
		c.measured[key] = true
	}
	c.mu.Unlock()
}

func (c *perfClock) arrive(key uint64, at time.Time) {
	if c.window.Load() {
		c.inWindow.Add(1)
	}
	c.mu.Lock()
	t0, ok := c.published[key]
	if ok && c.measured[key] {
		c.lat = append(c.lat, at.Sub(t0))
	}
	c.mu.Unlock()
	if !ok {
		c.unknown.Add(1)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[int(float64(len(d)-1)*p)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// openSession gets a ws token, connects, reads ConnectionDetails and subscribes to filter.
func openSession(ctx context.Context, base, token, filter string) (*websocket.Conn, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/restapi/oauth/wstoken", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	var tok struct {
		Token string `json:"ws_access_token"`
		URI   string `json:"uri"`
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || json.Unmarshal(b, &tok) != nil {
		return nil, fmt.Errorf("wstoken: %d %s", res.StatusCode, b)
	}
	c, _, err := websocket.Dial(ctx, tok.URI+"?access_token="+url.QueryEscape(tok.Token), nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	if _, first, err := c.Read(ctx); err != nil || !bytes.Contains(first, []byte(`"ConnectionDetails"`)) {
		c.CloseNow()
		return nil, fmt.Errorf("first frame: %s %v", first, err)
	}
	frame, _ := json.Marshal([]any{
		map[string]any{"type": "ClientRequest", "messageId": "perf-subscribe", "method": "POST", "path": "/restapi/v1.0/subscription"},
		map[string]any{"eventFilters": []string{filter}, "deliveryMode": map[string]any{"transportType": "WebSocket"}}})
	if err := c.Write(ctx, websocket.MessageText, frame); err != nil {
		c.CloseNow()
		return nil, err
	}
	_, reply, err := c.Read(ctx)
	if err != nil || !bytes.Contains(reply, []byte(`"status":200`)) {
		c.CloseNow()
		return nil, fmt.Errorf("subscribe: %s %v", reply, err)
	}
	return c, nil
}

func TestPerfWebSocketFanout(t *testing.T) {
	perfEnabled(t)
	var (
		sockets = envInt("RCEMU_PERF_SOCKETS", 1000)
		users   = envInt("RCEMU_PERF_USERS", 40)
		rates   = envRates("RCEMU_PERF_RATES", []int{5000})
		warmup  = envDuration("RCEMU_PERF_WARMUP", 2*time.Second)
		dur     = envDuration("RCEMU_PERF_DURATION", 10*time.Second)
		mode    = os.Getenv("RCEMU_PERF_MODE")
	)
	if mode == "" {
		mode = "account"
	}
	if mode != "account" && mode != "extension" {
		t.Fatalf("RCEMU_PERF_MODE=%q: account or extension", mode)
	}
	if sockets > users*30 {
		t.Fatalf("%d sockets need at least %d users (30 subscriptions per user and app)", sockets, (sockets+29)/30)
	}
	a := rctest.MustOpenApp(t, rctest.WithSeed(perfSeed(t, users)))
	var us []perfUser
	for _, u := range a.Creds.Users {
		acc, _ := strconv.ParseInt(u.AccountID, 10, 64)
		ext, _ := strconv.ParseInt(u.ExtensionID, 10, 64)
		us = append(us, perfUser{accountID: acc, extensionID: ext, token: a.Login(u).AccessToken})
	}
	clock := &perfClock{published: map[uint64]time.Time{}, measured: map[uint64]bool{}}

	start := time.Now()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	conns := make([]*websocket.Conn, 0, sockets)
	var readers sync.WaitGroup
	t.Cleanup(func() {
		stop()
		for _, c := range conns {
			c.CloseNow()
		}
		readers.Wait()
	})
	for i := 0; i < sockets; i++ {
		u := us[i%len(us)]
		filter := "/restapi/v1.0/account/~/presence"
		if mode == "extension" {
			filter = "/restapi/v1.0/account/~/extension/~/presence"
		}
		setup, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := openSession(setup, a.URL, u.token, filter)
		cancel()
		if err != nil {
			t.Fatalf("socket %d: %v", i, err)
		}
		conns = append(conns, c)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				_, data, err := c.Read(ctx)
				if err != nil {
					return
				}
				at := time.Now()
				if bytes.Contains(data[:min(len(data), 40)], []byte("ServerNotification")) {
					clock.arrive(eventKey(bodyInt(data, "extensionId"), bodyInt(data, "sequence")), at)
				}
			}
		}()
	}
	t.Logf("setup: %d users, %d WebSocket sessions each with a subscription (%s filter), in %v",
		len(us), sockets, mode, time.Since(start).Round(time.Millisecond))

	fanout := sockets
	if mode == "extension" {
		fanout = sockets / len(us)
	}
	var seq atomic.Int64
	for _, rate := range rates {
		eventRate := float64(rate) / float64(fanout)
		t.Run(fmt.Sprintf("rate=%d", rate), func(t *testing.T) {
			clock.mu.Lock()
			clock.lat = clock.lat[:0]
			clear(clock.measured)
			clock.mu.Unlock()
			clock.inWindow.Store(0)
			dropped0 := a.Bus.Dropped()
			run, cancel := context.WithTimeout(ctx, warmup+dur)
			defer cancel()
			begin := time.Now()
			measureFrom := begin.Add(warmup)
			var measuredEvents atomic.Int64
			cpu0 := make(chan time.Duration, 1)
			go func() {
				time.Sleep(warmup)
				cpu0 <- cpuTime()
				clock.window.Store(true)
			}()
			tick := time.NewTicker(time.Millisecond)
			n, i := int64(0), 0
		loop:
			for {
				select {
				case <-run.Done():
					break loop
				case now := <-tick.C:
					due := int64(now.Sub(begin).Seconds() * eventRate)
					for ; n < due; n++ {
						u := us[i%len(us)]
						i++
						s := seq.Add(1)
						at := time.Now()
						measured := at.After(measureFrom)
						clock.publish(eventKey(u.extensionID, s), at, measured)
						a.Bus.Publish(rc.Event{Kind: "presence", AccountID: u.accountID, ExtensionID: u.extensionID, Time: at,
							Presence: &rc.Presence{ExtensionID: u.extensionID, UserStatus: "Available", DndStatus: "TakeAllCalls",
								AllowSeeMyPresence: true, Sequence: s}})
						if measured {
							measuredEvents.Add(1)
						}
					}
				}
			}
			tick.Stop()
			clock.window.Store(false)
			window := time.Since(measureFrom)
			got := clock.inWindow.Load()
			cpu := cpuTime() - <-cpu0

			want := measuredEvents.Load() * int64(fanout)
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				clock.mu.Lock()
				n := int64(len(clock.lat))
				clock.mu.Unlock()
				if n >= want {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			clock.mu.Lock()
			lat := slices.Clone(clock.lat)
			clock.mu.Unlock()
			slices.Sort(lat)
			perSec := float64(got) / window.Seconds()
			t.Logf("offered %d notifications/s (%.1f events/s × %d sockets): received %.0f/s in the %v window (%d)",
				rate, eventRate, fanout, perSec, window.Round(time.Millisecond), got)
			t.Logf("event → frame read (%d notifications of %d measured events): p50 %s, p90 %s, p99 %s, max %s; undelivered after 10 s: %d",
				len(lat), measuredEvents.Load(), ms(pct(lat, .5)), ms(pct(lat, .9)), ms(pct(lat, .99)), ms(pct(lat, 1)), want-int64(len(lat)))
			t.Logf("bus dropped %d events; CPU %v in the window = %.1f µs per notification (server and clients together); unplaced frames %d",
				a.Bus.Dropped()-dropped0, cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(max(got, 1)), clock.unknown.Load())
			verdict := func(ok bool) string {
				if ok {
					return "PASS"
				}
				return "FAIL"
			}
			t.Logf("target ≥ 5,000 notifications/s: %s (%.0f/s); target p99 < 50 ms: %s (%s)",
				verdict(perSec >= 0.98*5000 && rate >= 5000 && int64(len(lat)) >= want), perSec,
				verdict(pct(lat, .99) < 50*time.Millisecond && int64(len(lat)) >= want), ms(pct(lat, .99)))
		})
	}
}
