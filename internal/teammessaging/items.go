package teammessaging

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// Item kinds: what a chat holds besides posts, and a user's own calendar events.
const (
	TaskKind    = "Task"
	NoteKind    = "Note"
	EventKind   = "Event"
	CardKind    = "Card"
	WebhookKind = "Webhook"
	FileKind    = "File"
)

// Item is a task, note, calendar event, adaptive card, incoming webhook or file, stored as one
// document. ChatID is the chat it belongs to; a calendar event made outside a group has none and
// belongs to its creator.
type Item struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	AccountID int64           `json:"accountId"`
	ChatID    string          `json:"chatId,omitempty"`
	CreatorID int64           `json:"creatorId"`
	Created   time.Time       `json:"creationTime"`
	Modified  time.Time       `json:"lastModifiedTime"`
	Task      *Task           `json:"task,omitempty"`
	Note      *Note           `json:"note,omitempty"`
	Event     *CalendarEvent  `json:"event,omitempty"`
	Card      json.RawMessage `json:"card,omitempty"`
	Webhook   *Webhook        `json:"webhook,omitempty"`
	File      *File           `json:"file,omitempty"`
	Export    *Export         `json:"export,omitempty"`
}

// ItemFilter selects items of one kind: of a chat (none: the creator's own), of a creator if
// set, of any chat with AnyChat.
type ItemFilter struct {
	Kind      string
	AccountID int64
	ChatID    string
	CreatorID int64
	AnyChat   bool
}

// ItemStore keeps the items; part of Store.
type ItemStore interface {
	InsertItem(ctx context.Context, it Item) error
	Item(ctx context.Context, id string) (Item, error)
	UpdateItem(ctx context.Context, it Item) error
	DeleteItem(ctx context.Context, id string) error
	// ListItems returns the matching items, oldest first.
	ListItems(ctx context.Context, f ItemFilter) ([]Item, error)
}

// itemParams name each kind's id parameter, for the 404 of one deleted meanwhile.
var itemParams = map[string]string{TaskKind: "taskId", NoteKind: "noteId", EventKind: "eventId", CardKind: "cardId",
	WebhookKind: "webhookId"}

// saveItem writes a changed item back; one deleted meanwhile is 404.
func (s *Service) saveItem(ctx context.Context, it Item) error {
	err := s.store.UpdateItem(ctx, it)
	if notFound(err) {
		return rc.NotFound(itemParams[it.Kind])
	}
	return err
}

// Colors are the colors of tasks and events.
var Colors = []string{"Black", "Red", "Orange", "Yellow", "Green", "Blue", "Purple", "Magenta"}

func (s *Service) newItem(ctx context.Context, caller *rc.Principal, kind, chatID string) (Item, error) {
	id, err := s.newChatID(ctx)
	if err != nil {
		return Item{}, err
	}
	now := s.clock.Now()
	return Item{ID: id, Kind: kind, AccountID: caller.AccountID, ChatID: chatID, CreatorID: caller.ExtensionID,
		Created: now, Modified: now}, nil
}

// item returns an item of a kind that the caller may see: one of a chat they belong to, or
// their own; anything else is 404 naming param.
func (s *Service) item(ctx context.Context, caller *rc.Principal, kind, id, param string) (Item, Chat, error) {
	it, err := s.store.Item(ctx, id)
	if notFound(err) || (err == nil && (it.Kind != kind || it.AccountID != caller.AccountID)) {
		return Item{}, Chat{}, rc.NotFound(param)
	}
	if err != nil {
		return Item{}, Chat{}, err
	}
	if it.ChatID == "" {
		if it.CreatorID != caller.ExtensionID {
			return Item{}, Chat{}, rc.NotFound(param)
		}
		return it, Chat{}, nil
	}
	c, err := s.find(ctx, caller, it.ChatID)
	if rc.IsNotFound(err) || (err == nil && !isMember(c, caller.ExtensionID)) {
		return Item{}, Chat{}, rc.NotFound(param)
	}
	return it, c, err
}

func (s *Service) listItems(ctx context.Context, caller *rc.Principal, kind, chatID string, keep func(Item) bool, pr PageRequest) (Page[Item], error) {
	f := ItemFilter{Kind: kind, AccountID: caller.AccountID, ChatID: chatID}
	if chatID == "" {
		f.CreatorID = caller.ExtensionID
	} else if _, err := s.memberChat(ctx, caller, chatID); err != nil {
		return Page[Item]{}, err
	}
	cur := cursor{Kind: kind, Chat: chatID, Count: recordCount(pr)}
	if pr.Token != "" {
		var err error
		if cur, err = readCursor(pr, kind); err != nil {
			return Page[Item]{}, err
		}
		if cur.Chat != chatID {
			return Page[Item]{}, rc.Invalid("pageToken")
		}
	}
	all, err := s.store.ListItems(ctx, f)
	if err != nil {
		return Page[Item]{}, err
	}
	if keep != nil {
		all = slices.DeleteFunc(all, func(it Item) bool { return !keep(it) })
	}
	return offsetPage(all, cur), nil
}

func checkDate(v *string, param string) error {
	if v == nil || *v == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339Nano, *v); err != nil {
		return rc.Invalid(param)
	}
	return nil
}

// deleteOwn deletes an item its creator (or an administrator) deletes.
func (s *Service) deleteOwn(ctx context.Context, caller *rc.Principal, kind, id, param string) error {
	it, _, err := s.item(ctx, caller, kind, id, param)
	if err != nil {
		return err
	}
	if it.CreatorID != caller.ExtensionID && !caller.Admin {
		return forbidden(param)
	}
	if err := s.store.DeleteItem(ctx, id); notFound(err) {
		return rc.NotFound(param)
	} else if err != nil {
		return err
	}
	return nil
}
