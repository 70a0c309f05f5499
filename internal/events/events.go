// Package events carries domain events from the services that cause them to whatever delivers
// them (notifications, the control plane's event log). Publishing never blocks: each subscriber
// has a bounded queue, and a subscriber that falls behind loses events, which are counted.
package events

import (
	"sync"
	"sync/atomic"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/ring"
)

// Bus fans events out to subscribers and keeps the most recent ones.
type Bus struct {
	mu      sync.RWMutex
	subs    []*Subscription
	recent  *ring.Ring[rc.Event]
	dropped atomic.Int64
}

// Subscription receives events on C until closed.
type Subscription struct {
	C   chan rc.Event
	bus *Bus
}

// New keeps the last keep events for inspection.
func New(keep int) *Bus {
	return &Bus{recent: ring.New[rc.Event](keep)}
}

// Publish hands e to every subscriber without waiting.
func (b *Bus) Publish(e rc.Event) {
	b.recent.Add(e)
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, s := range subs {
		select {
		case s.C <- e:
		default:
			b.dropped.Add(1)
		}
	}
}

// Subscribe returns a subscription with a queue of size buffer.
func (b *Bus) Subscribe(buffer int) *Subscription {
	s := &Subscription{C: make(chan rc.Event, buffer), bus: b}
	b.mu.Lock()
	b.subs = append(append([]*Subscription(nil), b.subs...), s)
	b.mu.Unlock()
	return s
}

// Close stops delivery to the subscription.
func (s *Subscription) Close() {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.subs {
		if x == s {
			b.subs = append(append([]*Subscription(nil), b.subs[:i]...), b.subs[i+1:]...)
			close(s.C)
			return
		}
	}
}

// Recent returns up to limit events, newest first.
func (b *Bus) Recent(limit int) []rc.Event { return b.recent.Recent(limit) }

// Clear forgets the recent events.
func (b *Bus) Clear() { b.recent.Clear() }

// Dropped counts events subscribers were too slow to take.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }
