package api

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	tm "github.com/rcemu/rcemu/internal/teammessaging"
)

// Tasks, notes, calendar events, adaptive cards and incoming webhooks of team messaging.

func (h *Handlers) registerTeamMessagingItems(rt *restapi.Router) {
	o := restapi.Options{}
	chat := tmv1 + "/chats/{chatId}"
	rt.Handle("GET", chat+"/tasks", h.listTasks, o)
	rt.Handle("POST", chat+"/tasks", h.createTask, o)
	rt.Handle("GET", tmv1+"/tasks/{taskId}", h.readTask, o)
	rt.Handle("PATCH", tmv1+"/tasks/{taskId}", h.updateTask, o)
	rt.Handle("DELETE", tmv1+"/tasks/{taskId}", h.deleteItem("taskId", h.TeamMessaging.DeleteTask), o)
	rt.Handle("POST", tmv1+"/tasks/{taskId}/complete", h.completeTask, o)

	rt.Handle("GET", chat+"/notes", h.listNotes, o)
	rt.Handle("POST", chat+"/notes", h.createNote, o)
	rt.Handle("GET", tmv1+"/notes/{noteId}", h.readNote, o)
	rt.Handle("PATCH", tmv1+"/notes/{noteId}", h.updateNote, o)
	rt.Handle("DELETE", tmv1+"/notes/{noteId}", h.deleteItem("noteId", h.TeamMessaging.DeleteNote), o)
	rt.Handle("POST", tmv1+"/notes/{noteId}/lock", h.lockNote(true), o)
	rt.Handle("POST", tmv1+"/notes/{noteId}/unlock", h.lockNote(false), o)
	rt.Handle("POST", tmv1+"/notes/{noteId}/publish", h.publishNote, o)

	rt.Handle("GET", tmv1+"/events", h.listEvents(""), o)
	rt.Handle("POST", tmv1+"/events", h.createEvent(""), o)
	rt.Handle("GET", tmv1+"/groups/{groupId}/events", h.listEvents("groupId"), o)
	rt.Handle("POST", tmv1+"/groups/{groupId}/events", h.createEvent("groupId"), o)
	rt.Handle("GET", tmv1+"/events/{eventId}", h.readEvent, o)
	rt.Handle("PUT", tmv1+"/events/{eventId}", h.replaceEvent, o)
	rt.Handle("DELETE", tmv1+"/events/{eventId}", h.deleteEvent, o)

	rt.Handle("POST", chat+"/adaptive-cards", h.createCard, o)
	rt.Handle("GET", tmv1+"/adaptive-cards/{cardId}", h.readCard, o)
	rt.Handle("PUT", tmv1+"/adaptive-cards/{cardId}", h.replaceCard, o)
	rt.Handle("DELETE", tmv1+"/adaptive-cards/{cardId}", h.deleteItem("cardId", h.TeamMessaging.DeleteCard), o)

	rt.Handle("GET", tmv1+"/groups/{groupId}/webhooks", h.listWebhooks("groupId"), o)
	rt.Handle("POST", tmv1+"/groups/{groupId}/webhooks", h.createWebhook, o)
	rt.Handle("GET", tmv1+"/webhooks", h.listWebhooks(""), o)
	rt.Handle("GET", tmv1+"/webhooks/{webhookId}", h.readWebhook, o)
	rt.Handle("DELETE", tmv1+"/webhooks/{webhookId}", h.deleteWebhook, o)
	rt.Handle("POST", tmv1+"/webhooks/{webhookId}/activate", h.webhookStatus(true), o)
	rt.Handle("POST", tmv1+"/webhooks/{webhookId}/suspend", h.webhookStatus(false), o)
	// The address an incoming webhook gives outside apps: no token, the id is the credential.
	rt.Handle("POST", incomingWebhook+"/{webhookId}", h.incomingWebhook, restapi.Options{Public: true})

	rt.Handle("GET", tmv1+"/data-export", h.listExports, o)
	rt.Handle("POST", tmv1+"/data-export", h.createExport, o)
	rt.Handle("GET", tmv1+"/data-export/{taskId}", h.readExport, o)

	rt.Handle("POST", tmv1+"/files", h.uploadFile, restapi.Options{MaxBody: tm.MaxFile + 64<<10})
	// A file's contentUri, like the platform's, needs no token.
	rt.Handle("GET", tmFiles+"/{fileId}", h.downloadFile, restapi.Options{Public: true})
}

const (
	incomingWebhook = "/webhook/v2"
	tmFiles         = "/team-messaging/files"
)

type tmRef struct {
	ID string `json:"id"`
}

type tmTaskInfo struct {
	ID                     string        `json:"id"`
	CreationTime           string        `json:"creationTime"`
	LastModifiedTime       string        `json:"lastModifiedTime"`
	Type                   string        `json:"type"`
	Creator                tmRef         `json:"creator"`
	ChatIDs                []string      `json:"chatIds"`
	Status                 string        `json:"status"`
	Subject                string        `json:"subject"`
	Assignees              []tm.Assignee `json:"assignees"`
	CompletenessCondition  string        `json:"completenessCondition"`
	CompletenessPercentage int           `json:"completenessPercentage"`
	StartDate              string        `json:"startDate,omitempty"`
	DueDate                string        `json:"dueDate,omitempty"`
	Color                  string        `json:"color"`
	Section                string        `json:"section,omitempty"`
	Description            string        `json:"description,omitempty"`
	Attachments            []any         `json:"attachments"`
}

func newTaskInfo(it tm.Item) tmTaskInfo {
	t := it.Task
	return tmTaskInfo{ID: it.ID, CreationTime: rc.FormatTime(it.Created), LastModifiedTime: rc.FormatTime(it.Modified),
		Type: "Task", Creator: tmRef{id(it.CreatorID)}, ChatIDs: []string{it.ChatID}, Status: t.Status, Subject: t.Subject,
		Assignees: t.Assignees, CompletenessCondition: t.CompletenessCondition, CompletenessPercentage: t.CompletenessPercentage,
		StartDate: t.StartDate, DueDate: t.DueDate, Color: t.Color, Section: t.Section, Description: t.Description,
		Attachments: []any{}}
}

type tmNoteInfo struct {
	ID               string   `json:"id"`
	Title            string   `json:"title"`
	ChatIDs          []string `json:"chatIds"`
	Preview          string   `json:"preview"`
	Body             *string  `json:"body,omitempty"`
	Creator          tmRef    `json:"creator"`
	LastModifiedBy   tmRef    `json:"lastModifiedBy"`
	LockedBy         *tmRef   `json:"lockedBy,omitempty"`
	Status           string   `json:"status"`
	CreationTime     string   `json:"creationTime"`
	LastModifiedTime string   `json:"lastModifiedTime"`
	Type             string   `json:"type"`
}

// notePreview is the start of a note's body, as lists show it.
func notePreview(body string) string {
	r := []rune(body)
	return string(r[:min(len(r), 100)])
}

func newNoteInfo(it tm.Item, withBody bool) tmNoteInfo {
	n := it.Note
	out := tmNoteInfo{ID: it.ID, Title: n.Title, ChatIDs: []string{it.ChatID}, Preview: notePreview(n.Body),
		Creator: tmRef{id(it.CreatorID)}, LastModifiedBy: tmRef{id(n.LastModifiedBy)}, Status: n.Status,
		CreationTime: rc.FormatTime(it.Created), LastModifiedTime: rc.FormatTime(it.Modified), Type: "Note"}
	if n.LockedBy != 0 {
		out.LockedBy = &tmRef{id(n.LockedBy)}
	}
	if withBody {
		out.Body = &n.Body
	}
	return out
}

type tmEventInfo struct {
	ID          string `json:"id"`
	CreatorID   string `json:"creatorId"`
	Title       string `json:"title"`
	StartTime   string `json:"startTime"`
	EndTime     string `json:"endTime"`
	AllDay      bool   `json:"allDay"`
	Color       string `json:"color"`
	Location    string `json:"location,omitempty"`
	Description string `json:"description,omitempty"`
}

func newEventInfo(it tm.Item) tmEventInfo {
	e := it.Event
	return tmEventInfo{ID: it.ID, CreatorID: id(it.CreatorID), Title: e.Title, StartTime: rc.FormatTime(e.StartTime),
		EndTime: rc.FormatTime(e.EndTime), AllDay: e.AllDay, Color: e.Color, Location: e.Location, Description: e.Description}
}

type tmWebhookInfo struct {
	ID               string   `json:"id"`
	CreatorID        string   `json:"creatorId"`
	GroupIDs         []string `json:"groupIds"`
	CreationTime     string   `json:"creationTime"`
	LastModifiedTime string   `json:"lastModifiedTime"`
	URI              string   `json:"uri"`
	Status           string   `json:"status"`
}

func newWebhookInfo(r *restapi.Request, it tm.Item) tmWebhookInfo {
	return tmWebhookInfo{ID: it.ID, CreatorID: id(it.CreatorID), GroupIDs: []string{it.ChatID},
		CreationTime: rc.FormatTime(it.Created), LastModifiedTime: rc.FormatTime(it.Modified),
		URI: r.URI(incomingWebhook + "/" + it.ID), Status: it.Webhook.Status}
}

// cardInfo is the stored card with the attributes the platform adds; short keeps only those and
// the card's type and version.
func cardInfo(it tm.Item, short bool) map[string]any {
	var doc map[string]any
	_ = json.Unmarshal(it.Card, &doc)
	out := map[string]any{}
	if short {
		for _, k := range []string{"type", "version", "$schema"} {
			if v, ok := doc[k]; ok {
				out[k] = v
			}
		}
	} else {
		out = doc
	}
	out["id"], out["creationTime"], out["lastModifiedTime"] = it.ID, rc.FormatTime(it.Created), rc.FormatTime(it.Modified)
	out["creator"], out["chatIds"] = tmRef{id(it.CreatorID)}, []string{it.ChatID}
	return out
}

func (h *Handlers) deleteItem(param string, del func(ctx context.Context, caller *rc.Principal, id string) error) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		if err := del(r.Context(), r.Principal, r.Param(param)); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
}

func (h *Handlers) listTasks(w http.ResponseWriter, r *restapi.Request) error {
	statuses, err := r.Query.Enum("status", []string{"Pending", "InProgress", "Completed"})
	if err != nil {
		return err
	}
	pr, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := h.TeamMessaging.ListTasks(r.Context(), r.Principal, r.Param("chatId"), statuses, r.Query.All("creatorId"), r.Query.All("assigneeId"), pr)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, pageOf(p, newTaskInfo))
}

func (h *Handlers) createTask(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.TaskChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	it, err := h.TeamMessaging.CreateTask(r.Context(), r.Principal, r.Param("chatId"), ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, newTaskInfo(it))
}

func (h *Handlers) readTask(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.Task(r.Context(), r.Principal, r.Param("taskId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newTaskInfo(it))
}

// updateTask answers the changed task as a one-record list, as the spec's TMTaskList says.
func (h *Handlers) updateTask(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.TaskChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	it, err := h.TeamMessaging.UpdateTask(r.Context(), r.Principal, r.Param("taskId"), ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, listOf([]tm.Item{it}, newTaskInfo))
}

func (h *Handlers) completeTask(w http.ResponseWriter, r *restapi.Request) error {
	var c tm.TaskCompletion
	if err := r.DecodeJSON(&c); err != nil {
		return err
	}
	if err := h.TeamMessaging.CompleteTask(r.Context(), r.Principal, r.Param("taskId"), c); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

func (h *Handlers) listNotes(w http.ResponseWriter, r *restapi.Request) error {
	st, err := r.Query.Enum("status", []string{"Active", "Draft"})
	if err != nil {
		return err
	}
	pr, err := pageRequest(r)
	if err != nil {
		return err
	}
	status := ""
	if len(st) > 0 {
		status = st[0]
	}
	p, err := h.TeamMessaging.ListNotes(r.Context(), r.Principal, r.Param("chatId"), status, r.Query.Get("creatorId"), pr)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, pageOf(p, func(it tm.Item) tmNoteInfo { return newNoteInfo(it, false) }))
}

func (h *Handlers) createNote(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.NoteChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	it, err := h.TeamMessaging.CreateNote(r.Context(), r.Principal, r.Param("chatId"), ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newNoteInfo(it, false))
}

func (h *Handlers) readNote(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.Note(r.Context(), r.Principal, r.Param("noteId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newNoteInfo(it, true))
}

func (h *Handlers) updateNote(w http.ResponseWriter, r *restapi.Request) error {
	release, err := r.Query.Bool("releaseLock", false)
	if err != nil {
		return err
	}
	var ch tm.NoteChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	it, err := h.TeamMessaging.UpdateNote(r.Context(), r.Principal, r.Param("noteId"), ch, release)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newNoteInfo(it, false))
}

func (h *Handlers) lockNote(lock bool) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		if err := h.TeamMessaging.SetNoteLock(r.Context(), r.Principal, r.Param("noteId"), lock); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
}

func (h *Handlers) publishNote(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.PublishNote(r.Context(), r.Principal, r.Param("noteId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newNoteInfo(it, false))
}

func (h *Handlers) listEvents(groupParam string) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		pr, err := pageRequest(r)
		if err != nil {
			return err
		}
		group := ""
		if groupParam != "" {
			group = r.Param(groupParam)
		}
		p, err := h.TeamMessaging.ListEvents(r.Context(), r.Principal, group, pr)
		if err != nil {
			return err
		}
		return restapi.JSON(w, 200, pageOf(p, newEventInfo))
	}
}

func (h *Handlers) createEvent(groupParam string) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		var ch tm.EventChange
		if err := r.DecodeJSON(&ch); err != nil {
			return err
		}
		group := ""
		if groupParam != "" {
			group = r.Param(groupParam)
		}
		it, err := h.TeamMessaging.CreateEvent(r.Context(), r.Principal, group, ch)
		if err != nil {
			return err
		}
		return restapi.JSON(w, 200, newEventInfo(it))
	}
}

func (h *Handlers) readEvent(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.Event(r.Context(), r.Principal, r.Param("eventId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newEventInfo(it))
}

func (h *Handlers) replaceEvent(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.EventChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	it, err := h.TeamMessaging.ReplaceEvent(r.Context(), r.Principal, r.Param("eventId"), ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newEventInfo(it))
}

// deleteEvent answers 200 without a body, as the spec documents.
func (h *Handlers) deleteEvent(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.TeamMessaging.DeleteEvent(r.Context(), r.Principal, r.Param("eventId")); err != nil {
		return err
	}
	w.WriteHeader(200)
	return nil
}

func (h *Handlers) createCard(w http.ResponseWriter, r *restapi.Request) error {
	var raw json.RawMessage
	if err := r.DecodeJSON(&raw); err != nil {
		return err
	}
	it, err := h.TeamMessaging.CreateCard(r.Context(), r.Principal, r.Param("chatId"), raw)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, cardInfo(it, true))
}

func (h *Handlers) readCard(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.Card(r.Context(), r.Principal, r.Param("cardId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, cardInfo(it, false))
}

func (h *Handlers) replaceCard(w http.ResponseWriter, r *restapi.Request) error {
	var raw json.RawMessage
	if err := r.DecodeJSON(&raw); err != nil {
		return err
	}
	it, err := h.TeamMessaging.ReplaceCard(r.Context(), r.Principal, r.Param("cardId"), raw)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, cardInfo(it, true))
}

func (h *Handlers) listWebhooks(groupParam string) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		group := ""
		if groupParam != "" {
			group = r.Param(groupParam)
		}
		hooks, err := h.TeamMessaging.Webhooks(r.Context(), r.Principal, group)
		if err != nil {
			return err
		}
		return restapi.JSON(w, 200, listOf(hooks, func(it tm.Item) tmWebhookInfo { return newWebhookInfo(r, it) }))
	}
}

func (h *Handlers) createWebhook(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.CreateWebhook(r.Context(), r.Principal, r.Param("groupId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newWebhookInfo(r, it))
}

// readWebhook answers a one-record list, as the spec's TMWebhookList says.
func (h *Handlers) readWebhook(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.Webhook(r.Context(), r.Principal, r.Param("webhookId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, listOf([]tm.Item{it}, func(it tm.Item) tmWebhookInfo { return newWebhookInfo(r, it) }))
}

func (h *Handlers) deleteWebhook(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.TeamMessaging.DeleteWebhook(r.Context(), r.Principal, r.Param("webhookId")); err != nil {
		return err
	}
	w.WriteHeader(200)
	return nil
}

func (h *Handlers) webhookStatus(active bool) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		if err := h.TeamMessaging.SetWebhookStatus(r.Context(), r.Principal, r.Param("webhookId"), active); err != nil {
			return err
		}
		w.WriteHeader(200)
		return nil
	}
}

func (h *Handlers) incomingWebhook(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.PostChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	if _, err := h.TeamMessaging.IncomingPost(r.Context(), r.Param("webhookId"), ch); err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]string{"status": "OK"})
}

type tmAddFile struct {
	ID         string `json:"id"`
	ContentURI string `json:"contentUri"`
	Name       string `json:"name"`
}

// uploadFile stores the multipart part named body (or the first file); with groupId it is also
// posted into that chat.
func (h *Handlers) uploadFile(w http.ResponseWriter, r *restapi.Request) error {
	group := r.Query.Get("groupId")
	if group != "" {
		if _, err := parseID(group, "groupId"); err != nil {
			return err
		}
	}
	m, err := restapi.ReadMultipart(r)
	if err != nil {
		return err
	}
	var part *restapi.FilePart
	for i := range m.Files {
		if m.Files[i].Field == "body" || (part == nil && m.Files[i].Field == "") {
			part = &m.Files[i]
		}
	}
	if part == nil && len(m.Files) > 0 {
		part = &m.Files[0]
	}
	if part == nil {
		return rc.Missing("body")
	}
	name := r.Query.Get("name")
	if name == "" {
		name = part.FileName
	}
	it, err := h.TeamMessaging.UploadFile(r.Context(), r.Principal, group, tm.File{Name: name, ContentType: part.ContentType, Content: part.Content})
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, []tmAddFile{{ID: it.ID, ContentURI: fileURI(r, it.ID), Name: it.File.Name}})
}

func (h *Handlers) downloadFile(w http.ResponseWriter, r *restapi.Request) error {
	f, err := h.TeamMessaging.FileContent(r.Context(), r.Param("fileId"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(200)
	_, err = w.Write(f.Content)
	return err
}

type tmExportTask struct {
	URI              string           `json:"uri"`
	ID               string           `json:"id"`
	CreationTime     string           `json:"creationTime"`
	LastModifiedTime string           `json:"lastModifiedTime"`
	Status           string           `json:"status"`
	Creator          tmExportCreator  `json:"creator"`
	Specific         tmExportSpecific `json:"specific"`
	Datasets         []tmDataset      `json:"datasets"`
}

type tmExportCreator struct {
	ID        string `json:"id"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
}

type tmExportSpecific struct {
	TimeFrom string         `json:"timeFrom"`
	TimeTo   string         `json:"timeTo"`
	Contacts []tm.MemberRef `json:"contacts,omitempty"`
	ChatIDs  []string       `json:"chatIds,omitempty"`
}

type tmDataset struct {
	ID   string `json:"id"`
	URI  string `json:"uri"`
	Size int64  `json:"size"`
}

func (h *Handlers) newExportTask(r *restapi.Request, it tm.Item) tmExportTask {
	ex := it.Export
	out := tmExportTask{URI: r.URI(tmv1 + "/data-export/" + it.ID), ID: it.ID, CreationTime: rc.FormatTime(it.Created),
		LastModifiedTime: rc.FormatTime(it.Modified), Status: ex.Status, Creator: tmExportCreator{ID: id(it.CreatorID)},
		Specific: tmExportSpecific{TimeFrom: rc.FormatTime(ex.TimeFrom), TimeTo: rc.FormatTime(ex.TimeTo), Contacts: ex.Contacts, ChatIDs: ex.ChatIDs},
		Datasets: []tmDataset{{ID: "1", URI: fileURI(r, ex.DatasetID), Size: int64(ex.Size)}}}
	if e, err := h.TeamMessaging.Person(r.Context(), r.Principal, id(it.CreatorID)); err == nil {
		out.Creator.FirstName, out.Creator.LastName = e.Contact.FirstName, e.Contact.LastName
	}
	return out
}

func (h *Handlers) createExport(w http.ResponseWriter, r *restapi.Request) error {
	var req tm.ExportRequest
	if _, err := r.DecodeOptionalJSON(&req); err != nil {
		return err
	}
	it, err := h.TeamMessaging.CreateExport(r.Context(), r.Principal, req)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 202, h.newExportTask(r, it))
}

func (h *Handlers) readExport(w http.ResponseWriter, r *restapi.Request) error {
	it, err := h.TeamMessaging.Export(r.Context(), r.Principal, r.Param("taskId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, h.newExportTask(r, it))
}

type tmPageURI struct {
	URI string `json:"uri"`
}

type tmExportList struct {
	Tasks      []tmExportTask `json:"tasks"`
	Navigation struct {
		FirstPage    *tmPageURI `json:"firstPage,omitempty"`
		NextPage     *tmPageURI `json:"nextPage,omitempty"`
		PreviousPage *tmPageURI `json:"previousPage,omitempty"`
		LastPage     *tmPageURI `json:"lastPage,omitempty"`
	} `json:"navigation"`
	Paging struct {
		Page          int `json:"page"`
		PerPage       int `json:"perPage"`
		PageStart     int `json:"pageStart"`
		PageEnd       int `json:"pageEnd"`
		TotalPages    int `json:"totalPages"`
		TotalElements int `json:"totalElements"`
	} `json:"paging"`
}

// listExports pages the account's exports with page and perPage, as this operation (unlike the
// rest of team messaging) does.
func (h *Handlers) listExports(w http.ResponseWriter, r *restapi.Request) error {
	st, err := r.Query.Enum("status", []string{"Accepted", "InProgress", "Completed", "Failed", "Expired"})
	if err != nil {
		return err
	}
	page, err := r.Query.Int("page", 1, 1, 1<<20)
	if err != nil {
		return err
	}
	per, err := r.Query.Int("perPage", 30, 1, 1000)
	if err != nil {
		return err
	}
	status := ""
	if len(st) > 0 {
		status = st[0]
	}
	all, err := h.TeamMessaging.Exports(r.Context(), r.Principal, status)
	if err != nil {
		return err
	}
	var out tmExportList
	from, to := min((page-1)*per, len(all)), min(page*per, len(all))
	out.Tasks = make([]tmExportTask, 0, to-from)
	for _, it := range all[from:to] {
		out.Tasks = append(out.Tasks, h.newExportTask(r, it))
	}
	pages := max(1, (len(all)+per-1)/per)
	link := func(p int) *tmPageURI {
		return &tmPageURI{URI: r.URI(tmv1 + "/data-export?page=" + strconv.Itoa(p) + "&perPage=" + strconv.Itoa(per))}
	}
	out.Navigation.FirstPage, out.Navigation.LastPage = link(1), link(pages)
	if page < pages {
		out.Navigation.NextPage = link(page + 1)
	}
	if page > 1 {
		out.Navigation.PreviousPage = link(page - 1)
	}
	out.Paging.Page, out.Paging.PerPage, out.Paging.TotalPages, out.Paging.TotalElements = page, per, pages, len(all)
	if to > from {
		out.Paging.PageStart, out.Paging.PageEnd = from, to-1
	}
	return restapi.JSON(w, 200, out)
}
