// Package store defines the persistence contracts the domain packages use. Implementations live
// in subpackages (sqlstore); nothing above this layer sees SQL. Not-found results are
// ErrNotFound, which callers turn into the RingCentral error that fits their parameter.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("store: conflict")

// ExtensionFilter selects extensions of one account. Slices are unions; empty means any.
type ExtensionFilter struct {
	AccountID        int64
	ExtensionNumbers []string
	Emails           []string
	Types            []string
	Statuses         []string
	Offset, Limit    int // Limit 0: no limit
}

// PhoneNumberFilter selects phone numbers of one account, optionally of one extension.
type PhoneNumberFilter struct {
	AccountID    int64
	ExtensionID  int64 // 0: any
	UsageTypes   []string
	Types        []string
	Statuses     []string
	PaymentTypes []string
	// ExtensionStatus keeps numbers assigned to extensions of that status; "" means any.
	ExtensionStatus string
	Offset, Limit   int
}

// Directory holds accounts, extensions and phone numbers.
type Directory interface {
	Account(ctx context.Context, id int64) (rc.Account, error)
	Accounts(ctx context.Context) ([]rc.Account, error)
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	// ExtensionsGeneration changes whenever any extension or account may have changed, so that
	// what is derived from them can be kept until it does.
	ExtensionsGeneration() uint64
	ExtensionByNumber(ctx context.Context, accountID int64, number string) (rc.Extension, error)
	// ListExtensions returns one page and the total number matching.
	ListExtensions(ctx context.Context, f ExtensionFilter) ([]rc.Extension, int, error)
	// UpdateExtension replaces a stored extension; ErrConflict if its number is taken.
	UpdateExtension(ctx context.Context, e rc.Extension) error
	PhoneNumber(ctx context.Context, accountID, id int64) (rc.PhoneNumber, error)
	// FindPhoneNumber looks a hosted number up by its E.164 form, in any account.
	FindPhoneNumber(ctx context.Context, number string) (rc.PhoneNumber, error)
	ListPhoneNumbers(ctx context.Context, f PhoneNumberFilter) ([]rc.PhoneNumber, int, error)
}

// Auth holds apps, user credentials, OAuth sessions, tokens and authorization codes.
type Auth interface {
	App(ctx context.Context, clientID string) (rc.App, error)
	Apps(ctx context.Context) ([]rc.App, error)
	// CredentialsByUsername returns every credential whose username, or whose extension's email,
	// matches.
	CredentialsByUsername(ctx context.Context, username string) ([]rc.UserCredential, error)
	Credential(ctx context.Context, extensionID int64) (rc.UserCredential, error)
	Credentials(ctx context.Context) ([]rc.UserCredential, error)

	// CreateSession stores a new session with its first tokens.
	CreateSession(ctx context.Context, s rc.Session, tokens ...rc.Token) error
	Session(ctx context.Context, id string) (rc.Session, error)
	Token(ctx context.Context, token string) (rc.Token, error)
	// RotateTokens retires every live token of the session at time at, records the new pair as
	// the successor of the refresh token that was used, and stores the new tokens, atomically.
	// ErrConflict means the refresh token was retired meanwhile (a concurrent refresh won).
	RotateTokens(ctx context.Context, sessionID, usedRefresh string, at time.Time, tokens ...rc.Token) error
	// RevokeSession ends a session and every token of it.
	RevokeSession(ctx context.Context, id string) error
	PutAuthCode(ctx context.Context, c rc.AuthCode) error
	// TakeAuthCode marks a code used and returns it as it was before.
	TakeAuthCode(ctx context.Context, code string) (rc.AuthCode, error)
}

// MessageFilter selects messages of one extension's store. Slices are unions; empty means any.
type MessageFilter struct {
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

// Messages holds the message stores and attachments.
type Messages interface {
	// InsertMessages stores new messages atomically. It assigns ids (each attachment's id derives
	// from its message's), change sequence numbers, and keeps attachment contents.
	InsertMessages(ctx context.Context, msgs ...*rc.Message) error
	// Message returns a message of an extension's store.
	Message(ctx context.Context, extensionID, id int64) (rc.Message, error)
	// MessageByID returns a message of any store.
	MessageByID(ctx context.Context, id int64) (rc.Message, error)
	ListMessages(ctx context.Context, f MessageFilter) ([]rc.Message, int, error)
	// UpdateMessages rewrites messages atomically, each with a new change sequence number.
	// A message whose availability becomes Purged loses its attachment contents.
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
}

// Notifications holds subscriptions, the WebHook delivery outbox and presence.
type Notifications interface {
	// PutSubscription inserts or replaces a subscription.
	PutSubscription(ctx context.Context, s rc.Subscription) error
	// UpdateSubscription replaces a subscription that exists (ErrNotFound otherwise), so that a
	// late change cannot bring back one deleted meanwhile.
	UpdateSubscription(ctx context.Context, s rc.Subscription) error
	Subscription(ctx context.Context, id string) (rc.Subscription, error)
	// Subscriptions lists an owner's subscriptions made by one app, oldest first.
	Subscriptions(ctx context.Context, extensionID int64, clientID string) ([]rc.Subscription, error)
	AllSubscriptions(ctx context.Context) ([]rc.Subscription, error)
	// DeleteSubscription removes a subscription and its undelivered notifications.
	DeleteSubscription(ctx context.Context, id string) error
	// ReserveDeliveryIDs hands out n consecutive delivery ids above every one stored or handed
	// out before, to any instance, even across a reset or an import.
	ReserveDeliveryIDs(ctx context.Context, n int) (first int64, err error)
	// SaveDeliveries writes deliveries as they now stand, in one transaction: pending and failed
	// ones are inserted or updated, delivered ones leave the outbox.
	SaveDeliveries(ctx context.Context, ds []rc.Delivery) error
	// PendingDeliveries returns pending deliveries with ids above afterID, in order of id.
	PendingDeliveries(ctx context.Context, afterID int64, limit int) ([]rc.Delivery, error)
	// Presence returns an extension's presence (the default if it never changed).
	Presence(ctx context.Context, extensionID int64) (rc.Presence, error)
	PutPresence(ctx context.Context, p rc.Presence) error
}

// Dataset is everything a seed creates.
type Dataset struct {
	Accounts     []rc.Account
	Extensions   []rc.Extension
	PhoneNumbers []rc.PhoneNumber
	Apps         []rc.App
	Credentials  []rc.UserCredential
	Messages     []*rc.Message
	CallRecords  []*rc.CallRecord
	// CallRecordings are the recordings the seeded call log links.
	CallRecordings []rc.CallRecording
	// Contacts are personal address-book contacts.
	Contacts []*rc.PersonalContact
}

// Snapshot is the whole state as one document: every table's rows, column → value.
type Snapshot struct {
	Format  string                      `json:"format"`
	Version int                         `json:"schemaVersion"`
	Tables  map[string][]map[string]any `json:"tables"`
}

// SnapshotInfo describes a named snapshot kept by the store.
type SnapshotInfo struct {
	Name    string    `json:"name"`
	Created time.Time `json:"creationTime"`
	Size    int       `json:"size"` // bytes of its JSON document
}

// SnapshotFormat names the export document.
const SnapshotFormat = "rcemu-state"

// Store is everything rcemu persists.
type Store interface {
	Directory
	Auth
	Messages
	Notifications
	// Meta reads a value of the emulator's own settings; ErrNotFound if unset.
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
	// Load inserts a dataset into an empty store.
	Load(ctx context.Context, d Dataset) error
	// Clear deletes all data but the meta settings.
	Clear(ctx context.Context) error
	Export(ctx context.Context) (Snapshot, error)
	// Import replaces the whole state with a snapshot, atomically; a bad snapshot changes nothing.
	Import(ctx context.Context, s Snapshot) error
	Close() error
}

// ErrBadSnapshot marks an import document that does not fit this rcemu's schema.
var ErrBadSnapshot = errors.New("bad snapshot")
