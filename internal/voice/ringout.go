package voice

import (
	"context"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// RingOutRequest is createRingOutCall's body.
type RingOutRequest struct {
	From       string // the phone rung first; "" means the user's own number
	To         string
	CallerID   string
	PlayPrompt bool
}

func ringOutID(sessionNum int64) int64 { return 3000000000008 + sessionNum*1000 }

// RingOut starts a two-legged call: the caller's own phone rings first, and once it answers the
// callee rings. Its status moves on the clock.
func (s *Service) RingOut(ctx context.Context, caller rc.Extension, req RingOutRequest) (rc.RingOut, error) {
	if req.To == "" {
		return rc.RingOut{}, rc.Missing("to.phoneNumber")
	}
	to, ok := Normalize(req.To)
	if !ok {
		return rc.RingOut{}, rc.Invalid("to.phoneNumber")
	}
	own, err := s.directNumber(ctx, caller)
	if err != nil {
		return rc.RingOut{}, err
	}
	from := own
	if req.From != "" {
		if from, ok = Normalize(req.From); !ok {
			return rc.RingOut{}, rc.Invalid("from.phoneNumber")
		}
	}
	callerID := own
	if req.CallerID != "" {
		n, ok := Normalize(req.CallerID)
		if !ok {
			return rc.RingOut{}, rc.Invalid("callerId.phoneNumber")
		}
		if !s.mayPresent(ctx, caller, n) {
			return rc.RingOut{}, rc.Invalid("callerId.phoneNumber")
		}
		callerID = n
	}
	c, err := s.resolve(ctx, caller.AccountID, Target{PhoneNumber: to}, "to")
	if err != nil {
		return rc.RingOut{}, err
	}
	if c.ext != nil && c.ext.ID == caller.ID {
		return rc.RingOut{}, rc.Invalid("to.phoneNumber")
	}
	sess, err := s.newSession(ctx, caller.AccountID, "RingOut")
	if err != nil {
		return rc.RingOut{}, err
	}
	now := s.clock.Now()
	sess.RingOutID = ringOutID(sess.Num)
	me := addParty(&sess, rc.CallParty{AccountID: caller.AccountID, ExtensionID: caller.ID, Direction: "Outbound",
		From: rc.CallEndpoint{PhoneNumber: callerID, ExtensionID: caller.ID, ExtensionNumber: caller.ExtensionNumber, Name: caller.Name},
		To:   rc.CallEndpoint{PhoneNumber: to}, Status: "Setup", Transport: "PSTN", Action: "RingOut Web", Joined: now})
	if c.ext != nil {
		me.To = rc.CallEndpoint{PhoneNumber: to, ExtensionNumber: c.ext.ExtensionNumber, ExtensionID: c.ext.ID, Name: c.ext.Name}
	}
	s.schedule(&sess, now, "proceed", me.ID, "")
	// The first leg rings the caller's own phone, which may itself be a reserved number.
	if b, ok := Reserved[from]; ok {
		at := now
		if b == NoAnswer {
			at = now.Add(s.Timings().NoAnswer)
		} else if b == Rejected {
			at = now.Add(s.Timings().Ring)
		}
		s.schedule(&sess, at, "fail", me.ID, string(b))
	} else {
		s.schedule(&sess, now.Add(s.Timings().Ring), "ro-connect", me.ID, to)
	}
	ro := rc.RingOut{ID: sess.RingOutID, AccountID: caller.AccountID, ExtensionID: caller.ID, SessionID: sess.ID,
		From: from, To: to, CallerID: callerID, PlayPrompt: req.PlayPrompt, CallStatus: "InProgress",
		CallerStatus: "InProgress", CalleeStatus: "InProgress", Created: now}
	if err := s.store.PutRingOut(ctx, ro); err != nil {
		return rc.RingOut{}, err
	}
	if err := s.create(ctx, &sess, []string{me.ID}); err != nil {
		return rc.RingOut{}, err
	}
	return s.RingOutStatus(ctx, caller.ID, ro.ID)
}

// mayPresent says whether a user may show n as caller id: its own numbers with the CallerId
// feature, or the company's main number.
func (s *Service) mayPresent(ctx context.Context, e rc.Extension, n string) bool {
	nums, err := s.store.ExtensionPhoneNumbers(ctx, e.AccountID, e.ID)
	if err != nil {
		return false
	}
	for _, pn := range nums {
		if pn.PhoneNumber == n {
			for _, f := range pn.Features {
				if f == "CallerId" {
					return true
				}
			}
		}
	}
	acc, err := s.store.Account(ctx, e.AccountID)
	return err == nil && acc.MainNumber == n
}

// connectRingOut runs when the caller's phone answers: the callee rings.
func (s *Service) connectRingOut(ctx context.Context, sess *rc.CallSession, me *rc.CallParty, to string, now time.Time) ([]string, error) {
	me.Status, me.Answered = "Answered", &now
	c, err := s.resolve(ctx, me.AccountID, Target{PhoneNumber: to}, "to")
	if err != nil {
		c = callee{number: to}
	}
	from := me.From
	transport := "PSTN"
	if c.ext != nil {
		transport = "VoIP"
	}
	p, err := s.ringParty(ctx, sess, from, c, transport, now)
	if err != nil {
		return nil, err
	}
	changed := []string{me.ID}
	if p.Hosted() {
		changed = append(changed, p.ID)
	}
	return changed, nil
}

// ringOutStatus derives the RingOut statuses from its session.
func ringOutStatus(sess *rc.CallSession, ro *rc.RingOut) {
	leg := func(p *rc.CallParty) string {
		switch {
		case p == nil:
			return "InProgress"
		case p.Status == "Disconnected" && p.Answered != nil:
			return "Finished"
		case p.Status == "Disconnected":
			switch p.Reason {
			case "TargetBusy":
				return "Busy"
			case "NoAnswer", "Rejected":
				return p.Reason
			case "InvalidNumber":
				return "GenericError"
			}
			return "Rejected"
		case p.Answered != nil:
			return "Success"
		}
		return "InProgress"
	}
	var me, other *rc.CallParty
	for i := range sess.Parties {
		if i == 0 {
			me = &sess.Parties[0]
		} else if other == nil {
			other = &sess.Parties[i]
		}
	}
	ro.CallerStatus = leg(me)
	ro.CalleeStatus = leg(other)
	if other != nil && other.Status == "Disconnected" && other.Answered == nil && ro.CallerStatus == "Finished" {
		ro.CallerStatus = "Success"
	}
	switch {
	case me != nil && me.Answered != nil && other != nil && other.Answered != nil:
		ro.CallStatus = "Success"
	case sess.Ended:
		ro.CallStatus = "CannotReach"
		if ro.CalleeStatus == "InProgress" {
			ro.CalleeStatus = "Rejected"
		}
	default:
		ro.CallStatus = "InProgress"
	}
}

// settleRingOut stores the final statuses of a RingOut whose call ended.
func (s *Service) settleRingOut(ctx context.Context, sess *rc.CallSession) {
	if len(sess.Parties) == 0 {
		return
	}
	ro, err := s.store.RingOut(ctx, sess.Parties[0].ExtensionID, sess.RingOutID)
	if err != nil {
		return
	}
	ringOutStatus(sess, &ro)
	ro.SessionID = ""
	_ = s.store.PutRingOut(ctx, ro)
}

// RingOutStatus returns a RingOut as it stands; 404 CMN-102 naming ringoutId if the extension
// made none with that id.
func (s *Service) RingOutStatus(ctx context.Context, extensionID, id int64) (rc.RingOut, error) {
	ro, err := s.store.RingOut(ctx, extensionID, id)
	if notFound(err) {
		return ro, rc.NotFound("ringoutId")
	}
	if err != nil || ro.SessionID == "" {
		return ro, err
	}
	sess, err := s.store.Call(ctx, ro.SessionID)
	if notFound(err) {
		// Ended between the two reads: the stored row is final now.
		return s.store.RingOut(ctx, extensionID, id)
	}
	if err != nil {
		return ro, err
	}
	ringOutStatus(&sess, &ro)
	return ro, nil
}

// CancelRingOut ends a RingOut that has not connected both legs yet; a connected or finished
// one is left as it is, as on the platform.
func (s *Service) CancelRingOut(ctx context.Context, caller *rc.Principal, id int64) error {
	ro, err := s.RingOutStatus(ctx, caller.ExtensionID, id)
	if err != nil {
		return err
	}
	if ro.SessionID == "" || ro.CallStatus != "InProgress" {
		return nil
	}
	_, err = s.change(ctx, caller, ro.SessionID, func(sess *rc.CallSession) ([]string, error) {
		me := &sess.Parties[0]
		me.Result = "Stopped"
		for i := range sess.Parties[1:] {
			if p := &sess.Parties[i+1]; p.Live() {
				p.Status, p.Reason = "Disconnected", "Rejected"
			}
		}
		if me.Live() {
			me.Status, me.Reason = "Disconnected", "Rejected"
			me.Answered = nil
		}
		return nil, s.finish(ctx, sess, s.clock.Now(), []string{me.ID})
	})
	if rc.IsNotFound(err) {
		return nil // it ended meanwhile
	}
	return err
}
