package rc

import (
	"hash/fnv"
	"slices"
	"time"
)

// Message types, directions, statuses and availabilities (the spec's enums).
var (
	MessageTypes          = []string{"Fax", "SMS", "VoiceMail", "Pager", "Text"}
	MessageDirections     = []string{"Inbound", "Outbound"}
	MessageAvailabilities = []string{"Alive", "Deleted", "Purged"}
	MessageReadStatuses   = []string{"Read", "Unread"}
	MessageStatuses       = []string{"Queued", "Sent", "Delivered", "DeliveryFailed", "SendingFailed", "Received"}
)

// Party is a sender or recipient of a message.
type Party struct {
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	ExtensionID     int64  `json:"extensionId,omitempty"`
	Name            string `json:"name,omitempty"`
	Location        string `json:"location,omitempty"`
	// MessageStatus is the per-recipient status of an outbound message.
	MessageStatus string `json:"messageStatus,omitempty"`
	FaxErrorCode  string `json:"faxErrorCode,omitempty"`
}

// Attachment describes a stored attachment; its bytes live apart from the message.
type Attachment struct {
	ID          int64  `json:"id"`
	Type        string `json:"type"` // Text, MmsAttachment, RenderedDocument, AudioRecording...
	ContentType string `json:"contentType"`
	FileName    string `json:"fileName,omitempty"`
	Size        int    `json:"size"`
	VMDuration  int    `json:"vmDuration,omitempty"`
	// Content is the attachment's bytes when a message is created; the store keeps them apart.
	Content []byte `json:"-"`
}

// Message is one record of an extension's message store. A message between two hosted
// extensions exists twice: once in each store, sharing a conversation id.
type Message struct {
	ID               int64        `json:"id"`
	AccountID        int64        `json:"accountId"`
	ExtensionID      int64        `json:"extensionId"`
	Type             string       `json:"type"`
	Direction        string       `json:"direction"`
	Availability     string       `json:"availability"`
	ReadStatus       string       `json:"readStatus"`
	MessageStatus    string       `json:"messageStatus"`
	Priority         string       `json:"priority"`
	From             Party        `json:"from"`
	To               []Party      `json:"to"`
	Subject          string       `json:"subject,omitempty"`
	ConversationID   int64        `json:"conversationId,omitempty"`
	CreationTime     time.Time    `json:"creationTime"`
	LastModifiedTime time.Time    `json:"lastModifiedTime"`
	Attachments      []Attachment `json:"attachments"`

	DeliveryErrorCode string     `json:"deliveryErrorCode,omitempty"`
	SMSDeliveryTime   *time.Time `json:"smsDeliveryTime,omitempty"`
	SMSAttempts       int        `json:"smsSendingAttemptsCount,omitempty"`
	SegmentCount      int        `json:"segmentCount,omitempty"`
	PgToDepartment    bool       `json:"pgToDepartment,omitempty"`
	FaxResolution     string     `json:"faxResolution,omitempty"`
	FaxPageCount      int        `json:"faxPageCount,omitempty"`
	CoverIndex        int        `json:"coverIndex,omitempty"`
	CoverPageText     string     `json:"coverPageText,omitempty"`
	VMTranscription   string     `json:"vmTranscriptionStatus,omitempty"`

	// External marks an outbound message to a number rcemu does not host: the outbox.
	External bool `json:"external,omitempty"`
	// Pending is the status change the clock has yet to bring, if any.
	Pending *StatusChange `json:"pending,omitempty"`
	// Seq orders changes for message-sync; the store assigns it on every write.
	Seq int64 `json:"-"`
}

// StatusChange is a scheduled change of an outbound message's status.
type StatusChange struct {
	At        time.Time `json:"at"`
	Status    string    `json:"status"`
	ErrorCode string    `json:"errorCode,omitempty"`
	// Then is the change that follows this one (Sent, then Delivered).
	Then *StatusChange `json:"then,omitempty"`
}

// MessageChange is one entry of a message-store event's `changes`.
type MessageChange struct {
	Type          string  `json:"type"`
	NewCount      int     `json:"newCount"`
	UpdatedCount  int     `json:"updatedCount"`
	NewMessageIDs []int64 `json:"newMessageIds,omitempty"`
}

// Event is a domain event for the notifications layer to deliver. Kind names the event family
// ("message-store", "instant-message"); the fields say whose store changed and how.
type Event struct {
	Kind        string          `json:"kind"`
	AccountID   int64           `json:"accountId"`
	ExtensionID int64           `json:"extensionId"`
	Time        time.Time       `json:"time"`
	Changes     []MessageChange `json:"changes,omitempty"`
	// Message is the record an instant-message event carries.
	Message *Message `json:"message,omitempty"`
	// Refs lists the messages a message-store event is about, so that a filter on type or
	// direction can count only its own.
	Refs []MessageRef `json:"refs,omitempty"`
	// Presence is the new state a presence event carries.
	Presence *Presence `json:"presence,omitempty"`
	// Subscription is the subscription a renewal reminder is about.
	Subscription *Subscription `json:"subscription,omitempty"`
	// Extension is the changed extension of an extension event.
	Extension *Extension `json:"extension,omitempty"`
	// Call is the session a telephony-session event is about, as it stands after the change;
	// Changed lists the ids of the parties whose state changed.
	Call    *CallSession `json:"call,omitempty"`
	Changed []string     `json:"changed,omitempty"`
	// Telephony is the telephony state a presence event carries, when calls changed it (or when
	// the publisher knows it).
	Telephony *Telephony `json:"telephony,omitempty"`
	// Body is the notification body a team-messaging event carries, built by its service.
	Body any `json:"body,omitempty"`
	// Audience, when set, lists the only extensions whose subscriptions may receive the event
	// (the members of a chat); nil leaves it to the filters.
	Audience map[int64]bool `json:"-"`
}

// MessageRef is one message a message-store event counts.
type MessageRef struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Direction string `json:"direction"`
	New       bool   `json:"new"`
}

// ConversationID derives the id both sides of a conversation share from its participants
// (phone numbers, or extension ids for pager messages), whatever their order.
func ConversationID(participants ...string) int64 {
	ps := slices.Clone(participants)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	h := fnv.New64a()
	for _, p := range ps {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int64(h.Sum64() & (1<<62 - 1))
}
