// Package messaging is the message store and the sending of texts: SMS and pager messages
// delivered between hosted extensions (an inbound copy in each recipient's store), texts to
// outside numbers kept in an outbox whose status moves on the injected clock, reserved test
// numbers that fail deterministically, inbound simulation, read status, deletion and sync. Every
// store change is published as a domain event. It knows neither HTTP nor SQL.
package messaging

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Delays say how long an outbound text to an outside number stays Queued, then Sent, before
// its final status. Zero delays (the default) apply the final status at once.
type Delays struct {
	Send     time.Duration `json:"send"`
	Delivery time.Duration `json:"delivery"`
}

// FaxLog writes the call-log records of faxes once they are transmitted; the call engine does.
type FaxLog interface {
	LogFax(ctx context.Context, m rc.Message) error
}

// MessageStore holds the extensions' message stores and their attachments, and finds senders
// and recipients in the directory.
type MessageStore interface {
	// InsertMessages stores new messages atomically, assigning ids and change sequence numbers.
	InsertMessages(ctx context.Context, msgs ...*rc.Message) error
	// Message returns a message of an extension's store.
	Message(ctx context.Context, extensionID, id int64) (rc.Message, error)
	// MessageByID returns a message of any store.
	MessageByID(ctx context.Context, id int64) (rc.Message, error)
	ListMessages(ctx context.Context, f store.MessageFilter) ([]rc.Message, int, error)
	// UpdateMessages rewrites messages atomically, each with a new change sequence number.
	UpdateMessages(ctx context.Context, msgs ...rc.Message) error
	AttachmentContent(ctx context.Context, messageID, attachmentID int64) ([]byte, error)
	// ChangedSince returns an extension's messages changed after seq, oldest change first.
	ChangedSince(ctx context.Context, extensionID, seq int64, limit int) ([]rc.Message, error)
	// LastSeq is the newest change sequence number.
	LastSeq(ctx context.Context) (int64, error)
	// DueMessages returns messages whose scheduled status change is due at or before t.
	DueMessages(ctx context.Context, t time.Time, limit int) ([]rc.Message, error)
	// NextDue returns when the earliest scheduled status change is due; ok is false if none is.
	NextDue(ctx context.Context) (at time.Time, ok bool, err error)
	// Outbox returns messages sent to numbers rcemu does not host, newest first.
	Outbox(ctx context.Context, limit int) ([]rc.Message, error)
	Directory
}

// Directory is what sending reads of accounts, extensions and phone numbers.
type Directory interface {
	Account(ctx context.Context, id int64) (rc.Account, error)
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	ExtensionByNumber(ctx context.Context, accountID int64, number string) (rc.Extension, error)
	// FindPhoneNumber looks a hosted number up by its E.164 form, in any account.
	FindPhoneNumber(ctx context.Context, number string) (rc.PhoneNumber, error)
	ListPhoneNumbers(ctx context.Context, f store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error)
}

// Service holds the message stores' rules.
type Service struct {
	store MessageStore
	Clock rc.Clock
	Bus   *events.Bus
	// FaxLog, when set, logs every fax sent, failed or received.
	FaxLog FaxLog

	mu     sync.RWMutex
	delays Delays
	wake   chan struct{}
}

// New builds a Service.
func New(s MessageStore, clock rc.Clock, bus *events.Bus) *Service {
	return &Service{store: s, Clock: clock, Bus: bus, wake: make(chan struct{}, 1)}
}

// SetDelays changes the outbound delays for texts sent from now on.
func (s *Service) SetDelays(d Delays) {
	s.mu.Lock()
	s.delays = d
	s.mu.Unlock()
}

// Delays returns the outbound delays.
func (s *Service) Delays() Delays {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.delays
}

// Limits from the platform's documentation.
const (
	MaxTextLength    = 1000 // characters of an SMS or pager text
	MaxRecipients    = 10   // group SMS/MMS
	MaxBulkIDs       = 50   // comma-separated ids in one path
	MaxConversations = 50   // conversationId values of one delete
)

// Failure is what a reserved test number does to a text sent to it.
type Failure struct {
	Status    string // SendingFailed or DeliveryFailed
	ErrorCode string // the platform's SMS delivery error code
}

// ReservedNumbers are outside numbers whose texts fail deterministically, so apps can test their
// failure paths. Any other outside number is delivered.
var ReservedNumbers = map[string]Failure{
	"+15005550410": {"SendingFailed", "SMS-UP-410"},   // destination invalid or unallocated
	"+15005550430": {"SendingFailed", "SMS-RC-430"},   // filtered as spam
	"+15005550403": {"SendingFailed", "SMS-RC-403"},   // daily or monthly limit exceeded
	"+15005550411": {"DeliveryFailed", "SMS-CAR-411"}, // carrier: destination invalid
	"+15005550412": {"DeliveryFailed", "SMS-CAR-412"}, // carrier: subscriber unavailable
	"+15005550413": {"DeliveryFailed", "SMS-CAR-413"}, // carrier: subscriber opted out
}

// segments counts SMS segments: 160 GSM characters (153 when split), or 70 (67) otherwise.
func segments(text string) int {
	n := utf8.RuneCountInString(text)
	single, multi := 160, 153
	for _, r := range text {
		if r > 0x7e || (r < 0x20 && r != '\n' && r != '\r') {
			single, multi = 70, 67
			break
		}
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

func textAttachment(text string) rc.Attachment {
	return rc.Attachment{Type: "Text", ContentType: "text/plain", Size: len(text), Content: []byte(text)}
}

// publish emits a message-store event per affected store (and an instant event per new inbound
// text), after the change is stored.
func (s *Service) publish(newMsgs []*rc.Message, updated []rc.Message) {
	s.logFaxes(newMsgs, updated)
	if s.Bus == nil {
		return
	}
	type key struct{ acc, ext int64 }
	changes := map[key]map[string]*rc.MessageChange{}
	refs := map[key][]rc.MessageRef{}
	var order []key
	add := func(m *rc.Message, isNew bool) {
		k := key{m.AccountID, m.ExtensionID}
		if changes[k] == nil {
			changes[k] = map[string]*rc.MessageChange{}
			order = append(order, k)
		}
		c := changes[k][m.Type]
		if c == nil {
			c = &rc.MessageChange{Type: m.Type}
			changes[k][m.Type] = c
		}
		if isNew {
			c.NewCount++
			c.NewMessageIDs = append(c.NewMessageIDs, m.ID)
		} else {
			c.UpdatedCount++
		}
		refs[k] = append(refs[k], rc.MessageRef{ID: m.ID, Type: m.Type, Direction: m.Direction, New: isNew})
	}
	now := s.Clock.Now()
	for _, m := range newMsgs {
		add(m, true)
	}
	for i := range updated {
		add(&updated[i], false)
	}
	for _, k := range order {
		var cs []rc.MessageChange
		for _, t := range rc.MessageTypes {
			if c := changes[k][t]; c != nil {
				cs = append(cs, *c)
			}
		}
		s.Bus.Publish(rc.Event{Kind: "message-store", AccountID: k.acc, ExtensionID: k.ext, Time: now, Changes: cs, Refs: refs[k]})
	}
	for _, m := range newMsgs {
		if m.Direction == "Inbound" {
			cp := *m
			s.Bus.Publish(rc.Event{Kind: "instant-message", AccountID: m.AccountID, ExtensionID: m.ExtensionID, Time: now, Message: &cp})
		}
	}
}

// owner finds the extension a hosted number belongs to: its assignee, or for a company number
// the account's operator.
func (s *Service) owner(ctx context.Context, number string) (rc.Extension, rc.PhoneNumber, bool, error) {
	pn, err := s.store.FindPhoneNumber(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		return rc.Extension{}, rc.PhoneNumber{}, false, nil
	}
	if err != nil {
		return rc.Extension{}, pn, false, err
	}
	extID := pn.ExtensionID
	if extID == 0 {
		acc, err := s.store.Account(ctx, pn.AccountID)
		if err != nil {
			return rc.Extension{}, pn, false, err
		}
		extID = acc.OperatorExtension
	}
	ext, err := s.store.Extension(ctx, pn.AccountID, extID)
	if errors.Is(err, store.ErrNotFound) {
		return rc.Extension{}, pn, false, nil
	}
	return ext, pn, err == nil, err
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// logFaxes hands the faxes of a stored change to the call log. The change is stored already;
// a failure to log is not the sender's, so it does not undo it.
func (s *Service) logFaxes(newMsgs []*rc.Message, updated []rc.Message) {
	if s.FaxLog == nil {
		return
	}
	ctx := context.Background()
	for _, m := range newMsgs {
		if m.Type == "Fax" {
			_ = s.FaxLog.LogFax(ctx, *m)
		}
	}
	for i := range updated {
		if m := &updated[i]; m.Type == "Fax" && m.Direction == "Outbound" && m.Availability == "Alive" {
			_ = s.FaxLog.LogFax(ctx, *m)
		}
	}
}
