package teammessaging

import (
	"context"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
)

// Note is a chat's note; a Draft until published.
type Note struct {
	Title          string `json:"title"`
	Body           string `json:"body"`
	Status         string `json:"status"`
	LockedBy       int64  `json:"lockedBy,omitempty"`
	LastModifiedBy int64  `json:"lastModifiedBy,omitempty"`
}

// NoteChange is a note's create or PATCH body.
type NoteChange struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// CreateNote adds a draft note to a chat the caller belongs to.
func (s *Service) CreateNote(ctx context.Context, caller *rc.Principal, chatID string, ch NoteChange) (Item, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return Item{}, err
	}
	if err := writable(c); err != nil {
		return Item{}, err
	}
	if ch.Title == nil || strings.TrimSpace(*ch.Title) == "" {
		return Item{}, rc.Missing("title")
	}
	n := &Note{Title: *ch.Title, Status: "Draft", LastModifiedBy: caller.ExtensionID}
	if ch.Body != nil {
		n.Body = *ch.Body
	}
	if len(n.Title) > 250 {
		return Item{}, rc.Invalid("title")
	}
	if len(n.Body) > 1<<20 {
		return Item{}, rc.Invalid("body")
	}
	it, err := s.newItem(ctx, caller, NoteKind, c.ID)
	if err != nil {
		return Item{}, err
	}
	it.Note = n
	return it, s.store.InsertItem(ctx, it)
}

// Note returns a note of a chat the caller belongs to.
func (s *Service) Note(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, NoteKind, id, "noteId")
	return it, err
}

// ListNotes pages a chat's notes, oldest first.
func (s *Service) ListNotes(ctx context.Context, caller *rc.Principal, chatID, status, creatorID string, pr PageRequest) (Page[Item], error) {
	return s.listItems(ctx, caller, NoteKind, chatID, func(it Item) bool {
		return (status == "" || it.Note.Status == status) && (creatorID == "" || itoa(it.CreatorID) == creatorID)
	}, pr)
}

// lockedByOther refuses a change to a note someone else has locked.
func lockedByOther(n *Note, caller *rc.Principal) error {
	if n.LockedBy != 0 && n.LockedBy != caller.ExtensionID {
		return forbidden("noteId")
	}
	return nil
}

// UpdateNote changes a note's title or body; releaseLock unlocks it after.
func (s *Service) UpdateNote(ctx context.Context, caller *rc.Principal, id string, ch NoteChange, releaseLock bool) (Item, error) {
	it, _, err := s.item(ctx, caller, NoteKind, id, "noteId")
	if err != nil {
		return Item{}, err
	}
	n := *it.Note
	if err := lockedByOther(&n, caller); err != nil {
		return Item{}, err
	}
	if ch.Title != nil {
		if strings.TrimSpace(*ch.Title) == "" || len(*ch.Title) > 250 {
			return Item{}, rc.Invalid("title")
		}
		n.Title = *ch.Title
	}
	if ch.Body != nil {
		n.Body = *ch.Body
	}
	if releaseLock {
		n.LockedBy = 0
	}
	n.LastModifiedBy = caller.ExtensionID
	it.Note, it.Modified = &n, s.clock.Now()
	return it, s.saveItem(ctx, it)
}

// SetNoteLock locks a note for the caller, or unlocks it.
func (s *Service) SetNoteLock(ctx context.Context, caller *rc.Principal, id string, lock bool) error {
	it, _, err := s.item(ctx, caller, NoteKind, id, "noteId")
	if err != nil {
		return err
	}
	n := *it.Note
	if err := lockedByOther(&n, caller); err != nil {
		return err
	}
	n.LockedBy = 0
	if lock {
		n.LockedBy = caller.ExtensionID
	}
	it.Note = &n
	return s.saveItem(ctx, it)
}

// PublishNote makes a draft note Active.
func (s *Service) PublishNote(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, NoteKind, id, "noteId")
	if err != nil {
		return Item{}, err
	}
	n := *it.Note
	if err := lockedByOther(&n, caller); err != nil {
		return Item{}, err
	}
	n.Status = "Active"
	it.Note, it.Modified = &n, s.clock.Now()
	return it, s.saveItem(ctx, it)
}

// DeleteNote deletes a note; its creator's.
func (s *Service) DeleteNote(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, NoteKind, id, "noteId")
}
