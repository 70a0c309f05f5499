package rc

import "time"

// Party statuses of a telephony session (the spec's CallStatusInfo codes).
var PartyStatuses = []string{"Setup", "Proceeding", "Answered", "Disconnected", "Gone", "Parked", "Hold",
	"VoiceMail", "FaxReceive", "VoiceMailScreening"}

// CallEndpoint is one end of a call as a party or a call-log record names it.
type CallEndpoint struct {
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	ExtensionID     int64  `json:"extensionId,omitempty"`
	Name            string `json:"name,omitempty"`
	Location        string `json:"location,omitempty"`
	DeviceID        int64  `json:"deviceId,omitempty"`
}

// PartyRecording is a recording a party started; Active is false while paused.
type PartyRecording struct {
	ID     int64     `json:"id"`
	Active bool      `json:"active"`
	Type   string    `json:"type"` // OnDemand or Automatic
	Since  time.Time `json:"since"`
	// Recorded is the recorded time before Since (pauses excluded).
	Recorded time.Duration `json:"recorded"`
}

// CallParty is one participant of a telephony session. A party owned by a hosted extension has
// its ids; an outside number's party has none.
type CallParty struct {
	ID          string           `json:"id"`
	AccountID   int64            `json:"accountId,omitempty"`
	ExtensionID int64            `json:"extensionId,omitempty"`
	Direction   string           `json:"direction"` // Inbound or Outbound
	From        CallEndpoint     `json:"from"`
	To          CallEndpoint     `json:"to"`
	Status      string           `json:"status"`
	Reason      string           `json:"reason,omitempty"`
	PeerID      string           `json:"peerId,omitempty"` // the party a Gone party left the call to
	Muted       bool             `json:"muted"`
	StandAlone  bool             `json:"standAlone"`
	MissedCall  bool             `json:"missedCall"`
	DeviceID    int64            `json:"deviceId,omitempty"`
	ParkID      string           `json:"parkId,omitempty"`
	Role        string           `json:"role,omitempty"` // Supervisor for a monitoring party
	Recordings  []PartyRecording `json:"recordings,omitempty"`
	Transport   string           `json:"transport"` // PSTN or VoIP
	Action      string           `json:"action"`    // the call-log action: Phone Call, VoIP Call, RingOut Web...
	Joined      time.Time        `json:"joined"`
	Answered    *time.Time       `json:"answered,omitempty"`
	// Left is when the party left the call (Disconnected or Gone), for its record's duration.
	Left *time.Time `json:"left,omitempty"`
	// Result is what the call-log record of this party will say (Accepted, Missed, Voicemail...),
	// once the engine knows it.
	Result string `json:"result,omitempty"`
	// Voicemail is the message a party's caller left, once left.
	Voicemail int64 `json:"voicemail,omitempty"`
}

// Hosted says whether the party belongs to an extension rcemu hosts.
func (p *CallParty) Hosted() bool { return p.ExtensionID != 0 }

// Live says whether the party is still in the call.
func (p *CallParty) Live() bool { return p.Status != "Disconnected" && p.Status != "Gone" }

// CallStep is a transition the clock has yet to bring to a session: an outside party answers,
// an unanswered call goes to voicemail, a scripted caller hangs up.
type CallStep struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Party  string    `json:"party,omitempty"`
	Arg    string    `json:"arg,omitempty"`
}

// CallSession is a telephony session while it lasts; when it ends it leaves call-log records
// and is gone.
type CallSession struct {
	ID           string      `json:"id"` // telephonySessionId
	Num          int64       `json:"num"`
	AccountID    int64       `json:"accountId"`
	Origin       string      `json:"origin"` // Call, RingOut, CallOut, Conference
	CreationTime time.Time   `json:"creationTime"`
	Parties      []CallParty `json:"parties"`
	Sequence     int64       `json:"sequence"`
	Steps        []CallStep  `json:"steps,omitempty"`
	RingOutID    int64       `json:"ringOutId,omitempty"`
	// Script holds a simulated call's outcome settings (talk time, recording) for later steps.
	TalkFor  time.Duration `json:"talkFor,omitempty"`
	Recorded bool          `json:"recorded,omitempty"`
	Ended    bool          `json:"ended,omitempty"`
}

// SessionID is the legacy numeric session id the platform reports beside telephonySessionId.
func (s *CallSession) SessionID() string { return callNum(s.Num) }

// Party returns the party with the id, or nil.
func (s *CallSession) Party(id string) *CallParty {
	for i := range s.Parties {
		if s.Parties[i].ID == id {
			return &s.Parties[i]
		}
	}
	return nil
}

// NextStep returns when the earliest scheduled step is due; ok is false if none is.
func (s *CallSession) NextStep() (time.Time, bool) {
	if len(s.Steps) == 0 {
		return time.Time{}, false
	}
	at := s.Steps[0].At
	for _, st := range s.Steps[1:] {
		if st.At.Before(at) {
			at = st.At
		}
	}
	return at, true
}

// callNum spaces session numbers 1010 apart: clients (ringcentral-call-control) take two live
// sessions whose numbers differ by exactly 1000 to 4000 for the legs of one RingOut.
func callNum(n int64) string {
	const base = 2000000000008
	return itoa64(base + n*1010)
}

func itoa64(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// CallRecording is the metadata of a call recording; its audio is generated from it on demand.
type CallRecording struct {
	ID          int64         `json:"id"`
	AccountID   int64         `json:"accountId"`
	Type        string        `json:"type"` // Automatic or OnDemand
	Duration    time.Duration `json:"duration"`
	ContentType string        `json:"contentType"`
	Created     time.Time     `json:"created"`
}

// CallLeg is one leg of a Detailed call-log record.
type CallLeg struct {
	StartTime   time.Time      `json:"startTime"`
	Duration    time.Duration  `json:"duration"`
	Type        string         `json:"type"`
	Direction   string         `json:"direction"`
	Action      string         `json:"action"`
	Result      string         `json:"result"`
	Reason      string         `json:"reason,omitempty"`
	From        CallEndpoint   `json:"from"`
	To          CallEndpoint   `json:"to"`
	LegType     string         `json:"legType"`
	Transport   string         `json:"transport"`
	ExtensionID int64          `json:"extensionId,omitempty"`
	Master      bool           `json:"master,omitempty"`
	PartyID     string         `json:"partyId,omitempty"`
	Recording   *CallRecording `json:"recording,omitempty"`
}

// CallRecord is one call-log record: a call as one hosted extension saw it.
type CallRecord struct {
	ID                 string         `json:"id"`
	Num                int64          `json:"num"`
	AccountID          int64          `json:"accountId"`
	ExtensionID        int64          `json:"extensionId"`
	SessionID          string         `json:"sessionId"`
	TelephonySessionID string         `json:"telephonySessionId,omitempty"`
	PartyID            string         `json:"partyId,omitempty"`
	StartTime          time.Time      `json:"startTime"`
	Duration           time.Duration  `json:"duration"`
	Type               string         `json:"type"` // Voice or Fax
	Direction          string         `json:"direction"`
	Action             string         `json:"action"`
	Result             string         `json:"result"`
	Reason             string         `json:"reason,omitempty"`
	ReasonDescription  string         `json:"reasonDescription,omitempty"`
	From               CallEndpoint   `json:"from"`
	To                 CallEndpoint   `json:"to"`
	Transport          string         `json:"transport"`
	Recording          *CallRecording `json:"recording,omitempty"`
	MessageID          int64          `json:"messageId,omitempty"`
	MessageType        string         `json:"messageType,omitempty"`
	Legs               []CallLeg      `json:"legs"`
	LastModified       time.Time      `json:"lastModified"`
	Deleted            bool           `json:"deleted,omitempty"`
	// Seq orders changes for call-log sync; the store assigns it on every write.
	Seq int64 `json:"-"`
}

// RingOut is a two-legged RingOut call: the platform rings the caller's own phone first, then
// the callee.
type RingOut struct {
	ID           int64     `json:"id"`
	AccountID    int64     `json:"accountId"`
	ExtensionID  int64     `json:"extensionId"`
	SessionID    string    `json:"sessionId,omitempty"` // telephonySessionId while the call lasts
	From         string    `json:"from"`
	To           string    `json:"to"`
	CallerID     string    `json:"callerId,omitempty"`
	PlayPrompt   bool      `json:"playPrompt"`
	CallStatus   string    `json:"callStatus"`
	CallerStatus string    `json:"callerStatus"`
	CalleeStatus string    `json:"calleeStatus"`
	Created      time.Time `json:"created"`
}

// ActiveCall is a call in progress as presence reports it.
type ActiveCall struct {
	ID                 string    `json:"id"`
	Direction          string    `json:"direction"`
	From               string    `json:"from,omitempty"`
	FromName           string    `json:"fromName,omitempty"`
	To                 string    `json:"to,omitempty"`
	ToName             string    `json:"toName,omitempty"`
	StartTime          time.Time `json:"startTime"`
	TelephonyStatus    string    `json:"telephonyStatus"`
	TelephonySessionID string    `json:"telephonySessionId"`
	PartyID            string    `json:"partyId"`
	SessionID          string    `json:"sessionId"`
}

// Telephony is an extension's telephony state: NoCall, Ringing, CallConnected, OnHold or
// ParkedCall, and its calls.
type Telephony struct {
	Status string       `json:"status"`
	Calls  []ActiveCall `json:"calls"`
}
