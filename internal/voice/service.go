// Package voice is the call engine: telephony sessions between hosted extensions and outside
// numbers, their parties' states moving on the injected clock or by call-control operations,
// RingOut, devices, presence telephony state, and, when a call ends, call-log records on every
// hosted side, recordings and voicemail. Every change is published as a domain event. It knows
// neither HTTP nor SQL.
package voice

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// ErrNotFound is what a Store returns for a row that does not exist (the store package's).
var ErrNotFound = store.ErrNotFound

// Store is what the call engine keeps: live sessions, call-log records, RingOuts, recording
// metadata, and the directory reads it needs.
type Store interface {
	// ReserveIDs reserves n consecutive serial numbers and returns the first.
	ReserveIDs(ctx context.Context, n int) (int64, error)

	InsertCall(ctx context.Context, s rc.CallSession) error
	Call(ctx context.Context, telephonySessionID string) (rc.CallSession, error)
	// UpdateCall replaces a live session; ErrNotFound if it ended meanwhile.
	UpdateCall(ctx context.Context, s rc.CallSession) error
	// EndCall removes a session and stores the records and recordings it left, atomically;
	// ErrNotFound if it ended meanwhile.
	EndCall(ctx context.Context, telephonySessionID string, records []*rc.CallRecord, recordings []rc.CallRecording) error
	// LiveCalls lists live sessions with a party of the account (and of the extension, if not 0),
	// oldest first.
	LiveCalls(ctx context.Context, accountID, extensionID int64) ([]rc.CallSession, error)
	AllCalls(ctx context.Context) ([]rc.CallSession, error)
	// DueCalls returns live sessions with a step due at or before t.
	DueCalls(ctx context.Context, t time.Time, limit int) ([]rc.CallSession, error)
	// NextCallDue returns when the earliest step of any session is due.
	NextCallDue(ctx context.Context) (time.Time, bool, error)

	// InsertCallRecords stores records (faxes, seeded history), assigning sequence numbers.
	InsertCallRecords(ctx context.Context, records ...*rc.CallRecord) error
	ListCallRecords(ctx context.Context, f LogFilter) ([]rc.CallRecord, error)
	CallRecord(ctx context.Context, accountID int64, id string) (rc.CallRecord, error)
	// DeleteCallRecords marks an extension's records that started before t deleted.
	DeleteCallRecords(ctx context.Context, extensionID int64, before time.Time) (int, error)
	// CallRecordsChangedSince returns the scope's records changed after seq, oldest change first.
	CallRecordsChangedSince(ctx context.Context, accountID, extensionID, seq int64, limit int) ([]rc.CallRecord, error)
	LastCallSeq(ctx context.Context) (int64, error)

	PutRingOut(ctx context.Context, r rc.RingOut) error
	RingOut(ctx context.Context, extensionID, id int64) (rc.RingOut, error)
	Recording(ctx context.Context, accountID, id int64) (rc.CallRecording, error)

	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	ExtensionByNumber(ctx context.Context, accountID int64, number string) (rc.Extension, error)
	Account(ctx context.Context, id int64) (rc.Account, error)
	// FindPhoneNumber looks a hosted number up by its E.164 form, in any account.
	FindPhoneNumber(ctx context.Context, number string) (rc.PhoneNumber, error)
	// ExtensionPhoneNumbers lists the numbers assigned to an extension.
	ExtensionPhoneNumbers(ctx context.Context, accountID, extensionID int64) ([]rc.PhoneNumber, error)

	Presence(ctx context.Context, extensionID int64) (rc.Presence, error)
	PutPresence(ctx context.Context, p rc.Presence) error
}

// Voicemail leaves messages in message stores; the messaging service does it.
type Voicemail interface {
	LeaveVoicemail(ctx context.Context, to rc.Extension, from rc.CallEndpoint, seconds int, audio []byte, contentType string) (rc.Message, error)
}

// Timings are how simulated endpoints behave on the clock. Zero fields take the defaults.
type Timings struct {
	// Ring is how long an outside number (and a RingOut's own phone) rings before it answers.
	Ring time.Duration `json:"ring"`
	// Talk is how long an outside party stays on an answered call before hanging up; 0 never.
	Talk time.Duration `json:"talk"`
	// NoAnswer is how long a hosted extension rings before the call goes to voicemail.
	NoAnswer time.Duration `json:"noAnswer"`
	// Voicemail is how long a caller speaks after the greeting.
	Voicemail time.Duration `json:"voicemail"`
}

// DefaultTimings apply until the control plane changes them.
var DefaultTimings = Timings{Ring: 3 * time.Second, Talk: 0, NoAnswer: 20 * time.Second, Voicemail: 10 * time.Second}

// Service runs the call engine.
type Service struct {
	store Store
	clock rc.Clock
	bus   *events.Bus
	vm    Voicemail

	mu      sync.RWMutex
	timings Timings
	ids     idBlock
	wake    chan struct{}
	// locks serialise changes to one session: each change reads, decides and writes it.
	locks [64]sync.Mutex
	seed  maphash.Seed

	heldMu sync.Mutex
	held   map[string][]rc.Event // events of sessions whose creation answer is not written yet

	// presenceMu serialises the read-increment-write of presence sequences: two sessions of one
	// extension change under different locks, and must not both publish the same sequence.
	presenceMu sync.Mutex
}

// New builds a Service.
func New(st Store, clock rc.Clock, bus *events.Bus, vm Voicemail) *Service {
	return &Service{store: st, clock: clock, bus: bus, vm: vm, timings: DefaultTimings,
		wake: make(chan struct{}, 1), seed: maphash.MakeSeed()}
}

// SetTimings changes how simulated endpoints behave from now on; zero fields keep the default.
func (s *Service) SetTimings(t Timings) {
	if t.Ring < 0 || t.Talk < 0 || t.NoAnswer <= 0 || t.Voicemail <= 0 {
		d := DefaultTimings
		t.Ring, t.Talk = max(t.Ring, 0), max(t.Talk, 0)
		if t.NoAnswer <= 0 {
			t.NoAnswer = d.NoAnswer
		}
		if t.Voicemail <= 0 {
			t.Voicemail = d.Voicemail
		}
	}
	s.mu.Lock()
	s.timings = t
	s.mu.Unlock()
}

// Timings returns the current timings.
func (s *Service) Timings() Timings {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.timings
}

// Reset forgets reserved ids (the store was replaced) and restores the default timings.
func (s *Service) Reset() {
	s.mu.Lock()
	s.timings = DefaultTimings
	s.ids = idBlock{}
	s.mu.Unlock()
	s.Kick()
}

func (s *Service) lockIndex(id string) uint64 {
	return maphash.String(s.seed, id) % uint64(len(s.locks))
}

func (s *Service) lock(id string) func() {
	m := &s.locks[s.lockIndex(id)]
	m.Lock()
	return m.Unlock
}

// idBlock hands out serials reserved from the store in blocks, so that a new call costs no
// extra write.
type idBlock struct{ next, end int64 }

const idBlockSize = 64

func (s *Service) newIDs(ctx context.Context, n int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids.next+int64(n) > s.ids.end {
		size := max(n, idBlockSize)
		first, err := s.store.ReserveIDs(ctx, size)
		if err != nil {
			return 0, err
		}
		s.ids = idBlock{next: first, end: first + int64(size)}
	}
	first := s.ids.next
	s.ids.next += int64(n)
	return first, nil
}

// Kick wakes the scheduler: a step was scheduled, or the sessions changed behind its back.
func (s *Service) Kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func notFound(err error) bool { return errors.Is(err, ErrNotFound) }
