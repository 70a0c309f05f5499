package wsg

import (
	"context"
	"slices"
	"time"

	"github.com/coder/websocket"
)

// writeTimeout bounds one frame write: a socket that takes no data for that long is torn down,
// as a client that stopped reading without filling its queue would otherwise hold it forever.
const writeTimeout = 5 * time.Second

// maxQueued is how many bytes of frames a socket may have waiting for its writer, on top of what
// the kernel's send buffer (up to a few MB) has taken. A client that falls this far behind is cut
// off with StatusPolicyViolation instead of slowing everyone down or silently skipping frames:
// its unwritten notifications go to the session's recovery buffer in sequence order, as if the
// socket had dropped, and the close tells the client to recover with its wsc token and have them
// replayed, so nothing the recovery buffer can hold is lost. The queue is larger than the
// recovery buffer so that a burst to a healthy but slower client does not cut it (the kernel's
// buffers alone hold about as much), and cutting earlier would not save more, since the buffer
// keeps the oldest notifications missed. A client that takes nothing at all is caught sooner by
// writeTimeout.
const maxQueued = 4 << 20

// closeGrace is how long Close waits for clients to answer the close handshake before it drops
// their sockets.
const closeGrace = 5 * time.Second

// out is a frame waiting for a socket.
type out struct {
	data []byte
	// seq is the wsc sequence of a ServerNotification, which goes back to the recovery buffer
	// if it is not written; 0 for the other frames, which are only worth anything on this socket.
	seq int
	// close, if set, closes the socket with this status after data (if any) is written.
	close  websocket.StatusCode
	reason string
}

// link is one socket of a session and the goroutine that owns every write on it, so that the
// notification service never waits on a client's network and frames go out in the order they
// were queued. Its fields other than c and the channels are guarded by the session's mu.
type link struct {
	c     *websocket.Conn
	queue []out
	bytes int
	// replay: the session had missed notifications when this socket attached; they go out
	// replayDelay after its first frame.
	replay bool
	// closing: a close is queued and nothing more is; finished: the socket is gone and the
	// writer writes nothing more.
	closing, finished bool

	wake chan struct{}
	done chan struct{} // closed when the writer has returned
}

func newLink(c *websocket.Conn) *link {
	return &link{c: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (l *link) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// push queues a frame for the writer. With s.mu held.
func (l *link) push(o out) {
	l.queue = append(l.queue, o)
	l.bytes += len(o.data)
	l.signal()
}

// keep puts a notification no socket took into the recovery buffer. Sequence order is kept
// whatever order they come back in (a failed write settles after the queue behind it has been
// moved back), and a full buffer keeps the oldest, as it always has. With s.mu held.
func (s *session) keep(o out) {
	i := len(s.missed)
	for i > 0 && s.missed[i-1].seq > o.seq {
		i--
	}
	if i >= RecoveryBufferSize {
		return
	}
	s.missed = slices.Insert(s.missed, i, o)
	if len(s.missed) > RecoveryBufferSize {
		s.missed[RecoveryBufferSize] = out{}
		s.missed = s.missed[:RecoveryBufferSize]
	}
}

// release stops sending notifications to l: its queued ones go to the recovery buffer, and if l
// was the session's socket the session counts as lost from now. Other frames stay queued for l's
// own serve loop. With s.mu held.
func (s *session) release(l *link, now time.Time) {
	if s.conn == l {
		s.conn, s.lost = nil, now
	}
	kept := l.queue[:0]
	for _, o := range l.queue {
		if o.seq > 0 {
			s.keep(o)
			l.bytes -= len(o.data)
		} else {
			kept = append(kept, o)
		}
	}
	clear(l.queue[len(kept):])
	l.queue = kept
}

// cut closes l with code after final (if any), dropping whatever else was queued for it. With
// s.mu held.
func (s *session) cut(l *link, now time.Time, final []byte, code websocket.StatusCode, reason string) {
	s.release(l, now)
	if l.closing || l.finished {
		return
	}
	l.closing = true
	clear(l.queue)
	l.queue, l.bytes = l.queue[:0], 0
	l.push(out{data: final, close: code, reason: reason})
}

// send queues a frame on l, or cuts l off if its client has fallen too far behind. With s.mu
// held.
func (s *session) send(l *link, o out, now time.Time) {
	if l.closing || l.finished {
		if o.seq > 0 {
			s.keep(o)
		}
		return
	}
	if l.bytes+len(o.data) > maxQueued {
		if o.seq > 0 {
			s.keep(o)
		}
		s.cut(l, now, nil, websocket.StatusPolicyViolation, "too slow: send queue full")
		return
	}
	l.push(o)
}

// write is l's writer: it sends l's queue in order until the socket closes or fails.
func (g *Gateway) write(s *session, l *link) {
	defer g.wg.Done()
	defer close(l.done)
	defer l.c.CloseNow()
	var (
		first  = true
		replay <-chan time.Time
	)
	for {
		select {
		case <-replay:
			replay = nil
			g.replay(s, l)
		default:
		}
		s.mu.Lock()
		if l.finished {
			s.mu.Unlock()
			return
		}
		o, ok := l.pop()
		if o.seq > 0 {
			s.inflight++
		}
		pending := first && l.replay
		s.mu.Unlock()
		if !ok {
			select {
			case <-l.wake:
			case <-replay:
				replay = nil
				g.replay(s, l)
			}
			continue
		}
		var err error
		if o.data != nil {
			ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
			err = l.c.Write(ctx, websocket.MessageText, o.data)
			cancel()
		}
		if o.seq > 0 {
			s.mu.Lock()
			s.inflight--
			if err != nil {
				s.keep(o)
			}
			s.settled.Broadcast()
			s.mu.Unlock()
		}
		if o.close != 0 {
			_ = l.c.Close(o.close, o.reason)
			return
		}
		if err != nil {
			s.mu.Lock()
			s.release(l, g.Clock.Now())
			l.closing = true
			s.mu.Unlock()
			return // the deferred CloseNow ends serve's Read too
		}
		if first {
			first = false
			if pending {
				t := time.NewTimer(replayDelay)
				defer t.Stop()
				replay = t.C
			}
		}
	}
}

// pop takes the oldest queued frame. With s.mu held.
func (l *link) pop() (out, bool) {
	if len(l.queue) == 0 {
		return out{}, false
	}
	o := l.queue[0]
	l.queue[0] = out{}
	if len(l.queue) == 1 {
		l.queue = l.queue[:0] // keeps the array: mostly there is one frame at a time
	} else {
		l.queue = l.queue[1:]
	}
	l.bytes -= len(o.data)
	return o, true
}

// replay queues the notifications missed while the session had no socket, if l still is its
// socket. In one step under the lock, so that anything delivered from now on queues behind them.
func (g *Gateway) replay(s *session, l *link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != l || !s.replaying {
		return
	}
	for _, m := range s.missed {
		l.push(m)
	}
	clear(s.missed)
	s.missed, s.replaying = s.missed[:0], false
}
