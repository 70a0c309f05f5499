package events

import (
	"sync"
	"testing"

	"github.com/rcemu/rcemu/internal/rc"
)

func TestSubscriptionQueuesInOrderUpToItsLimit(t *testing.T) {
	b := New(10)
	s := b.Subscribe(5)
	for i := 1; i <= 7; i++ {
		b.Publish(rc.Event{ExtensionID: int64(i)})
	}
	if d := b.Dropped(); d != 2 {
		t.Fatalf("dropped %d, want the 2 over the limit", d)
	}
	<-s.Ready()
	got := s.Take(nil, 3)
	got = s.Take(got, 10)
	if len(got) != 5 {
		t.Fatalf("took %d events, want 5", len(got))
	}
	for i, e := range got {
		if e.ExtensionID != int64(i+1) {
			t.Fatalf("event %d is %d: out of order", i, e.ExtensionID)
		}
	}
	select {
	case <-s.Ready():
		if n := len(s.Take(nil, 10)); n != 0 {
			t.Fatalf("%d events after taking all", n)
		}
	default:
	}
	if len(b.Recent(0)) != 7 {
		t.Fatalf("recent keeps %d, want all 7 published", len(b.Recent(0)))
	}
	s.Close()
	b.Publish(rc.Event{})
	if n := len(s.Take(nil, 10)); n != 0 || b.Dropped() != 2 {
		t.Fatalf("after Close: %d queued, %d dropped", n, b.Dropped())
	}
}

// A consumer woken by Ready and taking in batches sees every event once, in order, while
// publishers race it.
func TestSubscriptionUnderConcurrentPublishers(t *testing.T) {
	b := New(1)
	s := b.Subscribe(1 << 20)
	const publishers, each = 4, 5000
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				b.Publish(rc.Event{AccountID: int64(p), ExtensionID: int64(i)})
			}
		}(p)
	}
	next := make([]int64, publishers)
	var batch []rc.Event
	for seen := 0; seen < publishers*each; {
		<-s.Ready()
		batch = s.Take(batch[:0], 500)
		for _, e := range batch {
			if e.ExtensionID != next[e.AccountID] {
				t.Fatalf("publisher %d: got %d, want %d", e.AccountID, e.ExtensionID, next[e.AccountID])
			}
			next[e.AccountID]++
		}
		seen += len(batch)
	}
	wg.Wait()
	if b.Dropped() != 0 {
		t.Fatalf("dropped %d", b.Dropped())
	}
	if cap(s.queue) > 1024 {
		t.Fatalf("the queue kept %d slots after the burst", cap(s.queue))
	}
}
