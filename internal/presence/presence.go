// Package presence holds extensions' presence (user status, do-not-disturb, message) and
// publishes every change as a domain event. It knows neither HTTP nor SQL.
package presence

import (
	"context"
	"slices"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
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

// Service reads and changes presence.
type Service struct {
	Store store.Store
	Clock rc.Clock
	Bus   *events.Bus
	Calls Calls // nil: no calls
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
	return s.Store.Presence(ctx, extensionID)
}

// Set applies an update and publishes the change.
func (s *Service) Set(ctx context.Context, ext rc.Extension, u Update) (rc.Presence, error) {
	p, err := s.Store.Presence(ctx, ext.ID)
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
	if err := s.Store.PutPresence(ctx, p); err != nil {
		return p, err
	}
	if s.Bus != nil {
		cp := p
		ev := rc.Event{Kind: "presence", AccountID: ext.AccountID, ExtensionID: ext.ID, Time: s.Clock.Now(), Presence: &cp}
		if s.Calls != nil {
			if tel, err := s.Calls.Telephony(ctx, ext.AccountID, ext.ID); err == nil {
				ev.Telephony = &tel
			}
		}
		s.Bus.Publish(ev)
	}
	return p, nil
}
