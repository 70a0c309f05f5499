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

// Subscription queues events for one subscriber, up to its limit. The queue grows with the
// backlog and shrinks with it, instead of reserving the limit up front: an idle emulator should
// not hold megabytes of empty queue.
type Subscription struct {
	bus   *Bus
	limit int
	ready chan struct{} // holds a token while events wait

	mu     sync.Mutex
	queue  []rc.Event
	closed bool
	// lost counts this subscriber's dropped events, so that one that must see every event
	// (the console's live stream) can tell it fell behind.
	lost atomic.Int64
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
		if !s.put(e) {
			s.lost.Add(1)
			b.dropped.Add(1)
		}
	}
}

func (s *Subscription) put(e rc.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	if len(s.queue) >= s.limit {
		return false
	}
	s.queue = append(s.queue, e)
	if len(s.queue) == 1 {
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
	return true
}

// Subscribe returns a subscription that holds at most limit events not yet taken.
func (b *Bus) Subscribe(limit int) *Subscription {
	s := &Subscription{bus: b, limit: limit, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	b.subs = append(append([]*Subscription(nil), b.subs...), s)
	b.mu.Unlock()
	return s
}

// Ready receives when events may be waiting; Take them then.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take appends up to max waiting events to buf, oldest first.
func (s *Subscription) Take(buf []rc.Event, max int) []rc.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(max, len(s.queue))
	buf = append(buf, s.queue[:n]...)
	rest := copy(s.queue, s.queue[n:])
	clear(s.queue[rest:])
	s.queue = s.queue[:rest]
	if rest > 0 {
		select {
		case s.ready <- struct{}{}:
		default:
		}
	} else if cap(s.queue) > 1024 {
		s.queue = nil // a burst is over: give its memory back
	}
	return buf
}

// Lost counts the events this subscription was too slow to take.
func (s *Subscription) Lost() int64 { return s.lost.Load() }

// Close stops delivery to the subscription.
func (s *Subscription) Close() {
	b := s.bus
	b.mu.Lock()
	for i, x := range b.subs {
		if x == s {
			b.subs = append(append([]*Subscription(nil), b.subs[:i]...), b.subs[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	s.mu.Lock()
	s.closed, s.queue = true, nil
	s.mu.Unlock()
}

// Recent returns up to limit events, newest first.
func (b *Bus) Recent(limit int) []rc.Event { return b.recent.Recent(limit) }

// Clear forgets the recent events.
func (b *Bus) Clear() { b.recent.Clear() }

// Dropped counts events subscribers were too slow to take.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }
