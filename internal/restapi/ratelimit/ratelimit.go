// Package ratelimit counts requests the way the platform limits them: per throttling group
// (x-throttling-group of each operation), per app and user, over a sliding window, with a
// penalty interval after a refusal that every further request of the group restarts. It knows
// the clock only, so windows move with the emulator's clock.
package ratelimit

import (
	"fmt"
	"slices"
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
	ID        string `json:"id,omitempty"` // given by AddTrip
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
	// Since the last TakeDeltas: the admitted requests (the latest Limit), and the counts.
	fresh          []time.Time
	dCount, dLimit int64
	dPenalty       bool
}

// Limiter counts requests per app, user and group.
type Limiter struct {
	clock rc.Clock
	mu    sync.Mutex
	mode  Mode
	b     map[key]*bucket
	trips []Trip
	// ClaimTrip, when set, counts a trip's calls with other limiters (instances sharing it): it
	// takes one of the trip's After+1 calls and says how many are left after it; ok is false
	// when none was left (the trip fired elsewhere), and a negative left leaves the call to this
	// limiter's own count.
	ClaimTrip func(id string) (left int64, ok bool)
	nextTrip  int

	// Shared makes Take keep what it counts for TakeDeltas (instances counting together).
	shared bool
	dirty  map[key]*bucket
	epoch  int64 // counts Resets, so that instances sharing counts reset together
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

// AddTrip schedules a trip and returns it with its id.
func (l *Limiter) AddTrip(t Trip) Trip {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextTrip++
	t.ID = fmt.Sprintf("trip-%d", l.nextTrip)
	l.trips = append(l.trips, t)
	return t
}

// SetTrips replaces the pending trips (instances sharing them); ids go on from the largest.
func (l *Limiter) SetTrips(ts []Trip) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trips = append([]Trip(nil), ts...)
	for _, t := range ts {
		var n int
		if _, err := fmt.Sscanf(t.ID, "trip-%d", &n); err == nil && n > l.nextTrip {
			l.nextTrip = n
		}
	}
}

// Reset forgets every count, penalty and trip.
func (l *Limiter) Reset() {
	l.mu.Lock()
	l.b = map[key]*bucket{}
	l.dirty = map[key]*bucket{}
	l.trips = nil
	l.epoch++
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
	if l.shared {
		b.dCount++
		l.dirty[k] = b
	}
	d := Decision{Group: g}
	if l.tripped(operation, group) {
		b.over(l.shared)
		d.Limited, d.Refuse, d.RetryAfter = true, true, g.Penalty
		return d, true
	}
	if l.mode == Enforce && now.Before(b.penalty) {
		// The "429 trap": a request during the penalty starts it again.
		b.penalty, b.dPenalty = now.Add(g.Penalty), l.shared
		b.over(l.shared)
		d.Limited, d.Refuse, d.RetryAfter = true, true, g.Penalty
		return d, true
	}
	// The ring's oldest entry is the Limit-th request back: within the window, the window is full.
	oldest := b.hits[b.next]
	if !oldest.IsZero() && now.Sub(oldest) < g.Window {
		b.over(l.shared)
		d.Limited = true
		if l.mode == Enforce {
			b.penalty, b.dPenalty = now.Add(g.Penalty), l.shared
			d.Refuse, d.RetryAfter = true, g.Penalty
			return d, true
		}
	}
	if l.shared {
		if len(b.fresh) == g.Limit {
			b.fresh = append(b.fresh[:0], b.fresh[1:]...)
		}
		b.fresh = append(b.fresh, now)
	}
	b.hits[b.next] = now
	b.next = (b.next + 1) % len(b.hits)
	n := b.inWindow(now, g.Window)
	b.peak = max(b.peak, n)
	d.Remaining = g.Limit - n
	return d, true
}

func (b *bucket) over(shared bool) {
	b.limited++
	if shared {
		b.dLimit++
	}
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

// tripped consumes a trip that matches: every matching trip counts the call, and the first
// whose calls to let through are used up fires. The caller holds l.mu.
func (l *Limiter) tripped(operation, group string) bool {
	if len(l.trips) == 0 {
		return false
	}
	fired := false
	keep := l.trips[:0] // filtered in place: each is written at or before where it was read
	for _, t := range l.trips {
		if fired || (t.Operation != "" && t.Operation != operation) || (t.Group != "" && !strings.EqualFold(t.Group, group)) {
			keep = append(keep, t)
			continue
		}
		if l.ClaimTrip != nil {
			left, ok := l.ClaimTrip(t.ID)
			switch {
			case !ok: // it fired on another instance
				continue
			case left > 0:
				t.After = int(left) - 1
				keep = append(keep, t)
				continue
			case left == 0:
				fired = true
				continue
			} // a negative left: no shared count yet, this limiter's own decides
		}
		if t.After > 0 {
			t.After--
			keep = append(keep, t)
			continue
		}
		fired = true
	}
	clear(l.trips[len(keep):])
	l.trips = keep
	return fired
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

// Delta is what one limiter counted of one app, user and group since it last told: for other
// limiters counting the same requests (instances sharing a database).
type Delta struct {
	App      string      `json:"app"`
	Ext      int64       `json:"ext"`
	Group    string      `json:"group"`
	Hits     []time.Time `json:"hits"` // admitted requests, the latest Limit of them
	Requests int64       `json:"requests"`
	Limited  int64       `json:"limited"`
	Penalty  time.Time   `json:"penalty,omitzero"` // set when it started or restarted one
}

// Share makes the limiter keep what it counts for TakeDeltas.
func (l *Limiter) Share() {
	l.mu.Lock()
	l.shared = true
	if l.dirty == nil {
		l.dirty = map[key]*bucket{}
	}
	l.mu.Unlock()
}

// Epoch counts the limiter's resets.
func (l *Limiter) Epoch() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

// ResetTo resets the limiter if another's epoch is past its own, and takes that epoch.
func (l *Limiter) ResetTo(epoch int64) {
	l.mu.Lock()
	behind := epoch > l.epoch
	l.mu.Unlock()
	if behind {
		l.Reset()
		l.mu.Lock()
		l.epoch = max(l.epoch, epoch)
		l.mu.Unlock()
	}
}

// TakeDeltas returns what was counted since the last call, and starts again.
func (l *Limiter) TakeDeltas() []Delta {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Delta, 0, len(l.dirty))
	for k, b := range l.dirty {
		d := Delta{App: k.app, Ext: k.ext, Group: k.group, Hits: b.fresh, Requests: b.dCount, Limited: b.dLimit}
		if b.dPenalty {
			d.Penalty = b.penalty
		}
		out = append(out, d)
		b.fresh, b.dCount, b.dLimit, b.dPenalty = nil, 0, 0, false
	}
	clear(l.dirty)
	return out
}

// Merge counts what other limiters counted: their admitted requests join the windows, their
// tallies the totals, and a penalty they started holds here too.
func (l *Limiter) Merge(ds []Delta) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range ds {
		g, known := Groups[d.Group]
		if !known {
			continue
		}
		k := key{d.App, d.Ext, d.Group}
		b := l.b[k]
		if b == nil {
			b = &bucket{hits: make([]time.Time, g.Limit)}
			l.b[k] = b
		}
		b.count += d.Requests
		b.limited += d.Limited
		if d.Penalty.After(b.penalty) {
			b.penalty = d.Penalty
		}
		if len(d.Hits) == 0 {
			continue
		}
		all := make([]time.Time, 0, len(b.hits)+len(d.Hits))
		for _, t := range b.hits {
			if !t.IsZero() {
				all = append(all, t)
			}
		}
		all = append(all, d.Hits...)
		slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
		if len(all) > g.Limit {
			all = all[len(all)-g.Limit:]
		}
		// Oldest first from next = 0, unset entries (older than any) ahead of them.
		clear(b.hits)
		copy(b.hits[g.Limit-len(all):], all)
		b.next = 0
		b.peak = max(b.peak, b.inWindow(now, g.Window))
	}
}
