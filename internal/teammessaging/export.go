package teammessaging

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// ExportKind is a compliance data export of the account's posts, for administrators.
const ExportKind = "DataExport"

// MaxExportPosts bounds what one export holds.
const MaxExportPosts = 100000

// Export is a data export task. It completes when it is made: its dataset is a JSON file of the
// selected posts, downloaded like any file.
type Export struct {
	Status    string      `json:"status"`
	TimeFrom  time.Time   `json:"timeFrom"`
	TimeTo    time.Time   `json:"timeTo"`
	Contacts  []MemberRef `json:"contacts,omitempty"`
	ChatIDs   []string    `json:"chatIds,omitempty"`
	DatasetID string      `json:"datasetId"`
	Size      int         `json:"size"`
}

// ExportRequest is the create body.
type ExportRequest struct {
	TimeFrom *string     `json:"timeFrom"`
	TimeTo   *string     `json:"timeTo"`
	Contacts []MemberRef `json:"contacts"`
	ChatIDs  []string    `json:"chatIds"`
}

func exportAdmin(caller *rc.Principal) error {
	if !caller.Admin {
		return rc.UserPermission("Glip")
	}
	return nil
}

func exportTime(v *string, def time.Time, param string) (time.Time, error) {
	if v == nil {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, rc.Invalid(param)
	}
	return t.UTC(), nil
}

// exportScope checks what an export selects: its period, its people and its chats.
func (s *Service) exportScope(ctx context.Context, caller *rc.Principal, req ExportRequest) (Export, []int64, error) {
	now := s.clock.Now().UTC()
	to, err := exportTime(req.TimeTo, now, "timeTo")
	if err != nil {
		return Export{}, nil, err
	}
	from, err := exportTime(req.TimeFrom, to.Add(-30*24*time.Hour), "timeFrom")
	if err != nil {
		return Export{}, nil, err
	}
	if from.After(to) {
		return Export{}, nil, rc.Invalid("timeFrom")
	}
	people, err := s.resolveMembers(ctx, caller, req.Contacts)
	if err != nil {
		e := *rc.AsError(err)
		e.Param = strings.Replace(e.Param, "members", "contacts", 1)
		e.Message = strings.Replace(e.Message, "members", "contacts", 1)
		return Export{}, nil, &e
	}
	for _, id := range req.ChatIDs {
		if _, err := s.find(ctx, caller, id); rc.IsNotFound(err) {
			return Export{}, nil, rc.BadReference("chatIds")
		} else if err != nil {
			return Export{}, nil, err
		}
	}
	return Export{Status: "Completed", TimeFrom: from, TimeTo: to, Contacts: req.Contacts, ChatIDs: req.ChatIDs}, people, nil
}

// CreateExport exports the account's posts of a period (of some chats, by some people) into a
// dataset file.
func (s *Service) CreateExport(ctx context.Context, caller *rc.Principal, req ExportRequest) (Item, error) {
	if err := exportAdmin(caller); err != nil {
		return Item{}, err
	}
	ex, people, err := s.exportScope(ctx, caller, req)
	if err != nil {
		return Item{}, err
	}
	posts, err := s.store.AccountPosts(ctx, caller.AccountID, ex.ChatIDs, MaxExportPosts)
	if err != nil {
		return Item{}, err
	}
	posts = slices.DeleteFunc(posts, func(p Post) bool {
		return p.Created.Before(ex.TimeFrom) || p.Created.After(ex.TimeTo) || (len(people) > 0 && !slices.Contains(people, p.CreatorID))
	})
	doc, err := json.Marshal(map[string]any{"posts": posts})
	if err != nil {
		return Item{}, err
	}
	file, err := s.newItem(ctx, caller, FileKind, "")
	if err != nil {
		return Item{}, err
	}
	file.File = &File{Name: "export-" + file.ID + ".json", ContentType: "application/json", Content: doc}
	if err := s.store.InsertItem(ctx, file); err != nil {
		return Item{}, err
	}
	it, err := s.newItem(ctx, caller, ExportKind, "")
	if err != nil {
		return Item{}, err
	}
	ex.DatasetID, ex.Size = file.ID, len(doc)
	it.Export = &ex
	return it, s.store.InsertItem(ctx, it)
}

// Export returns a data export of the caller's account.
func (s *Service) Export(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	if err := exportAdmin(caller); err != nil {
		return Item{}, err
	}
	it, err := s.store.Item(ctx, id)
	if notFound(err) || (err == nil && (it.Kind != ExportKind || it.AccountID != caller.AccountID)) {
		return Item{}, rc.NotFound("taskId")
	}
	return it, err
}

// Exports lists the account's data exports, oldest first, of a status if one is given.
func (s *Service) Exports(ctx context.Context, caller *rc.Principal, status string) ([]Item, error) {
	if err := exportAdmin(caller); err != nil {
		return nil, err
	}
	all, err := s.store.ListItems(ctx, ItemFilter{Kind: ExportKind, AccountID: caller.AccountID})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(it Item) bool { return status != "" && it.Export.Status != status }), nil
}
