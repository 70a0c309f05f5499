package messaging

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Filter selects messages of one extension's store. Slices are unions; empty means any.
type Filter struct {
	ExtensionID     int64
	Types           []string
	Directions      []string
	Availabilities  []string
	ReadStatuses    []string
	ConversationIDs []int64
	PhoneNumber     string
	DateFrom        time.Time // inclusive; zero: unbounded
	DateTo          time.Time // exclusive; zero: unbounded
	// Distinct keeps only the newest message of each conversation.
	Distinct      bool
	Offset, Limit int
}

func (f Filter) store() store.MessageFilter {
	return store.MessageFilter{ExtensionID: f.ExtensionID, Types: f.Types, Directions: f.Directions,
		Availabilities: f.Availabilities, ReadStatuses: f.ReadStatuses, ConversationIDs: f.ConversationIDs,
		PhoneNumber: f.PhoneNumber, DateFrom: f.DateFrom, DateTo: f.DateTo, Distinct: f.Distinct,
		Offset: f.Offset, Limit: f.Limit}
}

// List returns one page of an extension's store.
func (s *Service) List(ctx context.Context, f Filter) ([]rc.Message, int, error) {
	return s.store.ListMessages(ctx, f.store())
}

// Get returns one message of an extension's store; 404 CMN-102 if it has none, or it is purged.
func (s *Service) Get(ctx context.Context, extensionID, messageID int64) (rc.Message, error) {
	m, err := s.store.Message(ctx, extensionID, messageID)
	if errors.Is(err, store.ErrNotFound) {
		return m, rc.NotFound("messageId")
	}
	return m, err
}

// Update is a change to a message: readStatus (PUT and PATCH), availability (PATCH).
type Update struct {
	ReadStatus   *string `json:"readStatus"`
	Availability *string `json:"availability"`
}

// Apply checks and applies an update to one message. requireRead makes readStatus mandatory
// (PUT); PATCH takes either field.
func (s *Service) Apply(ctx context.Context, extensionID, messageID int64, u Update, requireRead bool) (rc.Message, error) {
	if requireRead && u.ReadStatus == nil {
		return rc.Message{}, rc.Missing("readStatus")
	}
	if u.ReadStatus != nil && !slices.Contains(rc.MessageReadStatuses, *u.ReadStatus) {
		return rc.Message{}, rc.Invalid("readStatus")
	}
	if u.Availability != nil && !slices.Contains(rc.MessageAvailabilities, *u.Availability) {
		return rc.Message{}, rc.Invalid("availability")
	}
	m, err := s.Get(ctx, extensionID, messageID)
	if err != nil {
		return m, err
	}
	if m.Availability == "Purged" {
		return m, rc.NotFound("messageId")
	}
	if u.ReadStatus != nil {
		m.ReadStatus = *u.ReadStatus
	}
	if u.Availability != nil {
		m.Availability = *u.Availability
		if m.Availability == "Purged" {
			m.Attachments = nil
		}
	}
	m.LastModifiedTime = s.Clock.Now()
	return m, s.save(ctx, []rc.Message{m})
}

// Delete moves messages one step down: Alive to Deleted, Deleted to Purged; purge goes straight
// to Purged. Every id must name a message of the store that is not purged yet.
func (s *Service) Delete(ctx context.Context, extensionID int64, ids []int64, purge bool) error {
	var changed []rc.Message
	now := s.Clock.Now()
	for _, mid := range ids {
		m, err := s.Get(ctx, extensionID, mid)
		if err != nil {
			return err
		}
		if m.Availability == "Purged" {
			return rc.NotFound("messageId")
		}
		deleteStep(&m, purge, now)
		changed = append(changed, m)
	}
	return s.save(ctx, changed)
}

// save stores changed messages and publishes the change.
func (s *Service) save(ctx context.Context, changed []rc.Message) error {
	if len(changed) == 0 {
		return nil
	}
	if err := s.store.UpdateMessages(ctx, changed...); err != nil {
		return err
	}
	s.publish(nil, changed)
	return nil
}

func deleteStep(m *rc.Message, purge bool, now time.Time) {
	if purge || m.Availability == "Deleted" {
		m.Availability = "Purged"
		m.Attachments = nil
	} else {
		m.Availability = "Deleted"
	}
	m.LastModifiedTime = now
}

// DeleteFilter selects the messages deleteMessageByFilter removes.
type DeleteFilter struct {
	ConversationIDs []int64
	DateTo          time.Time
	Type            string // "" or All: every type
	Purge           bool
}

// DeleteByFilter deletes (or purges) every matching message created before DateTo.
func (s *Service) DeleteByFilter(ctx context.Context, extensionID int64, f DeleteFilter) error {
	lf := store.MessageFilter{ExtensionID: extensionID, ConversationIDs: f.ConversationIDs, DateTo: f.DateTo,
		Availabilities: []string{"Alive", "Deleted"}}
	if f.Type != "" && f.Type != "All" {
		lf.Types = []string{f.Type}
	}
	ms, _, err := s.store.ListMessages(ctx, lf)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	var changed []rc.Message
	for _, m := range ms {
		if !f.Purge && m.Availability == "Deleted" {
			continue // deleting by filter does not purge what is already deleted
		}
		deleteStep(&m, f.Purge, now)
		changed = append(changed, m)
	}
	return s.save(ctx, changed)
}

// Content returns an attachment's metadata and bytes.
func (s *Service) Content(ctx context.Context, extensionID, messageID, attachmentID int64) (rc.Attachment, []byte, error) {
	m, err := s.Get(ctx, extensionID, messageID)
	if err != nil {
		return rc.Attachment{}, nil, err
	}
	for _, a := range m.Attachments {
		if a.ID != attachmentID {
			continue
		}
		b, err := s.store.AttachmentContent(ctx, messageID, attachmentID)
		if errors.Is(err, store.ErrNotFound) {
			return a, nil, rc.NotFound("attachmentId")
		}
		return a, b, err
	}
	return rc.Attachment{}, nil, rc.NotFound("attachmentId")
}

// SyncRequest is a message-sync call.
type SyncRequest struct {
	ExtensionID int64
	Type        string // FSync or ISync
	Token       string
	RecordCount int
	Filter      Filter // FSync filters; ISync takes them from the token
}

// SyncResult is the records and the new sync state.
type SyncResult struct {
	Records     []rc.Message
	Type        string
	Token       string
	Time        time.Time
	OlderExists bool
}

// syncState is what a sync token carries: whose store, up to which change, with which filters.
type syncState struct {
	Ext        int64    `json:"e"`
	Seq        int64    `json:"s"`
	Types      []string `json:"t,omitempty"`
	Directions []string `json:"d,omitempty"`
	Conv       []int64  `json:"c,omitempty"`
}

func decodeToken(tok string) (syncState, bool) {
	var st syncState
	return st, rc.DecodeToken(tok, &st) && st.Ext != 0
}

// Sync runs a full or incremental synchronisation.
func (s *Service) Sync(ctx context.Context, r SyncRequest) (SyncResult, error) {
	now := s.Clock.Now()
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	if r.Type == "ISync" {
		if r.Token == "" {
			return SyncResult{}, rc.Missing("syncToken")
		}
		st, ok := decodeToken(r.Token)
		if !ok {
			return SyncResult{}, rc.Invalid("syncToken")
		}
		if st.Ext != r.ExtensionID || st.Seq > last {
			// A token of another store, or one from before a reset: start over.
			return SyncResult{}, msgError(400, "MSG-333", "Invalid message synchronisation request: full synchronization is required", "syncToken")
		}
		changed, err := s.store.ChangedSince(ctx, r.ExtensionID, st.Seq, 1<<20)
		if err != nil {
			return SyncResult{}, err
		}
		out := []rc.Message{}
		seq := st.Seq
		for _, m := range changed {
			seq = max(seq, m.Seq)
			if matches(m, st) {
				out = append(out, m)
			}
		}
		st.Seq = max(seq, last)
		slices.Reverse(out) // newest first, as lists are
		return SyncResult{Records: out, Type: "ISync", Token: rc.EncodeToken(st), Time: now}, nil
	}
	f := r.Filter
	f.ExtensionID = r.ExtensionID
	f.Offset, f.Limit = 0, r.RecordCount+1
	ms, _, err := s.store.ListMessages(ctx, f.store())
	if err != nil {
		return SyncResult{}, err
	}
	older := len(ms) > r.RecordCount
	if older {
		ms = ms[:r.RecordCount]
	}
	st := syncState{Ext: r.ExtensionID, Seq: last, Types: f.Types, Directions: f.Directions, Conv: f.ConversationIDs}
	return SyncResult{Records: ms, Type: "FSync", Token: rc.EncodeToken(st), Time: now, OlderExists: older}, nil
}

func matches(m rc.Message, st syncState) bool {
	in := func(v string, set []string) bool { return len(set) == 0 || slices.Contains(set, v) }
	return in(m.Type, st.Types) && in(m.Direction, st.Directions) &&
		(len(st.Conv) == 0 || slices.Contains(st.Conv, m.ConversationID))
}
