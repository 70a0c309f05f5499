package sqlstore

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
)

// group commits concurrent writes together. A writer queues its write and then waits for the
// turn to write; whoever gets the turn takes everything queued by then (its own write and those
// that came while the previous batch ran) and runs it as one batch. A writer whose write a
// previous turn already ran just returns that answer. Alone, a write is a transaction of its
// own as before; under load the batches grow by themselves, with no timer and no goroutine.
type group struct {
	mu    sync.Mutex // the queue
	queue []*write
	turn  sync.Mutex // held while a batch runs
}

type write struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	err  error
	done bool // set under turn
}

// maxBatch bounds a batch, so that one turn's latency stays near one transaction's.
const maxBatch = 64

func (g *group) run(ctx context.Context, fn func(*sql.Tx) error, batch func([]*write)) error {
	w := &write{ctx: ctx, fn: fn}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	g.mu.Unlock()

	g.turn.Lock()
	defer g.turn.Unlock()
	if !w.done {
		runtime.Gosched()
	}
	for !w.done {
		g.mu.Lock()
		n := min(len(g.queue), maxBatch)
		take := g.queue[:n:n]
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil // let the backing array go
		}
		g.mu.Unlock()
		// A caller that has gone before its turn gets what BeginTx would have answered it.
		run := take[:0:0]
		for _, t := range take {
			if err := t.ctx.Err(); err != nil {
				t.err, t.done = err, true
				continue
			}
			run = append(run, t)
		}
		if len(run) > 0 {
			batch(run)
		}
		for _, t := range run {
			t.done = true
		}
	}
	return w.err
}
