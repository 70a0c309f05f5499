package teammessaging

import (
	"context"
	"slices"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
)

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

var completeness = []string{"Simple", "AllAssignees", "Percentage"}

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

// DeleteTask deletes a task; its creator's.
func (s *Service) DeleteTask(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, TaskKind, id, "taskId")
}
