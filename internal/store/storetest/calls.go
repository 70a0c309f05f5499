package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
	"github.com/rcemu/rcemu/internal/voice"
)

// The default seed's other account and one of its users, for what must stay within an account.
const (
	otherAccount = 259048008
	otherUser    = 271857008
)

// callDay is when the call-log tests' records start: years before the seed's own history, which
// it dates back from now, so that a date window holds only the test's records.
var callDay = time.Date(2010, 6, 1, 9, 0, 0, 0, time.UTC)

// sameJSON reports whether a and b encode alike: what the store keeps of a value is its JSON.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

func hostedParty(id string, account, ext int64, number string) rc.CallParty {
	return rc.CallParty{ID: id, AccountID: account, ExtensionID: ext, Direction: "Inbound", Status: "Proceeding",
		To: rc.CallEndpoint{PhoneNumber: number, ExtensionID: ext}, Transport: "PSTN", Action: "Phone Call"}
}

func outsideParty(id, number string) rc.CallParty {
	return rc.CallParty{ID: id, Direction: "Outbound", Status: "Answered", From: rc.CallEndpoint{PhoneNumber: number},
		Transport: "PSTN", Action: "Phone Call"}
}

func callSession(id string, account int64, at time.Time, parties ...rc.CallParty) rc.CallSession {
	for i := range parties {
		parties[i].Joined = at
	}
	return rc.CallSession{ID: id, AccountID: account, Origin: "Call", CreationTime: at,
		Parties: parties, Sequence: 1}
}

func callIDs(ss []rc.CallSession) string {
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ",")
}

func recordIDs(rs []rc.CallRecord) string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, ",")
}

func liveCalls(t *testing.T, st voice.Store, account, ext int64) string {
	t.Helper()
	ss, err := st.LiveCalls(context.Background(), account, ext)
	if err != nil {
		t.Fatal(err)
	}
	return callIDs(ss)
}

func lastCallSeq(t *testing.T, st voice.Store) int64 {
	t.Helper()
	seq, err := st.LastCallSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func callRecord(id string, account, ext int64, start time.Time, typ, dir string, from, to rc.CallEndpoint) *rc.CallRecord {
	return &rc.CallRecord{ID: id, AccountID: account, ExtensionID: ext, SessionID: "sess-" + id, StartTime: start,
		Duration: time.Minute, Type: typ, Direction: dir, Action: "Phone Call", Result: "Accepted", From: from, To: to,
		Transport: "PSTN", LastModified: start.Add(time.Minute)}
}

// Live sessions: what is inserted is what is read, a taken id is refused, LiveCalls finds a
// session by each party's account and extension (oldest first, an update not making one newer),
// and a session that ended is gone for every write, while an end that cannot store its records
// ends nothing.
func testCallSessions(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st voice.Store = db
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	one := callSession("s-one", messageAccount, at,
		hostedParty("p1", messageAccount, grace, "+16505550102"), outsideParty("p2", "+14155550123"))
	// A call between the accounts: each side's account sees it, with its own user only.
	two := callSession("s-two", messageAccount, at.Add(time.Second),
		hostedParty("p1", messageAccount, alan, "+16505550103"), hostedParty("p2", otherAccount, otherUser, "+14155550101"))
	for _, s := range []rc.CallSession{one, two} {
		if err := st.InsertCall(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.Call(ctx, one.ID); err != nil || !sameJSON(t, got, one) {
		t.Fatalf("call %s: %+v %v", one.ID, got, err)
	}
	clash := callSession(one.ID, otherAccount, at, hostedParty("p9", otherAccount, otherUser, "+14155550101"))
	if err := st.InsertCall(ctx, clash); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("insert of a taken session id: %v", err)
	}
	if got, _ := st.Call(ctx, one.ID); !sameJSON(t, got, one) {
		t.Fatalf("a refused insert changed the session: %+v", got)
	}
	live := []struct {
		account, ext int64
		want         string
	}{
		{messageAccount, 0, "s-one,s-two"},
		{messageAccount, grace, "s-one"},
		{messageAccount, alan, "s-two"},
		{otherAccount, 0, "s-two"},
		{otherAccount, otherUser, "s-two"},
		{messageAccount, otherUser, ""}, // that user is of the other account
		{otherAccount, grace, ""},
	}
	for _, c := range live {
		if got := liveCalls(t, st, c.account, c.ext); got != c.want {
			t.Errorf("live calls of %d/%d = %q, want %q", c.account, c.ext, got, c.want)
		}
	}

	one.Sequence++
	one.Parties[0].Status = "Answered"
	one.Parties = append(one.Parties, hostedParty("p3", messageAccount, alan, "+16505550103"))
	if err := st.UpdateCall(ctx, one); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Call(ctx, one.ID); err != nil || !sameJSON(t, got, one) {
		t.Fatalf("after the update: %+v %v", got, err)
	}
	if got := liveCalls(t, st, messageAccount, alan); got != "s-one,s-two" {
		t.Fatalf("alan's live calls after he joined s-one = %q, want the older one first", got)
	}
	ghost := callSession("s-ghost", messageAccount, at, hostedParty("p1", messageAccount, grace, "+16505550102"))
	if err := st.UpdateCall(ctx, ghost); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a session never inserted: %v", err)
	}
	if _, err := st.Call(ctx, ghost.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused update created the session: %v", err)
	}
	all, err := st.AllCalls(ctx)
	if ids := strings.Split(callIDs(all), ","); err != nil || !slices.Equal(slices.Sorted(slices.Values(ids)), []string{"s-one", "s-two"}) {
		t.Fatalf("all calls = %v %v", ids, err)
	}

	rec := callRecord("rec-one", messageAccount, grace, at, "Voice", "Inbound",
		rc.CallEndpoint{PhoneNumber: "+14155550123"}, rc.CallEndpoint{PhoneNumber: "+16505550102", ExtensionNumber: "102"})
	recording := rc.CallRecording{ID: 7000000001, AccountID: messageAccount, Type: "OnDemand", Duration: 30 * time.Second,
		ContentType: "audio/mpeg", Created: at}
	rec.Recording = &recording
	if err := st.EndCall(ctx, one.ID, []*rc.CallRecord{rec}, []rc.CallRecording{recording}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Call(ctx, one.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an ended session: %v", err)
	}
	if got := liveCalls(t, st, messageAccount, grace); got != "" {
		t.Fatalf("grace's live calls after hers ended = %q", got)
	}
	if got := liveCalls(t, st, messageAccount, alan); got != "s-two" {
		t.Fatalf("alan's live calls after s-one ended = %q", got)
	}
	if got, err := st.CallRecord(ctx, messageAccount, rec.ID); err != nil || got.Seq != rec.Seq || rec.Seq == 0 || !sameJSON(t, got, rec) {
		t.Fatalf("the ended call's record: %+v (seq %d, want %d) %v", got, got.Seq, rec.Seq, err)
	}
	if got, err := st.Recording(ctx, messageAccount, recording.ID); err != nil || !sameJSON(t, got, recording) {
		t.Fatalf("the ended call's recording: %+v %v", got, err)
	}
	if _, err := st.Recording(ctx, otherAccount, recording.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a recording of another account: %v", err)
	}

	// A late writer that lost the race with the end changes nothing.
	seq := lastCallSeq(t, st)
	late := callRecord("rec-late", messageAccount, grace, at, "Voice", "Inbound",
		rc.CallEndpoint{PhoneNumber: "+14155550123"}, rc.CallEndpoint{PhoneNumber: "+16505550102"})
	if err := st.EndCall(ctx, one.ID, []*rc.CallRecord{late}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ending a session twice: %v", err)
	}
	if _, err := st.CallRecord(ctx, messageAccount, late.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused end stored its record: %v", err)
	}
	if err := st.UpdateCall(ctx, one); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of an ended session: %v", err)
	}
	if _, err := st.Call(ctx, one.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an update brought back an ended session: %v", err)
	}

	// An end whose records cannot all be stored leaves the session live and stores nothing.
	fresh := callRecord("rec-two", messageAccount, alan, at, "Voice", "Inbound",
		rc.CallEndpoint{PhoneNumber: "+14155550101"}, rc.CallEndpoint{PhoneNumber: "+16505550103"})
	taken := callRecord(rec.ID, otherAccount, otherUser, at, "Voice", "Outbound",
		rc.CallEndpoint{PhoneNumber: "+14155550101"}, rc.CallEndpoint{PhoneNumber: "+16505550103"})
	lost := rc.CallRecording{ID: 7000000002, AccountID: messageAccount, Type: "OnDemand", ContentType: "audio/mpeg", Created: at}
	if err := st.EndCall(ctx, two.ID, []*rc.CallRecord{fresh, taken}, []rc.CallRecording{lost}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("an end with a taken record id: %v", err)
	}
	if _, err := st.Call(ctx, two.ID); err != nil {
		t.Fatalf("a refused end ended the session: %v", err)
	}
	if got := liveCalls(t, st, otherAccount, otherUser); got != "s-two" {
		t.Fatalf("after a refused end the session's parties = %q", got)
	}
	if _, err := st.CallRecord(ctx, messageAccount, fresh.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused end kept part of its records: %v", err)
	}
	if _, err := st.Recording(ctx, messageAccount, lost.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused end kept its recording: %v", err)
	}
	if n := lastCallSeq(t, st); n != seq {
		t.Fatalf("refused ends moved the call-log sequence %d → %d", seq, n)
	}
}

// LiveCalls must follow a session's parties through any update, not only one that adds a party:
// here a call is handed to another user in place.
func testCallPartiesFollowUpdates(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st voice.Store = db
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := callSession("s-moved", messageAccount, at,
		hostedParty("p1", messageAccount, grace, "+16505550102"), outsideParty("p2", "+14155550123"))
	if err := st.InsertCall(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.Parties[0].ExtensionID, s.Parties[0].To = alan, rc.CallEndpoint{PhoneNumber: "+16505550103", ExtensionID: alan}
	s.Parties[1] = hostedParty("p2", otherAccount, otherUser, "+14155550101")
	if err := st.UpdateCall(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		account, ext int64
		want         string
	}{
		{messageAccount, alan, "s-moved"},
		{messageAccount, grace, ""},
		{otherAccount, 0, "s-moved"},
		{otherAccount, otherUser, "s-moved"},
	} {
		if got := liveCalls(t, st, c.account, c.ext); got != c.want {
			t.Errorf("live calls of %d/%d after the parties changed = %q, want %q", c.account, c.ext, got, c.want)
		}
	}
}

// Due steps: a session is due from its earliest step on (at the instant itself, not before), a
// session without steps never, and updates and ends move what NextCallDue reports.
func testDueCalls(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st voice.Store = db
	next := func() (time.Time, bool) {
		t.Helper()
		at, ok, err := st.NextCallDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return at, ok
	}
	due := func(at time.Time, limit int) string {
		t.Helper()
		ss, err := st.DueCalls(ctx, at, limit)
		if err != nil {
			t.Fatal(err)
		}
		ids := strings.Split(callIDs(ss), ",")
		slices.Sort(ids)
		return strings.Join(ids, ",")
	}
	if at, ok := next(); ok {
		t.Fatalf("no session yet, next due %v", at)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	early := callSession("s-early", messageAccount, t0, hostedParty("p1", messageAccount, grace, "+16505550102"))
	// Steps are not kept in time order: the session is due at its earliest, not its first.
	early.Steps = []rc.CallStep{{At: t0.Add(3 * time.Second), Action: "hangup", Party: "p1"},
		{At: t0.Add(time.Second), Action: "answer", Party: "p1"}}
	later := callSession("s-later", messageAccount, t0, hostedParty("p1", messageAccount, alan, "+16505550103"))
	later.Steps = []rc.CallStep{{At: t0.Add(2 * time.Second), Action: "answer", Party: "p1"}}
	idle := callSession("s-idle", messageAccount, t0, hostedParty("p1", messageAccount, otherUser, "+14155550101"))
	for _, s := range []rc.CallSession{early, later, idle} {
		if err := st.InsertCall(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if at, ok := next(); !ok || !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("next due = %v %v, want %v", at, ok, t0.Add(time.Second))
	}
	for _, c := range []struct {
		at    time.Time
		limit int
		want  string
	}{
		{t0.Add(time.Second - time.Millisecond), 10, ""},
		{t0.Add(time.Second), 10, "s-early"},
		{t0.Add(2 * time.Second), 10, "s-early,s-later"},
		{t0.Add(time.Hour), 10, "s-early,s-later"},
	} {
		if got := due(c.at, c.limit); got != c.want {
			t.Errorf("due at %v = %q, want %q", c.at.Sub(t0), got, c.want)
		}
	}
	if ss, err := st.DueCalls(ctx, t0.Add(time.Hour), 1); err != nil || len(ss) != 1 {
		t.Fatalf("due with limit 1: %d sessions, %v", len(ss), err)
	}
	got, err := st.DueCalls(ctx, t0.Add(time.Second), 10)
	if err != nil || len(got) != 1 || !sameJSON(t, got[0], early) {
		t.Fatalf("a due session is the session as stored: %+v %v", got, err)
	}

	early.Steps = nil
	if err := st.UpdateCall(ctx, early); err != nil {
		t.Fatal(err)
	}
	if at, ok := next(); !ok || !at.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("next due once s-early has no steps = %v %v, want %v", at, ok, t0.Add(2*time.Second))
	}
	if got := due(t0.Add(time.Hour), 10); got != "s-later" {
		t.Fatalf("due after s-early's steps went = %q", got)
	}
	if err := st.EndCall(ctx, later.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if at, ok := next(); ok {
		t.Fatalf("the only session with steps ended, yet next due %v", at)
	}
	if got := due(t0.Add(time.Hour), 10); got != "" {
		t.Fatalf("due after the end = %q", got)
	}
}

// The call log: records are read back as stored, numbered in order of change, listed newest
// first by every filter the API has, within one account; deletion marks (and re-sequences)
// only what started before the instant; a batch with a taken id stores nothing of itself.
func testCallLog(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st voice.Store = db
	day := callDay
	pstn := func(n string) rc.CallEndpoint { return rc.CallEndpoint{PhoneNumber: n} }
	ext := func(n, number string) rc.CallEndpoint {
		return rc.CallEndpoint{PhoneNumber: n, ExtensionNumber: number}
	}
	r1 := callRecord("rec-1", messageAccount, grace, day, "Voice", "Inbound", pstn("+14155550123"), ext("+16505550102", "102"))
	r2 := callRecord("rec-2", messageAccount, grace, day.Add(time.Hour), "Voice", "Outbound", ext("+16505550102", "102"), pstn("+13125550188"))
	r2.Result = "Call connected"
	r2.Recording = &rc.CallRecording{ID: 7000000010, AccountID: messageAccount, Type: "OnDemand", Duration: time.Minute,
		ContentType: "audio/mpeg", Created: day.Add(time.Hour)}
	r3 := callRecord("rec-3", messageAccount, grace, day.Add(2*time.Hour), "Fax", "Inbound", pstn("+13125550188"), ext("+16505550102", "102"))
	r3.Result = "Received"
	r4 := callRecord("rec-4", messageAccount, alan, day.Add(30*time.Minute), "Voice", "Inbound", pstn("+14155550123"), ext("+16505550103", "103"))
	r4.Result, r4.Transport, r4.TelephonySessionID = "Missed", "VoIP", "tel-4"
	r5 := callRecord("rec-5", otherAccount, otherUser, day, "Voice", "Inbound", pstn("+14155550123"), ext("+14155550101", "101"))

	seq0 := lastCallSeq(t, st)
	if err := st.InsertCallRecords(ctx, r1, r2, r3, r4, r5); err != nil {
		t.Fatal(err)
	}
	prev := seq0
	for _, r := range []*rc.CallRecord{r1, r2, r3, r4, r5} {
		if r.Seq <= prev {
			t.Fatalf("%s was given seq %d after %d", r.ID, r.Seq, prev)
		}
		prev = r.Seq
	}
	if n := lastCallSeq(t, st); n != r5.Seq {
		t.Fatalf("last call seq %d, want %d", n, r5.Seq)
	}
	if got, err := st.CallRecord(ctx, messageAccount, r2.ID); err != nil || got.Seq != r2.Seq || !sameJSON(t, got, r2) {
		t.Fatalf("record %s: %+v %v", r2.ID, got, err)
	}
	if _, err := st.CallRecord(ctx, otherAccount, r2.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a record of another account: %v", err)
	}
	if _, err := st.CallRecord(ctx, messageAccount, "rec-none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a record never stored: %v", err)
	}

	list := func(f voice.LogFilter) string {
		t.Helper()
		if f.AccountID == 0 {
			f.AccountID = messageAccount
		}
		if f.DateFrom.IsZero() {
			f.DateFrom = day
		}
		if f.DateTo.IsZero() {
			f.DateTo = day.Add(24 * time.Hour)
		}
		rs, err := st.ListCallRecords(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return recordIDs(rs)
	}
	for _, c := range []struct {
		f    voice.LogFilter
		want string
	}{
		{voice.LogFilter{ExtensionID: grace}, "rec-3,rec-2,rec-1"},
		{voice.LogFilter{}, "rec-3,rec-2,rec-4,rec-1"},
		{voice.LogFilter{AccountID: otherAccount}, "rec-5"},
		{voice.LogFilter{Types: []string{"Fax"}}, "rec-3"},
		{voice.LogFilter{Types: []string{"Fax", "Voice"}, ExtensionID: grace}, "rec-3,rec-2,rec-1"},
		{voice.LogFilter{ExtensionID: grace, Directions: []string{"Outbound"}}, "rec-2"},
		{voice.LogFilter{Transports: []string{"VoIP"}}, "rec-4"},
		{voice.LogFilter{PhoneNumber: "+1 (415) 555-0123"}, "rec-4,rec-1"},
		{voice.LogFilter{PhoneNumber: "13125550188"}, "rec-3,rec-2"}, // either side of the call
		{voice.LogFilter{PhoneNumber: "13125550188", ExtensionID: alan}, ""},
		{voice.LogFilter{ExtensionNumber: "102"}, "rec-3,rec-2,rec-1"},
		{voice.LogFilter{ExtensionNumber: "101"}, ""}, // the other account's 101
		{voice.LogFilter{AccountID: otherAccount, ExtensionNumber: "101"}, "rec-5"},
		{voice.LogFilter{PhoneNumber: "14155550123", ExtensionNumber: "103"}, "rec-4"},
		{voice.LogFilter{SessionID: "sess-rec-1"}, "rec-1"},
		{voice.LogFilter{TelephonySessionID: "tel-4"}, "rec-4"},
		{voice.LogFilter{RecordingType: "All"}, "rec-2"},
		{voice.LogFilter{RecordingType: "OnDemand"}, "rec-2"},
		{voice.LogFilter{RecordingType: "Automatic"}, ""},
		{voice.LogFilter{Missed: true}, "rec-4"},
		{voice.LogFilter{ExtensionID: grace, Offset: 1, Limit: 1}, "rec-2"},
		{voice.LogFilter{ExtensionID: grace, Offset: 3, Limit: 10}, ""},
		{voice.LogFilter{ExtensionID: grace, DateFrom: day.Add(time.Hour)}, "rec-3,rec-2"},
		{voice.LogFilter{ExtensionID: grace, DateTo: day.Add(time.Hour)}, "rec-1"},
	} {
		if got := list(c.f); got != c.want {
			t.Errorf("%+v = %q, want %q", c.f, got, c.want)
		}
	}

	seq := lastCallSeq(t, st)
	if n, err := st.DeleteCallRecords(ctx, grace, day.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("delete before %v: %d %v, want rec-1 only", day.Add(time.Hour), n, err)
	}
	if got := list(voice.LogFilter{}); got != "rec-3,rec-2,rec-4" {
		t.Fatalf("after the delete = %q", got)
	}
	rs, err := st.ListCallRecords(ctx, voice.LogFilter{AccountID: messageAccount, ExtensionID: grace,
		DateFrom: day, DateTo: day.Add(24 * time.Hour), ShowDeleted: true})
	if err != nil || recordIDs(rs) != "rec-3,rec-2,rec-1" || !rs[2].Deleted || rs[1].Deleted {
		t.Fatalf("with the deleted: %+v %v", rs, err)
	}
	changed, err := st.CallRecordsChangedSince(ctx, messageAccount, grace, seq, 10)
	if err != nil || recordIDs(changed) != "rec-1" || !changed[0].Deleted || changed[0].Seq <= seq {
		t.Fatalf("changed since the delete: %+v %v", changed, err)
	}
	deletedSeq := changed[0].Seq
	if n := lastCallSeq(t, st); n != deletedSeq {
		t.Fatalf("last call seq %d, want the deletion's %d", n, deletedSeq)
	}
	for _, c := range []struct {
		account, ext int64
		limit        int
		want         string
	}{
		{messageAccount, 0, 100, "rec-2,rec-3,rec-4,rec-1"},
		{messageAccount, 0, 2, "rec-2,rec-3"},
		{messageAccount, alan, 100, "rec-4"},
		{otherAccount, 0, 100, "rec-5"},
	} {
		rs, err := st.CallRecordsChangedSince(ctx, c.account, c.ext, seq0, c.limit)
		if got := recordIDs(rs); err != nil || got != c.want {
			t.Errorf("changed in %d/%d since %d = %q %v, want %q", c.account, c.ext, seq0, got, err, c.want)
		}
	}
	if n, err := st.DeleteCallRecords(ctx, grace, day.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("deleting again: %d %v", n, err)
	}
	if n := lastCallSeq(t, st); n != deletedSeq {
		t.Fatalf("a delete of nothing moved the sequence %d → %d", deletedSeq, n)
	}

	unheard := callRecord("rec-unheard", messageAccount, alan, day.Add(3*time.Hour), "Voice", "Inbound",
		pstn("+19995550123"), ext("+16505550103", "103"))
	taken := callRecord(r2.ID, messageAccount, alan, day.Add(3*time.Hour), "Voice", "Inbound", pstn("+19995550123"), pstn("+16505550103"))
	if err := st.InsertCallRecords(ctx, unheard, taken); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a batch with a taken id: %v", err)
	}
	if _, err := st.CallRecord(ctx, messageAccount, unheard.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused batch kept a record: %v", err)
	}
	if got := list(voice.LogFilter{PhoneNumber: "19995550123"}); got != "" {
		t.Fatalf("a refused batch left its numbers findable: %q", got)
	}
	if got, _ := st.CallRecord(ctx, messageAccount, r2.ID); got.ExtensionID != grace || got.Seq != r2.Seq {
		t.Fatalf("a refused batch changed the record whose id it took: %+v", got)
	}
	if n := lastCallSeq(t, st); n != deletedSeq {
		t.Fatalf("a refused batch moved the sequence %d → %d", deletedSeq, n)
	}
}

// RingOuts: put is an upsert, and a RingOut is only its extension's.
func testRingOuts(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st voice.Store = db
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ro := rc.RingOut{ID: 900001, AccountID: messageAccount, ExtensionID: grace, SessionID: "s-ro", From: "+16505550102",
		To: "+14155550123", PlayPrompt: true, CallStatus: "InProgress", CallerStatus: "InProgress", CalleeStatus: "Queued", Created: at}
	if err := st.PutRingOut(ctx, ro); err != nil {
		t.Fatal(err)
	}
	if got, err := st.RingOut(ctx, grace, ro.ID); err != nil || got != ro {
		t.Fatalf("ringout: %+v %v", got, err)
	}
	ro.CallStatus, ro.CallerStatus, ro.CalleeStatus = "Success", "Success", "Success"
	if err := st.PutRingOut(ctx, ro); err != nil {
		t.Fatal(err)
	}
	if got, err := st.RingOut(ctx, grace, ro.ID); err != nil || got != ro {
		t.Fatalf("ringout after its replacement: %+v %v", got, err)
	}
	if _, err := st.RingOut(ctx, alan, ro.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another extension's ringout: %v", err)
	}
	if _, err := st.RingOut(ctx, grace, ro.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a ringout never stored: %v", err)
	}
}

// Serial numbers are handed out once: reservations made together never overlap.
func testReserveIDsNeverOverlap(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	const workers, each = 6, 20
	type block struct{ first, n int64 }
	blocks := make([][]block, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := 1 + (w+i)%4
				first, err := db.ReserveIDs(ctx, n)
				if err != nil {
					errs[w] = err
					return
				}
				blocks[w] = append(blocks[w], block{first, int64(n)})
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(blocks...)
	slices.SortFunc(all, func(a, b block) int { return cmp.Compare(a.first, b.first) })
	for i := 1; i < len(all); i++ {
		if p := all[i-1]; all[i].first < p.first+p.n {
			t.Fatalf("blocks [%d, %d) and [%d, %d) overlap", p.first, p.first+p.n, all[i].first, all[i].first+all[i].n)
		}
	}
}
