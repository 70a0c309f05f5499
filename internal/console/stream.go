package console

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
)

// Timings of the live stream; tests shorten them.
var (
	heartbeat     = 15 * time.Second       // a comment line, so proxies and the browser keep the stream open
	requestPoll   = 200 * time.Millisecond // how often the request log is looked at
	writeDeadline = 5 * time.Second        // a client that takes longer to accept a write is dropped
)

// streamQueue bounds the events waiting for one stream; a client that lets more pile up is
// dropped (it reconnects and reloads) rather than holding the bus's memory.
const streamQueue = 256

// eventOut is what the stream says of a domain event: enough to know which view to refresh, not
// the event's body (a browser re-reads the page it shows).
type eventOut struct {
	Kind        string `json:"kind"`
	AccountID   int64  `json:"accountId,omitempty"`
	ExtensionID int64  `json:"extensionId,omitempty"`
	Time        string `json:"time"`
}

// stream is a Server-Sent Events stream: "event" for domain events, "requests" for new entries
// of the request log, "overflow" just before a stream that fell behind is closed.
func (h *Handler) stream(w http.ResponseWriter, r *restapi.Request) error {
	limit := h.MaxStreams
	if limit <= 0 {
		limit = 16
	}
	h.mu.Lock()
	if h.streams >= limit {
		h.mu.Unlock()
		return &rc.Error{Status: 503, Code: "CMN-211", Message: "Too many console streams are open"}
	}
	h.streams++
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.streams--
		h.mu.Unlock()
	}()

	rcw := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)

	sub := h.Bus.Subscribe(streamQueue)
	defer sub.Close()
	seen := h.Requests.Added()

	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		_ = rcw.SetWriteDeadline(time.Now().Add(writeDeadline))
		msg := make([]byte, 0, len(b)+len(event)+16)
		msg = append(append(append(append(msg, "event: "...), event...), "\ndata: "...), b...)
		msg = append(msg, "\n\n"...)
		if _, err := w.Write(msg); err != nil {
			return false
		}
		return rcw.Flush() == nil
	}
	comment := func(text string) bool {
		_ = rcw.SetWriteDeadline(time.Now().Add(writeDeadline))
		if _, err := w.Write([]byte(": " + text + "\n\n")); err != nil {
			return false
		}
		return rcw.Flush() == nil
	}
	if !comment("rcemu console stream") {
		return nil
	}

	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	poll := time.NewTicker(requestPoll)
	defer poll.Stop()
	var buf []rc.Event
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-h.closed:
			return nil
		case <-beat.C:
			if !comment("heartbeat") {
				return nil
			}
		case <-sub.Ready():
			if sub.Lost() > 0 {
				send("overflow", map[string]any{"lost": sub.Lost()})
				return nil
			}
			buf = sub.Take(buf[:0], 64)
			for _, e := range buf {
				if !send("event", eventOut{Kind: e.Kind, AccountID: e.AccountID, ExtensionID: e.ExtensionID, Time: rc.FormatTime(e.Time)}) {
					return nil
				}
			}
		case <-poll.C:
			n := h.Requests.Added()
			if n == seen {
				continue
			}
			fresh := min(n-seen, 100)
			seen = n
			entries := h.Requests.Recent(int(fresh))
			if !send("requests", entries) {
				return nil
			}
		}
	}
}
