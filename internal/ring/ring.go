// Package ring is a bounded, concurrency-safe log that keeps the most recent entries: the
// request log, the event log and the delivery-attempt log are all one.
package ring

import "sync"

// Ring keeps the last n values added.
type Ring[T any] struct {
	mu   sync.Mutex
	buf  []T
	next int
	full bool
}

// New makes a ring of size n (at least 1).
func New[T any](n int) *Ring[T] {
	return &Ring[T]{buf: make([]T, max(n, 1))}
}

// Add records v, forgetting the oldest value when full.
func (r *Ring[T]) Add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = v
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// Recent returns up to limit values, newest first; limit ≤ 0 means all.
func (r *Ring[T]) Recent(limit int) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = len(r.buf)
	}
	if limit <= 0 || limit > n {
		limit = n
	}
	out := make([]T, 0, limit)
	for i := 0; i < limit; i++ {
		out = append(out, r.buf[(r.next-1-i+len(r.buf))%len(r.buf)])
	}
	return out
}

// Clear forgets everything.
func (r *Ring[T]) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.buf)
	r.next, r.full = 0, false
}
