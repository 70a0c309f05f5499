package voice

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// Target is whom a call goes to: a phone number (E.164, or the company number with `*ext`), an
// extension number of the caller's account, or (for forward and transfer) an extension id.
type Target struct {
	PhoneNumber     string `json:"phoneNumber"`
	ExtensionNumber string `json:"extensionNumber"`
	ExtensionID     string `json:"extensionId"`
}

var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Normalize turns a dialled number into E.164: spaces and punctuation go, a national US number
// gets +1, a number without + gets one. ok is false if the result is not E.164.
func Normalize(raw string) (string, bool) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.':
			return -1
		}
		return r
	}, strings.TrimSpace(raw))
	if n == "" {
		return "", false
	}
	if !strings.HasPrefix(n, "+") {
		if len(n) == 10 && n[0] >= '2' {
			n = "1" + n
		}
		n = "+" + n
	}
	return n, e164RE.MatchString(n)
}

// callee is a resolved call target.
type callee struct {
	ext    *rc.Extension // hosted
	number string        // the number dialled, E.164, when one was
}

// resolve finds whom a target names. param names the object holding the target's fields for
// errors ("to" for to.phoneNumber), or "" when they are top-level fields of the body.
func (s *Service) resolve(ctx context.Context, accountID int64, t Target, param string) (callee, error) {
	field := func(f string) string {
		if param == "" {
			return f
		}
		return param + "." + f
	}
	switch {
	case t.ExtensionNumber != "":
		e, err := s.store.ExtensionByNumber(ctx, accountID, t.ExtensionNumber)
		if notFound(err) {
			return callee{}, rc.BadReference(field("extensionNumber"))
		}
		if err != nil {
			return callee{}, err
		}
		return callee{ext: &e}, nil
	case t.ExtensionID != "":
		n, err := strconv.ParseInt(t.ExtensionID, 10, 64)
		if err != nil || n <= 0 {
			return callee{}, rc.Invalid(field("extensionId"))
		}
		e, err := s.store.Extension(ctx, accountID, n)
		if notFound(err) {
			return callee{}, rc.BadReference(field("extensionId"))
		}
		if err != nil {
			return callee{}, err
		}
		return callee{ext: &e}, nil
	case t.PhoneNumber != "":
		raw, extNum, hasExt := strings.Cut(t.PhoneNumber, "*")
		n, ok := Normalize(raw)
		if !ok || (hasExt && extNum == "") {
			return callee{}, rc.Invalid(field("phoneNumber"))
		}
		pn, err := s.store.FindPhoneNumber(ctx, n)
		if notFound(err) {
			if hasExt {
				return callee{}, rc.Invalid(field("phoneNumber"))
			}
			return callee{number: n}, nil
		}
		if err != nil {
			return callee{}, err
		}
		var e rc.Extension
		switch {
		case hasExt:
			e, err = s.store.ExtensionByNumber(ctx, pn.AccountID, extNum)
		case pn.ExtensionID != 0:
			e, err = s.store.Extension(ctx, pn.AccountID, pn.ExtensionID)
		default:
			var acc rc.Account
			if acc, err = s.store.Account(ctx, pn.AccountID); err == nil {
				e, err = s.store.Extension(ctx, pn.AccountID, acc.OperatorExtension)
			}
		}
		if notFound(err) {
			return callee{}, rc.BadReference(field("phoneNumber"))
		}
		if err != nil {
			return callee{}, err
		}
		return callee{ext: &e, number: n}, nil
	}
	if param == "" {
		return callee{}, rc.Missing("phoneNumber")
	}
	return callee{}, rc.Missing(param)
}

// directNumber is the number an extension calls from: its primary direct number, else its first
// voice number, else the company's main number.
func (s *Service) directNumber(ctx context.Context, e rc.Extension) (string, error) {
	nums, err := s.store.ExtensionPhoneNumbers(ctx, e.AccountID, e.ID)
	if err != nil {
		return "", err
	}
	best := ""
	for _, n := range nums {
		if n.Type == "FaxOnly" {
			continue
		}
		if best == "" || (n.UsageType == "DirectNumber" && n.Primary) {
			best = n.PhoneNumber
		}
	}
	if best != "" {
		return best, nil
	}
	acc, err := s.store.Account(ctx, e.AccountID)
	if err != nil {
		return "", err
	}
	return acc.MainNumber, nil
}

func (s *Service) endpointOf(ctx context.Context, e rc.Extension) (rc.CallEndpoint, error) {
	n, err := s.directNumber(ctx, e)
	return rc.CallEndpoint{PhoneNumber: n, ExtensionNumber: e.ExtensionNumber, ExtensionID: e.ID, Name: e.Name}, err
}

// newSession builds a session with fresh ids; parties get ids in order.
func (s *Service) newSession(ctx context.Context, accountID int64, origin string) (rc.CallSession, error) {
	n, err := s.newIDs(ctx, 1)
	if err != nil {
		return rc.CallSession{}, err
	}
	now := s.clock.Now()
	return rc.CallSession{ID: "s-" + idTail(n), Num: n, AccountID: accountID, Origin: origin, CreationTime: now}, nil
}

// idTail derives the hexadecimal body the platform's session and party ids have from a serial.
func idTail(n int64) string {
	x := uint64(n)*0x9E3779B97F4A7C15 ^ 0xa0d17ca5e4bfe17e
	return fmt.Sprintf("a%015xz%08x", x>>4, uint32(n))
}

// addParty appends a party with the next id of the session.
func addParty(sess *rc.CallSession, p rc.CallParty) *rc.CallParty {
	tail := strings.TrimPrefix(sess.ID, "s-")
	p.ID = "p-" + tail + "-" + strconv.Itoa(len(sess.Parties)+1)
	sess.Parties = append(sess.Parties, p)
	return &sess.Parties[len(sess.Parties)-1]
}

func (s *Service) schedule(sess *rc.CallSession, at time.Time, action, party, arg string) {
	sess.Steps = append(sess.Steps, rc.CallStep{At: at, Action: action, Party: party, Arg: arg})
}

// unschedule drops the steps of a party (or all of the session's, for "").
func unschedule(sess *rc.CallSession, party string) {
	out := sess.Steps[:0]
	for _, st := range sess.Steps {
		if party != "" && st.Party != party {
			out = append(out, st)
		}
	}
	sess.Steps = out
}

// ringParty adds the party of whom a call rings: a hosted extension rings until it answers or
// the call goes to voicemail; an outside number does what its reserved behaviour says, else
// answers after the ring time.
func (s *Service) ringParty(ctx context.Context, sess *rc.CallSession, from rc.CallEndpoint, c callee, transport string, now time.Time) (*rc.CallParty, error) {
	t := s.Timings()
	if c.ext != nil {
		to, err := s.endpointOf(ctx, *c.ext)
		if err != nil {
			return nil, err
		}
		if c.number != "" {
			to.PhoneNumber = c.number
		}
		p := addParty(sess, rc.CallParty{AccountID: c.ext.AccountID, ExtensionID: c.ext.ID, Direction: "Inbound",
			From: from, To: to, Status: "Setup", Transport: transport, Action: "Phone Call", Joined: now})
		if from.ExtensionID != 0 {
			p.Action = "VoIP Call"
		}
		s.schedule(sess, now, "ring", p.ID, "")
		s.schedule(sess, now.Add(t.NoAnswer), "noanswer", p.ID, "")
		return p, nil
	}
	p := addParty(sess, rc.CallParty{Direction: "Inbound", From: from, To: rc.CallEndpoint{PhoneNumber: c.number},
		Status: "Proceeding", Transport: "PSTN", Action: "Phone Call", Joined: now})
	if b, ok := Reserved[c.number]; ok {
		switch b {
		case Busy, Invalid:
			s.schedule(sess, now, "fail", p.ID, string(b))
		case NoAnswer:
			s.schedule(sess, now.Add(t.NoAnswer), "fail", p.ID, string(b))
		case Rejected:
			s.schedule(sess, now.Add(t.Ring), "fail", p.ID, string(b))
		}
		return p, nil
	}
	s.schedule(sess, now.Add(t.Ring), "answer", p.ID, "")
	return p, nil
}

// Behaviour is what a reserved outside number does when called.
type Behaviour string

// Reserved outside-number behaviours.
const (
	Busy     Behaviour = "Busy"
	NoAnswer Behaviour = "NoAnswer"
	Rejected Behaviour = "Rejected"
	Invalid  Behaviour = "Invalid"
)

// Reserved are outside numbers whose calls fail the same way every time, so that apps can test
// their failure handling; every other outside number answers after the ring time. The last
// digits follow SIP's codes.
var Reserved = map[string]Behaviour{
	"+15005550486": Busy,     // 486 Busy Here
	"+15005550480": NoAnswer, // 480 Temporarily Unavailable
	"+15005550603": Rejected, // 603 Decline
	"+15005550404": Invalid,  // 404 Not Found
}

// CallOutRequest is createCallOutCallSession's body, resolved.
type CallOutRequest struct {
	DeviceID int64
	To       Target
}

// CallOut places a call from one of the caller's devices. The events of the new session are
// held back until release is called (after the answer is written), so that a client learns of
// the session from the answer before any notification about it.
func (s *Service) CallOut(ctx context.Context, caller rc.Extension, req CallOutRequest) (rc.CallSession, func(), error) {
	noop := func() {}
	if req.DeviceID == 0 {
		return rc.CallSession{}, noop, rc.Missing("from.deviceId")
	}
	if !s.ownsDevice(caller, req.DeviceID) {
		return rc.CallSession{}, noop, deviceError(req.DeviceID)
	}
	c, err := s.resolve(ctx, caller.AccountID, req.To, "to")
	if err != nil {
		return rc.CallSession{}, noop, err
	}
	if c.ext != nil && c.ext.ID == caller.ID {
		return rc.CallSession{}, noop, rc.Invalid("to")
	}
	sess, err := s.newSession(ctx, caller.AccountID, "Call")
	if err != nil {
		return rc.CallSession{}, noop, err
	}
	from, err := s.endpointOf(ctx, caller)
	if err != nil {
		return rc.CallSession{}, noop, err
	}
	from.DeviceID = req.DeviceID
	now := s.clock.Now()
	to := rc.CallEndpoint{PhoneNumber: c.number}
	transport := "PSTN"
	if c.ext != nil {
		to = rc.CallEndpoint{PhoneNumber: c.number, ExtensionNumber: c.ext.ExtensionNumber, ExtensionID: c.ext.ID, Name: c.ext.Name}
		if c.number == "" {
			to.PhoneNumber = c.ext.ExtensionNumber
		}
		transport = "VoIP"
	}
	me := addParty(&sess, rc.CallParty{AccountID: caller.AccountID, ExtensionID: caller.ID, Direction: "Outbound",
		From: from, To: to, Status: "Setup", DeviceID: req.DeviceID, Transport: "VoIP", Action: "VoIP Call", Joined: now})
	s.schedule(&sess, now, "proceed", me.ID, "")
	ringFrom := from
	ringFrom.DeviceID = 0
	rung, err := s.ringParty(ctx, &sess, ringFrom, c, transport, now)
	if err != nil {
		return rc.CallSession{}, noop, err
	}
	// Between hosted extensions the callee's party is reported from Setup on, as the platform
	// does for calls that stay on RingCentral.
	first := []string{me.ID}
	if rung.Hosted() {
		first = append(first, rung.ID)
	}
	s.hold(sess.ID)
	if err := s.create(ctx, &sess, first); err != nil {
		s.release(sess.ID)
		return rc.CallSession{}, noop, err
	}
	// The answer is written when release is called but still has to reach the client and be
	// parsed there, while a notification on an open WebSocket arrives in a fraction of a
	// millisecond; ringcentral-call-control drops events of a session it has not yet learned of.
	return sess, func() { time.AfterFunc(answerLead, func() { s.release(sess.ID) }) }, nil
}

// create stores a new session, publishes its first state and runs the steps already due.
func (s *Service) create(ctx context.Context, sess *rc.CallSession, changed []string) error {
	unlock := s.lock(sess.ID)
	defer unlock()
	sess.Sequence++
	if err := s.store.InsertCall(ctx, *sess); err != nil {
		return err
	}
	s.emit(ctx, sess, changed)
	if err := s.advance(ctx, sess, true); err != nil {
		return err
	}
	s.Kick()
	return nil
}

// InboundCall is a simulated call from an outside number or a hosted extension to a hosted
// number or extension, with its scripted outcome.
type InboundCall struct {
	From    string `json:"from"`    // E.164 outside number, or an extension number of the callee's account
	To      string `json:"to"`      // hosted E.164 number, or "number*ext"
	Outcome string `json:"outcome"` // answered, missed, voicemail, busy, rejected, or "" (rings until answered or voicemail)
	// AnswerAfter is the ring time before the scripted outcome, in seconds.
	AnswerAfter float64 `json:"answerAfter"`
	// Duration is how long an answered call lasts before the caller hangs up, in seconds; 0 until
	// someone hangs up.
	Duration float64 `json:"duration"`
	Recorded bool    `json:"recorded"`
}

// Outcomes a simulated inbound call may have.
var Outcomes = []string{"", "answered", "missed", "voicemail", "busy", "rejected"}

// Simulate places a scripted inbound call.
func (s *Service) Simulate(ctx context.Context, in InboundCall) (rc.CallSession, error) {
	ok := false
	for _, o := range Outcomes {
		ok = ok || o == in.Outcome
	}
	if !ok {
		return rc.CallSession{}, rc.Invalid("outcome")
	}
	if in.AnswerAfter < 0 || in.AnswerAfter > 3600 {
		return rc.CallSession{}, rc.Invalid("answerAfter")
	}
	if in.Duration < 0 || in.Duration > 86400 {
		return rc.CallSession{}, rc.Invalid("duration")
	}
	if in.To == "" {
		return rc.CallSession{}, rc.Missing("to")
	}
	c, err := s.resolve(ctx, 0, Target{PhoneNumber: in.To}, "to")
	if err != nil {
		return rc.CallSession{}, err
	}
	if c.ext == nil {
		return rc.CallSession{}, &rc.Error{Status: 400, Code: "CMN-102", TopCode: "CMN-102", Param: "to",
			Message: "Parameter [to] is not a number rcemu hosts"}
	}
	var from rc.CallEndpoint
	var callerExt *rc.Extension
	switch {
	case in.From == "":
		return rc.CallSession{}, rc.Missing("from")
	case strings.HasPrefix(in.From, "+"):
		n, ok := Normalize(in.From)
		if !ok {
			return rc.CallSession{}, rc.Invalid("from")
		}
		from = rc.CallEndpoint{PhoneNumber: n}
		if pn, err := s.store.FindPhoneNumber(ctx, n); err == nil && pn.ExtensionID != 0 {
			if e, err := s.store.Extension(ctx, pn.AccountID, pn.ExtensionID); err == nil {
				callerExt = &e
			}
		}
	default:
		e, err := s.store.ExtensionByNumber(ctx, c.ext.AccountID, in.From)
		if notFound(err) {
			return rc.CallSession{}, rc.Invalid("from")
		}
		if err != nil {
			return rc.CallSession{}, err
		}
		callerExt = &e
	}
	if callerExt != nil {
		if callerExt.ID == c.ext.ID {
			return rc.CallSession{}, rc.Invalid("from")
		}
		if from, err = s.endpointOf(ctx, *callerExt); err != nil {
			return rc.CallSession{}, err
		}
	}
	sess, err := s.newSession(ctx, c.ext.AccountID, "Call")
	if err != nil {
		return rc.CallSession{}, err
	}
	now := s.clock.Now()
	sess.TalkFor = time.Duration(in.Duration * float64(time.Second))
	sess.Recorded = in.Recorded
	var changed []string
	transport := "PSTN"
	if callerExt != nil {
		transport = "VoIP"
		me := addParty(&sess, rc.CallParty{AccountID: callerExt.AccountID, ExtensionID: callerExt.ID, Direction: "Outbound",
			From: from, To: rc.CallEndpoint{PhoneNumber: c.ext.ExtensionNumber, ExtensionNumber: c.ext.ExtensionNumber,
				ExtensionID: c.ext.ID, Name: c.ext.Name}, Status: "Proceeding", Transport: "VoIP", Action: "VoIP Call",
			DeviceID: deviceID(*callerExt), Joined: now})
		changed = append(changed, me.ID)
	} else {
		addParty(&sess, rc.CallParty{Direction: "Outbound", From: from, To: rc.CallEndpoint{PhoneNumber: c.number},
			Status: "Proceeding", Transport: "PSTN", Action: "Phone Call", Joined: now})
	}
	p, err := s.ringParty(ctx, &sess, from, c, transport, now)
	if err != nil {
		return rc.CallSession{}, err
	}
	if callerExt != nil {
		changed = append(changed, p.ID) // a call between hosted extensions reports Setup
	}
	after := now.Add(time.Duration(in.AnswerAfter * float64(time.Second)))
	switch in.Outcome {
	case "answered":
		unschedule(&sess, p.ID)
		s.schedule(&sess, now, "ring", p.ID, "")
		s.schedule(&sess, after, "answer", p.ID, "")
	case "missed":
		unschedule(&sess, p.ID)
		s.schedule(&sess, now, "ring", p.ID, "")
		s.schedule(&sess, after, "hangup", sess.Parties[0].ID, "")
	case "voicemail":
		unschedule(&sess, p.ID)
		s.schedule(&sess, now, "ring", p.ID, "")
		s.schedule(&sess, after, "voicemail", p.ID, "")
	case "busy":
		unschedule(&sess, p.ID)
		s.schedule(&sess, now, "fail", p.ID, string(Busy))
	case "rejected":
		unschedule(&sess, p.ID)
		s.schedule(&sess, now, "ring", p.ID, "")
		s.schedule(&sess, after, "fail", p.ID, string(Rejected))
	}
	if err := s.create(ctx, &sess, changed); err != nil {
		return rc.CallSession{}, err
	}
	return sess, nil
}
