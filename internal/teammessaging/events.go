package teammessaging

import (
	"github.com/rcemu/rcemu/internal/rc"
)

// Event kinds on the bus: post changes (filter /team-messaging/v1/posts) and chat changes
// (/team-messaging/v1/groups and /team-messaging/v1/chats).
const (
	PostEventKind = "team-messaging-post"
	ChatEventKind = "team-messaging-chat"
)

// Post and chat event types.
const (
	PostAdded    = "PostAdded"
	PostChanged  = "PostChanged"
	PostRemoved  = "PostRemoved"
	GroupJoined  = "GroupJoined"
	GroupLeft    = "GroupLeft"
	GroupRenamed = "GroupRenamed"
	GroupChanged = "GroupChanged"
)

// PostEvent is the body of a post notification. The platform sends the attributes a post does
// not have as null, and PostRemoved with its ids only.
type PostEvent struct {
	EventType        string       `json:"eventType"`
	ID               string       `json:"id"`
	GroupID          string       `json:"groupId"`
	Type             string       `json:"type,omitempty"`
	Text             *string      `json:"text,omitempty"`
	CreatorID        string       `json:"creatorId,omitempty"`
	CreationTime     string       `json:"creationTime,omitempty"`
	LastModifiedTime string       `json:"lastModifiedTime,omitempty"`
	AddedPersonIDs   *[]string    `json:"addedPersonIds,omitempty"`
	Attachments      []Attachment `json:"attachments,omitempty"`
	Mentions         *[]Mention   `json:"mentions,omitempty"`
	ParentPostID     string       `json:"parentPostId,omitempty"`
	ThreadID         string       `json:"threadId,omitempty"`
}

// ChatEvent is the body of a chat notification; GroupLeft carries the id only.
type ChatEvent struct {
	EventType        string   `json:"eventType"`
	ID               string   `json:"id"`
	Type             string   `json:"type,omitempty"`
	Name             string   `json:"name,omitempty"`
	Description      string   `json:"description,omitempty"`
	IsPublic         *bool    `json:"isPublic,omitempty"`
	Status           string   `json:"status,omitempty"`
	CreationTime     string   `json:"creationTime,omitempty"`
	LastModifiedTime string   `json:"lastModifiedTime,omitempty"`
	Members          []string `json:"members,omitempty"`
}

func postEvent(eventType string, p Post) PostEvent {
	if eventType == PostRemoved {
		return PostEvent{EventType: eventType, ID: p.ID, GroupID: p.ChatID}
	}
	text := p.Text
	ev := PostEvent{EventType: eventType, ID: p.ID, GroupID: p.ChatID, Type: p.Type, Text: &text,
		CreatorID: itoa(p.CreatorID), CreationTime: rc.FormatTime(p.Created), LastModifiedTime: rc.FormatTime(p.Modified),
		Attachments: p.Attachments, ParentPostID: p.ParentPostID, ThreadID: p.ThreadID}
	if ev.Attachments == nil {
		ev.Attachments = []Attachment{}
	}
	if len(p.Mentions) > 0 {
		ev.Mentions = &p.Mentions
	}
	if len(p.AddedPersonIDs) > 0 {
		ev.AddedPersonIDs = &p.AddedPersonIDs
	}
	return ev
}

// eventChatType is a chat's type as chat notifications name it.
func eventChatType(t string) string {
	switch t {
	case Direct:
		return "PrivateChat"
	case Personal:
		return "PersonalChat"
	}
	return t
}

func chatEvent(eventType string, c Chat) ChatEvent {
	if eventType == GroupLeft {
		return ChatEvent{EventType: eventType, ID: c.ID}
	}
	ev := ChatEvent{EventType: eventType, ID: c.ID, Type: eventChatType(c.Type), Name: c.Name, Description: c.Description,
		Status: c.Status, CreationTime: rc.FormatTime(c.Created), LastModifiedTime: rc.FormatTime(c.Modified),
		Members: make([]string, len(c.Members))}
	if c.Type == Team {
		pub := c.Public
		ev.IsPublic = &pub
	}
	for i, m := range c.Members {
		ev.Members[i] = itoa(m)
	}
	return ev
}

// publish hands an event to the bus for the given members only.
func (s *Service) publish(kind string, accountID int64, body any, audience []int64) {
	if s.bus == nil || len(audience) == 0 {
		return
	}
	to := make(map[int64]bool, len(audience))
	for _, id := range audience {
		to[id] = true
	}
	s.bus.Publish(rc.Event{Kind: kind, AccountID: accountID, Time: s.clock.Now(), Body: body, Audience: to})
}

func (s *Service) publishPost(eventType string, c Chat, p Post) {
	s.publish(PostEventKind, c.AccountID, postEvent(eventType, p), c.Members)
}

func (s *Service) publishChat(eventType string, c Chat, audience []int64) {
	s.publish(ChatEventKind, c.AccountID, chatEvent(eventType, c), audience)
}
