package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	tm "github.com/rcemu/rcemu/internal/teammessaging"
)

const tmv1 = "/team-messaging/v1"

func (h *Handlers) registerTeamMessaging(rt *restapi.Router) {
	if h.TeamMessaging == nil {
		return
	}
	o := restapi.Options{}
	chat := tmv1 + "/chats/{chatId}"
	team := tmv1 + "/teams/{chatId}"
	rt.Handle("GET", tmv1+"/chats", h.listChats, o)
	rt.Handle("GET", chat, h.readChat, o)
	rt.Handle("GET", tmv1+"/recent/chats", h.listRecentChats, o)
	rt.Handle("GET", tmv1+"/favorites", h.listFavoriteChats, o)
	rt.Handle("POST", chat+"/favorite", h.favoriteChat(true), o)
	rt.Handle("POST", chat+"/unfavorite", h.favoriteChat(false), o)
	rt.Handle("GET", tmv1+"/everyone", h.readEveryone, o)
	rt.Handle("PATCH", tmv1+"/everyone", h.updateEveryone, o)

	rt.Handle("GET", tmv1+"/teams", h.listTeams, o)
	rt.Handle("POST", tmv1+"/teams", h.createTeam, o)
	rt.Handle("GET", team, h.readTeam, o)
	rt.Handle("PATCH", team, h.updateTeam, o)
	rt.Handle("DELETE", team, h.deleteTeam, o)
	rt.Handle("POST", team+"/join", h.teamAction(h.TeamMessaging.JoinTeam), o)
	rt.Handle("POST", team+"/leave", h.teamAction(h.TeamMessaging.LeaveTeam), o)
	rt.Handle("POST", team+"/archive", h.archiveTeam(true), o)
	rt.Handle("POST", team+"/unarchive", h.archiveTeam(false), o)
	rt.Handle("POST", team+"/add", h.teamMembers(h.TeamMessaging.AddTeamMembers), o)
	rt.Handle("POST", team+"/remove", h.teamMembers(h.TeamMessaging.RemoveTeamMembers), o)

	rt.Handle("GET", tmv1+"/conversations", h.listConversations, o)
	rt.Handle("POST", tmv1+"/conversations", h.createConversation, o)
	rt.Handle("GET", tmv1+"/conversations/{chatId}", h.readConversation, o)

	rt.Handle("GET", chat+"/posts", h.listPosts, o)
	rt.Handle("POST", chat+"/posts", h.createPost, o)
	rt.Handle("GET", chat+"/posts/{postId}", h.readPost, o)
	rt.Handle("PATCH", chat+"/posts/{postId}", h.updatePost, o)
	rt.Handle("DELETE", chat+"/posts/{postId}", h.deletePost, o)
	rt.Handle("GET", chat+"/threads/{threadId}/posts", h.listThreadPosts, o)

	rt.Handle("GET", tmv1+"/persons/{personId}", h.readPersons, o)
	rt.Handle("GET", tmv1+"/companies/{companyId}", h.readCompany, o)
	h.registerTeamMessagingItems(rt)
}

// Wire shapes. Team-messaging ids are strings; records carry no uri.

type tmMember struct {
	ID string `json:"id"`
}

type tmChatInfo struct {
	ID               string     `json:"id"`
	Type             string     `json:"type"`
	Public           *bool      `json:"public,omitempty"`
	Name             string     `json:"name,omitempty"`
	Description      string     `json:"description,omitempty"`
	Status           string     `json:"status,omitempty"`
	CreationTime     string     `json:"creationTime"`
	LastModifiedTime string     `json:"lastModifiedTime"`
	Members          []tmMember `json:"members,omitempty"`
}

type tmTeamInfo struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	Public           bool   `json:"public"`
	Name             string `json:"name"`
	Description      string `json:"description,omitempty"`
	Status           string `json:"status"`
	CreationTime     string `json:"creationTime"`
	LastModifiedTime string `json:"lastModifiedTime"`
}

type tmConversationInfo struct {
	ID               string     `json:"id"`
	Type             string     `json:"type"`
	CreationTime     string     `json:"creationTime"`
	LastModifiedTime string     `json:"lastModifiedTime"`
	Members          []tmMember `json:"members"`
}

type tmEveryoneInfo struct {
	ID               string `json:"id"`
	Type             string `json:"type"`
	Name             string `json:"name"`
	Description      string `json:"description,omitempty"`
	CreationTime     string `json:"creationTime"`
	LastModifiedTime string `json:"lastModifiedTime"`
}

type tmPostInfo struct {
	ID               string         `json:"id"`
	GroupID          string         `json:"groupId"`
	Type             string         `json:"type"`
	Text             string         `json:"text"`
	CreatorID        string         `json:"creatorId"`
	CreationTime     string         `json:"creationTime"`
	LastModifiedTime string         `json:"lastModifiedTime"`
	Attachments      []tmAttachment `json:"attachments"`
	Mentions         []tm.Mention   `json:"mentions"`
	AddedPersonIDs   []string       `json:"addedPersonIds,omitempty"`
	IsParent         bool           `json:"isParent,omitempty"`
	ParentPostID     string         `json:"parentPostId,omitempty"`
	ThreadID         string         `json:"threadId,omitempty"`
}

type tmPersonInfo struct {
	ID               string `json:"id"`
	FirstName        string `json:"firstName,omitempty"`
	LastName         string `json:"lastName,omitempty"`
	Email            string `json:"email,omitempty"`
	CompanyID        string `json:"companyId"`
	CreationTime     string `json:"creationTime"`
	LastModifiedTime string `json:"lastModifiedTime"`
}

type tmCompanyInfo struct {
	ID               string `json:"id"`
	Name             string `json:"name,omitempty"`
	CreationTime     string `json:"creationTime"`
	LastModifiedTime string `json:"lastModifiedTime"`
}

type tmNavigation struct {
	PrevPageToken string `json:"prevPageToken,omitempty"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}

type tmList[T any] struct {
	Records    []T           `json:"records"`
	Navigation *tmNavigation `json:"navigation,omitempty"`
}

func members(ids []int64) []tmMember {
	out := make([]tmMember, len(ids))
	for i, m := range ids {
		out[i] = tmMember{ID: id(m)}
	}
	return out
}

func newChatInfo(c tm.Chat) tmChatInfo {
	out := tmChatInfo{ID: c.ID, Type: c.Type, CreationTime: rc.FormatTime(c.Created), LastModifiedTime: rc.FormatTime(c.Modified),
		Members: members(c.Members)}
	switch c.Type {
	case tm.Team:
		pub := c.Public
		out.Public, out.Name, out.Description, out.Status = &pub, c.Name, c.Description, c.Status
	case tm.Everyone:
		out.Name, out.Description = c.Name, c.Description
	}
	return out
}

func newTeamInfo(c tm.Chat) tmTeamInfo {
	return tmTeamInfo{ID: c.ID, Type: tm.Team, Public: c.Public, Name: c.Name, Description: c.Description, Status: c.Status,
		CreationTime: rc.FormatTime(c.Created), LastModifiedTime: rc.FormatTime(c.Modified)}
}

func newConversationInfo(c tm.Chat) tmConversationInfo {
	return tmConversationInfo{ID: c.ID, Type: c.Type, CreationTime: rc.FormatTime(c.Created),
		LastModifiedTime: rc.FormatTime(c.Modified), Members: members(c.Members)}
}

func newEveryoneInfo(c tm.Chat) tmEveryoneInfo {
	return tmEveryoneInfo{ID: c.ID, Type: tm.Everyone, Name: c.Name, Description: c.Description,
		CreationTime: rc.FormatTime(c.Created), LastModifiedTime: rc.FormatTime(c.Modified)}
}

// tmAttachment is an attachment as posts show it: a file with its name and where to download it.
type tmAttachment struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name,omitempty"`
	ContentURI string `json:"contentUri,omitempty"`
}

func fileURI(r *restapi.Request, fileID string) string { return r.URI(tmFiles + "/" + fileID) }

func newPostInfo(r *restapi.Request, p tm.Post) tmPostInfo {
	out := tmPostInfo{ID: p.ID, GroupID: p.ChatID, Type: p.Type, Text: p.Text, CreatorID: id(p.CreatorID),
		CreationTime: rc.FormatTime(p.Created), LastModifiedTime: rc.FormatTime(p.Modified),
		Attachments: make([]tmAttachment, len(p.Attachments)), Mentions: p.Mentions, AddedPersonIDs: p.AddedPersonIDs,
		IsParent: p.IsParent, ParentPostID: p.ParentPostID, ThreadID: p.ThreadID}
	for i, a := range p.Attachments {
		out.Attachments[i] = tmAttachment{ID: a.ID, Type: a.Type, Name: a.Name}
		if a.Type == "File" {
			out.Attachments[i].ContentURI = fileURI(r, a.ID)
		}
	}
	if out.Mentions == nil {
		out.Mentions = []tm.Mention{}
	}
	return out
}

func newPersonInfo(e rc.Extension) tmPersonInfo {
	t := rc.FormatTime(e.CreationTime)
	return tmPersonInfo{ID: id(e.ID), FirstName: e.Contact.FirstName, LastName: e.Contact.LastName, Email: e.Contact.Email,
		CompanyID: id(e.AccountID), CreationTime: t, LastModifiedTime: t}
}

func pageOf[T, R any](p tm.Page[T], conv func(T) R) tmList[R] {
	out := tmList[R]{Records: make([]R, len(p.Records)), Navigation: &tmNavigation{PrevPageToken: p.Prev, NextPageToken: p.Next}}
	for i, r := range p.Records {
		out.Records[i] = conv(r)
	}
	return out
}

func listOf[T, R any](records []T, conv func(T) R) tmList[R] {
	out := tmList[R]{Records: make([]R, len(records))}
	for i, r := range records {
		out.Records[i] = conv(r)
	}
	return out
}

func pageRequest(r *restapi.Request) (tm.PageRequest, error) {
	n, err := r.Query.Int("recordCount", 0, 1, tm.MaxRecordCount)
	return tm.PageRequest{RecordCount: n, Token: r.Query.Get("pageToken")}, err
}

func (h *Handlers) listChats(w http.ResponseWriter, r *restapi.Request) error {
	types, err := r.Query.Enum("type", tm.ChatTypes)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := h.TeamMessaging.ListChats(r.Context(), r.Principal, types, pr)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, pageOf(p, newChatInfo))
}

func (h *Handlers) readChat(w http.ResponseWriter, r *restapi.Request) error {
	c, err := h.TeamMessaging.Chat(r.Context(), r.Principal, r.Param("chatId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newChatInfo(c))
}

func (h *Handlers) listRecentChats(w http.ResponseWriter, r *restapi.Request) error {
	types, err := r.Query.Enum("type", tm.ChatTypes)
	if err != nil {
		return err
	}
	n, err := r.Query.Int("recordCount", tm.DefaultRecordCount, 1, tm.MaxRecordCount)
	if err != nil {
		return err
	}
	chats, err := h.TeamMessaging.RecentChats(r.Context(), r.Principal, types, n)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, listOf(chats, newChatInfo))
}

func (h *Handlers) listFavoriteChats(w http.ResponseWriter, r *restapi.Request) error {
	n, err := r.Query.Int("recordCount", tm.DefaultRecordCount, 1, tm.MaxRecordCount)
	if err != nil {
		return err
	}
	chats, err := h.TeamMessaging.Favorites(r.Context(), r.Principal, n)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, listOf(chats, newChatInfo))
}

func (h *Handlers) favoriteChat(on bool) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		if err := h.TeamMessaging.Favorite(r.Context(), r.Principal, r.Param("chatId"), on); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
}

func (h *Handlers) readEveryone(w http.ResponseWriter, r *restapi.Request) error {
	c, err := h.TeamMessaging.Everyone(r.Context(), r.Principal)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newEveryoneInfo(c))
}

func (h *Handlers) updateEveryone(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.TeamChange
	if _, err := r.DecodeOptionalJSON(&ch); err != nil {
		return err
	}
	c, err := h.TeamMessaging.UpdateEveryone(r.Context(), r.Principal, ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newEveryoneInfo(c))
}

func (h *Handlers) listTeams(w http.ResponseWriter, r *restapi.Request) error {
	pr, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := h.TeamMessaging.ListTeams(r.Context(), r.Principal, pr)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, pageOf(p, newTeamInfo))
}

func (h *Handlers) createTeam(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.TeamChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	c, err := h.TeamMessaging.CreateTeam(r.Context(), r.Principal, ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, newTeamInfo(c))
}

func (h *Handlers) readTeam(w http.ResponseWriter, r *restapi.Request) error {
	c, err := h.TeamMessaging.Team(r.Context(), r.Principal, r.Param("chatId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newTeamInfo(c))
}

func (h *Handlers) updateTeam(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.TeamChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	c, err := h.TeamMessaging.UpdateTeam(r.Context(), r.Principal, r.Param("chatId"), ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newTeamInfo(c))
}

func (h *Handlers) deleteTeam(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.TeamMessaging.DeleteTeam(r.Context(), r.Principal, r.Param("chatId")); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

type teamOp func(ctx context.Context, caller *rc.Principal, id string) error

func (h *Handlers) teamAction(op teamOp) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		if err := op(r.Context(), r.Principal, r.Param("chatId")); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
}

func (h *Handlers) archiveTeam(archived bool) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		if err := h.TeamMessaging.SetArchived(r.Context(), r.Principal, r.Param("chatId"), archived); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
}

type membersBody struct {
	Members []tm.MemberRef `json:"members"`
}

func (h *Handlers) teamMembers(op func(ctx context.Context, caller *rc.Principal, id string, refs []tm.MemberRef) error) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		var b membersBody
		if err := r.DecodeJSON(&b); err != nil {
			return err
		}
		if err := op(r.Context(), r.Principal, r.Param("chatId"), b.Members); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
}

func (h *Handlers) listConversations(w http.ResponseWriter, r *restapi.Request) error {
	pr, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := h.TeamMessaging.ListConversations(r.Context(), r.Principal, pr)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, pageOf(p, newConversationInfo))
}

func (h *Handlers) createConversation(w http.ResponseWriter, r *restapi.Request) error {
	var b membersBody
	if err := r.DecodeJSON(&b); err != nil {
		return err
	}
	c, created, err := h.TeamMessaging.OpenConversation(r.Context(), r.Principal, b.Members)
	if err != nil {
		return err
	}
	status := 200
	if created {
		status = 201
	}
	return restapi.JSON(w, status, newConversationInfo(c))
}

func (h *Handlers) readConversation(w http.ResponseWriter, r *restapi.Request) error {
	c, err := h.TeamMessaging.Conversation(r.Context(), r.Principal, r.Param("chatId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newConversationInfo(c))
}

func (h *Handlers) listPosts(w http.ResponseWriter, r *restapi.Request) error {
	return h.listPostsOf(w, r, "")
}

func (h *Handlers) listThreadPosts(w http.ResponseWriter, r *restapi.Request) error {
	return h.listPostsOf(w, r, r.Param("threadId"))
}

func (h *Handlers) listPostsOf(w http.ResponseWriter, r *restapi.Request, threadID string) error {
	pr, err := pageRequest(r)
	if err != nil {
		return err
	}
	p, err := h.TeamMessaging.ListPosts(r.Context(), r.Principal, r.Param("chatId"), threadID, pr)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, pageOf(p, func(p tm.Post) tmPostInfo { return newPostInfo(r, p) }))
}

func (h *Handlers) createPost(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.PostChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	p, err := h.TeamMessaging.CreatePost(r.Context(), r.Principal, r.Param("chatId"), ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, newPostInfo(r, p))
}

func (h *Handlers) readPost(w http.ResponseWriter, r *restapi.Request) error {
	p, err := h.TeamMessaging.Post(r.Context(), r.Principal, r.Param("chatId"), r.Param("postId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newPostInfo(r, p))
}

func (h *Handlers) updatePost(w http.ResponseWriter, r *restapi.Request) error {
	var ch tm.PostChange
	if err := r.DecodeJSON(&ch); err != nil {
		return err
	}
	p, err := h.TeamMessaging.UpdatePost(r.Context(), r.Principal, r.Param("chatId"), r.Param("postId"), ch)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newPostInfo(r, p))
}

func (h *Handlers) deletePost(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.TeamMessaging.DeletePost(r.Context(), r.Principal, r.Param("chatId"), r.Param("postId")); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

// readPersons answers one person, or, for comma-separated ids, a 207 with a part for each.
func (h *Handlers) readPersons(w http.ResponseWriter, r *restapi.Request) error {
	raw := r.Param("personId")
	if !strings.Contains(raw, ",") {
		e, err := h.TeamMessaging.Person(r.Context(), r.Principal, raw)
		if err != nil {
			return err
		}
		return restapi.JSON(w, 200, newPersonInfo(e))
	}
	ids := strings.Split(raw, ",")
	if len(ids) > tm.MaxBulkPersons {
		return rc.Invalid("personId")
	}
	parts := make([]restapi.Part, len(ids))
	for i, pid := range ids {
		parts[i] = restapi.Part{ID: pid, Href: r.URI(tmv1 + "/persons/" + pid), Status: 200}
		if e, err := h.TeamMessaging.Person(r.Context(), r.Principal, pid); err != nil {
			parts[i].Err = err
		} else {
			parts[i].Body = newPersonInfo(e)
		}
	}
	return restapi.MultiStatus(w, r, parts)
}

func (h *Handlers) readCompany(w http.ResponseWriter, r *restapi.Request) error {
	a, err := h.TeamMessaging.Company(r.Context(), r.Principal, r.Param("companyId"))
	if err != nil {
		return err
	}
	t := rc.FormatTime(a.CreationTime)
	return restapi.JSON(w, 200, tmCompanyInfo{ID: id(a.ID), Name: a.CompanyName, CreationTime: t, LastModifiedTime: t})
}
