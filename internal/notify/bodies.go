package notify

import (
	"strconv"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// messageStoreBody is the message event's body (event-filters/message.md).
type messageStoreBody struct {
	AccountID   int64              `json:"accountId"`
	ExtensionID int64              `json:"extensionId"`
	LastUpdated string             `json:"lastUpdated"`
	Changes     []rc.MessageChange `json:"changes"`
}

type instantParty struct {
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	ExtensionID     string `json:"extensionId,omitempty"`
	Name            string `json:"name,omitempty"`
	Location        string `json:"location,omitempty"`
}

type instantAttachment struct {
	ID          string `json:"id"`
	URI         string `json:"uri"`
	Type        string `json:"type"`
	ContentType string `json:"contentType"`
	FileName    string `json:"fileName,omitempty"`
	Size        int    `json:"size,omitempty"`
	VMDuration  int    `json:"vmDuration,omitempty"`
}

type instantConversation struct {
	ID  string `json:"id"`
	URI string `json:"uri,omitempty"`
}

// instantBody is the instant message event's body: the record of the new message.
type instantBody struct {
	ID               string               `json:"id"`
	To               []instantParty       `json:"to"`
	From             instantParty         `json:"from"`
	Type             string               `json:"type"`
	CreationTime     string               `json:"creationTime"`
	LastModifiedTime string               `json:"lastModifiedTime"`
	ReadStatus       string               `json:"readStatus"`
	Priority         string               `json:"priority"`
	Attachments      []instantAttachment  `json:"attachments"`
	Direction        string               `json:"direction"`
	Availability     string               `json:"availability"`
	Subject          string               `json:"subject,omitempty"`
	MessageStatus    string               `json:"messageStatus"`
	ConversationID   string               `json:"conversationId,omitempty"`
	Conversation     *instantConversation `json:"conversation,omitempty"`
	OwnerID          string               `json:"ownerId"`
	FaxPageCount     int                  `json:"faxPageCount,omitempty"`
	VMTranscription  string               `json:"vmTranscriptionStatus,omitempty"`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func instantFrom(base string, m *rc.Message) instantBody {
	p := func(x rc.Party) instantParty {
		ip := instantParty{PhoneNumber: x.PhoneNumber, ExtensionNumber: x.ExtensionNumber, Name: x.Name, Location: x.Location}
		if x.ExtensionID != 0 {
			ip.ExtensionID = itoa(x.ExtensionID)
		}
		return ip
	}
	uri := base + "/restapi/v1.0/account/" + itoa(m.AccountID) + "/extension/" + itoa(m.ExtensionID) + "/message-store/" + itoa(m.ID)
	b := instantBody{ID: itoa(m.ID), From: p(m.From), Type: m.Type, CreationTime: rc.FormatTime(m.CreationTime),
		LastModifiedTime: rc.FormatTime(m.LastModifiedTime), ReadStatus: m.ReadStatus, Priority: m.Priority,
		Direction: m.Direction, Availability: m.Availability, Subject: m.Subject, MessageStatus: m.MessageStatus,
		OwnerID: itoa(m.ExtensionID), FaxPageCount: m.FaxPageCount, VMTranscription: m.VMTranscription,
		To: []instantParty{}, Attachments: []instantAttachment{}}
	for _, t := range m.To {
		b.To = append(b.To, p(t))
	}
	for _, a := range m.Attachments {
		b.Attachments = append(b.Attachments, instantAttachment{ID: itoa(a.ID), URI: uri + "/content/" + itoa(a.ID),
			Type: a.Type, ContentType: a.ContentType, FileName: a.FileName, Size: a.Size, VMDuration: a.VMDuration})
	}
	if m.ConversationID != 0 {
		b.ConversationID = itoa(m.ConversationID)
		b.Conversation = &instantConversation{ID: itoa(m.ConversationID), URI: base + "/restapi/v1.0/conversation/" + itoa(m.ConversationID)}
	}
	return b
}

// presenceBody is the presence event's body (event-filters/extension-presence.md).
type presenceBody struct {
	ExtensionID         string `json:"extensionId"`
	TelephonyStatus     string `json:"telephonyStatus,omitempty"`
	PresenceStatus      string `json:"presenceStatus"`
	UserStatus          string `json:"userStatus"`
	DndStatus           string `json:"dndStatus"`
	MeetingStatus       string `json:"meetingStatus"`
	AllowSeeMyPresence  bool   `json:"allowSeeMyPresence"`
	RingOnMonitoredCall bool   `json:"ringOnMonitoredCall"`
	PickUpCallsOnHold   bool   `json:"pickUpCallsOnHold"`
	Sequence            int64  `json:"sequence"`
	ActiveCalls         *[]any `json:"activeCalls,omitempty"` // with detailedTelephonyState only, then even when empty
	TotalActiveCalls    *int   `json:"totalActiveCalls,omitempty"`
}

// PresenceStatus is the aggregate the platform computes from the user status.
func PresenceStatus(p rc.Presence) string {
	switch p.UserStatus {
	case "Offline":
		return "Offline"
	case "Busy":
		return "Busy"
	}
	return "Available"
}

func presenceFrom(p rc.Presence, detailed bool) presenceBody {
	b := presenceBody{ExtensionID: itoa(p.ExtensionID), PresenceStatus: PresenceStatus(p), UserStatus: p.UserStatus,
		DndStatus: p.DndStatus, MeetingStatus: "Disconnected", AllowSeeMyPresence: p.AllowSeeMyPresence,
		RingOnMonitoredCall: p.RingOnMonitoredCall, PickUpCallsOnHold: p.PickUpCallsOnHold, Sequence: p.Sequence}
	if detailed {
		b.TelephonyStatus = "NoCall"
		zero, none := 0, []any{}
		b.ActiveCalls, b.TotalActiveCalls = &none, &zero
	}
	return b
}

// extensionBody is the extension info and list events' body.
type extensionBody struct {
	AccountID   string   `json:"accountId,omitempty"`
	ExtensionID string   `json:"extensionId"`
	EventType   string   `json:"eventType"` // Create, Update, Delete
	Hints       []string `json:"hints,omitempty"`
}

// reminderBody is a renewal reminder's body. The platform does not document it; rcemu says
// which subscription expires when.
type reminderBody struct {
	SubscriptionID string `json:"subscriptionId"`
	ExpirationTime string `json:"expirationTime"`
	ExpiresIn      int64  `json:"expiresIn"`
}

// match says whether filter f wants event e, and with which body.
func match(f Filter, e rc.Event, base string) (any, bool) {
	switch e.Kind {
	case "message-store":
		if f.Kind != KindMessageStore || f.AccountID != e.AccountID || f.ExtensionID != e.ExtensionID {
			return nil, false
		}
		changes := map[string]*rc.MessageChange{}
		var order []string
		for _, r := range e.Refs {
			if !contains(f.Types, r.Type) || !contains(f.Directions, r.Direction) {
				continue
			}
			c := changes[r.Type]
			if c == nil {
				c = &rc.MessageChange{Type: r.Type}
				changes[r.Type] = c
				order = append(order, r.Type)
			}
			if r.New {
				c.NewCount++
				c.NewMessageIDs = append(c.NewMessageIDs, r.ID)
			} else {
				c.UpdatedCount++
			}
		}
		if len(order) == 0 {
			return nil, false
		}
		b := messageStoreBody{AccountID: e.AccountID, ExtensionID: e.ExtensionID, LastUpdated: rc.FormatTime(e.Time)}
		for _, t := range order {
			b.Changes = append(b.Changes, *changes[t])
		}
		return b, true
	case "instant-message":
		m := e.Message
		if m == nil || f.AccountID != e.AccountID || f.ExtensionID != e.ExtensionID || m.Direction != "Inbound" {
			return nil, false
		}
		switch f.Kind {
		case KindInstant:
			if !contains(f.Types, m.Type) || m.Type == "Fax" || m.Type == "VoiceMail" {
				return nil, false
			}
		case KindVoicemail:
			if m.Type != "VoiceMail" {
				return nil, false
			}
		case KindFax:
			if m.Type != "Fax" || !contains(f.Directions, m.Direction) {
				return nil, false
			}
		default:
			return nil, false
		}
		return instantFrom(base, m), true
	case "presence":
		if e.Presence == nil || f.AccountID != e.AccountID {
			return nil, false
		}
		if f.Kind == KindPresence && f.ExtensionID == e.ExtensionID {
			return presenceFrom(*e.Presence, f.Detailed), true
		}
		if f.Kind == KindAccountPresence {
			return presenceFrom(*e.Presence, false), true
		}
	case "subscription-reminder":
		sub := e.Subscription
		if f.Kind != KindReminder || sub == nil || f.AccountID != e.AccountID || f.ExtensionID != e.ExtensionID {
			return nil, false
		}
		return reminderBody{SubscriptionID: sub.ID, ExpirationTime: rc.FormatTime(sub.Expiration),
			ExpiresIn: int64(sub.Expiration.Sub(e.Time) / time.Second)}, true
	case "extension":
		if f.AccountID != e.AccountID {
			return nil, false
		}
		if (f.Kind == KindExtension && f.ExtensionID == e.ExtensionID) || f.Kind == KindExtensionList {
			return extensionBody{AccountID: itoa(e.AccountID), ExtensionID: itoa(e.ExtensionID), EventType: "Update"}, true
		}
	}
	return nil, false
}
