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
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rcemu/rcemu/internal/rctest"
)

// bodyInt reads the integer after `"name":` in the notification body of a frame (after
// `"body":`, since the frame's meta has a wsc sequence of its own).
func bodyInt(b []byte, name string) int64 {
	if i := bytes.Index(b, []byte(`"body":`)); i >= 0 {
		b = b[i:]
	}
	return rctest.JSONInt(b, name)
}

func TestPerfWebSocketFanout(t *testing.T) {
	rctest.PerfEnabled(t)
	var (
		sockets = rctest.EnvInt("RCEMU_PERF_SOCKETS", 1000)
		users   = rctest.EnvInt("RCEMU_PERF_USERS", 40)
		rates   = rctest.EnvRates("RCEMU_PERF_RATES", []int{5000})
		warmup  = rctest.EnvDuration("RCEMU_PERF_WARMUP", 2*time.Second)
		dur     = rctest.EnvDuration("RCEMU_PERF_DURATION", 10*time.Second)
		mode    = rctest.EnvString("RCEMU_PERF_MODE", "account")
	)
	if mode != "account" && mode != "extension" {
		t.Fatalf("RCEMU_PERF_MODE=%q: account or extension", mode)
	}
	if sockets > users*30 {
		t.Fatalf("%d sockets need at least %d users (30 subscriptions per user and app)", sockets, (sockets+29)/30)
	}
	// RCEMU_PERF_INSTANCES=2 (with RCEMU_TEST_POSTGRES): the sockets open on a second instance
	// sharing a PostgreSQL database with the one the events happen on, so that every
	// notification is relayed through the database.
	a, via := rctest.PerfApps(t, users)
	us := a.LoginAll(t)
	clock := rctest.NewLatencyClock()

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
		c, err := rctest.OpenWSSession(setup, via.URL, u.Token, filter)
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
					clock.Arrive(rctest.EventKey(bodyInt(data, "extensionId"), bodyInt(data, "sequence")), at)
				}
			}
		}()
	}
	if via != a {
		deadline := time.Now().Add(30 * time.Second)
		for a.Notify.Indexed() < sockets && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("instances: 2 on one PostgreSQL database; the publishing one indexes %d subscriptions of sockets on the other", a.Notify.Indexed())
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
			clock.Reset()
			dropped0 := a.Bus.Dropped()
			run, cancel := context.WithTimeout(ctx, warmup+dur)
			defer cancel()
			begin := time.Now()
			w := clock.OpenWindow(t, warmup)
			var measuredEvents atomic.Int64
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
						measured := at.After(w.From)
						clock.Publish(rctest.EventKey(u.ExtensionID, s), at, measured)
						a.PublishPresence(u, s, at)
						if measured {
							measuredEvents.Add(1)
						}
					}
				}
			}
			tick.Stop()
			window, cpu := w.Close()
			got := clock.InWindow.Load()

			want := measuredEvents.Load() * int64(fanout)
			lat := clock.Settle(want, 10*time.Second)
			perSec := float64(got) / window.Seconds()
			t.Logf("offered %d notifications/s (%.1f events/s × %d sockets): received %.0f/s in the %v window (%d)",
				rate, eventRate, fanout, perSec, window.Round(time.Millisecond), got)
			t.Logf("event → frame read (%d notifications of %d measured events): p50 %s, p90 %s, p99 %s, max %s; undelivered after 10 s: %d",
				len(lat), measuredEvents.Load(), rctest.Ms(rctest.Pct(lat, .5)), rctest.Ms(rctest.Pct(lat, .9)), rctest.Ms(rctest.Pct(lat, .99)), rctest.Ms(rctest.Pct(lat, 1)), want-int64(len(lat)))
			t.Logf("bus dropped %d events; CPU %v in the window = %.1f µs per notification (server and clients together); unplaced frames %d",
				a.Bus.Dropped()-dropped0, cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(max(got, 1)), clock.Unknown.Load())
			rctest.LogTargets(t, rate, perSec, lat, want)
		})
	}
}
