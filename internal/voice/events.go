package voice

import (
	"context"
	"slices"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// EventKind names the telephony-session events on the bus.
const EventKind = "telephony-session"

// snapshot copies a session so that an event keeps the state it was published with.
func snapshot(sess *rc.CallSession) *rc.CallSession {
	cp := *sess
	cp.Steps = nil
	cp.Parties = slices.Clone(sess.Parties)
	for i := range cp.Parties {
		cp.Parties[i].Recordings = slices.Clone(cp.Parties[i].Recordings)
	}
	return &cp
}

// emit publishes a change of a session: one telephony-session event per account with a changed
// hosted party, and a presence event per changed hosted extension. Events of a session held back
// (a call-out whose answer is not written yet) wait for its release.
func (s *Service) emit(ctx context.Context, sess *rc.CallSession, changed []string) {
	if s.bus == nil || len(changed) == 0 {
		return
	}
	now := s.clock.Now()
	snap := snapshot(sess)
	var out []rc.Event
	accounts := map[int64]bool{}
	type extKey struct{ acc, ext int64 }
	exts := map[extKey]bool{}
	var extOrder []extKey
	for _, id := range changed {
		p := sess.Party(id)
		if p == nil || !p.Hosted() {
			continue
		}
		if !accounts[p.AccountID] {
			accounts[p.AccountID] = true
			out = append(out, rc.Event{Kind: EventKind, AccountID: p.AccountID, Time: now, Call: snap, Changed: changed})
		}
		k := extKey{p.AccountID, p.ExtensionID}
		if !exts[k] {
			exts[k] = true
			extOrder = append(extOrder, k)
		}
	}
	for _, k := range extOrder {
		ev, err := s.presenceEvent(ctx, k.acc, k.ext, now)
		if err != nil {
			continue // presence is derived state; the call itself is stored
		}
		out = append(out, ev)
	}
	s.heldMu.Lock()
	if q, ok := s.held[sess.ID]; ok {
		s.held[sess.ID] = append(q, out...)
		s.heldMu.Unlock()
		return
	}
	s.heldMu.Unlock()
	for _, e := range out {
		s.bus.Publish(e)
	}
}

// presenceEvent bumps an extension's presence sequence and describes its telephony state.
func (s *Service) presenceEvent(ctx context.Context, accountID, extensionID int64, now time.Time) (rc.Event, error) {
	tel, err := s.Telephony(ctx, accountID, extensionID)
	if err != nil {
		return rc.Event{}, err
	}
	s.presenceMu.Lock()
	defer s.presenceMu.Unlock()
	p, err := s.store.Presence(ctx, extensionID)
	if err != nil {
		return rc.Event{}, err
	}
	p.Sequence++
	if err := s.store.PutPresence(ctx, p); err != nil {
		return rc.Event{}, err
	}
	return rc.Event{Kind: "presence", AccountID: accountID, ExtensionID: extensionID, Time: now, Presence: &p, Telephony: &tel}, nil
}

// answerLead is how long a call-out's answer leads its first notifications.
const answerLead = 50 * time.Millisecond

// heldFor bounds how long a session's events wait for their release.
const heldFor = 2 * time.Second

// hold starts holding a new session's events back.
func (s *Service) hold(id string) {
	s.heldMu.Lock()
	if s.held == nil {
		s.held = map[string][]rc.Event{}
	}
	s.held[id] = []rc.Event{}
	s.heldMu.Unlock()
	time.AfterFunc(heldFor, func() { s.release(id) })
}

// release publishes what a session held back, in order, and stops holding.
func (s *Service) release(id string) {
	s.heldMu.Lock()
	q, ok := s.held[id]
	delete(s.held, id)
	s.heldMu.Unlock()
	if !ok || s.bus == nil {
		return
	}
	for _, e := range q {
		s.bus.Publish(e)
	}
}

// Telephony is an extension's telephony state, from its live calls.
func (s *Service) Telephony(ctx context.Context, accountID, extensionID int64) (rc.Telephony, error) {
	calls, err := s.store.LiveCalls(ctx, accountID, extensionID)
	if err != nil {
		return rc.Telephony{}, err
	}
	tel := rc.Telephony{Status: "NoCall", Calls: []rc.ActiveCall{}}
	rank := map[string]int{"NoCall": 0, "ParkedCall": 1, "OnHold": 2, "CallConnected": 3, "Ringing": 4}
	for i := range calls {
		sess := &calls[i]
		for j := range sess.Parties {
			p := &sess.Parties[j]
			// A party whose caller is leaving a voicemail is not on the phone: the user's
			// presence goes back to NoCall when the call goes to voicemail.
			if p.ExtensionID != extensionID || !p.Live() || p.Status == "VoiceMail" {
				continue
			}
			st := partyTelephonyStatus(p)
			if rank[st] > rank[tel.Status] {
				tel.Status = st
			}
			tel.Calls = append(tel.Calls, rc.ActiveCall{ID: p.ID, Direction: p.Direction, From: number(p.From),
				FromName: p.From.Name, To: number(p.To), ToName: p.To.Name, StartTime: p.Joined, TelephonyStatus: st,
				TelephonySessionID: sess.ID, PartyID: p.ID, SessionID: sess.SessionID()})
		}
	}
	return tel, nil
}

func number(e rc.CallEndpoint) string {
	if e.PhoneNumber != "" {
		return e.PhoneNumber
	}
	return e.ExtensionNumber
}

func partyTelephonyStatus(p *rc.CallParty) string {
	switch p.Status {
	case "Hold":
		return "OnHold"
	case "Parked":
		return "ParkedCall"
	case "Setup", "Proceeding":
		if p.Direction == "Inbound" {
			return "Ringing"
		}
	}
	return "CallConnected"
}

// emitMissed announces the calls a finished session left unanswered at hosted extensions.
func (s *Service) emitMissed(sess *rc.CallSession) {
	if s.bus == nil {
		return
	}
	var snap *rc.CallSession
	for i := range sess.Parties {
		p := &sess.Parties[i]
		if !p.Hosted() || !p.MissedCall || p.Direction != "Inbound" {
			continue
		}
		if snap == nil {
			snap = snapshot(sess)
		}
		e := rc.Event{Kind: "missed-call", AccountID: p.AccountID, ExtensionID: p.ExtensionID, Time: s.clock.Now(),
			Call: snap, Changed: []string{p.ID}}
		s.heldMu.Lock()
		if q, ok := s.held[sess.ID]; ok {
			s.held[sess.ID] = append(q, e)
			s.heldMu.Unlock()
			continue
		}
		s.heldMu.Unlock()
		s.bus.Publish(e)
	}
}
