package rctest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// Helpers of the performance tests (internal/notify, internal/wsg): knobs from the environment,
// a seed with many users, and a latency clock that matches arrivals with the events that caused
// them.

// PerfEnabled skips a performance test unless RCEMU_PERF is set or -run names a Perf test, so
// that `go test ./...` stays fast.
func PerfEnabled(t *testing.T) {
	t.Helper()
	if os.Getenv("RCEMU_PERF") != "" {
		return
	}
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "Perf") {
		return
	}
	t.Skip("performance test: set RCEMU_PERF=1 or select it with -run")
}

// EnvInt reads a positive integer knob.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// EnvDuration reads a positive duration knob.
func EnvDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// EnvString reads a string knob.
func EnvString(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// EnvRates reads a comma-separated list of positive rates.
func EnvRates(name string, def []int) []int {
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

// PerfSeed writes a seed with one account of n users (the first an administrator).
func PerfSeed(t *testing.T, n int) string {
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

// PerfUser is a logged-in user.
type PerfUser struct {
	AccountID, ExtensionID int64
	Token                  string
}

// LoginAll logs every seeded user in.
func (a *App) LoginAll(t *testing.T) []PerfUser {
	t.Helper()
	var out []PerfUser
	for _, u := range a.Creds.Users {
		acc, _ := strconv.ParseInt(u.AccountID, 10, 64)
		ext, _ := strconv.ParseInt(u.ExtensionID, 10, 64)
		out = append(out, PerfUser{AccountID: acc, ExtensionID: ext, Token: a.Login(u).AccessToken})
	}
	return out
}

// EventKey names one event: the extension it is about and its sequence number.
func EventKey(ext, seq int64) uint64 { return uint64(ext)<<24 ^ uint64(seq) }

// LatencyClock matches arrivals with the events that caused them.
type LatencyClock struct {
	Mu        sync.Mutex
	Published map[uint64]time.Time
	Measured  map[uint64]bool // events made in the measured window
	Lat       []time.Duration // arrivals of measured events
	InWindow  atomic.Int64    // arrivals during the measured window (of any event)
	Total     atomic.Int64    // every arrival
	Unknown   atomic.Int64    // arrivals the clock cannot place
	Window    atomic.Bool
}

// NewLatencyClock makes an empty clock.
func NewLatencyClock() *LatencyClock {
	return &LatencyClock{Published: map[uint64]time.Time{}, Measured: map[uint64]bool{}}
}

// Publish records when an event was made, and whether it counts.
func (c *LatencyClock) Publish(key uint64, at time.Time, measured bool) {
	c.Mu.Lock()
	c.Published[key] = at
	if measured {
		c.Measured[key] = true
	}
	c.Mu.Unlock()
}

// Arrive records an arrival of the event key.
func (c *LatencyClock) Arrive(key uint64, at time.Time) {
	c.Total.Add(1)
	if c.Window.Load() {
		c.InWindow.Add(1)
	}
	c.Mu.Lock()
	t0, ok := c.Published[key]
	if ok && c.Measured[key] {
		c.Lat = append(c.Lat, at.Sub(t0))
	}
	c.Mu.Unlock()
	if !ok {
		c.Unknown.Add(1)
	}
}

// Reset forgets the arrivals of a previous run; the events published stay known.
func (c *LatencyClock) Reset() {
	c.Mu.Lock()
	c.Lat = c.Lat[:0]
	clear(c.Measured)
	c.Mu.Unlock()
	c.InWindow.Store(0)
}

// Settle waits up to d for want arrivals of measured events (the stragglers) and returns the
// latencies of those that arrived, sorted.
func (c *LatencyClock) Settle(want int64, d time.Duration) []time.Duration {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c.Mu.Lock()
		n := int64(len(c.Lat))
		c.Mu.Unlock()
		if n >= want {
			break
		}
	}
	c.Mu.Lock()
	lat := slices.Clone(c.Lat)
	c.Mu.Unlock()
	slices.Sort(lat)
	return lat
}

// Window is the measured part of a run: it opens after the warm-up.
type Window struct {
	From        time.Time // when it opens
	clock       *LatencyClock
	open        chan struct{}
	cpu0        time.Duration
	stopProfile func()
}

// OpenWindow opens the measured window once warmup has passed, in the background: from then on
// arrivals count as in the window, and the CPU time is taken (and profiled, see WindowProfile).
func (c *LatencyClock) OpenWindow(t *testing.T, warmup time.Duration) *Window {
	w := &Window{From: time.Now().Add(warmup), clock: c, open: make(chan struct{})}
	go func() {
		time.Sleep(time.Until(w.From))
		w.stopProfile = WindowProfile(t)
		w.cpu0 = CPUTime()
		c.Window.Store(true)
		close(w.open)
	}()
	return w
}

// Close ends the window and returns how long it was open and the CPU time the process spent.
func (w *Window) Close() (length, cpu time.Duration) {
	<-w.open
	w.stopProfile()
	w.clock.Window.Store(false)
	return time.Since(w.From), CPUTime() - w.cpu0
}

// PublishPresence publishes a presence event of u with sequence seq on the app's bus, as the
// presence service does.
func (a *App) PublishPresence(u PerfUser, seq int64, at time.Time) {
	a.Bus.Publish(rc.Event{Kind: "presence", AccountID: u.AccountID, ExtensionID: u.ExtensionID, Time: at,
		Presence: &rc.Presence{ExtensionID: u.ExtensionID, UserStatus: "Available", DndStatus: "TakeAllCalls",
			AllowSeeMyPresence: true, Sequence: seq}})
}

// LogTargets logs the notification targets with PASS or FAIL: at least 5,000 notifications/s
// and p99 < 50 ms, with nothing lost. Offered exactly 5,000/s, the window cannot count more;
// 98 % of it, with nothing lost, is sustaining it.
func LogTargets(t *testing.T, rate int, perSec float64, lat []time.Duration, want int64) {
	t.Helper()
	LogTargetsOf(t, 5000, 50*time.Millisecond, rate, perSec, lat, want)
}

// LogTargetsOf is LogTargets for other targets: at least perSecTarget notifications/s and
// p99 under p99Target, with nothing lost.
func LogTargetsOf(t *testing.T, perSecTarget int, p99Target time.Duration, rate int, perSec float64, lat []time.Duration, want int64) {
	t.Helper()
	verdict := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	all := int64(len(lat)) >= want
	t.Logf("target ≥ %d notifications/s: %s (%.0f/s); target p99 < %v: %s (%s)", perSecTarget,
		verdict(perSec >= 0.98*float64(perSecTarget) && rate >= perSecTarget && all), perSec, p99Target,
		verdict(Pct(lat, .99) < p99Target && all), Ms(Pct(lat, .99)))
}

// JSONInt reads the integer after the first `"name":` in a JSON document: enough for the fields
// the performance tests read, and much cheaper than decoding, so that their receivers cost the
// process they share with rcemu little.
func JSONInt(b []byte, name string) int64 {
	i := bytes.Index(b, []byte(`"`+name+`":`))
	if i < 0 {
		return -1
	}
	var n int64
	seen := false
	for _, ch := range b[i+len(name)+3:] {
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

// WindowProfile starts a CPU profile of the measured window when RCEMU_PERF_CPUPROFILE names a
// file (the test binary's -cpuprofile also covers the setup); the returned function stops it.
func WindowProfile(t *testing.T) func() {
	t.Helper()
	name := os.Getenv("RCEMU_PERF_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
			t.Logf("CPU profile of the window: %s", name)
		})
	}
}

// Pct is the p-quantile of sorted durations.
func Pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[int(float64(len(d)-1)*p)]
}

// Ms renders a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// PerfApps opens a performance test's emulator, seeded with users. With RCEMU_PERF_INSTANCES=2
// (and RCEMU_TEST_POSTGRES) a second instance shares its PostgreSQL database and is returned as
// via, for the test's subscribers; otherwise via is a.
func PerfApps(t *testing.T, users int) (a, via *App) {
	t.Helper()
	seed := WithSeed(PerfSeed(t, users))
	if EnvInt("RCEMU_PERF_INSTANCES", 1) == 2 {
		return TwoInstances(t, seed)
	}
	a = MustOpenApp(t, seed)
	return a, a
}
