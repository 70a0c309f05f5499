package notify

import (
	"strconv"
	"strings"
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
	ExtensionID         string        `json:"extensionId"`
	TelephonyStatus     string        `json:"telephonyStatus,omitempty"`
	PresenceStatus      string        `json:"presenceStatus"`
	UserStatus          string        `json:"userStatus"`
	DndStatus           string        `json:"dndStatus"`
	MeetingStatus       string        `json:"meetingStatus"`
	AllowSeeMyPresence  bool          `json:"allowSeeMyPresence"`
	RingOnMonitoredCall bool          `json:"ringOnMonitoredCall"`
	PickUpCallsOnHold   bool          `json:"pickUpCallsOnHold"`
	Sequence            int64         `json:"sequence"`
	ActiveCalls         *[]ActiveCall `json:"activeCalls,omitempty"` // with detailedTelephonyState only, then even when empty
	TotalActiveCalls    *int          `json:"totalActiveCalls,omitempty"`
}

// SIPData is an active call's SIP dialog, reported with sipData=true.
type SIPData struct {
	ToTag     string `json:"toTag"`
	FromTag   string `json:"fromTag"`
	RemoteURI string `json:"remoteUri"`
	LocalURI  string `json:"localUri"`
}

// ActiveCall is a call in progress as presence bodies (REST and notifications) carry it.
type ActiveCall struct {
	ID                 string   `json:"id"`
	Direction          string   `json:"direction"`
	From               string   `json:"from,omitempty"`
	FromName           string   `json:"fromName,omitempty"`
	To                 string   `json:"to,omitempty"`
	ToName             string   `json:"toName,omitempty"`
	StartTime          string   `json:"startTime"`
	TelephonyStatus    string   `json:"telephonyStatus"`
	SIPData            *SIPData `json:"sipData,omitempty"`
	SessionID          string   `json:"sessionId"`
	TelephonySessionID string   `json:"telephonySessionId"`
	PartyID            string   `json:"partyId"`
}

// ActiveCalls renders an extension's calls in progress.
func ActiveCalls(tel *rc.Telephony, sip bool) []ActiveCall {
	out := []ActiveCall{}
	if tel == nil {
		return out
	}
	for _, c := range tel.Calls {
		a := ActiveCall{ID: c.ID, Direction: c.Direction, From: c.From, FromName: c.FromName, To: c.To, ToName: c.ToName,
			StartTime: rc.FormatTime(c.StartTime), TelephonyStatus: c.TelephonyStatus, SessionID: c.SessionID,
			TelephonySessionID: c.TelephonySessionID, PartyID: c.PartyID}
		if sip {
			local, remote := c.To, c.From
			if c.Direction == "Outbound" {
				local, remote = c.From, c.To
			}
			a.SIPData = &SIPData{ToTag: "to-" + c.PartyID, FromTag: "from-" + c.PartyID,
				RemoteURI: "sip:" + remote + "@rcemu.local", LocalURI: "sip:" + local + "@rcemu.local"}
		}
		out = append(out, a)
	}
	return out
}

// TelephonyStatus is an extension's telephony status, NoCall when nothing is known.
func TelephonyStatus(tel *rc.Telephony) string {
	if tel == nil || tel.Status == "" {
		return "NoCall"
	}
	return tel.Status
}

// PresenceWithCalls is the aggregate presence status: a user on a call is Busy.
func PresenceWithCalls(p rc.Presence, tel *rc.Telephony) string {
	st := PresenceStatus(p)
	if st == "Available" && TelephonyStatus(tel) != "NoCall" {
		return "Busy"
	}
	return st
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

func presenceFrom(p rc.Presence, tel *rc.Telephony, detailed, sip bool) presenceBody {
	b := presenceBody{ExtensionID: itoa(p.ExtensionID), PresenceStatus: PresenceWithCalls(p, tel), UserStatus: p.UserStatus,
		DndStatus: p.DndStatus, MeetingStatus: "Disconnected", AllowSeeMyPresence: p.AllowSeeMyPresence,
		RingOnMonitoredCall: p.RingOnMonitoredCall, PickUpCallsOnHold: p.PickUpCallsOnHold, Sequence: p.Sequence}
	if detailed {
		b.TelephonyStatus = TelephonyStatus(tel)
		calls := ActiveCalls(tel, sip)
		n := len(calls)
		b.ActiveCalls, b.TotalActiveCalls = &calls, &n
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

type telephonyEndpoint struct {
	PhoneNumber string `json:"phoneNumber,omitempty"`
	Name        string `json:"name,omitempty"`
	ExtensionID string `json:"extensionId,omitempty"`
	DeviceID    string `json:"deviceId,omitempty"`
}

type telephonyPeer struct {
	PartyID string `json:"partyId,omitempty"`
}

type telephonyStatus struct {
	Code     string         `json:"code"`
	Reason   string         `json:"reason,omitempty"`
	ParkData string         `json:"parkData,omitempty"`
	PeerID   *telephonyPeer `json:"peerId,omitempty"`
	Rcc      bool           `json:"rcc"`
}

type telephonyRecording struct {
	ID     string `json:"id"`
	Active bool   `json:"active"`
}

type telephonyPark struct {
	ID string `json:"id,omitempty"`
}

type telephonyParty struct {
	AccountID      string               `json:"accountId,omitempty"`
	ExtensionID    string               `json:"extensionId,omitempty"`
	ID             string               `json:"id"`
	Direction      string               `json:"direction"`
	To             telephonyEndpoint    `json:"to"`
	From           telephonyEndpoint    `json:"from"`
	Recordings     []telephonyRecording `json:"recordings,omitempty"`
	Status         telephonyStatus      `json:"status"`
	Park           *telephonyPark       `json:"park,omitempty"`
	MissedCall     bool                 `json:"missedCall"`
	StandAlone     bool                 `json:"standAlone"`
	Muted          bool                 `json:"muted"`
	ConferenceRole string               `json:"conferenceRole,omitempty"`
	SIPData        *telephonySIP        `json:"sipData,omitempty"`
}

type telephonySIP struct {
	ToTag   string `json:"toTag"`
	FromTag string `json:"fromTag"`
	CallID  string `json:"callId"`
}

type telephonyOrigin struct {
	Type string `json:"type"`
}

// telephonyBody is the telephony sessions event's body (TelephonySessionsEventBody).
type telephonyBody struct {
	Sequence           int64            `json:"sequence"`
	SessionID          string           `json:"sessionId"`
	TelephonySessionID string           `json:"telephonySessionId"`
	ServerID           string           `json:"serverId"`
	EventTime          string           `json:"eventTime"`
	AccountID          string           `json:"accountId"`
	ExtensionID        string           `json:"extensionId,omitempty"`
	Parties            []telephonyParty `json:"parties"`
	Origin             telephonyOrigin  `json:"origin"`
}

// serverID names the emulator as the platform names the telephony server of a session.
const serverID = "rcemu.TAS"

func telephonyEndpointOf(e rc.CallEndpoint) telephonyEndpoint {
	n := e.PhoneNumber
	if n == "" {
		n = e.ExtensionNumber
	}
	out := telephonyEndpoint{PhoneNumber: n, Name: e.Name}
	if e.ExtensionID != 0 {
		out.ExtensionID = itoa(e.ExtensionID)
	}
	if e.DeviceID != 0 {
		out.DeviceID = itoa(e.DeviceID)
	}
	return out
}

func telephonyPartyOf(p *rc.CallParty) telephonyParty {
	tp := telephonyParty{AccountID: itoa(p.AccountID), ExtensionID: itoa(p.ExtensionID), ID: p.ID, Direction: p.Direction,
		To: telephonyEndpointOf(p.To), From: telephonyEndpointOf(p.From), Status: telephonyStatus{Code: p.Status, Reason: p.Reason},
		MissedCall: p.MissedCall, StandAlone: p.StandAlone || p.Status == "Hold", Muted: p.Muted}
	if p.Role == "Participant" {
		tp.ConferenceRole = "Participant"
	}
	if p.PeerID != "" {
		tp.Status.PeerID = &telephonyPeer{PartyID: p.PeerID}
	}
	if p.Status == "Parked" {
		tp.Park, tp.Status.ParkData = &telephonyPark{ID: p.ParkID}, p.ParkID
	}
	for _, r := range p.Recordings {
		tp.Recordings = append(tp.Recordings, telephonyRecording{ID: itoa(r.ID), Active: r.Active})
	}
	return tp
}

// telephonyFrom builds a telephony sessions event's body for the parties of a change a filter
// sees: the extension's own, or the account's; nil when it sees none.
func telephonyFrom(f Filter, e rc.Event) *telephonyBody {
	sess := e.Call
	var parties []telephonyParty
	for _, id := range e.Changed {
		p := sess.Party(id)
		if p == nil || !p.Hosted() || p.AccountID != f.AccountID {
			continue
		}
		if f.Kind == KindTelephony && p.ExtensionID != f.ExtensionID {
			continue
		}
		if len(f.StatusCodes) > 0 && !contains(f.StatusCodes, p.Status) {
			continue
		}
		if f.Missed && !p.MissedCall {
			continue
		}
		if !contains(f.Directions, p.Direction) {
			continue
		}
		if f.WithRecordings && len(p.Recordings) == 0 {
			continue
		}
		if f.PhoneNumber != "" && strings.TrimPrefix(p.From.PhoneNumber, "+") != f.PhoneNumber &&
			strings.TrimPrefix(p.To.PhoneNumber, "+") != f.PhoneNumber {
			continue
		}
		tp := telephonyPartyOf(p)
		if f.SipData {
			tp.SIPData = &telephonySIP{ToTag: "to-" + p.ID, FromTag: "from-" + p.ID, CallID: sess.ID + "@rcemu.local"}
		}
		parties = append(parties, tp)
	}
	if len(parties) == 0 {
		return nil
	}
	b := &telephonyBody{Sequence: sess.Sequence, SessionID: sess.SessionID(), TelephonySessionID: sess.ID, ServerID: serverID,
		EventTime: rc.FormatTime(e.Time), AccountID: itoa(f.AccountID), Parties: parties, Origin: telephonyOrigin{Type: sess.Origin}}
	if f.Kind == KindTelephony {
		b.ExtensionID = itoa(f.ExtensionID)
	}
	return b
}

// missedCallBody is the missed calls event's body.
type missedCallBody struct {
	ExtensionID        string `json:"extensionId"`
	Action             string `json:"action"`
	SessionID          string `json:"sessionId"`
	TelephonySessionID string `json:"telephonySessionId"`
	ServerID           string `json:"serverId"`
	From               string `json:"from,omitempty"`
	FromName           string `json:"fromName,omitempty"`
	To                 string `json:"to,omitempty"`
	ToName             string `json:"toName,omitempty"`
	OwnerID            string `json:"ownerId"`
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
			return presenceFrom(*e.Presence, e.Telephony, f.Detailed, f.SipData), true
		}
		if f.Kind == KindAccountPresence {
			return presenceFrom(*e.Presence, e.Telephony, f.Detailed, f.SipData), true
		}
	case "subscription-reminder":
		sub := e.Subscription
		if f.Kind != KindReminder || sub == nil || f.AccountID != e.AccountID || f.ExtensionID != e.ExtensionID {
			return nil, false
		}
		return reminderBody{SubscriptionID: sub.ID, ExpirationTime: rc.FormatTime(sub.Expiration),
			ExpiresIn: int64(sub.Expiration.Sub(e.Time) / time.Second)}, true
	case "telephony-session":
		if e.Call == nil || f.AccountID != e.AccountID || (f.Kind != KindTelephony && f.Kind != KindAccountTelephony) {
			return nil, false
		}
		if b := telephonyFrom(f, e); b != nil {
			return b, true
		}
	case "missed-call":
		if e.Call == nil || f.Kind != KindMissedCalls || f.AccountID != e.AccountID || f.ExtensionID != e.ExtensionID {
			return nil, false
		}
		for _, id := range e.Changed {
			if p := e.Call.Party(id); p != nil {
				from, to := telephonyEndpointOf(p.From), telephonyEndpointOf(p.To)
				return missedCallBody{ExtensionID: itoa(e.ExtensionID), Action: "MissedCall", SessionID: e.Call.SessionID(),
					TelephonySessionID: e.Call.ID, ServerID: serverID, From: from.PhoneNumber, FromName: from.Name,
					To: to.PhoneNumber, ToName: to.Name, OwnerID: itoa(e.ExtensionID)}, true
			}
		}
	case "team-messaging-post":
		if f.Kind == KindTMPosts && f.AccountID == e.AccountID && e.Body != nil {
			return e.Body, true
		}
	case "team-messaging-chat":
		if f.Kind == KindTMChats && f.AccountID == e.AccountID && e.Body != nil {
			return e.Body, true
		}
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
