package voice

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// stateError is the 409 for an operation the party's state does not allow. The platform
// documents the status (Conflict) but not the code.
func stateError(op string, p *rc.CallParty) *rc.Error {
	return &rc.Error{Status: 409, Code: "TAS-102", TopCode: "TAS-102", Param: "partyId",
		Message: fmt.Sprintf("Operation [%s] is not allowed for a party in status [%s]", op, p.Status)}
}

// Session returns a live session the caller's account takes part in; 404 CMN-102 otherwise
// (ended sessions are gone).
func (s *Service) Session(ctx context.Context, caller *rc.Principal, id string) (rc.CallSession, error) {
	sess, err := s.store.Call(ctx, id)
	if notFound(err) || (err == nil && !visible(&sess, caller)) {
		return rc.CallSession{}, rc.NotFound("telephonySessionId")
	}
	return sess, err
}

func visible(sess *rc.CallSession, caller *rc.Principal) bool {
	if sess.AccountID == caller.AccountID {
		return true
	}
	for i := range sess.Parties {
		if sess.Parties[i].AccountID == caller.AccountID {
			return true
		}
	}
	return false
}

// change runs fn on a live session under its lock, then saves it, publishes the parties fn
// changed and applies the steps now due. fn returns the changed party ids; it may end the call.
func (s *Service) change(ctx context.Context, caller *rc.Principal, id string, fn func(sess *rc.CallSession) ([]string, error)) (rc.CallSession, error) {
	unlock := s.lock(id)
	defer unlock()
	sess, err := s.Session(ctx, caller, id)
	if err != nil {
		return sess, err
	}
	changed, err := fn(&sess)
	if err != nil {
		return sess, err
	}
	if sess.Ended {
		return sess, nil
	}
	stampLeft(&sess, s.clock.Now())
	if len(changed) > 0 {
		sess.Sequence++
		if err := s.store.UpdateCall(ctx, sess); err != nil {
			if notFound(err) {
				return sess, rc.NotFound("telephonySessionId")
			}
			return sess, err
		}
		s.emit(ctx, &sess, changed)
	}
	if err := s.advance(ctx, &sess, len(changed) > 0); err != nil && !notFound(err) {
		return sess, err
	}
	s.Kick()
	return sess, nil
}

// party finds a party the caller may control: its own, or any of its account's for an
// administrator.
func party(sess *rc.CallSession, caller *rc.Principal, id string) (*rc.CallParty, error) {
	return partyFor(sess, caller, id, false)
}

// partyFor is party; colleague lets any user of the party's account act on it (pickup takes a
// colleague's call, which is what it is for).
func partyFor(sess *rc.CallSession, caller *rc.Principal, id string, colleague bool) (*rc.CallParty, error) {
	p := sess.Party(id)
	if p == nil {
		return nil, rc.NotFound("partyId")
	}
	if colleague && p.Hosted() && p.AccountID == caller.AccountID {
		return p, nil
	}
	if p.Hosted() && p.ExtensionID != caller.ExtensionID && !(caller.Admin && p.AccountID == caller.AccountID) {
		return nil, rc.OtherExtension("CallControl")
	}
	if !p.Hosted() && !caller.Admin {
		return nil, rc.OtherExtension("CallControl")
	}
	return p, nil
}

// Drop ends a session for every party.
func (s *Service) Drop(ctx context.Context, caller *rc.Principal, id string) error {
	_, err := s.change(ctx, caller, id, func(sess *rc.CallSession) ([]string, error) {
		// An empty conference has nobody's party yet; anyone of its account may end it.
		mine := len(sess.Parties) == 0
		for i := range sess.Parties {
			p := &sess.Parties[i]
			mine = mine || p.ExtensionID == caller.ExtensionID || (caller.Admin && p.AccountID == caller.AccountID)
		}
		if !mine {
			return nil, rc.OtherExtension("CallControl")
		}
		return nil, s.finish(ctx, sess, s.clock.Now(), nil)
	})
	return err
}

// PartyOp is a call-control operation on one party.
type PartyOp struct {
	Name     string // hold, unhold, answer, reject, ignore, park, reply, forward, transfer, flip, pickup, remove, update
	DeviceID int64
	Target   Target
	// Voicemail is the extension id whose mailbox a forward or transfer targets.
	Voicemail string
	ParkOrbit string
	FlipID    string
	Reply     string
	Muted     *bool
	Alone     *bool
}

// Party returns one party of a live session.
func (s *Service) Party(ctx context.Context, caller *rc.Principal, sessionID, partyID string) (rc.CallParty, error) {
	sess, err := s.Session(ctx, caller, sessionID)
	if err != nil {
		return rc.CallParty{}, err
	}
	p := sess.Party(partyID)
	if p == nil {
		return rc.CallParty{}, rc.NotFound("partyId")
	}
	return *p, nil
}

// Operate applies a party operation and returns the party as it then stands (for pickup, the
// party that took the call over; forward and transfer answer the party that left, as the
// platform does), with the session.
func (s *Service) Operate(ctx context.Context, caller *rc.Principal, sessionID, partyID string, op PartyOp) (rc.CallParty, rc.CallSession, error) {
	var out string
	sess, err := s.change(ctx, caller, sessionID, func(sess *rc.CallSession) ([]string, error) {
		p, err := partyFor(sess, caller, partyID, op.Name == "pickup")
		if err != nil {
			return nil, err
		}
		out = p.ID
		if !p.Live() {
			return nil, stateError(op.Name, p)
		}
		now := s.clock.Now()
		switch op.Name {
		case "hold":
			if p.Status == "Hold" {
				return nil, nil // the platform answers a repeated hold with the party as it is
			}
			if p.Status != "Answered" {
				return nil, stateError(op.Name, p)
			}
			p.Status = "Hold"
			return []string{p.ID}, nil
		case "unhold":
			// Unlike a repeated hold, unholding a party that is not held is a conflict: the
			// client's idea of the call is wrong, and it should hear so.
			if p.Status != "Hold" {
				return nil, stateError(op.Name, p)
			}
			p.Status = "Answered"
			return []string{p.ID}, nil
		case "update":
			if op.Muted != nil {
				p.Muted = *op.Muted
			}
			if op.Alone != nil {
				p.StandAlone = *op.Alone
			}
			return []string{p.ID}, nil
		case "answer":
			if !ringing(p) || p.Direction != "Inbound" || !p.Hosted() {
				return nil, stateError(op.Name, p)
			}
			if op.DeviceID != 0 {
				if !s.ownsDeviceID(p.ExtensionID, op.DeviceID) {
					return nil, deviceError(op.DeviceID)
				}
				p.DeviceID = op.DeviceID
			} else if p.DeviceID == 0 {
				p.DeviceID = deviceIDOf(p.ExtensionID)
			}
			return s.answer(sess, p, now), nil
		case "reject", "ignore":
			if !ringing(p) || p.Direction != "Inbound" || !p.Hosted() {
				return nil, stateError(op.Name, p)
			}
			// ignore names the device that lets the call go; it must be the party's.
			if op.Name == "ignore" && !s.ownsDeviceID(p.ExtensionID, op.DeviceID) {
				return nil, deviceError(op.DeviceID)
			}
			return s.toVoicemail(sess, p, now), nil
		case "reply":
			if !ringing(p) || p.Direction != "Inbound" || !p.Hosted() {
				return nil, stateError(op.Name, p)
			}
			p.Reason = "CallReplied"
			return []string{p.ID}, nil
		case "park":
			if !connected(p) {
				return nil, stateError(op.Name, p)
			}
			p.Status, p.ParkID = "Parked", s.parkOrbit(sess, p)
			return []string{p.ID}, nil
		case "flip":
			if !connected(p) || !p.Hosted() {
				return nil, stateError(op.Name, p)
			}
			if op.FlipID == "" {
				return nil, rc.Missing("callFlipId")
			}
			p.Status = "Answered"
			return []string{p.ID}, nil
		case "remove":
			p.Status = "Disconnected"
			unschedule(sess, p.ID)
			if liveCount(sess) < 2 {
				return nil, s.finish(ctx, sess, now, []string{p.ID})
			}
			return []string{p.ID}, nil
		case "forward":
			if !ringing(p) || p.Direction != "Inbound" || !p.Hosted() {
				return nil, stateError(op.Name, p)
			}
			return s.handOver(ctx, sess, p, op, "forward", &out)
		case "transfer":
			if !connected(p) {
				return nil, stateError(op.Name, p)
			}
			return s.handOver(ctx, sess, p, op, "transfer", &out)
		case "pickup":
			if !(ringing(p) && p.Direction == "Inbound") && p.Status != "Parked" {
				return nil, stateError(op.Name, p)
			}
			return s.pickup(ctx, sess, caller, p, op, &out)
		}
		return nil, rc.Invalid("operation")
	})
	if err != nil {
		return rc.CallParty{}, sess, err
	}
	if p := sess.Party(out); p != nil {
		return *p, sess, nil
	}
	return rc.CallParty{}, sess, rc.NotFound("partyId")
}

// parkOrbit picks the park location a parked call takes: *801, *802... by session.
func (s *Service) parkOrbit(sess *rc.CallSession, p *rc.CallParty) string {
	return "*8" + fmt.Sprintf("%02d", sess.Num%99+1)
}

// handOver forwards a ringing party's call, or transfers an answered party's call, to a target:
// the party leaves (Disconnected, BlindTransfer) and a new party rings for the target. A target
// `voicemail` sends the caller to that mailbox.
func (s *Service) handOver(ctx context.Context, sess *rc.CallSession, p *rc.CallParty, op PartyOp, name string, out *string) ([]string, error) {
	now := s.clock.Now()
	var from rc.CallEndpoint
	for i := range sess.Parties {
		if q := &sess.Parties[i]; q.ID != p.ID && q.Live() {
			from = q.From
			if q.Direction == "Inbound" {
				from = q.To
			}
			break
		}
	}
	if op.ParkOrbit != "" {
		if name != "transfer" {
			return nil, rc.Invalid("parkOrbit")
		}
		p.Status, p.ParkID = "Parked", op.ParkOrbit
		return []string{p.ID}, nil
	}
	var c callee
	if op.Voicemail != "" {
		n, err := strconv.ParseInt(op.Voicemail, 10, 64)
		if err != nil {
			return nil, rc.Invalid("voicemail")
		}
		e, err := s.store.Extension(ctx, p.AccountID, n)
		if notFound(err) {
			return nil, rc.BadReference("voicemail")
		}
		if err != nil {
			return nil, err
		}
		c = callee{ext: &e}
	} else {
		var err error
		if c, err = s.resolve(ctx, p.AccountID, op.Target, ""); err != nil {
			return nil, err
		}
	}
	unschedule(sess, p.ID)
	p.Status, p.Reason = "Disconnected", "BlindTransfer"
	if name == "forward" {
		p.Result = "Accepted"
		p.Answered = &now
	}
	transport := "VoIP"
	if c.ext == nil {
		transport = "PSTN"
	}
	np, err := s.ringParty(ctx, sess, from, c, transport, now)
	if err != nil {
		return nil, err
	}
	np.Action = "Transfer"
	if op.Voicemail != "" {
		unschedule(sess, np.ID)
		s.schedule(sess, now, "voicemail", np.ID, "")
	}
	changed := []string{p.ID}
	// The party waiting for the call hears it ring again (it keeps its answer time, so that the
	// new party's answer reconnects it).
	for i := range sess.Parties {
		if q := &sess.Parties[i]; q.ID != p.ID && q.ID != np.ID && q.Live() && connected(q) && name == "transfer" {
			q.Status = "Proceeding"
			if q.Hosted() {
				changed = append(changed, q.ID)
			}
		}
	}
	if np.Hosted() {
		changed = append(changed, np.ID)
	}
	return changed, nil
}

// pickup lets the caller take over a call ringing (or parked) at another party of its account.
func (s *Service) pickup(ctx context.Context, sess *rc.CallSession, caller *rc.Principal, p *rc.CallParty, op PartyOp, out *string) ([]string, error) {
	if op.DeviceID == 0 {
		return nil, rc.Missing("deviceId")
	}
	if !s.ownsDeviceID(caller.ExtensionID, op.DeviceID) {
		return nil, deviceError(op.DeviceID)
	}
	e, err := s.store.Extension(ctx, caller.AccountID, caller.ExtensionID)
	if err != nil {
		return nil, err
	}
	to, err := s.endpointOf(ctx, e)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	// What the party was decides its record and the new party's action, so read it before the
	// party leaves.
	parked, wasRinging := p.Status == "Parked", ringing(p)
	unschedule(sess, p.ID)
	p.Status, p.Reason = "Disconnected", "Pickup"
	if wasRinging {
		// The call-log reason Stopped is "the call was answered by another phone"; it is no
		// missed call.
		p.Result, p.MissedCall = "Stopped", false
	}
	np := addParty(sess, rc.CallParty{AccountID: e.AccountID, ExtensionID: e.ID, Direction: "Inbound", From: p.From, To: to,
		Status: "Answered", DeviceID: op.DeviceID, Transport: "VoIP", Action: "Call Park", Joined: now, Answered: &now})
	if !parked {
		np.Action = "Phone Call"
	}
	changed := []string{p.ID, np.ID}
	changed = append(changed, reconnect(sess, now, np.ID)...)
	*out = np.ID
	return changed, nil
}

// Recording starts or changes a party's recording: start with id 0 begins a new one.
func (s *Service) Recording(ctx context.Context, caller *rc.Principal, sessionID, partyID string, recID int64, active bool) (rc.PartyRecording, error) {
	var out rc.PartyRecording
	_, err := s.change(ctx, caller, sessionID, func(sess *rc.CallSession) ([]string, error) {
		p, err := party(sess, caller, partyID)
		if err != nil {
			return nil, err
		}
		if !connected(p) {
			return nil, stateError("recordings", p)
		}
		now := s.clock.Now()
		if recID == 0 {
			if len(p.Recordings) > 0 {
				r := &p.Recordings[len(p.Recordings)-1]
				if r.Active {
					return nil, &rc.Error{Status: 409, Code: "TAS-103", TopCode: "TAS-103", Param: "partyId",
						Message: "Recording is already in progress"}
				}
			}
			k := 0
			for i := range sess.Parties {
				k += len(sess.Parties[i].Recordings)
			}
			p.Recordings = append(p.Recordings, rc.PartyRecording{ID: recordingID(sess.Num, k), Active: true, Type: "OnDemand", Since: now})
			out = p.Recordings[len(p.Recordings)-1]
			return []string{p.ID}, nil
		}
		for i := range p.Recordings {
			r := &p.Recordings[i]
			if r.ID != recID {
				continue
			}
			if r.Active && !active {
				r.Recorded += now.Sub(r.Since)
			}
			if !r.Active && active {
				r.Since = now
			}
			r.Active = active
			out = *r
			return []string{p.ID}, nil
		}
		return nil, rc.NotFound("recordingId")
	})
	return out, err
}

// Supervise adds a monitoring party for a supervisor's device to a session; agentExtension, if
// set, names the party supervised.
func (s *Service) Supervise(ctx context.Context, caller *rc.Principal, sessionID string, deviceID int64, agentExtensionID int64, mode string) (rc.CallParty, error) {
	if mode != "Listen" {
		return rc.CallParty{}, rc.Invalid("mode")
	}
	if deviceID == 0 {
		return rc.CallParty{}, rc.Missing("supervisorDeviceId")
	}
	if !caller.Admin {
		return rc.CallParty{}, rc.AdminRequired()
	}
	if !s.ownsDeviceID(caller.ExtensionID, deviceID) {
		return rc.CallParty{}, deviceError(deviceID)
	}
	e, err := s.store.Extension(ctx, caller.AccountID, caller.ExtensionID)
	if err != nil {
		return rc.CallParty{}, err
	}
	var out string
	sess, err := s.change(ctx, caller, sessionID, func(sess *rc.CallSession) ([]string, error) {
		var agent *rc.CallParty
		for i := range sess.Parties {
			q := &sess.Parties[i]
			if q.Live() && q.Hosted() && q.Role == "" && (agentExtensionID == 0 || q.ExtensionID == agentExtensionID) {
				agent = q
				break
			}
		}
		if agent == nil {
			return nil, rc.BadReference("agentExtensionId")
		}
		if !connected(agent) {
			return nil, stateError("supervise", agent)
		}
		me, err := s.endpointOf(ctx, e)
		if err != nil {
			return nil, err
		}
		now := s.clock.Now()
		np := addParty(sess, rc.CallParty{AccountID: e.AccountID, ExtensionID: e.ID, Direction: "Outbound", From: me,
			To: agent.To, Status: "Answered", DeviceID: deviceID, Transport: "VoIP", Action: "Monitoring", Role: "Supervisor",
			Joined: now, Answered: &now, Muted: true})
		out = np.ID
		return []string{np.ID}, nil
	})
	if err != nil {
		return rc.CallParty{}, err
	}
	return *sess.Party(out), nil
}

// Bridge connects a party of this session with a party of another session of the same user
// (an attended transfer): both leave (Gone, AttendedTransfer) and the other session's remaining
// parties join this one.
func (s *Service) Bridge(ctx context.Context, caller *rc.Principal, sessionID, partyID, otherSession, otherParty string) (rc.CallParty, error) {
	if otherSession == "" {
		return rc.CallParty{}, rc.Missing("telephonySessionId")
	}
	if otherParty == "" {
		return rc.CallParty{}, rc.Missing("partyId")
	}
	if otherSession == sessionID {
		return rc.CallParty{}, rc.Invalid("telephonySessionId")
	}
	// The two sessions' locks are taken in a fixed order, so that bridges do not deadlock.
	first, second := sessionID, otherSession
	if s.lockIndex(second) < s.lockIndex(first) {
		first, second = second, first
	}
	unlockA := s.lock(first)
	var unlockB func()
	if s.lockIndex(first) != s.lockIndex(second) {
		unlockB = s.lock(second)
	}
	defer func() {
		if unlockB != nil {
			unlockB()
		}
		unlockA()
	}()
	a, err := s.Session(ctx, caller, sessionID)
	if err != nil {
		return rc.CallParty{}, err
	}
	b, err := s.Session(ctx, caller, otherSession)
	if err != nil {
		if rc.IsNotFound(err) {
			return rc.CallParty{}, rc.BadReference("telephonySessionId")
		}
		return rc.CallParty{}, err
	}
	pa, err := party(&a, caller, partyID)
	if err != nil {
		return rc.CallParty{}, err
	}
	pb := b.Party(otherParty)
	if pb == nil {
		return rc.CallParty{}, rc.BadReference("partyId")
	}
	if pb.ExtensionID != pa.ExtensionID {
		return rc.CallParty{}, rc.Invalid("partyId")
	}
	if !connected(pa) {
		return rc.CallParty{}, stateError("bridge", pa)
	}
	if !connected(pb) {
		return rc.CallParty{}, stateError("bridge", pb)
	}
	now := s.clock.Now()
	pa.Status, pa.Reason, pa.PeerID = "Gone", "AttendedTransfer", pb.ID
	pb.Status, pb.Reason, pb.PeerID = "Gone", "AttendedTransfer", pa.ID
	changedA := []string{pa.ID}
	for i := range b.Parties {
		q := b.Parties[i]
		if q.ID == pb.ID || !q.Live() {
			continue
		}
		q.Recordings = nil
		q.Status = "Answered"
		np := addParty(&a, q)
		np.Joined = now
		if np.Hosted() {
			changedA = append(changedA, np.ID)
		}
		b.Parties[i].Status, b.Parties[i].Reason = "Gone", "AttendedTransfer"
	}
	if err := s.finish(ctx, &b, now, []string{pb.ID}); err != nil {
		return rc.CallParty{}, err
	}
	stampLeft(&a, now)
	out := *a.Party(partyID)
	if liveCount(&a) < 2 {
		return out, s.finish(ctx, &a, now, changedA)
	}
	a.Sequence++
	if err := s.store.UpdateCall(ctx, a); err != nil {
		return rc.CallParty{}, err
	}
	s.emit(ctx, &a, changedA)
	return out, nil
}

// BringIn moves a party of another session into a conference session.
func (s *Service) BringIn(ctx context.Context, caller *rc.Principal, sessionID, otherSession, otherParty string) (rc.CallParty, error) {
	if otherSession == "" {
		return rc.CallParty{}, rc.Missing("telephonySessionId")
	}
	if otherParty == "" {
		return rc.CallParty{}, rc.Missing("partyId")
	}
	conf, err := s.Session(ctx, caller, sessionID)
	if err != nil {
		return rc.CallParty{}, err
	}
	if conf.Origin != "Conference" {
		return rc.CallParty{}, rc.Invalid("telephonySessionId")
	}
	var moved rc.CallParty
	_, err = s.change(ctx, caller, otherSession, func(b *rc.CallSession) ([]string, error) {
		p, err := party(b, caller, otherParty)
		if err != nil {
			return nil, err
		}
		if !connected(p) {
			return nil, stateError("bring-in", p)
		}
		moved = *p
		p.Status, p.Reason = "Gone", "CallRedirected"
		if liveCount(b) < 2 {
			return nil, s.finish(ctx, b, s.clock.Now(), []string{p.ID})
		}
		return []string{p.ID}, nil
	})
	if err != nil {
		if rc.IsNotFound(err) {
			return rc.CallParty{}, rc.BadReference("telephonySessionId")
		}
		return rc.CallParty{}, err
	}
	var out string
	_, err = s.change(ctx, caller, sessionID, func(c *rc.CallSession) ([]string, error) {
		moved.Recordings, moved.Status = nil, "Answered"
		moved.To = rc.CallEndpoint{Name: "Conference", PhoneNumber: "conference"}
		moved.Role = "Participant"
		np := addParty(c, moved)
		np.Joined = s.clock.Now()
		out = np.ID
		return []string{np.ID}, nil
	})
	if err != nil {
		return rc.CallParty{}, err
	}
	sess, err := s.store.Call(ctx, sessionID)
	if err != nil {
		return rc.CallParty{}, err
	}
	return *sess.Party(out), nil
}

// Conference starts an empty conference session the caller's parties can be brought into.
func (s *Service) Conference(ctx context.Context, caller rc.Extension) (rc.CallSession, error) {
	sess, err := s.newSession(ctx, caller.AccountID, "Conference")
	if err != nil {
		return sess, err
	}
	// A conference with nobody in it lasts a day at most.
	s.schedule(&sess, s.clock.Now().Add(24*time.Hour), "expire", "", "")
	unlock := s.lock(sess.ID)
	defer unlock()
	if err := s.store.InsertCall(ctx, sess); err != nil {
		return sess, err
	}
	s.Kick()
	return sess, nil
}

// Live returns a live session whoever's it is (for the control plane).
func (s *Service) Live(ctx context.Context, id string) (rc.CallSession, error) {
	sess, err := s.store.Call(ctx, id)
	if notFound(err) {
		return sess, rc.NotFound("telephonySessionId")
	}
	return sess, err
}

// AllLive lists every live session, oldest first (for the control plane).
func (s *Service) AllLive(ctx context.Context) ([]rc.CallSession, error) {
	return s.store.AllCalls(ctx)
}

// End ends a live session as if every party hung up (for the control plane).
func (s *Service) End(ctx context.Context, id string) error {
	unlock := s.lock(id)
	defer unlock()
	sess, err := s.Live(ctx, id)
	if err != nil {
		return err
	}
	return s.finish(ctx, &sess, s.clock.Now(), nil)
}
