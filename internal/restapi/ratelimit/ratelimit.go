// Package ratelimit counts requests the way the platform limits them: per throttling group
// (x-throttling-group of each operation), per app and user, over a sliding window, with a
// penalty interval after a refusal that every further request of the group restarts. It knows
// the clock only, so windows move with the emulator's clock.
package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// Mode is what the limiter does with a request over its limit.
type Mode int

const (
	Off     Mode = iota // no accounting, no headers
	Report              // headers and counts, never a refusal
	Enforce             // 429 CMN-301 with Retry-After
)

// ParseMode reads off, report or enforce.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off":
		return Off, nil
	case "report", "":
		return Report, nil
	case "enforce":
		return Enforce, nil
	}
	return Report, fmt.Errorf("%q is not off, report or enforce", s)
}

func (m Mode) String() string { return [...]string{"off", "report", "enforce"}[m] }

// Group is a throttling group's limit.
type Group struct {
	Name    string        `json:"name"`
	Limit   int           `json:"limit"`
	Window  time.Duration `json:"-"`
	Penalty time.Duration `json:"-"`
	// The X-Rate-Limit header values that do not change, made once.
	Header, LimitHeader, WindowHeader string `json:"-"`
}

func group(name string, limit int) Group {
	return Group{Name: name, Limit: limit, Window: time.Minute, Penalty: time.Minute, Header: strings.ToLower(name),
		LimitHeader: strconv.Itoa(limit), WindowHeader: "60"}
}

// Groups are the platform's documented default limits (requests per user and app per minute,
// and a minute's penalty).
var Groups = map[string]Group{
	"Light":  group("Light", 50),
	"Medium": group("Medium", 40),
	"Heavy":  group("Heavy", 10),
	"Auth":   group("Auth", 5),
}

// Decision is what the limiter says of one request.
type Decision struct {
	Group      Group
	Remaining  int
	Limited    bool          // over the limit (refused in Enforce mode, or tripped)
	Refuse     bool          // answer 429
	RetryAfter time.Duration // when Refuse
}

// Trip makes the N-th next call of an operation or group (After counts the calls to let through
// first) answer 429, whatever the counts, in Report and Enforce modes.
type Trip struct {
	Operation string `json:"operation,omitempty"`
	Group     string `json:"group,omitempty"`
	After     int    `json:"after"`
}

type key struct {
	app   string
	ext   int64
	group string
}

type bucket struct {
	hits    []time.Time // a ring of the last Limit admitted requests
	next    int
	penalty time.Time // refused until then
	count   int64     // requests seen
	limited int64     // requests over the limit
	peak    int       // the most requests a window held
}

// Limiter counts requests per app, user and group.
type Limiter struct {
	clock rc.Clock
	mu    sync.Mutex
	mode  Mode
	b     map[key]*bucket
	trips []Trip
}

// New builds a Limiter.
func New(clock rc.Clock, mode Mode) *Limiter {
	return &Limiter{clock: clock, mode: mode, b: map[key]*bucket{}}
}

// Mode is the limiter's mode.
func (l *Limiter) Mode() Mode {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mode
}

// SetMode changes the mode (counts are kept).
func (l *Limiter) SetMode(m Mode) {
	l.mu.Lock()
	l.mode = m
	l.mu.Unlock()
}

// AddTrip schedules a trip.
func (l *Limiter) AddTrip(t Trip) {
	l.mu.Lock()
	l.trips = append(l.trips, t)
	l.mu.Unlock()
}

// SetTrips replaces the pending trips (instances sharing them).
func (l *Limiter) SetTrips(ts []Trip) {
	l.mu.Lock()
	l.trips = append([]Trip(nil), ts...)
	l.mu.Unlock()
}

// Reset forgets every count, penalty and trip.
func (l *Limiter) Reset() {
	l.mu.Lock()
	l.b = map[key]*bucket{}
	l.trips = nil
	l.mu.Unlock()
}

// Take counts one request of app and extension to an operation of group, and decides. ok is
// false when the operation is not throttled (no group, NoThrottling, or the limiter is off).
func (l *Limiter) Take(app string, ext int64, operation, group string) (Decision, bool) {
	g, known := Groups[group]
	if !known {
		return Decision{}, false
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mode == Off {
		return Decision{}, false
	}
	k := key{app, ext, group}
	b := l.b[k]
	if b == nil {
		b = &bucket{hits: make([]time.Time, g.Limit)}
		l.b[k] = b
	}
	b.count++
	d := Decision{Group: g}
	if l.tripped(operation, group) {
		b.limited++
		d.Limited, d.Refuse, d.RetryAfter = true, true, g.Penalty
		return d, true
	}
	if l.mode == Enforce && now.Before(b.penalty) {
		// The "429 trap": a request during the penalty starts it again.
		b.penalty = now.Add(g.Penalty)
		b.limited++
		d.Limited, d.Refuse, d.RetryAfter = true, true, g.Penalty
		return d, true
	}
	// The ring's oldest entry is the Limit-th request back: within the window, the window is full.
	oldest := b.hits[b.next]
	if !oldest.IsZero() && now.Sub(oldest) < g.Window {
		b.limited++
		d.Limited = true
		if l.mode == Enforce {
			b.penalty = now.Add(g.Penalty)
			d.Refuse, d.RetryAfter = true, g.Penalty
			return d, true
		}
	}
	b.hits[b.next] = now
	b.next = (b.next + 1) % len(b.hits)
	n := b.inWindow(now, g.Window)
	b.peak = max(b.peak, n)
	d.Remaining = g.Limit - n
	return d, true
}

// inWindow counts the admitted requests within the window before now. The ring holds them
// oldest first from b.next on (unset entries are older than any), so a binary search finds the
// first one inside.
func (b *bucket) inWindow(now time.Time, w time.Duration) int {
	n := len(b.hits)
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi) / 2
		t := b.hits[(b.next+mid)%n]
		if !t.IsZero() && now.Sub(t) < w {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return n - lo
}

// tripped consumes a trip that matches. The caller holds l.mu.
func (l *Limiter) tripped(operation, group string) bool {
	for i := range l.trips {
		t := &l.trips[i]
		if (t.Operation != "" && t.Operation != operation) || (t.Group != "" && !strings.EqualFold(t.Group, group)) {
			continue
		}
		if t.After > 0 {
			t.After--
			continue
		}
		l.trips = append(l.trips[:i], l.trips[i+1:]...)
		return true
	}
	return false
}

// Count is one app, user and group's tally.
type Count struct {
	App       string `json:"clientId"`
	Extension int64  `json:"extensionId,omitempty"`
	Group     string `json:"group"`
	Requests  int64  `json:"requests"`
	Limited   int64  `json:"limited"`
	InWindow  int    `json:"inWindow"`
	Peak      int    `json:"peak"` // the most requests one window held
}

// Counts lists every tally, and the trips still pending.
func (l *Limiter) Counts() ([]Count, []Trip) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Count, 0, len(l.b))
	for k, b := range l.b {
		out = append(out, Count{App: k.app, Extension: k.ext, Group: k.group, Requests: b.count, Limited: b.limited,
			InWindow: b.inWindow(now, Groups[k.group].Window), Peak: b.peak})
	}
	return out, append([]Trip(nil), l.trips...)
}
