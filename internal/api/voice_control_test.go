package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/audio"
)

// Party operations on real sessions: each test drives a call through the API and checks the
// answers, the session as GET reports it afterwards, and what the call leaves in the call log.

// TestVoiceAnswerHoldMuteAndDrop: an inbound call to 102 is answered on 102's softphone, held,
// unheld, muted and set stand-alone (both PATCH forms), then dropped; illegal transitions are
// 409 TAS-102 and change nothing.
func TestVoiceAnswerHoldMuteAndDrop(t *testing.T) {
	v := openVoice(t)
	sid, pid := v.inbound(outsider, graceNum)
	s := v.session(v.grace, sid)
	if got := codes(s); got != "Proceeding,Proceeding" {
		t.Fatalf("ringing call: %s", got)
	}
	caller := outsideParty(s)
	if caller["direction"] != "Outbound" || caller["from"].(map[string]any)["phoneNumber"] != outsider {
		t.Fatalf("caller party = %v", caller)
	}

	// A ringing party cannot be held, unheld, parked, flipped or transferred.
	for _, op := range []struct {
		name string
		body any
	}{{"hold", nil}, {"unhold", nil}, {"park", nil}, {"flip", map[string]any{"callFlipId": "1"}},
		{"transfer", map[string]any{"phoneNumber": "+14155550123"}}} {
		v.wantError(v.op(v.grace, sid, pid, op.name, op.body), 409, "TAS-102", "", op.name+" while ringing")
	}
	if r := v.do("POST", partyPath(sid, pid)+"/recordings", v.grace, nil); r.Status != 409 {
		t.Fatalf("record while ringing: %d %s", r.Status, r.Body)
	}
	if got := codes(v.session(v.grace, sid)); got != "Proceeding,Proceeding" {
		t.Fatalf("refused operations changed the call: %s", got)
	}

	// The outside caller's party is not 102's; nor is 102's party 103's.
	v.wantError(v.op(v.grace, sid, caller["id"].(string), "answer", map[string]any{"deviceId": deviceOf(graceID)}), 403, "CMN-419", "", "102 answers the caller's party")
	v.wantError(v.op(v.alan, sid, pid, "answer", map[string]any{"deviceId": deviceOf(alanID)}), 403, "CMN-419", "", "103 answers 102's party")
	// A device that is not 102's.
	v.wantError(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(adaID)}), 400, "CMN-102", "deviceId", "answer on 101's device")
	if got := codes(v.session(v.grace, sid)); got != "Proceeding,Proceeding" {
		t.Fatalf("refused answers changed the call: %s", got)
	}

	ans := v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer").Map(t)
	if code(ans) != "Answered" || ans["id"] != pid || ans["to"].(map[string]any)["deviceId"] != deviceOf(graceID) ||
		ans["owner"].(map[string]any)["extensionId"] != graceID {
		t.Fatalf("answer = %v", ans)
	}
	if got := codes(v.session(v.grace, sid)); got != "Answered,Answered" {
		t.Fatalf("answered call: %s", got)
	}
	v.wantError(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 409, "TAS-102", "", "answer twice")
	v.wantError(v.op(v.grace, sid, pid, "reject", nil), 409, "TAS-102", "", "reject an answered call")
	v.wantError(v.op(v.grace, sid, pid, "forward", map[string]any{"phoneNumber": "+14155550123"}), 409, "TAS-102", "", "forward an answered call")
	v.wantError(v.op(v.grace, sid, pid, "unhold", nil), 409, "TAS-102", "", "unhold a call not held")

	v.advance(5 * time.Second)
	hold := v.must(v.op(v.grace, sid, pid, "hold", nil), 200, "hold").Map(t)
	if code(hold) != "Hold" || hold["standAlone"] != true {
		t.Fatalf("hold = %v", hold)
	}
	if p := partyOf(v.session(v.grace, sid), graceID); code(p) != "Hold" {
		t.Fatalf("held party = %v", p)
	}
	// The platform answers a repeated hold with the party as it is.
	if again := v.must(v.op(v.grace, sid, pid, "hold", map[string]any{"proto": "Auto"}), 200, "hold again").Map(t); code(again) != "Hold" {
		t.Fatalf("hold again = %v", again)
	}
	unhold := v.must(v.op(v.grace, sid, pid, "unhold", nil), 200, "unhold").Map(t)
	if code(unhold) != "Answered" || unhold["standAlone"] != false {
		t.Fatalf("unhold = %v", unhold)
	}

	patch := func(body any) map[string]any {
		return v.must(v.do("PATCH", partyPath(sid, pid), v.grace, body), 200, "PATCH party").Map(t)
	}
	if p := patch(map[string]any{"muted": true}); p["muted"] != true || p["standAlone"] != false || code(p) != "Answered" {
		t.Fatalf("mute = %v", p)
	}
	if p := patch(map[string]any{"party": map[string]any{"standAlone": true}}); p["muted"] != true || p["standAlone"] != true {
		t.Fatalf("standAlone (party form) = %v", p)
	}
	if p := patch(map[string]any{"party": map[string]any{"muted": false}}); p["muted"] != false || p["standAlone"] != true {
		t.Fatalf("unmute (party form) = %v", p)
	}
	if p := patch(map[string]any{"standAlone": false}); p["standAlone"] != false {
		t.Fatalf("standAlone false = %v", p)
	}
	got := v.must(v.do("GET", partyPath(sid, pid), v.grace, nil), 200, "party").Map(t)
	if got["muted"] != false || got["standAlone"] != false || code(got) != "Answered" {
		t.Fatalf("party after PATCHes = %v", got)
	}
	v.wantError(v.do("PATCH", partyPath(sid, pid), v.grace, map[string]any{"muted": "yes"}), 400, "", "", "PATCH muted not a boolean")

	v.advance(10 * time.Second)
	v.must(v.do("DELETE", v1Base+"/telephony/sessions/"+sid, v.grace, nil), 204, "drop")
	v.wantError(v.do("GET", v1Base+"/telephony/sessions/"+sid, v.grace, nil), 404, "CMN-102", "telephonySessionId", "session after drop")
	v.wantError(v.do("GET", partyPath(sid, pid), v.grace, nil), 404, "CMN-102", "telephonySessionId", "party after drop")
	for _, op := range []string{"hold", "unhold", "answer", "park"} {
		v.wantError(v.op(v.grace, sid, pid, op, map[string]any{"deviceId": deviceOf(graceID)}), 404, "CMN-102", "", op+" after drop")
	}
	v.wantError(v.do("DELETE", v1Base+"/telephony/sessions/"+sid, v.grace, nil), 404, "CMN-102", "", "drop twice")
	v.wantError(v.do("PATCH", partyPath(sid, pid), v.grace, map[string]any{"muted": true}), 404, "CMN-102", "", "PATCH after drop")

	recs := v.sessionRecords(v.grace, false, sid)
	if len(recs) != 1 {
		t.Fatalf("102 has %d records of the call: %v", len(recs), recs)
	}
	r := recs[0]
	if r["result"] != "Accepted" || r["direction"] != "Inbound" || r["duration"] != 15.0 || r["action"] != "Phone Call" ||
		r["from"].(map[string]any)["phoneNumber"] != outsider || r["partyId"] != pid {
		t.Fatalf("record = %v", r)
	}
	if recs := v.sessionRecords(v.ada, true, sid); len(recs) != 1 {
		t.Fatalf("the account log has %d records of the call, want 102's only: %v", len(recs), recs)
	}
}

// TestVoiceCallOutToExtension: 101 calls 102 by extension number; 102 rings on its own, 101 is
// Proceeding; answering 101's outbound party is refused; 102 answers and both are connected.
func TestVoiceCallOutToExtension(t *testing.T) {
	v := openVoice(t)
	sid, mine := v.callOut(v.ada, adaID, map[string]any{"extensionNumber": "102"})
	s := v.session(v.ada, sid)
	if len(vparties(s)) != 2 || codes(s) != "Proceeding,Proceeding" {
		t.Fatalf("call-out to 102: %v", s)
	}
	me, callee := partyOf(s, adaID), partyOf(s, graceID)
	if me["id"] != mine || me["direction"] != "Outbound" || me["from"].(map[string]any)["deviceId"] != deviceOf(adaID) ||
		callee["direction"] != "Inbound" || callee["from"].(map[string]any)["phoneNumber"] != adaNumber {
		t.Fatalf("parties = %v", dump(s))
	}
	v.wantError(v.op(v.ada, sid, mine, "answer", map[string]any{"deviceId": deviceOf(adaID)}), 409, "TAS-102", "", "answer an outbound party")
	v.wantError(v.op(v.ada, sid, mine, "reject", nil), 409, "TAS-102", "", "reject an outbound party")
	// 102 rings until it answers (no outside ring time applies to a hosted callee).
	v.advance(10 * time.Second)
	if got := codes(v.session(v.ada, sid)); got != "Proceeding,Proceeding" {
		t.Fatalf("after 10 s: %s", got)
	}
	v.must(v.op(v.grace, sid, callee["id"].(string), "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "102 answers")
	if got := codes(v.session(v.ada, sid)); got != "Answered,Answered" {
		t.Fatalf("answered: %s", got)
	}
	// Each side may hold its own party.
	v.must(v.op(v.ada, sid, mine, "hold", nil), 200, "101 holds")
	v.must(v.op(v.grace, sid, callee["id"].(string), "hold", nil), 200, "102 holds")
	if got := codes(v.session(v.ada, sid)); got != "Hold,Hold" {
		t.Fatalf("both held: %s", got)
	}
	v.advance(20 * time.Second)
	v.must(v.do("DELETE", v1Base+"/telephony/sessions/"+sid, v.ada, nil), 204, "drop")
	for _, tc := range []struct {
		tok, dir, result string
	}{{v.ada, "Outbound", "Call connected"}, {v.grace, "Inbound", "Accepted"}} {
		recs := v.sessionRecords(tc.tok, false, sid)
		if len(recs) != 1 || recs[0]["direction"] != tc.dir || recs[0]["result"] != tc.result || recs[0]["action"] != "VoIP Call" ||
			recs[0]["transport"] != "VoIP" || recs[0]["duration"] != 30.0 {
			t.Fatalf("%s record: %v", tc.dir, recs)
		}
		legs := recs[0]["legs"].([]any)
		if len(legs) != 2 || legs[0].(map[string]any)["legType"] != "ExtensionToExtension" {
			t.Fatalf("%s legs: %v", tc.dir, legs)
		}
	}
}

// voicemailOf finds the newest voicemail in a store that came from a number.
func (v *vapp) voicemailOf(tok, from string) map[string]any {
	v.t.Helper()
	r := v.must(v.do("GET", v1Base+"/extension/~/message-store?messageType=VoiceMail&dateFrom="+since(v.now().Add(-time.Hour)), tok, nil), 200, "voicemails")
	for _, x := range r.Map(v.t)["records"].([]any) {
		m := x.(map[string]any)
		if m["from"].(map[string]any)["phoneNumber"] == from {
			return m
		}
	}
	return nil
}

// checkVoicemail asserts that a voicemail lasting secs with a playable WAV is in the store, and
// that the callee's record links it.
func (v *vapp) checkVoicemail(tok, from, sid string, secs int) {
	v.t.Helper()
	m := v.voicemailOf(tok, from)
	if m == nil {
		v.t.Fatalf("no voicemail from %s", from)
	}
	att := m["attachments"].([]any)[0].(map[string]any)
	if att["contentType"] != audio.WAVContentType || att["vmDuration"] != float64(secs) || m["type"] != "VoiceMail" {
		v.t.Fatalf("voicemail = %v", m)
	}
	content := v.must(v.do("GET", strings.TrimPrefix(att["uri"].(string), v.URL), tok, nil), 200, "voicemail content")
	if d, err := audio.Duration(content.Body); err != nil || d != time.Duration(secs)*time.Second {
		v.t.Fatalf("voicemail audio lasts %v (%v), want %ds", d, err, secs)
	}
	var rec map[string]any
	for _, r := range v.sessionRecords(tok, false, sid) {
		if r["result"] == "Voicemail" {
			rec = r
		}
	}
	if rec == nil {
		v.t.Fatalf("no Voicemail record of %s: %v", sid, v.sessionRecords(tok, false, sid))
	}
	msg, _ := rec["message"].(map[string]any)
	if msg == nil || msg["type"] != "VoiceMail" || msg["id"] != idString(m["id"]) {
		v.t.Fatalf("record's message = %v, voicemail id %v", rec["message"], m["id"])
	}
}

// TestVoiceRejectAndIgnoreGoToVoicemail: reject (no body) and ignore (with a device) send a
// ringing call to the callee's voicemail; after the voicemail time the caller's message is in
// the store with a WAV of that length, and the call is over.
func TestVoiceRejectAndIgnoreGoToVoicemail(t *testing.T) {
	for _, tc := range []struct {
		op   string
		body any
	}{{"reject", nil}, {"ignore", map[string]any{"deviceId": deviceOf(graceID)}}} {
		t.Run(tc.op, func(t *testing.T) {
			v := openVoice(t)
			sid, pid := v.inbound(outsider, graceNum)
			if tc.op == "ignore" {
				v.wantError(v.op(v.grace, sid, pid, "ignore", nil), 400, "CMN-100", "deviceId", "ignore without a device")
				v.wantError(v.op(v.grace, sid, pid, "ignore", map[string]any{"deviceId": deviceOf(alanID)}), 400, "CMN-102", "deviceId", "ignore on 103's device")
			}
			r := v.must(v.op(v.grace, sid, pid, tc.op, tc.body), 204, tc.op)
			if len(r.Body) != 0 {
				t.Fatalf("%s answered a body: %s", tc.op, r.Body)
			}
			s := v.session(v.grace, sid)
			if p := partyOf(s, graceID); code(p) != "VoiceMail" {
				t.Fatalf("after %s: %v", tc.op, dump(s))
			}
			v.wantError(v.op(v.grace, sid, pid, tc.op, tc.body), 409, "TAS-102", "", tc.op+" twice")
			v.advance(9 * time.Second)
			if v.session(v.grace, sid) == nil || v.voicemailOf(v.grace, outsider) != nil {
				t.Fatal("the message was left before the voicemail time")
			}
			v.advance(time.Second)
			if s := v.session(v.grace, sid); s != nil {
				t.Fatalf("the call lasts after the message: %v", s)
			}
			v.checkVoicemail(v.grace, outsider, sid, 10)
		})
	}
}

// TestVoiceNoAnswerGoesToVoicemail: a hosted callee that does not answer sends its caller to
// voicemail after the no-answer time; a scripted voicemail does the same at once.
func TestVoiceNoAnswerGoesToVoicemail(t *testing.T) {
	v := openVoice(t)
	sid, _ := v.inbound(outsider, graceNum)
	v.advance(19 * time.Second)
	if p := partyOf(v.session(v.grace, sid), graceID); code(p) != "Proceeding" {
		t.Fatalf("before the no-answer time: %v", p)
	}
	v.advance(time.Second)
	if p := partyOf(v.session(v.grace, sid), graceID); code(p) != "VoiceMail" {
		t.Fatalf("after the no-answer time: %v", p)
	}
	v.advance(10 * time.Second)
	v.checkVoicemail(v.grace, outsider, sid, 10)

	// The caller hangs up while speaking: the message is left all the same, shorter... as long
	// as the voicemail time says (the engine does not cut it).
	c := v.simulate(map[string]any{"from": "+12125550199", "to": graceNum, "outcome": "voicemail"})
	sid2 := c["telephonySessionId"].(string)
	if p := partyOf(v.session(v.grace, sid2), graceID); code(p) != "VoiceMail" {
		t.Fatalf("scripted voicemail: %v", p)
	}
	v.advance(10 * time.Second)
	v.checkVoicemail(v.grace, "+12125550199", sid2, 10)
}

// TestVoiceReply: a ringing call is answered with a text; the party keeps ringing with reason
// CallReplied; replies need a text and a ringing party.
func TestVoiceReply(t *testing.T) {
	v := openVoice(t)
	sid, pid := v.inbound(outsider, graceNum)
	v.wantError(v.op(v.grace, sid, pid, "reply", map[string]any{}), 400, "CMN-100", "replyWithText", "reply without text")
	r := v.must(v.op(v.grace, sid, pid, "reply", map[string]any{"replyWithText": "On my way"}), 200, "reply").Map(t)
	if code(r) != "Proceeding" || reason(r) != "CallReplied" || r["id"] != pid {
		t.Fatalf("reply = %v", r)
	}
	v.must(v.op(v.grace, sid, pid, "reply", map[string]any{"replyWithPattern": map[string]any{"pattern": "WillCallYouBack"}}), 200, "reply with pattern")
	v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer")
	if p := partyOf(v.session(v.grace, sid), graceID); code(p) != "Answered" || reason(p) != "" {
		t.Fatalf("answered after a reply: %v", p)
	}
	v.wantError(v.op(v.grace, sid, pid, "reply", map[string]any{"replyWithText": "x"}), 409, "TAS-102", "", "reply to an answered call")
}

// TestVoiceReplyThenHangUpHasNoReason: when the caller hangs up on a replied call, 102's final
// Disconnected carries no reason (a reason on Disconnected says the call went on elsewhere).
func TestVoiceReplyThenHangUpHasNoReason(t *testing.T) {
	v := openVoice(t)
	c := v.simulate(map[string]any{"from": outsider, "to": graceNum, "outcome": "missed", "answerAfter": 5})
	sid := c["telephonySessionId"].(string)
	pid := partyOf(v.session(v.grace, sid), graceID)["id"].(string)
	v.must(v.op(v.grace, sid, pid, "reply", map[string]any{"replyWithText": "busy"}), 200, "reply")
	rv := newVoiceReceiver(t)
	v.subscribeHook(v.grace, rv, "/restapi/v1.0/account/~/extension/~/telephony/sessions")
	v.advance(5 * time.Second)
	last := rv.waitFor(t, func(b map[string]any) bool {
		for _, p := range bodyParties(b) {
			if p["id"] == pid && code(p) == "Disconnected" {
				return true
			}
		}
		return false
	})
	for _, p := range bodyParties(last) {
		if p["id"] == pid && reason(p) != "" {
			t.Fatalf("final Disconnected of a replied call has reason %q", reason(p))
		}
	}
	if recs := v.sessionRecords(v.grace, false, sid); len(recs) != 1 || recs[0]["result"] != "Missed" {
		t.Fatalf("records = %v", recs)
	}
}

// TestVoiceForward: a ringing call is forwarded to an outside number (which answers after the
// ring time), to an extension (which answers on its device) and to a voicemail box.
func TestVoiceForward(t *testing.T) {
	v := openVoice(t)

	t.Run("phoneNumber", func(t *testing.T) {
		v := v.with(t)
		sid, pid := v.inbound(outsider, graceNum)
		f := v.must(v.op(v.grace, sid, pid, "forward", map[string]any{"phoneNumber": "+14155550123"}), 200, "forward").Map(t)
		if f["id"] != pid || code(f) != "Disconnected" || reason(f) != "BlindTransfer" {
			t.Fatalf("forward answer = %v", f)
		}
		s := v.session(v.ada, sid)
		ps := vparties(s)
		if len(ps) != 3 || code(ps[2]) != "Proceeding" || ps[2]["to"].(map[string]any)["phoneNumber"] != "+14155550123" {
			t.Fatalf("after forward: %v", dump(s))
		}
		v.advance(3 * time.Second)
		if got := codes(v.session(v.ada, sid)); got != "Answered,Disconnected,Answered" {
			t.Fatalf("forward target answered: %s", got)
		}
		v.wantError(v.op(v.grace, sid, pid, "forward", map[string]any{"phoneNumber": "+14155550124"}), 409, "TAS-102", "", "forward a forwarded party")
		v.must(v.do("DELETE", "/_rcemu/calls/"+sid, "", nil), 204, "end")
	})

	t.Run("extensionNumber", func(t *testing.T) {
		v := v.with(t)
		sid, pid := v.inbound(outsider, graceNum)
		v.must(v.op(v.grace, sid, pid, "forward", map[string]any{"extensionNumber": "103"}), 200, "forward to 103")
		s := v.session(v.alan, sid)
		alan := partyOf(s, alanID)
		if alan == nil || code(alan) != "Proceeding" || alan["direction"] != "Inbound" {
			t.Fatalf("after forward to 103: %v", dump(s))
		}
		v.must(v.op(v.alan, sid, alan["id"].(string), "answer", map[string]any{"deviceId": deviceOf(alanID)}), 200, "103 answers")
		if got := codes(v.session(v.alan, sid)); got != "Answered,Disconnected,Answered" {
			t.Fatalf("103 answered: %s", got)
		}
		v.advance(4 * time.Second)
		v.must(v.do("DELETE", v1Base+"/telephony/sessions/"+sid, v.alan, nil), 204, "103 hangs up")
		recs := v.sessionRecords(v.alan, false, sid)
		if len(recs) != 1 || recs[0]["result"] != "Accepted" || recs[0]["action"] != "Transfer" || recs[0]["duration"] != 4.0 {
			t.Fatalf("103's record = %v", recs)
		}
		if recs := v.sessionRecords(v.grace, false, sid); len(recs) != 1 {
			t.Fatalf("102's records = %v", recs)
		}
	})

	t.Run("voicemail", func(t *testing.T) {
		v := v.with(t)
		from := "+12125550111"
		sid, pid := v.inbound(from, graceNum)
		v.wantError(v.op(v.grace, sid, pid, "forward", map[string]any{"voicemail": "999"}), 400, "CMN-102", "voicemail", "forward to an unknown mailbox")
		v.wantError(v.op(v.grace, sid, pid, "forward", map[string]any{}), 400, "CMN-100", "", "forward to nobody")
		v.wantError(v.op(v.grace, sid, pid, "forward", map[string]any{"phoneNumber": "12"}), 400, "CMN-101", "phoneNumber", "forward to a malformed number")
		if got := codes(v.session(v.grace, sid)); got != "Proceeding,Proceeding" {
			t.Fatalf("refused forwards changed the call: %s", got)
		}
		v.must(v.op(v.grace, sid, pid, "forward", map[string]any{"voicemail": alanID}), 200, "forward to 103's voicemail")
		if p := partyOf(v.session(v.ada, sid), alanID); p == nil || code(p) != "VoiceMail" {
			t.Fatalf("forwarded to voicemail: %v", dump(v.session(v.ada, sid)))
		}
		v.advance(10 * time.Second)
		if v.session(v.ada, sid) != nil {
			t.Fatal("the call lasts after the message")
		}
		v.checkVoicemail(v.alan, from, sid, 10)
		if v.voicemailOf(v.grace, from) != nil {
			t.Fatal("the voicemail landed in 102's store too")
		}
	})
}

// TestVoiceTransfer: an answered call is transferred to a number, an extension, a voicemail box
// and a park orbit; the party left waiting rings again and is reconnected when the target
// answers, whichever side of the call it is.
func TestVoiceTransfer(t *testing.T) {
	v := openVoice(t)
	answered := func(from string) (string, string) {
		sid, pid := v.inbound(from, graceNum)
		v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer")
		return sid, pid
	}

	t.Run("phoneNumber", func(t *testing.T) {
		v := v.with(t)
		sid, pid := answered(outsider)
		v.wantError(v.op(v.grace, sid, pid, "transfer", map[string]any{}), 400, "CMN-100", "", "transfer to nobody")
		tr := v.must(v.op(v.grace, sid, pid, "transfer", map[string]any{"phoneNumber": "+14155550123"}), 200, "transfer").Map(t)
		if tr["id"] != pid || code(tr) != "Disconnected" || reason(tr) != "BlindTransfer" {
			t.Fatalf("transfer answer = %v", tr)
		}
		if got := codes(v.session(v.ada, sid)); got != "Proceeding,Disconnected,Proceeding" {
			t.Fatalf("while the target rings: %s", got)
		}
		v.advance(3 * time.Second)
		if got := codes(v.session(v.ada, sid)); got != "Answered,Disconnected,Answered" {
			t.Fatalf("target answered: %s", got)
		}
		v.must(v.do("DELETE", "/_rcemu/calls/"+sid, "", nil), 204, "end")
		if recs := v.sessionRecords(v.grace, false, sid); len(recs) != 1 || recs[0]["result"] != "Accepted" {
			t.Fatalf("102's record = %v", recs)
		}
	})

	t.Run("extensionNumber", func(t *testing.T) {
		v := v.with(t)
		sid, pid := answered(outsider)
		v.must(v.op(v.grace, sid, pid, "transfer", map[string]any{"extensionNumber": "103"}), 200, "transfer to 103")
		alan := partyOf(v.session(v.alan, sid), alanID)
		if alan == nil || code(alan) != "Proceeding" {
			t.Fatalf("103's party = %v", alan)
		}
		v.must(v.op(v.alan, sid, alan["id"].(string), "answer", map[string]any{"deviceId": deviceOf(alanID)}), 200, "103 answers")
		if got := codes(v.session(v.alan, sid)); got != "Answered,Disconnected,Answered" {
			t.Fatalf("103 answered: %s", got)
		}
		v.must(v.do("DELETE", "/_rcemu/calls/"+sid, "", nil), 204, "end")
	})

	t.Run("voicemail", func(t *testing.T) {
		v := v.with(t)
		from := "+12125550122"
		sid, pid := answered(from)
		v.must(v.op(v.grace, sid, pid, "transfer", map[string]any{"voicemail": alanID}), 200, "transfer to 103's voicemail")
		if p := partyOf(v.session(v.ada, sid), alanID); p == nil || code(p) != "VoiceMail" {
			t.Fatalf("transferred to voicemail: %v", dump(v.session(v.ada, sid)))
		}
		if c := outsideParty(v.session(v.ada, sid)); code(c) != "Answered" {
			t.Fatalf("the caller hears the greeting: %v", c)
		}
		v.advance(10 * time.Second)
		v.checkVoicemail(v.alan, from, sid, 10)
	})

	t.Run("parkOrbit", func(t *testing.T) {
		v := v.with(t)
		sid, pid := answered(outsider)
		p := v.must(v.op(v.grace, sid, pid, "transfer", map[string]any{"parkOrbit": "*805"}), 200, "transfer to a park orbit").Map(t)
		if code(p) != "Parked" || p["park"].(map[string]any)["id"] != "*805" {
			t.Fatalf("parked by transfer = %v", p)
		}
		v.must(v.do("DELETE", "/_rcemu/calls/"+sid, "", nil), 204, "end")
	})

	// 101 calls out and transfers its callee to 102: the callee's party (Inbound) waits, and is
	// connected again when 102 answers.
	t.Run("waiting inbound party", func(t *testing.T) {
		v := v.with(t)
		sid, mine := v.callOut(v.ada, adaID, map[string]any{"phoneNumber": "+14155550123"})
		v.advance(3 * time.Second)
		if got := codes(v.session(v.ada, sid)); got != "Answered,Answered" {
			t.Fatalf("call-out answered: %s", got)
		}
		v.must(v.op(v.ada, sid, mine, "transfer", map[string]any{"extensionNumber": "102"}), 200, "transfer to 102")
		s := v.session(v.ada, sid)
		if c := outsideParty(s); code(c) != "Proceeding" {
			t.Fatalf("the callee waits: %v", dump(s))
		}
		grace := partyOf(s, graceID)
		v.must(v.op(v.grace, sid, grace["id"].(string), "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "102 answers")
		if got := codes(v.session(v.ada, sid)); got != "Disconnected,Answered,Answered" {
			t.Fatalf("after 102 answered: %s", got)
		}
		// The callee's telephony state is not "ringing" any more at 102's end either.
		v.must(v.do("DELETE", "/_rcemu/calls/"+sid, "", nil), 204, "end")
		if recs := v.sessionRecords(v.ada, false, sid); len(recs) != 1 || recs[0]["result"] != "Call connected" {
			t.Fatalf("101's record = %v", recs)
		}
	})
}

// TestVoiceParkAndPickup: 102 parks an answered call; 103, not an administrator, picks it up on
// its own device; 103 also picks up a call ringing at 102. Pickup needs a device of the caller's.
func TestVoiceParkAndPickup(t *testing.T) {
	v := openVoice(t)

	t.Run("parked", func(t *testing.T) {
		v := v.with(t)
		sid, pid := v.inbound(outsider, graceNum)
		v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer")
		v.wantError(v.op(v.alan, sid, pid, "pickup", map[string]any{"deviceId": deviceOf(alanID)}), 409, "TAS-102", "", "pickup of an answered call")
		park := v.must(v.op(v.grace, sid, pid, "park", nil), 201, "park").Map(t)
		orbit, _ := park["park"].(map[string]any)["id"].(string)
		if code(park) != "Parked" || !strings.HasPrefix(orbit, "*8") || len(orbit) != 4 {
			t.Fatalf("park = %v", park)
		}
		pres := v.must(v.do("GET", v1Base+"/extension/~/presence?detailedTelephonyState=true", v.grace, nil), 200, "presence").Map(t)
		if pres["telephonyStatus"] != "ParkedCall" {
			t.Fatalf("presence of a parked call = %v", pres)
		}
		v.wantError(v.op(v.alan, sid, pid, "pickup", map[string]any{}), 400, "CMN-100", "deviceId", "pickup without a device")
		v.wantError(v.op(v.alan, sid, pid, "pickup", map[string]any{"deviceId": deviceOf(graceID)}), 400, "CMN-102", "deviceId", "pickup on 102's device")
		v.wantError(v.op(v.marie, sid, pid, "pickup", map[string]any{"deviceId": deviceOf(marieID)}), 404, "CMN-102", "", "pickup from another account")
		v.advance(2 * time.Second)
		up := v.must(v.op(v.alan, sid, pid, "pickup", map[string]any{"deviceId": deviceOf(alanID)}), 201, "103 picks up").Map(t)
		if code(up) != "Answered" || up["extensionId"] != alanID || up["to"].(map[string]any)["deviceId"] != deviceOf(alanID) || up["id"] == pid {
			t.Fatalf("pickup answer = %v", up)
		}
		s := v.session(v.alan, sid)
		if p := partyOf(s, graceID); code(p) != "Disconnected" || reason(p) != "Pickup" {
			t.Fatalf("102's party after the pickup: %v", dump(s))
		}
		if got := codes(s); got != "Answered,Disconnected,Answered" {
			t.Fatalf("after pickup: %s", got)
		}
		v.advance(3 * time.Second)
		v.must(v.do("DELETE", v1Base+"/telephony/sessions/"+sid, v.alan, nil), 204, "103 hangs up")
		recs := v.sessionRecords(v.alan, false, sid)
		if len(recs) != 1 || recs[0]["action"] != "Call Park" || recs[0]["result"] != "Accepted" || recs[0]["duration"] != 3.0 {
			t.Fatalf("103's record = %v", recs)
		}
		if recs := v.sessionRecords(v.grace, false, sid); len(recs) != 1 || recs[0]["result"] != "Accepted" || recs[0]["duration"] != 2.0 {
			t.Fatalf("102's record = %v", recs)
		}
	})

	t.Run("ringing", func(t *testing.T) {
		v := v.with(t)
		sid, pid := v.inbound(outsider, graceNum)
		up := v.must(v.op(v.alan, sid, pid, "pickup", map[string]any{"deviceId": deviceOf(alanID)}), 201, "103 picks up a ringing call").Map(t)
		if code(up) != "Answered" || up["extensionId"] != alanID {
			t.Fatalf("pickup answer = %v", up)
		}
		if got := codes(v.session(v.alan, sid)); got != "Answered,Disconnected,Answered" {
			t.Fatalf("after pickup: %s", got)
		}
		v.advance(25 * time.Second) // past the no-answer time: nobody goes to voicemail
		if got := codes(v.session(v.alan, sid)); got != "Answered,Disconnected,Answered" {
			t.Fatalf("after the no-answer time: %s", got)
		}
		v.must(v.do("DELETE", v1Base+"/telephony/sessions/"+sid, v.alan, nil), 204, "103 hangs up")
		if recs := v.sessionRecords(v.alan, false, sid); len(recs) != 1 || recs[0]["action"] != "Phone Call" || recs[0]["result"] != "Accepted" {
			t.Fatalf("103's record = %v", recs)
		}
		// 102 never answered: its attempt was stopped by the pickup, and it is no missed call.
		if recs := v.sessionRecords(v.grace, false, sid); len(recs) != 1 || recs[0]["result"] != "Stopped" {
			t.Fatalf("102's record = %v", recs)
		}
	})
}

// TestVoiceDeleteParty: removing one party of a three-party call leaves the other two talking;
// removing one of the last two ends the call.
func TestVoiceDeleteParty(t *testing.T) {
	v := openVoice(t)
	sid, pid := v.inbound(outsider, graceNum)
	v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer")
	// 101 (administrator) listens in: a third party.
	v.must(v.do("POST", v1Base+"/telephony/sessions/"+sid+"/supervise", v.ada,
		map[string]any{"mode": "Listen", "supervisorDeviceId": deviceOf(adaID), "agentExtensionId": graceID}), 201, "supervise")
	s := v.session(v.ada, sid)
	sup := partyOf(s, adaID)
	if len(vparties(s)) != 3 || sup == nil {
		t.Fatalf("supervised call: %v", dump(s))
	}
	v.wantError(v.do("DELETE", partyPath(sid, "p-nope"), v.ada, nil), 404, "CMN-102", "partyId", "delete an unknown party")
	v.wantError(v.do("DELETE", partyPath(sid, pid), v.alan, nil), 403, "CMN-419", "", "103 deletes 102's party")
	v.must(v.do("DELETE", partyPath(sid, sup["id"].(string)), v.ada, nil), 204, "delete the supervisor")
	if got := codes(v.session(v.ada, sid)); got != "Answered,Answered,Disconnected" {
		t.Fatalf("after removing the supervisor: %s", got)
	}
	v.wantError(v.do("DELETE", partyPath(sid, sup["id"].(string)), v.ada, nil), 409, "TAS-102", "", "delete a gone party")
	v.must(v.do("DELETE", partyPath(sid, pid), v.grace, map[string]any{"keepConferenceAlive": false}), 204, "102 leaves")
	if v.session(v.ada, sid) != nil {
		t.Fatal("the call lasts with one party")
	}
	if recs := v.sessionRecords(v.grace, false, sid); len(recs) != 1 || recs[0]["result"] != "Accepted" {
		t.Fatalf("102's record = %v", recs)
	}
	// A supervisor leaves no record of its own.
	if recs := v.sessionRecords(v.ada, false, sid); len(recs) != 0 {
		t.Fatalf("the supervisor's records = %v", recs)
	}
}

// TestVoiceSupervise: only an administrator supervises, on its own device, a connected agent;
// the supervisor's party is muted and Answered; the call ends when the agent's caller hangs up,
// whoever still listens.
func TestVoiceSupervise(t *testing.T) {
	v := openVoice(t)
	c := v.simulate(map[string]any{"from": outsider, "to": graceNum, "outcome": "answered", "answerAfter": 1, "duration": 30})
	sid := c["telephonySessionId"].(string)
	base := v1Base + "/telephony/sessions/" + sid
	body := func(extra map[string]any) map[string]any {
		b := map[string]any{"mode": "Listen", "supervisorDeviceId": deviceOf(adaID), "agentExtensionId": graceID}
		for k, x := range extra {
			b[k] = x
		}
		return b
	}
	v.wantError(v.do("POST", base+"/supervise", v.ada, body(nil)), 409, "TAS-102", "", "supervise a ringing agent")
	v.advance(time.Second)
	v.wantError(v.do("POST", base+"/supervise", v.alan, body(map[string]any{"supervisorDeviceId": deviceOf(alanID)})), 403, "", "", "non-admin supervises")
	v.wantError(v.do("POST", base+"/supervise", v.ada, body(map[string]any{"mode": "Barge"})), 400, "CMN-101", "mode", "bad mode")
	v.wantError(v.do("POST", base+"/supervise", v.ada, body(map[string]any{"mode": nil})), 400, "CMN-100", "mode", "no mode")
	v.wantError(v.do("POST", base+"/supervise", v.ada, body(map[string]any{"supervisorDeviceId": deviceOf(graceID)})), 400, "CMN-102", "deviceId", "another's device")
	v.wantError(v.do("POST", base+"/supervise", v.ada, body(map[string]any{"agentExtensionId": alanID})), 400, "CMN-102", "agentExtensionId", "agent not on the call")
	if n := len(vparties(v.session(v.ada, sid))); n != 2 {
		t.Fatalf("refused supervisions added parties: %d", n)
	}

	sup := v.must(v.do("POST", base+"/supervise", v.ada, body(nil)), 201, "supervise").Map(t)
	if code(sup) != "Answered" || sup["muted"] != true || sup["direction"] != "Outbound" || sup["extensionId"] != adaID ||
		sup["from"].(map[string]any)["deviceId"] != deviceOf(adaID) {
		t.Fatalf("supervisor party = %v", sup)
	}

	// The party form names the agent's party; the agent must match it.
	pid := partyOf(v.session(v.ada, sid), graceID)["id"].(string)
	v.wantError(v.do("POST", partyPath(sid, pid)+"/supervise", v.ada, body(map[string]any{"agentExtensionId": alanID})), 400, "CMN-101", "agentExtensionId", "party supervise, wrong agent")
	ps := v.must(v.do("POST", partyPath(sid, pid)+"/supervise", v.ada, body(map[string]any{"agentExtensionId": nil, "agentExtensionNumber": "102"})), 201, "party supervise").Map(t)
	if code(ps) != "Answered" || ps["accountId"] != "159048008" {
		t.Fatalf("party supervise = %v", ps)
	}

	// The caller hangs up after 30 s: the call is over although two supervisors still listen.
	v.advance(30 * time.Second)
	if s := v.session(v.ada, sid); s != nil {
		t.Fatalf("the call outlives its caller: %v", codes(s))
	}
	if recs := v.sessionRecords(v.grace, false, sid); len(recs) != 1 || recs[0]["duration"] != 31.0 {
		t.Fatalf("102's record = %v", recs)
	}
}

// TestVoiceRecordings: a connected party starts (201), pauses and resumes a recording; a second
// start while one runs is refused; the call's record links the recording, whose audio lasts the
// recorded time without the pause.
func TestVoiceRecordings(t *testing.T) {
	v := openVoice(t)
	sid, pid := v.inbound(outsider, graceNum)
	v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer")
	recs := partyPath(sid, pid) + "/recordings"
	start := v.must(v.do("POST", recs, v.grace, nil), 201, "start recording").Map(t)
	rid, _ := start["id"].(string)
	if rid == "" || start["active"] != true {
		t.Fatalf("start = %v", start)
	}
	if p := partyOf(v.session(v.grace, sid), graceID); dump(p["recordings"]) != `[{"active":true,"id":"`+rid+`"}]` {
		t.Fatalf("party recordings = %v", p["recordings"])
	}
	v.wantError(v.do("POST", recs, v.grace, nil), 409, "TAS-103", "", "second start")
	v.wantError(v.do("POST", recs, v.alan, nil), 403, "CMN-419", "", "103 records 102's party")
	v.advance(10 * time.Second)
	pause := v.must(v.do("PATCH", recs+"/"+rid, v.grace, map[string]any{"active": false}), 200, "pause").Map(t)
	if pause["active"] != false || pause["id"] != rid {
		t.Fatalf("pause = %v", pause)
	}
	v.wantError(v.do("PATCH", recs+"/"+rid, v.grace, map[string]any{}), 400, "CMN-100", "active", "PATCH without active")
	v.wantError(v.do("PATCH", recs+"/123", v.grace, map[string]any{"active": true}), 404, "CMN-102", "recordingId", "PATCH an unknown recording")
	v.advance(20 * time.Second) // paused: not recorded
	if r := v.must(v.do("PATCH", recs+"/"+rid, v.grace, map[string]any{"active": true}), 200, "resume").Map(t); r["active"] != true {
		t.Fatalf("resume = %v", r)
	}
	v.advance(5 * time.Second)
	v.must(v.do("DELETE", v1Base+"/telephony/sessions/"+sid, v.grace, nil), 204, "drop")

	rec := v.sessionRecords(v.grace, false, sid)
	if len(rec) != 1 {
		t.Fatalf("records = %v", rec)
	}
	ref, _ := rec[0]["recording"].(map[string]any)
	if ref == nil || ref["id"] != rid || ref["type"] != "OnDemand" || ref["contentUri"] != ref["uri"].(string)+"/content" {
		t.Fatalf("record's recording = %v", rec[0]["recording"])
	}
	meta := v.must(v.do("GET", v1Base+"/recording/"+rid, v.grace, nil), 200, "recording").Map(t)
	if meta["duration"] != 15.0 || meta["contentType"] != "audio/wav" || meta["id"] != rid {
		t.Fatalf("recording = %v", meta)
	}
	content := v.must(v.do("GET", v1Base+"/recording/"+rid+"/content", v.grace, nil), 200, "recording content")
	if d, err := audio.Duration(content.Body); err != nil || d != 15*time.Second {
		t.Fatalf("recording audio lasts %v (%v)", d, err)
	}
	v.wantError(v.do("POST", recs, v.grace, nil), 404, "CMN-102", "", "record an ended call")
}

// TestVoiceBridge: 102 holds a call from one caller, answers a second, and bridges the two: the
// first session gains the second caller, the second session ends, and 102's parties are Gone
// with AttendedTransfer and each other's id as peer.
func TestVoiceBridge(t *testing.T) {
	v := openVoice(t)
	sidA, pidA := v.inbound(outsider, graceNum)
	v.must(v.op(v.grace, sidA, pidA, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer A")
	v.must(v.op(v.grace, sidA, pidA, "hold", nil), 200, "hold A")
	sidB, pidB := v.inbound("+12125550133", graceNum)
	bridge := func(tok, sid, pid string, body any) *rcResp { return v.op(tok, sid, pid, "bridge", body) }
	v.wantError(bridge(v.grace, sidA, pidA, map[string]any{"telephonySessionId": sidB, "partyId": pidB}), 409, "TAS-102", "", "bridge to a ringing party")
	v.must(v.op(v.grace, sidB, pidB, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer B")
	v.wantError(bridge(v.grace, sidA, pidA, map[string]any{"partyId": pidB}), 400, "CMN-100", "telephonySessionId", "bridge without a session")
	v.wantError(bridge(v.grace, sidA, pidA, map[string]any{"telephonySessionId": "s-nope", "partyId": pidB}), 400, "CMN-102", "telephonySessionId", "bridge to an unknown session")
	v.wantError(bridge(v.grace, sidA, pidA, map[string]any{"telephonySessionId": sidA, "partyId": pidA}), 400, "CMN-101", "telephonySessionId", "bridge to itself")
	callerB := outsideParty(v.session(v.grace, sidB))["id"].(string)
	v.wantError(bridge(v.grace, sidA, pidA, map[string]any{"telephonySessionId": sidB, "partyId": callerB}), 400, "CMN-101", "partyId", "bridge to another's party")
	v.wantError(bridge(v.alan, sidA, pidA, map[string]any{"telephonySessionId": sidB, "partyId": pidB}), 403, "CMN-419", "", "103 bridges 102's calls")

	v.advance(5 * time.Second)
	b := v.must(bridge(v.grace, sidA, pidA, map[string]any{"telephonySessionId": sidB, "partyId": pidB}), 200, "bridge").Map(t)
	if b["id"] != pidA || code(b) != "Gone" || reason(b) != "AttendedTransfer" || b["status"].(map[string]any)["peerId"].(map[string]any)["partyId"] != pidB {
		t.Fatalf("bridge answer = %v", b)
	}
	if v.session(v.grace, sidB) != nil {
		t.Fatal("the bridged session lasts")
	}
	s := v.session(v.ada, sidA)
	ps := vparties(s)
	if len(ps) != 3 || code(ps[0]) != "Answered" || code(ps[1]) != "Gone" || code(ps[2]) != "Answered" ||
		ps[2]["from"].(map[string]any)["phoneNumber"] != "+12125550133" {
		t.Fatalf("session after the bridge: %v", dump(s))
	}
	// 102 is out of both calls: its presence shows none.
	pres := v.must(v.do("GET", v1Base+"/extension/~/presence?detailedTelephonyState=true", v.grace, nil), 200, "presence").Map(t)
	if pres["telephonyStatus"] != "NoCall" || len(pres["activeCalls"].([]any)) != 0 {
		t.Fatalf("102's presence after the bridge: %v", pres)
	}
	recsB := v.sessionRecords(v.grace, false, sidB)
	if len(recsB) != 1 || recsB[0]["result"] != "Accepted" || recsB[0]["duration"] != 5.0 {
		t.Fatalf("102's record of B = %v", recsB)
	}
	v.must(v.do("DELETE", "/_rcemu/calls/"+sidA, "", nil), 204, "end A")
}

// TestVoiceConferenceBringIn: a conference is created empty, 102's answered call is brought in
// (the party leaves its session with CallRedirected and joins as a Participant).
func TestVoiceConferenceBringIn(t *testing.T) {
	v := openVoice(t)
	conf := v.must(v.do("POST", v1Base+"/telephony/conference", v.grace, nil), 201, "conference").Map(t)["session"].(map[string]any)
	cid := conf["id"].(string)
	if conf["origin"].(map[string]any)["type"] != "Conference" || len(conf["parties"].([]any)) != 0 || conf["voiceCallToken"] == "" {
		t.Fatalf("conference = %v", conf)
	}
	sid, pid := v.inbound(outsider, graceNum)
	bring := func(tok, in string, body any) *rcResp {
		return v.do("POST", v1Base+"/telephony/sessions/"+in+"/parties/bring-in", tok, body)
	}
	v.wantError(bring(v.grace, cid, map[string]any{"sessionId": sid, "partyId": pid}), 409, "TAS-102", "", "bring in a ringing party")
	v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer")
	v.wantError(bring(v.grace, cid, map[string]any{"partyId": pid}), 400, "CMN-100", "sessionId", "bring in without a session")
	v.wantError(bring(v.grace, sid, map[string]any{"sessionId": sid, "partyId": pid}), 400, "CMN-101", "telephonySessionId", "bring into a call that is no conference")
	v.wantError(bring(v.grace, cid, map[string]any{"sessionId": "s-nope", "partyId": pid}), 400, "CMN-102", "telephonySessionId", "bring in from an unknown session")
	v.wantError(bring(v.marie, cid, map[string]any{"sessionId": sid, "partyId": pid}), 404, "CMN-102", "", "another account's conference")

	in := v.must(bring(v.grace, cid, map[string]any{"sessionId": sid, "partyId": pid}), 201, "bring in").Map(t)
	if code(in) != "Answered" || in["conferenceRole"] != "Participant" || in["to"].(map[string]any)["phoneNumber"] != "conference" {
		t.Fatalf("brought in = %v", in)
	}
	c := v.session(v.grace, cid)
	if len(vparties(c)) != 1 || vparties(c)[0]["extensionId"] != graceID {
		t.Fatalf("conference after bring-in: %v", dump(c))
	}
	// The party left its call, which had only the caller left and so is over.
	if s := v.session(v.grace, sid); s != nil {
		t.Fatalf("the call lasts after its party left: %v", dump(s))
	}
	v.must(v.do("DELETE", v1Base+"/telephony/sessions/"+cid, v.grace, nil), 204, "end the conference")
	v.wantError(v.do("GET", v1Base+"/telephony/sessions/"+cid, v.grace, nil), 404, "CMN-102", "", "conference after end")
}

// TestVoiceFlip: flipping needs a connected party and a flip id; the call stays connected.
func TestVoiceFlip(t *testing.T) {
	v := openVoice(t)
	sid, pid := v.inbound(outsider, graceNum)
	v.must(v.op(v.grace, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "answer")
	v.wantError(v.op(v.grace, sid, pid, "flip", map[string]any{}), 400, "CMN-100", "callFlipId", "flip without an id")
	v.must(v.op(v.grace, sid, pid, "hold", nil), 200, "hold")
	r := v.must(v.op(v.grace, sid, pid, "flip", map[string]any{"callFlipId": "1"}), 200, "flip")
	if len(r.Body) != 0 {
		t.Fatalf("flip answered a body: %s", r.Body)
	}
	if p := partyOf(v.session(v.grace, sid), graceID); code(p) != "Answered" {
		t.Fatalf("after flip: %v", p)
	}
}

// TestVoiceAccessRules: a non-administrator cannot control or drop another user's call; an
// administrator can; another account does not see the session at all.
func TestVoiceAccessRules(t *testing.T) {
	v := openVoice(t)
	sid, pid := v.inbound(outsider, graceNum)
	base := v1Base + "/telephony/sessions/" + sid
	v.wantError(v.do("DELETE", base, v.alan, nil), 403, "CMN-419", "", "103 drops 102's call")
	v.wantError(v.do("PATCH", partyPath(sid, pid), v.alan, map[string]any{"muted": true}), 403, "CMN-419", "", "103 mutes 102")
	v.wantError(v.op(v.alan, sid, pid, "reject", nil), 403, "CMN-419", "", "103 rejects 102's call")
	for _, tok := range []string{v.marie} {
		v.wantError(v.do("GET", base, tok, nil), 404, "CMN-102", "telephonySessionId", "another account reads")
		v.wantError(v.do("DELETE", base, tok, nil), 404, "CMN-102", "telephonySessionId", "another account drops")
		v.wantError(v.op(tok, sid, pid, "answer", map[string]any{"deviceId": deviceOf(marieID)}), 404, "CMN-102", "", "another account answers")
	}
	if got := codes(v.session(v.grace, sid)); got != "Proceeding,Proceeding" {
		t.Fatalf("refused requests changed the call: %s", got)
	}
	// 103 can read the session of its account (the platform shows sessions account-wide).
	v.must(v.do("GET", base, v.alan, nil), 200, "103 reads")
	v.wantError(v.do("GET", partyPath(sid, "p-x-9"), v.grace, nil), 404, "CMN-102", "partyId", "unknown party")
	// The administrator answers on 102's behalf with 102's device, and drops the call.
	v.must(v.op(v.ada, sid, pid, "answer", map[string]any{"deviceId": deviceOf(graceID)}), 200, "admin answers for 102")
	v.must(v.do("DELETE", base, v.ada, nil), 204, "admin drops")
	v.wantError(v.do("GET", base, v.grace, nil), 404, "CMN-102", "telephonySessionId", "after the admin's drop")
}
