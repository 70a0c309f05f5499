package voice

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// Call-log vocabularies (the spec's enums).
var (
	LogTypes       = []string{"Voice", "Fax"}
	LogDirections  = []string{"Inbound", "Outbound"}
	LogTransports  = []string{"PSTN", "VoIP"}
	LogViews       = []string{"Simple", "Detailed"}
	RecordingTypes = []string{"Automatic", "OnDemand", "All"}
	StatusGroups   = []string{"Missed", "All"}
)

// LogFilter selects call-log records of an account, or of one of its extensions. Slices are
// unions; empty means any.
type LogFilter struct {
	AccountID          int64
	ExtensionID        int64 // 0: the whole account
	Types              []string
	Directions         []string
	Transports         []string
	PhoneNumber        string // digits of a number either side
	ExtensionNumber    string
	SessionID          string
	TelephonySessionID string
	// RecordingType keeps recorded calls only: Automatic, OnDemand or All; "" any call.
	RecordingType string
	// Missed keeps missed calls only.
	Missed        bool
	DateFrom      time.Time // inclusive, on startTime
	DateTo        time.Time // exclusive
	ShowDeleted   bool
	Offset, Limit int
}

// NumberKeys are the search keys a record's parties give for phoneNumber and extensionNumber
// filters: ",p16505550101,e101,".
func NumberKeys(r *rc.CallRecord) string {
	var b strings.Builder
	b.WriteByte(',')
	for _, e := range []rc.CallEndpoint{r.From, r.To} {
		if d := digits(e.PhoneNumber); d != "" {
			b.WriteString("p" + d + ",")
		}
		if e.ExtensionNumber != "" {
			b.WriteString("e" + e.ExtensionNumber + ",")
		}
	}
	return b.String()
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// PhoneKey is the key a phoneNumber filter value matches.
func PhoneKey(v string) string { return "p" + digits(v) }

// Log lists call-log records, newest first.
func (s *Service) Log(ctx context.Context, f LogFilter) ([]rc.CallRecord, error) {
	return s.store.ListCallRecords(ctx, f)
}

// Record returns one record the caller may read: of its account, and its own unless it is an
// administrator (extensionID 0: any of the account).
func (s *Service) Record(ctx context.Context, accountID, extensionID int64, id string) (rc.CallRecord, error) {
	r, err := s.store.CallRecord(ctx, accountID, id)
	if notFound(err) || (err == nil && ((extensionID != 0 && r.ExtensionID != extensionID) || r.Deleted)) {
		return rc.CallRecord{}, rc.NotFound("callRecordId")
	}
	return r, err
}

// DeleteLog marks an extension's records that started before t deleted.
func (s *Service) DeleteLog(ctx context.Context, extensionID int64, before time.Time) error {
	_, err := s.store.DeleteCallRecords(ctx, extensionID, before)
	return err
}

// RecordingMeta returns a recording's metadata.
func (s *Service) RecordingMeta(ctx context.Context, accountID, id int64) (rc.CallRecording, error) {
	r, err := s.store.Recording(ctx, accountID, id)
	if notFound(err) {
		return r, rc.NotFound("recordingId")
	}
	return r, err
}

// LogSyncRequest is a call-log-sync call.
type LogSyncRequest struct {
	AccountID   int64
	ExtensionID int64 // 0: account level
	Type        string
	Token       string
	RecordCount int
	DateFrom    time.Time
	StatusGroup []string
	// ShowDeleted makes an incremental sync report records deleted since the token too.
	ShowDeleted bool
}

// LogSyncResult is the records and the new sync state.
type LogSyncResult struct {
	Records     []rc.CallRecord
	Type        string
	Token       string
	Time        time.Time
	OlderExists bool
}

type logSyncState struct {
	Acc    int64 `json:"a"`
	Ext    int64 `json:"e,omitempty"`
	Seq    int64 `json:"s"`
	Missed bool  `json:"m,omitempty"`
}

func logSyncError(msg string) *rc.Error {
	return &rc.Error{Status: 400, Code: "CLG-101", TopCode: "CLG-101", Param: "syncToken",
		Message: "Parameter [syncToken] is invalid [" + msg + "]"}
}

// Sync runs a full or incremental call-log synchronisation.
func (s *Service) Sync(ctx context.Context, r LogSyncRequest) (LogSyncResult, error) {
	now := s.clock.Now()
	last, err := s.store.LastCallSeq(ctx)
	if err != nil {
		return LogSyncResult{}, err
	}
	missed := slices.Contains(r.StatusGroup, "Missed") && !slices.Contains(r.StatusGroup, "All")
	if r.Type == "ISync" {
		if r.Token == "" {
			return LogSyncResult{}, rc.Missing("syncToken")
		}
		var st logSyncState
		if !rc.DecodeToken(r.Token, &st) || st.Acc == 0 {
			return LogSyncResult{}, rc.Invalid("syncToken")
		}
		if st.Acc != r.AccountID || st.Ext != r.ExtensionID {
			return LogSyncResult{}, logSyncError("Sync token of another call log")
		}
		if st.Seq > last {
			return LogSyncResult{}, logSyncError("Sync token expired, call log was reset")
		}
		changed, err := s.store.CallRecordsChangedSince(ctx, r.AccountID, r.ExtensionID, st.Seq, 1<<20)
		if err != nil {
			return LogSyncResult{}, err
		}
		out := []rc.CallRecord{}
		for _, c := range changed {
			if c.Deleted && !r.ShowDeleted {
				continue
			}
			if !st.Missed || c.Result == "Missed" || c.Result == "Voicemail" {
				out = append(out, c)
			}
		}
		slices.Reverse(out)
		st.Seq = last
		return LogSyncResult{Records: out, Type: "ISync", Token: rc.EncodeToken(st), Time: now}, nil
	}
	count := r.RecordCount
	if count <= 0 {
		count = 250
	}
	f := LogFilter{AccountID: r.AccountID, ExtensionID: r.ExtensionID, DateFrom: r.DateFrom, Missed: missed, Limit: count + 1}
	recs, err := s.store.ListCallRecords(ctx, f)
	if err != nil {
		return LogSyncResult{}, err
	}
	older := len(recs) > count
	if older {
		recs = recs[:count]
	}
	st := logSyncState{Acc: r.AccountID, Ext: r.ExtensionID, Seq: last, Missed: missed}
	return LogSyncResult{Records: recs, Type: "FSync", Token: rc.EncodeToken(st), Time: now, OlderExists: older}, nil
}

// ActiveCalls lists the calls in progress of an account, or of one of its extensions, as
// call-log-shaped records (one per hosted party).
func (s *Service) ActiveCalls(ctx context.Context, accountID, extensionID int64) ([]rc.CallRecord, error) {
	calls, err := s.store.LiveCalls(ctx, accountID, extensionID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := []rc.CallRecord{}
	for i := len(calls) - 1; i >= 0; i-- {
		sess := &calls[i]
		for j := range sess.Parties {
			p := &sess.Parties[j]
			if !p.Hosted() || !p.Live() || p.AccountID != accountID || (extensionID != 0 && p.ExtensionID != extensionID) {
				continue
			}
			r := rc.CallRecord{ID: recordKey(sess.Num, j), AccountID: p.AccountID, ExtensionID: p.ExtensionID,
				SessionID: sess.SessionID(), TelephonySessionID: sess.ID, PartyID: p.ID, StartTime: p.Joined,
				Duration: now.Sub(p.Joined), Type: "Voice", Direction: p.Direction, Action: p.Action, Result: "In Progress",
				From: p.From, To: p.To, Transport: p.Transport, LastModified: now, Legs: []rc.CallLeg{leg(sess, p, now)}}
			r.Legs[0].Result, r.Legs[0].Master = "In Progress", true
			r.From.DeviceID, r.To.DeviceID = 0, 0
			out = append(out, r)
		}
	}
	return out, nil
}

// recordKey derives a call-log record id, short and URL-safe like the platform's, from the
// session serial and the party's place.
func recordKey(sessionNum int64, party int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	x := uint64(sessionNum)*0x9E3779B97F4A7C15 + uint64(party)*0xBF58476D1CE4E5B9
	b := make([]byte, 0, 15)
	for i := 0; i < 11; i++ {
		b = append(b, alphabet[x&63])
		x >>= 6
	}
	b = append(b, alphabet[(sessionNum>>0)&63], alphabet[(sessionNum>>6)&63], alphabet[(sessionNum>>12)&63], alphabet[party&63])
	return string(b)
}

// Run applies due steps until ctx ends, looking at the store only when the clock has reached
// the next one or when woken.
func (s *Service) Run(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var next time.Time
	known := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
			known = false
		}
		if known && (next.IsZero() || s.clock.Now().Before(next)) {
			continue
		}
		if _, err := s.ApplyDue(ctx); err != nil {
			if ctx.Err() == nil {
				log.Error("apply due call steps", "err", err)
			}
			known = false
			continue
		}
		at, ok, err := s.store.NextCallDue(ctx)
		next, known = time.Time{}, err == nil
		if ok {
			next = at
		}
	}
}

// ApplyDue applies every step the clock has reached and returns how many sessions moved.
func (s *Service) ApplyDue(ctx context.Context) (int, error) {
	total := 0
	for round := 0; round < 100; round++ {
		due, err := s.store.DueCalls(ctx, s.clock.Now(), 200)
		if err != nil || len(due) == 0 {
			return total, err
		}
		moved := 0
		for _, d := range due {
			ok, err := s.step(ctx, d.ID)
			if err != nil {
				return total, err
			}
			if ok {
				moved++
			}
		}
		// The store keeps due times to the millisecond: a session whose step is later in the
		// clock's own millisecond comes back without being due, and asking again would spin.
		if moved == 0 {
			return total, nil
		}
		total += moved
	}
	return total, nil
}

// step advances a session whose step the store says is due, and reports whether it was.
func (s *Service) step(ctx context.Context, id string) (bool, error) {
	unlock := s.lock(id)
	defer unlock()
	sess, err := s.store.Call(ctx, id)
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if at, ok := sess.NextStep(); !ok || at.After(s.clock.Now()) {
		return false, nil
	}
	if err := s.advance(ctx, &sess, true); err != nil && !notFound(err) {
		return false, err
	}
	return true, nil
}
