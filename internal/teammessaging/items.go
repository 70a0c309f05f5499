package teammessaging

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
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

// Item is a task, note, calendar event, adaptive card or incoming webhook, stored as one
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

// Task is a chat's task.
type Task struct {
	Subject                string     `json:"subject"`
	Assignees              []Assignee `json:"assignees"`
	CompletenessCondition  string     `json:"completenessCondition"`
	CompletenessPercentage int        `json:"completenessPercentage"`
	StartDate              string     `json:"startDate,omitempty"`
	DueDate                string     `json:"dueDate,omitempty"`
	Color                  string     `json:"color"`
	Section                string     `json:"section,omitempty"`
	Description            string     `json:"description,omitempty"`
	Status                 string     `json:"status"`
}

// Assignee is a person a task is assigned to, with their own progress.
type Assignee struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// TaskChange is a task's create or PATCH body.
type TaskChange struct {
	Subject               *string      `json:"subject"`
	Assignees             *[]MemberRef `json:"assignees"`
	CompletenessCondition *string      `json:"completenessCondition"`
	StartDate             *string      `json:"startDate"`
	DueDate               *string      `json:"dueDate"`
	Color                 *string      `json:"color"`
	Section               *string      `json:"section"`
	Description           *string      `json:"description"`
}

// TaskCompletion is the complete operation's body.
type TaskCompletion struct {
	Status                 string      `json:"status"`
	Assignees              []MemberRef `json:"assignees"`
	CompletenessPercentage *int        `json:"completenessPercentage"`
}

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

// Webhook is an incoming webhook: outside apps post into its chat through its address.
type Webhook struct {
	Status string `json:"status"` // Active, Suspended
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

// File is an uploaded file that posts attach.
type File struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Content     []byte `json:"content"`
}

// MaxFile is the upload limit (the spec's x-request-max-body-size of the files operation).
const MaxFile = 30 << 20

// UploadFile stores a file; with a chat, it also posts it there, as the platform does when the
// upload names a group.
func (s *Service) UploadFile(ctx context.Context, caller *rc.Principal, chatID string, f File) (Item, error) {
	var c Chat
	if chatID != "" {
		var err error
		if c, err = s.memberChat(ctx, caller, chatID); err != nil {
			return Item{}, err
		}
		if err := writable(c); err != nil {
			return Item{}, err
		}
	}
	if strings.TrimSpace(f.Name) == "" {
		f.Name = "file"
	}
	it, err := s.newItem(ctx, caller, FileKind, chatID)
	if err != nil {
		return Item{}, err
	}
	it.File = &f
	if err := s.store.InsertItem(ctx, it); err != nil {
		return Item{}, err
	}
	if chatID == "" {
		return it, nil
	}
	p := Post{ChatID: c.ID, AccountID: c.AccountID, Type: "TextMessage", CreatorID: caller.ExtensionID,
		Attachments: []Attachment{{ID: it.ID, Type: "File", Name: f.Name}}, Created: it.Created, Modified: it.Created}
	if err := s.store.InsertPost(ctx, &p); err != nil {
		return Item{}, err
	}
	s.publishPost(PostAdded, c, p)
	return it, nil
}

// FileContent returns an uploaded file by id. Its address is its only credential, as a
// content URI of the platform's is.
func (s *Service) FileContent(ctx context.Context, id string) (File, error) {
	it, err := s.store.Item(ctx, id)
	if notFound(err) || (err == nil && it.Kind != FileKind) {
		return File{}, rc.NotFound("fileId")
	}
	if err != nil {
		return File{}, err
	}
	return *it.File, nil
}

// Colors are the colors of tasks and events.
var Colors = []string{"Black", "Red", "Orange", "Yellow", "Green", "Blue", "Purple", "Magenta"}

var completeness = []string{"Simple", "AllAssignees", "Percentage"}

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

// assignees resolves a task's assignees to persons of the account.
func (s *Service) assignees(ctx context.Context, caller *rc.Principal, refs []MemberRef) ([]Assignee, error) {
	ids, err := s.resolveMembers(ctx, caller, refs)
	if err != nil {
		if e := rc.AsError(err); e.Param == "members" || strings.HasPrefix(e.Param, "members.") {
			e2 := *e
			e2.Param = strings.Replace(e.Param, "members", "assignees", 1)
			e2.Message = strings.Replace(e.Message, "members", "assignees", 1)
			return nil, &e2
		}
		return nil, err
	}
	out := make([]Assignee, len(ids))
	for i, id := range ids {
		out[i] = Assignee{ID: itoa(id), Status: "Pending"}
	}
	return out, nil
}

func (s *Service) applyTask(ctx context.Context, caller *rc.Principal, t *Task, ch TaskChange) error {
	if ch.Subject != nil {
		if strings.TrimSpace(*ch.Subject) == "" {
			return rc.Invalid("subject")
		}
		t.Subject = *ch.Subject
	}
	if ch.Assignees != nil {
		as, err := s.assignees(ctx, caller, *ch.Assignees)
		if err != nil {
			return err
		}
		for i := range as { // keep the progress of those still assigned
			for _, old := range t.Assignees {
				if old.ID == as[i].ID {
					as[i].Status = old.Status
				}
			}
		}
		t.Assignees = as
	}
	if ch.CompletenessCondition != nil {
		if !slices.Contains(completeness, *ch.CompletenessCondition) {
			return rc.Invalid("completenessCondition")
		}
		t.CompletenessCondition = *ch.CompletenessCondition
	}
	if ch.Color != nil {
		if !slices.Contains(Colors, *ch.Color) {
			return rc.Invalid("color")
		}
		t.Color = *ch.Color
	}
	if err := checkDate(ch.StartDate, "startDate"); err != nil {
		return err
	}
	if err := checkDate(ch.DueDate, "dueDate"); err != nil {
		return err
	}
	for _, f := range []struct {
		to   *string
		from *string
	}{{&t.StartDate, ch.StartDate}, {&t.DueDate, ch.DueDate}, {&t.Section, ch.Section}, {&t.Description, ch.Description}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	return nil
}

// CreateTask adds a task to a chat the caller belongs to.
func (s *Service) CreateTask(ctx context.Context, caller *rc.Principal, chatID string, ch TaskChange) (Item, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return Item{}, err
	}
	if err := writable(c); err != nil {
		return Item{}, err
	}
	if ch.Subject == nil {
		return Item{}, rc.Missing("subject")
	}
	if ch.Assignees == nil {
		return Item{}, rc.Missing("assignees")
	}
	t := &Task{CompletenessCondition: "Simple", Color: "Black", Status: "Pending", Assignees: []Assignee{}}
	if err := s.applyTask(ctx, caller, t, ch); err != nil {
		return Item{}, err
	}
	it, err := s.newItem(ctx, caller, TaskKind, c.ID)
	if err != nil {
		return Item{}, err
	}
	it.Task = t
	return it, s.store.InsertItem(ctx, it)
}

// Task returns a task of a chat the caller belongs to.
func (s *Service) Task(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, TaskKind, id, "taskId")
	return it, err
}

// ListTasks pages a chat's tasks, oldest first, with the list's filters.
func (s *Service) ListTasks(ctx context.Context, caller *rc.Principal, chatID string, statuses, creators, assignees []string, pr PageRequest) (Page[Item], error) {
	return s.listItems(ctx, caller, TaskKind, chatID, func(it Item) bool {
		if len(statuses) > 0 && !slices.Contains(statuses, it.Task.Status) {
			return false
		}
		if len(creators) > 0 && !slices.Contains(creators, itoa(it.CreatorID)) {
			return false
		}
		return len(assignees) == 0 || slices.ContainsFunc(it.Task.Assignees, func(a Assignee) bool { return slices.Contains(assignees, a.ID) })
	}, pr)
}

// UpdateTask changes a task.
func (s *Service) UpdateTask(ctx context.Context, caller *rc.Principal, id string, ch TaskChange) (Item, error) {
	it, _, err := s.item(ctx, caller, TaskKind, id, "taskId")
	if err != nil {
		return Item{}, err
	}
	t := *it.Task
	if err := s.applyTask(ctx, caller, &t, ch); err != nil {
		return Item{}, err
	}
	it.Task, it.Modified = &t, s.clock.Now()
	return it, s.saveItem(ctx, it)
}

// CompleteTask marks a task, or some assignees' part of it, complete or not.
func (s *Service) CompleteTask(ctx context.Context, caller *rc.Principal, id string, c TaskCompletion) error {
	it, _, err := s.item(ctx, caller, TaskKind, id, "taskId")
	if err != nil {
		return err
	}
	t := *it.Task
	t.Assignees = slices.Clone(t.Assignees)
	if c.Status != "Complete" && c.Status != "Incomplete" {
		return rc.Invalid("status")
	}
	status := map[bool]string{true: "Completed", false: "Pending"}[c.Status == "Complete"]
	if c.CompletenessPercentage != nil {
		if *c.CompletenessPercentage < 0 || *c.CompletenessPercentage > 100 {
			return rc.Invalid("completenessPercentage")
		}
		t.CompletenessPercentage = *c.CompletenessPercentage
	}
	targets := map[string]bool{}
	for _, a := range c.Assignees {
		targets[a.ID] = true
	}
	for i := range t.Assignees {
		if len(targets) == 0 || targets[t.Assignees[i].ID] {
			t.Assignees[i].Status = status
		}
	}
	switch {
	case t.CompletenessCondition == "AllAssignees" && len(targets) > 0:
		done := !slices.ContainsFunc(t.Assignees, func(a Assignee) bool { return a.Status != "Completed" })
		t.Status = map[bool]string{true: "Completed", false: "InProgress"}[done]
	case t.CompletenessCondition == "Percentage" && c.CompletenessPercentage != nil:
		t.Status = map[bool]string{true: "Completed", false: "InProgress"}[t.CompletenessPercentage == 100]
	default:
		t.Status = status
	}
	it.Task, it.Modified = &t, s.clock.Now()
	return s.saveItem(ctx, it)
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

// DeleteTask deletes a task; its creator's.
func (s *Service) DeleteTask(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, TaskKind, id, "taskId")
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

// cardDoc checks an adaptive card: a JSON object of type AdaptiveCard with a version.
func cardDoc(raw json.RawMessage) (json.RawMessage, error) {
	var head struct {
		Type    *string `json:"type"`
		Version *string `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, rc.BadJSON()
	}
	if head.Type == nil {
		return nil, rc.Missing("type")
	}
	if *head.Type != "AdaptiveCard" {
		return nil, rc.Invalid("type")
	}
	if head.Version == nil {
		return nil, rc.Missing("version")
	}
	return raw, nil
}

// CreateCard posts an adaptive card into a chat the caller belongs to: the card, and a post
// that attaches it.
func (s *Service) CreateCard(ctx context.Context, caller *rc.Principal, chatID string, raw json.RawMessage) (Item, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return Item{}, err
	}
	if err := writable(c); err != nil {
		return Item{}, err
	}
	doc, err := cardDoc(raw)
	if err != nil {
		return Item{}, err
	}
	it, err := s.newItem(ctx, caller, CardKind, c.ID)
	if err != nil {
		return Item{}, err
	}
	it.Card = doc
	if err := s.store.InsertItem(ctx, it); err != nil {
		return Item{}, err
	}
	p := Post{ChatID: c.ID, AccountID: c.AccountID, Type: "TextMessage", CreatorID: caller.ExtensionID,
		Attachments: []Attachment{{ID: it.ID, Type: "Card"}}, Created: it.Created, Modified: it.Created}
	if err := s.store.InsertPost(ctx, &p); err != nil {
		return Item{}, err
	}
	s.publishPost(PostAdded, c, p)
	return it, nil
}

// Card returns an adaptive card of a chat the caller belongs to.
func (s *Service) Card(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, CardKind, id, "cardId")
	return it, err
}

// ReplaceCard replaces an adaptive card; its creator's.
func (s *Service) ReplaceCard(ctx context.Context, caller *rc.Principal, id string, raw json.RawMessage) (Item, error) {
	it, _, err := s.item(ctx, caller, CardKind, id, "cardId")
	if err != nil {
		return Item{}, err
	}
	if it.CreatorID != caller.ExtensionID {
		return Item{}, forbidden("cardId")
	}
	doc, err := cardDoc(raw)
	if err != nil {
		return Item{}, err
	}
	it.Card, it.Modified = doc, s.clock.Now()
	return it, s.saveItem(ctx, it)
}

// DeleteCard deletes an adaptive card; its creator's.
func (s *Service) DeleteCard(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, CardKind, id, "cardId")
}

// CreateWebhook makes an incoming webhook for a chat the caller belongs to.
func (s *Service) CreateWebhook(ctx context.Context, caller *rc.Principal, chatID string) (Item, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return Item{}, err
	}
	it, err := s.newItem(ctx, caller, WebhookKind, c.ID)
	if err != nil {
		return Item{}, err
	}
	it.Webhook = &Webhook{Status: "Active"}
	return it, s.store.InsertItem(ctx, it)
}

// Webhooks lists the incoming webhooks of a chat the caller belongs to, or, with no chat, those
// the caller made.
func (s *Service) Webhooks(ctx context.Context, caller *rc.Principal, chatID string) ([]Item, error) {
	if chatID != "" {
		if _, err := s.memberChat(ctx, caller, chatID); err != nil {
			return nil, err
		}
		return s.store.ListItems(ctx, ItemFilter{Kind: WebhookKind, AccountID: caller.AccountID, ChatID: chatID})
	}
	all, err := s.store.ListItems(ctx, ItemFilter{Kind: WebhookKind, AccountID: caller.AccountID, CreatorID: caller.ExtensionID, AnyChat: true})
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, it := range all {
		if _, _, err := s.item(ctx, caller, WebhookKind, it.ID, "webhookId"); err == nil {
			out = append(out, it)
		}
	}
	return out, nil
}

// Webhook returns an incoming webhook of a chat the caller belongs to.
func (s *Service) Webhook(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, WebhookKind, id, "webhookId")
	return it, err
}

// SetWebhookStatus activates or suspends an incoming webhook.
func (s *Service) SetWebhookStatus(ctx context.Context, caller *rc.Principal, id string, active bool) error {
	it, _, err := s.item(ctx, caller, WebhookKind, id, "webhookId")
	if err != nil {
		return err
	}
	wh := *it.Webhook
	wh.Status = map[bool]string{true: "Active", false: "Suspended"}[active]
	it.Webhook, it.Modified = &wh, s.clock.Now()
	return s.saveItem(ctx, it)
}

// DeleteWebhook deletes an incoming webhook; its creator's.
func (s *Service) DeleteWebhook(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, WebhookKind, id, "webhookId")
}

// IncomingPost posts into a webhook's chat as the webhook's creator, as an outside app does
// through the webhook's address. A suspended or unknown webhook is 404.
func (s *Service) IncomingPost(ctx context.Context, id string, ch PostChange) (Post, error) {
	it, err := s.store.Item(ctx, id)
	if notFound(err) || (err == nil && (it.Kind != WebhookKind || it.Webhook.Status != "Active")) {
		return Post{}, rc.NotFound("webhookId")
	}
	if err != nil {
		return Post{}, err
	}
	as := &rc.Principal{AccountID: it.AccountID, ExtensionID: it.CreatorID}
	return s.CreatePost(ctx, as, it.ChatID, ch)
}
