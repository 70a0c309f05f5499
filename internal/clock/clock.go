// Package clock provides the emulator's adjustable clock: real time shifted by an offset, or
// frozen at an instant. Tests and the control plane move it; nothing in rcemu sleeps on it.
package clock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use.
type Clock struct {
	mu     sync.RWMutex
	offset time.Duration
	frozen time.Time // zero: running
	real   func() time.Time
}

// New returns a clock that follows real time.
func New() *Clock { return &Clock{real: time.Now} }

// Frozen returns a clock stopped at t, for tests.
func Frozen(t time.Time) *Clock { return &Clock{real: time.Now, frozen: t} }

// Now returns the emulator's current time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.frozen.IsZero() {
		return c.frozen
	}
	return c.real().Add(c.offset).UTC()
}

// Advance moves the clock forward by d (frozen or running).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		c.frozen = c.frozen.Add(d)
		return
	}
	c.offset += d
}

// Set makes the clock read t now; it keeps running from there unless freeze is true.
func (c *Clock) Set(t time.Time, freeze bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t = t.UTC()
	if freeze {
		c.frozen = t
		return
	}
	c.frozen = time.Time{}
	c.offset = t.Sub(c.real())
}

// Resume unfreezes the clock at its current reading.
func (c *Clock) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen.IsZero() {
		return
	}
	c.offset = c.frozen.Sub(c.real())
	c.frozen = time.Time{}
}

// Reset returns the clock to real time.
func (c *Clock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset, c.frozen = 0, time.Time{}
}

// IsFrozen reports whether the clock is stopped.
func (c *Clock) IsFrozen() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return !c.frozen.IsZero()
}

// State is a clock's setting, to carry it to another clock: an offset from real time, or the
// instant it is frozen at.
type State struct {
	Offset time.Duration `json:"offset"`
	Frozen time.Time     `json:"frozen,omitzero"`
}

// State returns the clock's setting.
func (c *Clock) State() State {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return State{Offset: c.offset, Frozen: c.frozen}
}

// SetState gives the clock another's setting.
func (c *Clock) SetState(s State) {
	c.mu.Lock()
	c.offset, c.frozen = s.Offset, s.Frozen
	c.mu.Unlock()
}
