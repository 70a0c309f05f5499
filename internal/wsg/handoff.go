package wsg

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Instances sharing a database each hold their own sessions. A client that reconnects with its
// wsc token may reach another instance than the one holding its session (behind a load
// balancer): that instance asks for the session (Takeover), the holder gives it up with its
// sequence and the notifications it kept for the client (Release), and the recovery goes on
// there as it would have on the holder. Notifications the holder's side makes for the session
// meanwhile are relayed like any others for a session held elsewhere.

// Handoff is a session on its way from one instance to another.
type Handoff struct {
	// Refused, when set, is the recovery error code the holder answered with (the asker is
	// not the session's owner): the session stays where it is.
	Refused  string    `json:"refused,omitempty"`
	Sequence int       `json:"sequence"`
	Created  time.Time `json:"created"`
	Lost     time.Time `json:"lost,omitzero"`
	Missed   []Kept    `json:"missed,omitempty"`
}

// Kept is a notification frame the session still owes its client.
type Kept struct {
	Seq  int    `json:"seq"`
	Data []byte `json:"data"`
}

// Release gives up a session for another instance to take over: its socket here, if any, is
// cut, and it is forgotten without ending it (its subscriptions stay). owner is the OAuth
// session of whoever asks; a session of another owner is not given (Refused). ok is false when
// the session is not this gateway's.
func (g *Gateway) Release(id, owner string) (h Handoff, ok bool) {
	g.mu.Lock()
	s := g.sessions[id]
	if s == nil {
		g.mu.Unlock()
		return Handoff{}, false
	}
	if s.principal.SessionID != owner {
		g.mu.Unlock()
		return Handoff{Refused: "WSG-1003"}, true
	}
	delete(g.sessions, id)
	g.mu.Unlock()
	s.mu.Lock()
	if l := s.conn; l != nil {
		s.cut(l, g.Clock.Now(), nil, websocket.StatusGoingAway, "session recovered on another instance")
	}
	for s.inflight > 0 {
		s.settled.Wait() // bounded by writeTimeout: a write that fails goes back to missed
	}
	h = Handoff{Sequence: s.sequence, Created: s.created, Lost: s.lost}
	for _, o := range s.missed {
		h.Missed = append(h.Missed, Kept{Seq: o.seq, Data: o.data})
	}
	s.missed = nil
	s.mu.Unlock()
	close(s.closed) // its recovery timer stops; end() is not for it any more
	return h, true
}

// takeover asks the other instances for a session this gateway does not hold, and installs it
// if one gives it. It returns the session and "" on success, nil and a recovery error code
// otherwise.
func (g *Gateway) takeover(ctx context.Context, id string, tok wsToken, base string) (*session, string) {
	if g.Takeover == nil {
		return nil, "WSG-1005"
	}
	h, ok := g.Takeover(ctx, id, tok.principal.SessionID)
	switch {
	case !ok:
		return nil, "WSG-1005"
	case h.Refused != "":
		return nil, h.Refused
	}
	if !h.Lost.IsZero() && g.Clock.Now().Sub(h.Lost) > RecoveryTimeout {
		g.Notify.DropSession(context.Background(), id) // given up by its holder, and too late
		return nil, "WSG-1005"
	}
	s := &session{id: id, principal: tok.principal, accessToken: tok.accessToken, created: h.Created, base: base,
		closed: make(chan struct{}), sequence: h.Sequence, lost: h.Lost}
	if s.lost.IsZero() {
		s.lost = g.Clock.Now() // its socket was cut by the handoff
	}
	s.settled = sync.NewCond(&s.mu)
	for _, k := range h.Missed {
		s.missed = append(s.missed, out{seq: k.Seq, data: k.Data})
	}
	g.mu.Lock()
	if other := g.sessions[id]; other != nil { // taken over twice at once: the first wins
		g.mu.Unlock()
		return other, ""
	}
	g.sessions[id] = s
	g.mu.Unlock()
	if g.TookOver != nil {
		g.TookOver(id)
	}
	return s, ""
}
