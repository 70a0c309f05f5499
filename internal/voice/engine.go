package voice

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/rcemu/rcemu/internal/audio"
	"github.com/rcemu/rcemu/internal/rc"
)

// ringing says whether a party has not been answered yet.
func ringing(p *rc.CallParty) bool { return p.Status == "Setup" || p.Status == "Proceeding" }

// connected says whether a party is talking (or held, parked, muted: in the call).
func connected(p *rc.CallParty) bool {
	return p.Status == "Answered" || p.Status == "Hold" || p.Status == "Parked"
}

// liveCount counts the parties that keep a call going: a supervisor only listens, so a call
// with one talker and its supervisors is over.
func liveCount(sess *rc.CallSession) int {
	n := 0
	for i := range sess.Parties {
		if p := &sess.Parties[i]; p.Live() && p.Role != "Supervisor" {
			n++
		}
	}
	return n
}

// stampLeft notes when parties left: every party no longer in the call that has no time yet
// left at now. Each change of a session calls it with the change's time, so a party that left
// early (transferred, picked up, bridged) keeps its own duration in the call log.
func stampLeft(sess *rc.CallSession, now time.Time) {
	for i := range sess.Parties {
		if p := &sess.Parties[i]; !p.Live() && p.Left == nil {
			at := now
			p.Left = &at
		}
	}
}

// until is when a party's part of the call ended: when it left, or now for one still in it.
func until(p *rc.CallParty, now time.Time) time.Time {
	if p.Left != nil {
		return *p.Left
	}
	return now
}

// reconnect connects the parties waiting for the call once a party answers it (or voicemail
// does): the caller still ringing, and any party that was connected before a transfer made it
// wait. It returns the hosted ones, whose change is news.
func reconnect(sess *rc.CallSession, now time.Time, except string) []string {
	var changed []string
	for i := range sess.Parties {
		q := &sess.Parties[i]
		if q.ID == except || !q.Live() || !ringing(q) || (q.Direction != "Outbound" && q.Answered == nil) {
			continue
		}
		q.Status = "Answered"
		if q.Answered == nil {
			q.Answered = &now
		}
		if q.Hosted() {
			changed = append(changed, q.ID)
		}
	}
	return changed
}

// advance applies every step the clock has reached, in time order, and saves the session (or
// ends it); saved says the session is stored as it stands, so that no step means no write. The
// caller holds the session's lock.
func (s *Service) advance(ctx context.Context, sess *rc.CallSession, saved bool) error {
	for !sess.Ended {
		now := s.clock.Now()
		sort.SliceStable(sess.Steps, func(i, j int) bool { return sess.Steps[i].At.Before(sess.Steps[j].At) })
		if len(sess.Steps) == 0 || sess.Steps[0].At.After(now) {
			break
		}
		st := sess.Steps[0]
		sess.Steps = slices.Delete(sess.Steps, 0, 1)
		saved = false
		changed, err := s.apply(ctx, sess, st)
		if err != nil {
			return err
		}
		if sess.Ended {
			return nil // finish stored and published it
		}
		stampLeft(sess, st.At)
		if len(changed) > 0 {
			sess.Sequence++
			if err := s.store.UpdateCall(ctx, *sess); err != nil {
				return err
			}
			saved = true
			s.emit(ctx, sess, changed)
		}
	}
	if !sess.Ended && !saved {
		return s.store.UpdateCall(ctx, *sess)
	}
	return nil
}

// apply runs one step and returns the parties it changed.
func (s *Service) apply(ctx context.Context, sess *rc.CallSession, st rc.CallStep) ([]string, error) {
	if st.Action == "expire" {
		return nil, s.finish(ctx, sess, st.At, nil)
	}
	p := sess.Party(st.Party)
	if p == nil || !p.Live() {
		return nil, nil
	}
	now := st.At
	switch st.Action {
	case "proceed":
		if p.Status == "Setup" {
			p.Status = "Proceeding"
			return []string{p.ID}, nil
		}
	case "ro-connect":
		if ringing(p) {
			return s.connectRingOut(ctx, sess, p, st.Arg, now)
		}
	case "ring":
		if p.Status == "Setup" {
			p.Status = "Proceeding"
			return []string{p.ID}, nil
		}
	case "answer":
		if ringing(p) {
			return s.answer(sess, p, now), nil
		}
	case "noanswer", "voicemail":
		if ringing(p) {
			return s.toVoicemail(sess, p, now), nil
		}
	case "leave-vm":
		if p.Status == "VoiceMail" {
			return nil, s.leaveVoicemail(ctx, sess, p, now)
		}
	case "hangup":
		answered := p.Answered != nil
		p.Status, p.Reason = "Disconnected", ""
		if !answered && p.Direction == "Outbound" {
			for i := range sess.Parties {
				if q := &sess.Parties[i]; q.Live() && ringing(q) {
					q.Result, q.MissedCall = "Missed", q.Hosted()
				}
			}
		}
		if liveCount(sess) >= 2 {
			return []string{p.ID}, nil
		}
		for i := range sess.Parties {
			if q := &sess.Parties[i]; q.Status == "VoiceMail" {
				// The caller hung up after speaking: the message is left all the same.
				return nil, s.leaveVoicemail(ctx, sess, q, now)
			}
		}
		return nil, s.finish(ctx, sess, now, []string{p.ID})
	case "fail":
		return nil, s.fail(ctx, sess, p, Behaviour(st.Arg), now)
	}
	return nil, nil
}

// answer connects a ringing party: it and the parties waiting for it are Answered.
func (s *Service) answer(sess *rc.CallSession, p *rc.CallParty, now time.Time) []string {
	changed := []string{p.ID}
	p.Status, p.Reason = "Answered", ""
	p.Answered = &now
	unschedule(sess, p.ID)
	changed = append(changed, reconnect(sess, now, p.ID)...)
	talk := sess.TalkFor
	if talk == 0 {
		talk = s.Timings().Talk
	}
	if talk > 0 {
		// The outside side hangs up (the caller of a simulated call, or the outside callee).
		for i := range sess.Parties {
			if q := &sess.Parties[i]; q.Live() && !q.Hosted() {
				s.schedule(sess, now.Add(talk), "hangup", q.ID, "")
				break
			}
		}
		if sess.TalkFor > 0 {
			if first := &sess.Parties[0]; first.Hosted() && first.ID != p.ID {
				s.schedule(sess, now.Add(talk), "hangup", first.ID, "")
			}
		}
	}
	if sess.Recorded && p.Hosted() && len(p.Recordings) == 0 {
		p.Recordings = append(p.Recordings, rc.PartyRecording{ID: recordingID(sess.Num, 0), Active: true, Type: "Automatic", Since: now})
	}
	return changed
}

// toVoicemail sends a ringing hosted party's caller to its voicemail.
func (s *Service) toVoicemail(sess *rc.CallSession, p *rc.CallParty, now time.Time) []string {
	changed := []string{p.ID}
	unschedule(sess, p.ID)
	p.Status, p.Result, p.MissedCall = "VoiceMail", "Voicemail", true
	changed = append(changed, reconnect(sess, now, p.ID)...)
	s.schedule(sess, now.Add(s.Timings().Voicemail), "leave-vm", p.ID, "")
	return changed
}

func (s *Service) leaveVoicemail(ctx context.Context, sess *rc.CallSession, p *rc.CallParty, now time.Time) error {
	if s.vm != nil {
		ext, err := s.store.Extension(ctx, p.AccountID, p.ExtensionID)
		if err != nil && !notFound(err) {
			return err
		}
		if err == nil {
			secs := int(s.Timings().Voicemail / time.Second)
			m, err := s.vm.LeaveVoicemail(ctx, ext, p.From, max(secs, 1), audio.WAV(time.Duration(max(secs, 1))*time.Second, uint64(sess.Num)), audio.WAVContentType)
			if err != nil {
				return err
			}
			p.Voicemail = m.ID
		}
	}
	p.Status = "Disconnected"
	return s.finish(ctx, sess, now, []string{p.ID})
}

// fail ends a call the way a reserved number's behaviour says.
func (s *Service) fail(ctx context.Context, sess *rc.CallSession, p *rc.CallParty, b Behaviour, now time.Time) error {
	result, reason := "Busy", "TargetBusy"
	switch b {
	case NoAnswer:
		result, reason = "No Answer", "NoAnswer"
	case Rejected:
		result, reason = "Rejected", "Rejected"
	case Invalid:
		result, reason = "Wrong Number", "InvalidNumber"
	}
	p.Status, p.Reason, p.Result = "Disconnected", reason, result
	changed := []string{p.ID}
	for i := range sess.Parties {
		q := &sess.Parties[i]
		if q.ID != p.ID && q.Live() {
			q.Result = result
			if q.Direction == "Inbound" && result != "Wrong Number" {
				q.Result, q.MissedCall = "Missed", q.Hosted()
			}
		}
	}
	return s.finish(ctx, sess, now, changed)
}

// finish ends a session: every live party disconnects, each hosted party leaves a call-log
// record, recordings are kept, and the session is gone.
func (s *Service) finish(ctx context.Context, sess *rc.CallSession, now time.Time, changed []string) error {
	for i := range sess.Parties {
		q := &sess.Parties[i]
		if q.Live() {
			// A plain end of the call: a reason left from before (CallReplied) would tell
			// clients that the call went on elsewhere.
			q.Status, q.Reason = "Disconnected", ""
			changed = append(changed, q.ID)
		}
		if q.Left == nil {
			q.Left = &now
		}
		for j := range q.Recordings {
			r := &q.Recordings[j]
			if r.Active {
				r.Recorded += now.Sub(r.Since)
				r.Active = false
			}
		}
	}
	sess.Steps = nil
	sess.Ended = true
	sess.Sequence++
	records, recordings, err := s.records(ctx, sess, now)
	if err != nil {
		return err
	}
	if err := s.store.EndCall(ctx, sess.ID, records, recordings); err != nil {
		return err
	}
	if sess.RingOutID != 0 {
		s.settleRingOut(ctx, sess)
	}
	s.emit(ctx, sess, dedupe(changed))
	s.emitMissed(sess)
	return nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// recordingID derives the id of a session's k-th recording.
func recordingID(sessionNum int64, k int) int64 { return 4000000000008 + sessionNum*1000 + int64(k)*10 }

// records builds the call-log records a finished session leaves, one per hosted party, and the
// recordings they link.
func (s *Service) records(ctx context.Context, sess *rc.CallSession, now time.Time) ([]*rc.CallRecord, []rc.CallRecording, error) {
	var recs []*rc.CallRecord
	var recordings []rc.CallRecording
	seen := map[int64]*rc.CallRecording{}
	legs := make([]rc.CallLeg, 0, len(sess.Parties))
	for i := range sess.Parties {
		legs = append(legs, leg(sess, &sess.Parties[i], now))
	}
	for i := range sess.Parties {
		p := &sess.Parties[i]
		if !p.Hosted() || p.Role == "Supervisor" {
			continue
		}
		r := &rc.CallRecord{ID: recordKey(sess.Num, i), AccountID: p.AccountID, ExtensionID: p.ExtensionID, SessionID: sess.SessionID(),
			TelephonySessionID: sess.ID, PartyID: p.ID, StartTime: p.Joined, Duration: until(p, now).Sub(p.Joined),
			Type: "Voice", Direction: p.Direction, Action: p.Action, Result: result(p), From: p.From, To: p.To,
			Transport: p.Transport, LastModified: now}
		if sess.Origin == "RingOut" && p.Direction == "Outbound" {
			r.Action = "RingOut Web"
		}
		r.From.DeviceID, r.To.DeviceID = 0, 0
		if p.Voicemail != 0 {
			r.MessageID, r.MessageType = p.Voicemail, "VoiceMail"
		}
		var total time.Duration
		var first *rc.PartyRecording
		for j := range p.Recordings {
			total += p.Recordings[j].Recorded
			if first == nil {
				first = &p.Recordings[j]
			}
		}
		if first != nil {
			rec := seen[first.ID]
			if rec == nil {
				rec = &rc.CallRecording{ID: first.ID, AccountID: p.AccountID, Type: first.Type, Duration: max(total, time.Second),
					ContentType: "audio/wav", Created: now}
				seen[first.ID] = rec
				recordings = append(recordings, *rec)
			}
			r.Recording = rec
		}
		r.Legs = make([]rc.CallLeg, 0, len(legs))
		for j, l := range legs {
			l.Master = sess.Parties[j].ID == p.ID
			if l.Master {
				l.Recording = r.Recording
			}
			r.Legs = append(r.Legs, l)
		}
		recs = append(recs, r)
	}
	return recs, recordings, nil
}

func leg(sess *rc.CallSession, p *rc.CallParty, now time.Time) rc.CallLeg {
	legType := "Accept"
	switch {
	case sess.Origin == "RingOut" && p.Direction == "Outbound":
		legType = "RingOutWebToSubscriber"
	case sess.Origin == "RingOut":
		legType = "RingOutWebToCaller"
	case p.Hosted() && sess.Parties[0].Hosted() && p.Transport == "VoIP" && sess.Parties[0].Transport == "VoIP":
		legType = "ExtensionToExtension"
	case p.Direction == "Outbound" && p.Transport == "PSTN":
		legType = "SipToPstnMetered"
	case p.Direction == "Inbound" && !p.Hosted():
		legType = "SipToPstnMetered"
	case p.Direction == "Inbound" && sess.Parties[0].Transport == "PSTN":
		legType = "PstnToSip"
	}
	from, to := p.From, p.To
	from.DeviceID, to.DeviceID = 0, 0
	return rc.CallLeg{StartTime: p.Joined, Duration: until(p, now).Sub(p.Joined), Type: "Voice", Direction: p.Direction,
		Action: p.Action, Result: result(p), From: from, To: to, LegType: legType,
		Transport: p.Transport, ExtensionID: p.ExtensionID, PartyID: p.ID}
}

// result is what a party's call-log record says of how its call went.
func result(p *rc.CallParty) string {
	if p.Result != "" {
		return p.Result
	}
	switch {
	case p.Answered != nil && p.Direction == "Inbound":
		return "Accepted"
	case p.Answered != nil:
		return "Call connected"
	case p.Direction == "Inbound":
		return "Missed"
	}
	return "Stopped"
}
