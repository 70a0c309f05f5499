// Package presence holds extensions' presence (user status, do-not-disturb, message) and
// publishes every change as a domain event. It knows neither HTTP nor SQL.
package presence

import (
	"context"
	"slices"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
)

// Values the platform accepts.
var (
	UserStatuses = []string{"Offline", "Busy", "Available"}
	DndStatuses  = []string{"TakeAllCalls", "DoNotAcceptAnyCalls", "DoNotAcceptDepartmentCalls", "TakeDepartmentCallsOnly"}
)

// Calls tells an extension's telephony state, which presence events carry; the call engine
// does.
type Calls interface {
	Telephony(ctx context.Context, accountID, extensionID int64) (rc.Telephony, error)
}

// StatusStore holds each extension's presence status.
type StatusStore interface {
	// Presence returns an extension's presence (the default if it never changed).
	Presence(ctx context.Context, extensionID int64) (rc.Presence, error)
	PutPresence(ctx context.Context, p rc.Presence) error
}

// Service reads and changes presence.
type Service struct {
	store StatusStore
	clock rc.Clock
	bus   *events.Bus
	calls Calls // nil: no calls
}

// New returns the presence service over st; bus and calls may be nil.
func New(st StatusStore, clock rc.Clock, bus *events.Bus, calls Calls) *Service {
	return &Service{store: st, clock: clock, bus: bus, calls: calls}
}

// Update is the body of updateUserPresenceStatus; nil fields stay as they are.
type Update struct {
	UserStatus          *string `json:"userStatus"`
	DndStatus           *string `json:"dndStatus"`
	Message             *string `json:"message"`
	AllowSeeMyPresence  *bool   `json:"allowSeeMyPresence"`
	RingOnMonitoredCall *bool   `json:"ringOnMonitoredCall"`
	PickUpCallsOnHold   *bool   `json:"pickUpCallsOnHold"`
}

// Get returns an extension's presence.
func (s *Service) Get(ctx context.Context, extensionID int64) (rc.Presence, error) {
	return s.store.Presence(ctx, extensionID)
}

// Set applies an update and publishes the change.
func (s *Service) Set(ctx context.Context, ext rc.Extension, u Update) (rc.Presence, error) {
	p, err := s.store.Presence(ctx, ext.ID)
	if err != nil {
		return p, err
	}
	if u.UserStatus != nil {
		if !slices.Contains(UserStatuses, *u.UserStatus) {
			return p, rc.Invalid("userStatus")
		}
		p.UserStatus = *u.UserStatus
	}
	if u.DndStatus != nil {
		if !slices.Contains(DndStatuses, *u.DndStatus) {
			return p, rc.Invalid("dndStatus")
		}
		p.DndStatus = *u.DndStatus
	}
	if u.Message != nil {
		if len([]rune(*u.Message)) > 75 {
			return p, rc.Invalid("message")
		}
		p.Message = *u.Message
	}
	if u.AllowSeeMyPresence != nil {
		p.AllowSeeMyPresence = *u.AllowSeeMyPresence
	}
	if u.RingOnMonitoredCall != nil {
		p.RingOnMonitoredCall = *u.RingOnMonitoredCall
	}
	if u.PickUpCallsOnHold != nil {
		p.PickUpCallsOnHold = *u.PickUpCallsOnHold
	}
	p.Sequence++
	if err := s.store.PutPresence(ctx, p); err != nil {
		return p, err
	}
	if s.bus != nil {
		cp := p
		ev := rc.Event{Kind: "presence", AccountID: ext.AccountID, ExtensionID: ext.ID, Time: s.clock.Now(), Presence: &cp}
		if s.calls != nil {
			if tel, err := s.calls.Telephony(ctx, ext.AccountID, ext.ID); err == nil {
				ev.Telephony = &tel
			}
		}
		s.bus.Publish(ev)
	}
	return p, nil
}
