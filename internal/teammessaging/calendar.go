package teammessaging

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// CalendarEvent is an event of a user's or a group's calendar.
type CalendarEvent struct {
	Title       string    `json:"title"`
	StartTime   time.Time `json:"startTime"`
	EndTime     time.Time `json:"endTime"`
	AllDay      bool      `json:"allDay"`
	Color       string    `json:"color"`
	Location    string    `json:"location,omitempty"`
	Description string    `json:"description,omitempty"`
}

// EventChange is a calendar event's create or PUT body (PUT replaces the event).
type EventChange struct {
	Title       *string `json:"title"`
	StartTime   *string `json:"startTime"`
	EndTime     *string `json:"endTime"`
	AllDay      bool    `json:"allDay"`
	Color       string  `json:"color"`
	Location    string  `json:"location"`
	Description string  `json:"description"`
}

func eventOf(ch EventChange) (*CalendarEvent, error) {
	if ch.Title == nil || strings.TrimSpace(*ch.Title) == "" {
		return nil, rc.Missing("title")
	}
	if ch.StartTime == nil {
		return nil, rc.Missing("startTime")
	}
	if ch.EndTime == nil {
		return nil, rc.Missing("endTime")
	}
	start, err := time.Parse(time.RFC3339Nano, *ch.StartTime)
	if err != nil {
		return nil, rc.Invalid("startTime")
	}
	end, err := time.Parse(time.RFC3339Nano, *ch.EndTime)
	if err != nil || end.Before(start) {
		return nil, rc.Invalid("endTime")
	}
	ev := &CalendarEvent{Title: *ch.Title, StartTime: start.UTC(), EndTime: end.UTC(), AllDay: ch.AllDay, Color: ch.Color,
		Location: ch.Location, Description: ch.Description}
	if ev.Color == "" {
		ev.Color = "Black"
	}
	if !slices.Contains(Colors, ev.Color) {
		return nil, rc.Invalid("color")
	}
	return ev, nil
}

// CreateEvent adds an event to the caller's calendar, or to a group's when groupID is set.
func (s *Service) CreateEvent(ctx context.Context, caller *rc.Principal, groupID string, ch EventChange) (Item, error) {
	if groupID != "" {
		c, err := s.memberChat(ctx, caller, groupID)
		if err != nil {
			return Item{}, err
		}
		if err := writable(c); err != nil {
			return Item{}, err
		}
	}
	ev, err := eventOf(ch)
	if err != nil {
		return Item{}, err
	}
	it, err := s.newItem(ctx, caller, EventKind, groupID)
	if err != nil {
		return Item{}, err
	}
	it.Event = ev
	return it, s.store.InsertItem(ctx, it)
}

// Event returns a calendar event of the caller or of a group they belong to.
func (s *Service) Event(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, EventKind, id, "eventId")
	return it, err
}

// ListEvents pages the caller's own calendar events, or a group's.
func (s *Service) ListEvents(ctx context.Context, caller *rc.Principal, groupID string, pr PageRequest) (Page[Item], error) {
	return s.listItems(ctx, caller, EventKind, groupID, nil, pr)
}

// ReplaceEvent replaces a calendar event.
func (s *Service) ReplaceEvent(ctx context.Context, caller *rc.Principal, id string, ch EventChange) (Item, error) {
	it, _, err := s.item(ctx, caller, EventKind, id, "eventId")
	if err != nil {
		return Item{}, err
	}
	ev, err := eventOf(ch)
	if err != nil {
		return Item{}, err
	}
	it.Event, it.Modified = ev, s.clock.Now()
	return it, s.saveItem(ctx, it)
}

// DeleteEvent deletes a calendar event; its creator's.
func (s *Service) DeleteEvent(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, EventKind, id, "eventId")
}
