package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/audio"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/restapi/query"
	"github.com/rcemu/rcemu/internal/voice"
)

func (h *Handlers) registerVoice(rt *restapi.Router) {
	acc := v1 + "/account/{accountId}"
	ext := acc + "/extension/{extensionId}"
	log := restapi.Options{Permission: "ReadCallLog"}
	rt.Handle("GET", ext+"/call-log", h.listUserCallLog, log)
	rt.Handle("DELETE", ext+"/call-log", h.deleteUserCallLog, restapi.Options{Permission: "EditCallLog"})
	rt.Handle("GET", ext+"/call-log/{callRecordId}", h.readUserCallRecord, log)
	rt.Handle("GET", ext+"/call-log-sync", h.syncUserCallLog, log)
	rt.Handle("GET", ext+"/active-calls", h.listExtensionActiveCalls, log)
	rt.Handle("GET", acc+"/call-log", h.listCompanyCallLog, restapi.Options{})
	rt.Handle("GET", acc+"/call-log/{callRecordId}", h.readCompanyCallRecord, restapi.Options{})
	rt.Handle("GET", acc+"/call-log-sync", h.syncAccountCallLog, restapi.Options{})
	rt.Handle("GET", acc+"/active-calls", h.listCompanyActiveCalls, restapi.Options{})
	rt.Handle("GET", acc+"/recording/{recordingId}", h.readCallRecording, restapi.Options{})
	rt.Handle("GET", acc+"/recording/{recordingId}/content", h.readCallRecordingContent, restapi.Options{})
	rt.Handle("GET", ext+"/device", h.listExtensionDevices, restapi.Options{Permission: "ReadUserDevices"})
	rt.Handle("GET", acc+"/device/{deviceId}", h.readDevice, restapi.Options{})
	rt.Handle("POST", ext+"/ring-out", h.createRingOut, restapi.Options{Permission: "RingOut"})
	rt.Handle("GET", ext+"/ring-out/{ringoutId}", h.readRingOut, restapi.Options{Permission: "RingOut"})
	rt.Handle("DELETE", ext+"/ring-out/{ringoutId}", h.deleteRingOut, restapi.Options{Permission: "RingOut"})

	tel := acc + "/telephony"
	ses := tel + "/sessions/{telephonySessionId}"
	pty := ses + "/parties/{partyId}"
	rt.Handle("POST", tel+"/call-out", h.createCallOut, restapi.Options{})
	rt.Handle("POST", tel+"/conference", h.createConference, restapi.Options{})
	rt.Handle("GET", ses, h.readCallSession, restapi.Options{})
	rt.Handle("DELETE", ses, h.deleteCallSession, restapi.Options{})
	rt.Handle("POST", ses+"/supervise", h.superviseSession, restapi.Options{})
	rt.Handle("POST", ses+"/parties/bring-in", h.bringIn, restapi.Options{})
	rt.Handle("GET", pty, h.readCallParty, restapi.Options{})
	rt.Handle("PATCH", pty, h.updateCallParty, restapi.Options{})
	rt.Handle("DELETE", pty, h.deleteCallParty, restapi.Options{})
	for _, op := range []string{"hold", "unhold", "answer", "reject", "ignore", "park", "reply", "forward", "transfer", "flip", "pickup"} {
		rt.Handle("POST", pty+"/"+op, h.partyOp(op), restapi.Options{})
	}
	rt.Handle("POST", pty+"/bridge", h.bridge, restapi.Options{})
	rt.Handle("POST", pty+"/supervise", h.superviseParty, restapi.Options{})
	rt.Handle("POST", pty+"/recordings", h.startRecording, restapi.Options{})
	rt.Handle("PATCH", pty+"/recordings/{recordingId}", h.updateRecording, restapi.Options{})
}

// --- wire shapes ---

type partyInfo struct {
	PhoneNumber string `json:"phoneNumber,omitempty"`
	Name        string `json:"name,omitempty"`
	DeviceID    string `json:"deviceId,omitempty"`
	ExtensionID string `json:"extensionId,omitempty"`
}

type peerInfo struct {
	SessionID          string `json:"sessionId,omitempty"`
	TelephonySessionID string `json:"telephonySessionId,omitempty"`
	PartyID            string `json:"partyId,omitempty"`
}

type callStatus struct {
	Code     string    `json:"code"`
	Reason   string    `json:"reason,omitempty"`
	ParkData string    `json:"parkData,omitempty"`
	PeerID   *peerInfo `json:"peerId,omitempty"`
}

type ownerInfo struct {
	AccountID   string `json:"accountId"`
	ExtensionID string `json:"extensionId"`
}

type parkInfo struct {
	ID string `json:"id,omitempty"`
}

type recordingInfo struct {
	ID     string `json:"id"`
	Active bool   `json:"active"`
}

type callParty struct {
	ID             string          `json:"id"`
	AccountID      string          `json:"accountId,omitempty"`
	ExtensionID    string          `json:"extensionId,omitempty"`
	Status         callStatus      `json:"status"`
	Muted          bool            `json:"muted"`
	StandAlone     bool            `json:"standAlone"`
	Park           *parkInfo       `json:"park,omitempty"`
	From           partyInfo       `json:"from"`
	To             partyInfo       `json:"to"`
	Owner          *ownerInfo      `json:"owner,omitempty"`
	Direction      string          `json:"direction"`
	ConferenceRole string          `json:"conferenceRole,omitempty"`
	RingOutRole    string          `json:"ringOutRole,omitempty"`
	Recordings     []recordingInfo `json:"recordings,omitempty"`
}

type originInfo struct {
	Type string `json:"type"`
}

type callSession struct {
	ID             string      `json:"id"`
	Origin         originInfo  `json:"origin"`
	VoiceCallToken string      `json:"voiceCallToken,omitempty"`
	Parties        []callParty `json:"parties"`
	CreationTime   string      `json:"creationTime"`
}

func idOrEmpty(n int64) string {
	if n == 0 {
		return ""
	}
	return id(n)
}

func newPartyInfo(e rc.CallEndpoint) partyInfo {
	n := e.PhoneNumber
	if n == "" {
		n = e.ExtensionNumber
	}
	return partyInfo{PhoneNumber: n, Name: e.Name, DeviceID: idOrEmpty(e.DeviceID), ExtensionID: idOrEmpty(e.ExtensionID)}
}

func newCallParty(sess *rc.CallSession, p *rc.CallParty) callParty {
	cp := callParty{ID: p.ID, Status: callStatus{Code: p.Status, Reason: p.Reason}, Muted: p.Muted,
		StandAlone: p.StandAlone || p.Status == "Hold", From: newPartyInfo(p.From), To: newPartyInfo(p.To), Direction: p.Direction}
	if p.Hosted() {
		cp.AccountID, cp.ExtensionID = id(p.AccountID), id(p.ExtensionID)
		cp.Owner = &ownerInfo{AccountID: id(p.AccountID), ExtensionID: id(p.ExtensionID)}
	}
	if p.Status == "Parked" || p.ParkID != "" {
		cp.Park = &parkInfo{ID: p.ParkID}
		if p.Status == "Parked" {
			cp.Status.ParkData = p.ParkID
		}
	}
	if p.PeerID != "" {
		cp.Status.PeerID = &peerInfo{PartyID: p.PeerID}
	}
	if p.DeviceID != 0 {
		if p.Direction == "Outbound" {
			cp.From.DeviceID = id(p.DeviceID)
		} else {
			cp.To.DeviceID = id(p.DeviceID)
		}
	}
	switch {
	case p.Role == "Participant":
		cp.ConferenceRole = "Participant"
	case sess.Origin == "RingOut" && p.ID == sess.Parties[0].ID:
		cp.RingOutRole = "Initiator"
	case sess.Origin == "RingOut":
		cp.RingOutRole = "Target"
	}
	for _, r := range p.Recordings {
		cp.Recordings = append(cp.Recordings, recordingInfo{ID: id(r.ID), Active: r.Active})
	}
	return cp
}

func newCallSession(sess *rc.CallSession) callSession {
	cs := callSession{ID: sess.ID, Origin: originInfo{Type: sess.Origin}, CreationTime: rc.FormatTime(sess.CreationTime),
		Parties: make([]callParty, 0, len(sess.Parties))}
	if sess.Origin == "Conference" {
		cs.VoiceCallToken = "conference-" + sess.SessionID()
	}
	for i := range sess.Parties {
		cs.Parties = append(cs.Parties, newCallParty(sess, &sess.Parties[i]))
	}
	return cs
}

type callLogParty struct {
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	ExtensionID     string `json:"extensionId,omitempty"`
	Name            string `json:"name,omitempty"`
	Location        string `json:"location,omitempty"`
}

type callLogExtension struct {
	ID  int64  `json:"id"`
	URI string `json:"uri"`
}

type callLogRecording struct {
	ID         string `json:"id"`
	URI        string `json:"uri"`
	Type       string `json:"type"`
	ContentURI string `json:"contentUri"`
}

type callLogMessage struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	URI  string `json:"uri"`
}

// callLogBase is what records and their legs share (BaseCallLogRecord).
type callLogBase struct {
	Extension          *callLogExtension `json:"extension,omitempty"`
	TelephonySessionID string            `json:"telephonySessionId,omitempty"`
	PartyID            string            `json:"partyId,omitempty"`
	Transport          string            `json:"transport,omitempty"`
	From               callLogParty      `json:"from"`
	To                 callLogParty      `json:"to"`
	Type               string            `json:"type"`
	Direction          string            `json:"direction"`
	Message            *callLogMessage   `json:"message,omitempty"`
	Action             string            `json:"action"`
	Result             string            `json:"result"`
	StartTime          string            `json:"startTime"`
	Duration           int64             `json:"duration"`
	DurationMs         int64             `json:"durationMs"`
	Recording          *callLogRecording `json:"recording,omitempty"`
	InternalType       string            `json:"internalType,omitempty"`
}

type callLogLeg struct {
	callLogBase
	LegType string `json:"legType"`
	Master  bool   `json:"master,omitempty"`
}

type callLogRecord struct {
	URI       string `json:"uri"`
	ID        string `json:"id"`
	SessionID string `json:"sessionId"`
	callLogBase
	Deleted          bool         `json:"deleted,omitempty"`
	Legs             []callLogLeg `json:"legs,omitempty"`
	LastModifiedTime string       `json:"lastModifiedTime"`
}

func newCallLogParty(e rc.CallEndpoint) callLogParty {
	return callLogParty{PhoneNumber: e.PhoneNumber, ExtensionNumber: e.ExtensionNumber, ExtensionID: idOrEmpty(e.ExtensionID), Name: e.Name, Location: e.Location}
}

func recordingRef(r *restapi.Request, rec *rc.CallRecording) *callLogRecording {
	if rec == nil {
		return nil
	}
	uri := accountURI(r, rec.AccountID) + "/recording/" + id(rec.ID)
	return &callLogRecording{ID: id(rec.ID), URI: uri, Type: rec.Type, ContentURI: uri + "/content"}
}

func internalType(transport string, from, to rc.CallEndpoint) string {
	if from.ExtensionID != 0 && to.ExtensionID != 0 {
		return "Local"
	}
	return ""
}

func newCallLogRecord(r *restapi.Request, rec rc.CallRecord, detailed bool) callLogRecord {
	out := callLogRecord{URI: accountURI(r, rec.AccountID) + "/extension/" + id(rec.ExtensionID) + "/call-log/" + rec.ID,
		ID: rec.ID, SessionID: rec.SessionID, Deleted: rec.Deleted, LastModifiedTime: rc.FormatTime(rec.LastModified),
		callLogBase: callLogBase{Extension: &callLogExtension{ID: rec.ExtensionID, URI: extensionURI(r, rec.AccountID, rec.ExtensionID)},
			TelephonySessionID: rec.TelephonySessionID, PartyID: rec.PartyID, Transport: rec.Transport,
			From: newCallLogParty(rec.From), To: newCallLogParty(rec.To), Type: rec.Type, Direction: rec.Direction,
			Action: rec.Action, Result: rec.Result, StartTime: rc.FormatTime(rec.StartTime),
			Duration: int64(rec.Duration / time.Second), DurationMs: rec.Duration.Milliseconds(),
			Recording: recordingRef(r, rec.Recording)}}
	if rec.MessageID != 0 {
		out.Message = &callLogMessage{ID: id(rec.MessageID), Type: rec.MessageType,
			URI: extensionURI(r, rec.AccountID, rec.ExtensionID) + "/message-store/" + id(rec.MessageID)}
	}
	if detailed {
		out.Legs = make([]callLogLeg, 0, len(rec.Legs))
		for _, l := range rec.Legs {
			leg := callLogLeg{LegType: l.LegType, Master: l.Master, callLogBase: callLogBase{
				PartyID: l.PartyID, Transport: l.Transport, From: newCallLogParty(l.From), To: newCallLogParty(l.To),
				Type: l.Type, Direction: l.Direction, Action: l.Action, Result: l.Result, StartTime: rc.FormatTime(l.StartTime),
				Duration: int64(l.Duration / time.Second), DurationMs: l.Duration.Milliseconds(), Recording: recordingRef(r, l.Recording)}}
			if l.ExtensionID != 0 {
				leg.Extension = &callLogExtension{ID: l.ExtensionID, URI: extensionURI(r, rec.AccountID, l.ExtensionID)}
			}
			out.Legs = append(out.Legs, leg)
		}
	}
	return out
}

// --- call log ---

// perPageMax reads perPage, which the call-log lists also take as `max` (1000).
func perPageMax(q query.Values) (paging.Page, error) {
	if strings.EqualFold(q.Get("perPage"), "max") {
		c := q.Clone()
		c.Del("perPage")
		p, err := paging.Parse(c)
		p.PerPage = paging.MaxPerPage
		return p, err
	}
	return paging.Parse(q)
}

// logFilter reads the call-log filters. account says whether it is the company log, which has
// no showBlocked or transport. It returns the query the platform echoes (defaults included).
func logFilter(r *restapi.Request, account bool) (voice.LogFilter, bool, query.Values, error) {
	q := r.Query
	eff := effective(r)
	f := voice.LogFilter{AccountID: r.AccountID}
	var err error
	views, err := q.Enum("view", voice.LogViews)
	if err != nil {
		return f, false, eff, err
	}
	if len(views) > 1 {
		return f, false, eff, rc.Invalid("view")
	}
	detailed := len(views) == 1 && views[0] == "Detailed"
	if len(views) == 0 {
		eff.Add("view", "Simple")
	}
	if f.Types, err = q.Enum("type", voice.LogTypes); err != nil {
		return f, false, eff, err
	}
	if f.Directions, err = q.Enum("direction", voice.LogDirections); err != nil {
		return f, false, eff, err
	}
	if !account {
		if f.Transports, err = q.Enum("transport", voice.LogTransports); err != nil {
			return f, false, eff, err
		}
		if _, err := q.Bool("showBlocked", true); err != nil {
			return f, false, eff, err
		}
		if !q.Has("showBlocked") {
			eff.Add("showBlocked", "true")
		}
	}
	if q.Has("phoneNumber") {
		v := q.Get("phoneNumber")
		if d := strings.TrimPrefix(v, "+"); d == "" || strings.Trim(d, "0123456789") != "" {
			return f, false, eff, rc.Invalid("phoneNumber")
		}
		f.PhoneNumber = v
	}
	if q.Has("extensionNumber") {
		if f.ExtensionNumber = q.Get("extensionNumber"); f.ExtensionNumber == "" {
			return f, false, eff, rc.Invalid("extensionNumber")
		}
	}
	f.SessionID, f.TelephonySessionID = q.Get("sessionId"), q.Get("telephonySessionId")
	withRec, err := q.Bool("withRecording", false)
	if err != nil {
		return f, false, eff, err
	}
	if withRec {
		f.RecordingType = "All"
	}
	if q.Has("recordingType") {
		rt, err := q.Enum("recordingType", voice.RecordingTypes)
		if err != nil || len(rt) != 1 {
			return f, false, eff, rc.Invalid("recordingType")
		}
		f.RecordingType = rt[0]
	}
	if f.ShowDeleted, err = q.Bool("showDeleted", false); err != nil {
		return f, false, eff, err
	}
	to, hasTo, err := q.Time("dateTo")
	if err != nil {
		return f, false, eff, err
	}
	if !hasTo {
		to = r.Now
	}
	from, hasFrom, err := q.Time("dateFrom")
	if err != nil {
		return f, false, eff, err
	}
	if !hasFrom {
		from = to.Add(-24 * time.Hour)
		eff.Add("dateFrom", rc.FormatTime(from))
	}
	if from.After(to) {
		return f, false, eff, rc.Invalid("dateFrom")
	}
	f.DateFrom = from
	if hasTo {
		f.DateTo = to
	} else {
		f.DateTo = to.Add(time.Millisecond) // what started in this very instant is included
	}
	return f, detailed, eff, nil
}

func (h *Handlers) listCallLog(w http.ResponseWriter, r *restapi.Request, account bool) error {
	p, err := perPageMax(r.Query)
	if err != nil {
		return err
	}
	f, detailed, eff, err := logFilter(r, account)
	if err != nil {
		return err
	}
	base := accountURI(r, r.AccountID)
	if !account {
		f.ExtensionID = r.ExtensionID
		base += "/extension/" + id(r.ExtensionID)
	} else if f.ExtensionNumber != "" {
		// On the company log extensionNumber picks one extension's records ("returns call log
		// for this particular extension only"); on an extension's own log it picks the calls
		// with that extension.
		ext, err := h.Voice.ExtensionID(r.Context(), r.AccountID, f.ExtensionNumber)
		switch {
		case err == nil:
			f.ExtensionID = ext
		case errors.Is(err, voice.ErrNotFound):
			f.ExtensionID = -1 // nobody's: an empty list
		default:
			return err
		}
		f.ExtensionNumber = ""
	}
	f.Offset, f.Limit = p.Offset(), p.PerPage+1
	recs, err := h.Voice.Log(r.Context(), f)
	if err != nil {
		return err
	}
	more := len(recs) > p.PerPage
	if more {
		recs = recs[:p.PerPage]
	}
	records := make([]callLogRecord, len(recs))
	for i, rec := range recs {
		records[i] = newCallLogRecord(r, rec, detailed)
	}
	self, info, nav := paging.Open(base+"/call-log", eff, p, len(records), more)
	return restapi.JSON(w, 200, openListBody[callLogRecord]{URI: self, Records: records, Paging: info, Navigation: nav})
}

// openListBody is a list whose paging has no totals (call log, active calls).
type openListBody[T any] struct {
	URI        string            `json:"uri"`
	Records    []T               `json:"records"`
	Paging     paging.OpenInfo   `json:"paging"`
	Navigation paging.Navigation `json:"navigation"`
}

func (h *Handlers) listUserCallLog(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	return h.listCallLog(w, r, false)
}

func (h *Handlers) listCompanyCallLog(w http.ResponseWriter, r *restapi.Request) error {
	if !r.Principal.Admin {
		return rc.UserPermission("FullCompanyCallLog")
	}
	return h.listCallLog(w, r, true)
}

func (h *Handlers) readCallRecord(w http.ResponseWriter, r *restapi.Request, extensionID int64) error {
	views, err := r.Query.Enum("view", voice.LogViews)
	if err != nil || len(views) > 1 {
		return rc.Invalid("view")
	}
	detailed := len(views) == 1 && views[0] == "Detailed"
	ids := strings.Split(r.Param("callRecordId"), ",")
	if len(ids) > 50 {
		return rc.Invalid("callRecordId")
	}
	for _, s := range ids {
		if s == "" {
			return rc.Invalid("callRecordId")
		}
	}
	if len(ids) == 1 {
		rec, err := h.Voice.Record(r.Context(), r.AccountID, extensionID, ids[0])
		if err != nil {
			return err
		}
		return restapi.JSON(w, 200, newCallLogRecord(r, rec, detailed))
	}
	base := accountURI(r, r.AccountID)
	if extensionID != 0 {
		base += "/extension/" + id(extensionID)
	}
	parts := make([]restapi.Part, len(ids))
	for i, rid := range ids {
		parts[i] = restapi.Part{ID: rid, Href: base + "/call-log/" + rid, Status: 200}
		rec, err := h.Voice.Record(r.Context(), r.AccountID, extensionID, rid)
		if err != nil {
			if !rc.IsNotFound(err) {
				return err
			}
			parts[i].Err = err
			continue
		}
		parts[i].Body = newCallLogRecord(r, rec, detailed)
	}
	return restapi.MultiStatus(w, r, parts)
}

func (h *Handlers) readUserCallRecord(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	return h.readCallRecord(w, r, r.ExtensionID)
}

func (h *Handlers) readCompanyCallRecord(w http.ResponseWriter, r *restapi.Request) error {
	if !r.Principal.Admin {
		return rc.UserPermission("FullCompanyCallLog")
	}
	return h.readCallRecord(w, r, 0)
}

func (h *Handlers) deleteUserCallLog(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	to, hasTo, err := r.Query.Time("dateTo")
	if err != nil {
		return err
	}
	if !hasTo {
		to = r.Now.Add(time.Millisecond)
	}
	if err := h.Voice.DeleteLog(r.Context(), r.ExtensionID, to); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

type callLogSyncInfo struct {
	SyncType          string `json:"syncType"`
	SyncToken         string `json:"syncToken"`
	SyncTime          string `json:"syncTime"`
	OlderRecordsExist bool   `json:"olderRecordsExist"`
}

type callLogSyncBody struct {
	URI      string          `json:"uri"`
	Records  []callLogRecord `json:"records"`
	SyncInfo callLogSyncInfo `json:"syncInfo"`
}

func (h *Handlers) syncCallLog(w http.ResponseWriter, r *restapi.Request, account bool) error {
	q := r.Query
	types, err := q.Enum("syncType", []string{"FSync", "ISync"})
	if err != nil || len(types) > 1 {
		return rc.Invalid("syncType")
	}
	req := voice.LogSyncRequest{AccountID: r.AccountID, Type: "FSync", Token: q.Get("syncToken")}
	if len(types) == 1 {
		req.Type = types[0]
	}
	if !account {
		req.ExtensionID = r.ExtensionID
	}
	if req.RecordCount, err = q.Int("recordCount", 0, 1, 250); err != nil {
		return err
	}
	if req.StatusGroup, err = q.Enum("statusGroup", voice.StatusGroups); err != nil {
		return err
	}
	views, err := q.Enum("view", voice.LogViews)
	if err != nil || len(views) > 1 {
		return rc.Invalid("view")
	}
	if req.ShowDeleted, err = q.Bool("showDeleted", false); err != nil {
		return err
	}
	from, hasFrom, err := q.Time("dateFrom")
	if err != nil {
		return err
	}
	if hasFrom {
		req.DateFrom = from
	} else {
		req.DateFrom = r.Now.Add(-30 * 24 * time.Hour)
	}
	res, err := h.Voice.Sync(r.Context(), req)
	if err != nil {
		return err
	}
	detailed := len(views) == 1 && views[0] == "Detailed"
	records := make([]callLogRecord, len(res.Records))
	for i, rec := range res.Records {
		records[i] = newCallLogRecord(r, rec, detailed)
	}
	base := accountURI(r, r.AccountID)
	if !account {
		base += "/extension/" + id(r.ExtensionID)
	}
	uri := base + "/call-log-sync"
	if e := effective(r).Encode(); e != "" {
		uri += "?" + e
	}
	return restapi.JSON(w, 200, callLogSyncBody{URI: uri, Records: records, SyncInfo: callLogSyncInfo{SyncType: res.Type,
		SyncToken: res.Token, SyncTime: rc.FormatTime(res.Time), OlderRecordsExist: res.OlderExists}})
}

func (h *Handlers) syncUserCallLog(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	return h.syncCallLog(w, r, false)
}

func (h *Handlers) syncAccountCallLog(w http.ResponseWriter, r *restapi.Request) error {
	if !r.Principal.Admin {
		return rc.UserPermission("FullCompanyCallLog")
	}
	return h.syncCallLog(w, r, true)
}

func (h *Handlers) listActiveCalls(w http.ResponseWriter, r *restapi.Request, extensionID int64) error {
	q := r.Query
	p, err := perPageMax(q)
	if err != nil {
		return err
	}
	dirs, err := q.Enum("direction", voice.LogDirections)
	if err != nil {
		return err
	}
	types, err := q.Enum("type", []string{"Voice", "Fax"})
	if err != nil {
		return err
	}
	transports, err := q.Enum("transport", voice.LogTransports)
	if err != nil {
		return err
	}
	views, err := q.Enum("view", voice.LogViews)
	if err != nil || len(views) > 1 {
		return rc.Invalid("view")
	}
	recs, err := h.Voice.ActiveCalls(r.Context(), r.AccountID, extensionID)
	if err != nil {
		return err
	}
	in := func(v string, set []string) bool {
		if len(set) == 0 {
			return true
		}
		for _, s := range set {
			if s == v {
				return true
			}
		}
		return false
	}
	var kept []rc.CallRecord
	for _, rec := range recs {
		if in(rec.Direction, dirs) && in(rec.Type, types) && in(rec.Transport, transports) {
			kept = append(kept, rec)
		}
	}
	start := min(p.Offset(), len(kept))
	end := min(start+p.PerPage, len(kept))
	detailed := len(views) == 1 && views[0] == "Detailed"
	records := make([]callLogRecord, 0, end-start)
	for _, rec := range kept[start:end] {
		records = append(records, newCallLogRecord(r, rec, detailed))
	}
	base := accountURI(r, r.AccountID)
	if extensionID != 0 {
		base += "/extension/" + id(extensionID)
	}
	self, info, nav := paging.Open(base+"/active-calls", effective(r), p, len(records), end < len(kept))
	return restapi.JSON(w, 200, openListBody[callLogRecord]{URI: self, Records: records, Paging: info, Navigation: nav})
}

func (h *Handlers) listExtensionActiveCalls(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	return h.listActiveCalls(w, r, r.ExtensionID)
}

func (h *Handlers) listCompanyActiveCalls(w http.ResponseWriter, r *restapi.Request) error {
	if !r.Principal.Admin {
		return rc.UserPermission("FullCompanyCallLog")
	}
	return h.listActiveCalls(w, r, 0)
}

// --- recordings ---

type callRecordingBody struct {
	ID          string `json:"id"`
	ContentURI  string `json:"contentUri"`
	ContentType string `json:"contentType"`
	Duration    int64  `json:"duration"`
}

func (h *Handlers) recording(r *restapi.Request) (rc.CallRecording, error) {
	rid, err := parseID(r.Param("recordingId"), "recordingId")
	if err != nil {
		return rc.CallRecording{}, err
	}
	return h.Voice.RecordingMeta(r.Context(), r.AccountID, rid)
}

func (h *Handlers) readCallRecording(w http.ResponseWriter, r *restapi.Request) error {
	rec, err := h.recording(r)
	if err != nil {
		return err
	}
	uri := accountURI(r, r.AccountID) + "/recording/" + id(rec.ID)
	return restapi.JSON(w, 200, callRecordingBody{ID: id(rec.ID), ContentURI: uri + "/content", ContentType: rec.ContentType,
		Duration: int64((rec.Duration + time.Second/2) / time.Second)})
}

func (h *Handlers) readCallRecordingContent(w http.ResponseWriter, r *restapi.Request) error {
	rec, err := h.recording(r)
	if err != nil {
		return err
	}
	body := audio.WAV(rec.Duration, uint64(rec.ID))
	hd := w.Header()
	hd.Set("Content-Type", audio.WAVContentType)
	hd.Set("Content-Disposition", `attachment; filename="recording-`+id(rec.ID)+`.wav"`)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(200)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// --- devices ---

type deviceExtension struct {
	ID              int64  `json:"id"`
	URI             string `json:"uri"`
	ExtensionNumber string `json:"extensionNumber"`
}

type devicePhoneInfo struct {
	ID          int64  `json:"id"`
	PhoneNumber string `json:"phoneNumber"`
	PaymentType string `json:"paymentType,omitempty"`
	Type        string `json:"type,omitempty"`
	UsageType   string `json:"usageType,omitempty"`
}

type devicePhoneLine struct {
	LineType  string          `json:"lineType"`
	PhoneInfo devicePhoneInfo `json:"phoneInfo"`
}

type deviceRecord struct {
	ID          string            `json:"id"`
	URI         string            `json:"uri"`
	SKU         string            `json:"sku"`
	Type        string            `json:"type"`
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Extension   *deviceExtension  `json:"extension,omitempty"`
	PhoneLines  []devicePhoneLine `json:"phoneLines"`
	LinePooling string            `json:"linePooling"`
}

func newDeviceRecord(r *restapi.Request, d voice.Device, e rc.Extension) deviceRecord {
	rec := deviceRecord{ID: id(d.ID), URI: accountURI(r, d.AccountID) + "/device/" + id(d.ID), SKU: "DV-1", Type: d.Type,
		Name: d.Name, Status: d.Status, LinePooling: "None", PhoneLines: []devicePhoneLine{},
		Extension: &deviceExtension{ID: e.ID, URI: extensionURI(r, e.AccountID, e.ID), ExtensionNumber: e.ExtensionNumber}}
	if d.HasNumber {
		n := d.PhoneNumber
		rec.PhoneLines = append(rec.PhoneLines, devicePhoneLine{LineType: "Standalone", PhoneInfo: devicePhoneInfo{ID: n.ID,
			PhoneNumber: n.PhoneNumber, PaymentType: n.PaymentType, Type: n.Type, UsageType: n.UsageType}})
	}
	return rec
}

func (h *Handlers) listExtensionDevices(w http.ResponseWriter, r *restapi.Request) error {
	e, err := h.extension(r)
	if err != nil {
		return err
	}
	p, err := paging.Parse(r.Query)
	if err != nil {
		return err
	}
	devs, err := h.Voice.Devices(r.Context(), e)
	if err != nil {
		return err
	}
	start := min(p.Offset(), len(devs))
	end := min(start+p.PerPage, len(devs))
	records := make([]deviceRecord, 0, end-start)
	for _, d := range devs[start:end] {
		records = append(records, newDeviceRecord(r, d, e))
	}
	return list(w, r, v1+"/account/"+id(r.AccountID)+"/extension/"+id(r.ExtensionID)+"/device", effective(r), p, len(devs), records)
}

func (h *Handlers) readDevice(w http.ResponseWriter, r *restapi.Request) error {
	d, e, err := h.Voice.Device(r.Context(), r.AccountID, r.Param("deviceId"))
	if err != nil {
		return err
	}
	if !r.Principal.Admin && e.ID != r.Principal.ExtensionID {
		return rc.NotFound("deviceId")
	}
	return restapi.JSON(w, 200, newDeviceRecord(r, d, e))
}

// --- RingOut ---

type phoneRef struct {
	PhoneNumber        string `json:"phoneNumber"`
	ForwardingNumberID string `json:"forwardingNumberId"`
}

type ringOutRequest struct {
	From       *phoneRef `json:"from"`
	To         *phoneRef `json:"to"`
	CallerID   *phoneRef `json:"callerId"`
	PlayPrompt *bool     `json:"playPrompt"`
	Country    *struct {
		ID string `json:"id"`
	} `json:"country"`
}

type ringOutStatusInfo struct {
	CallStatus   string `json:"callStatus"`
	CallerStatus string `json:"callerStatus"`
	CalleeStatus string `json:"calleeStatus"`
}

type ringOutBody struct {
	URI    string            `json:"uri"`
	ID     string            `json:"id"`
	Status ringOutStatusInfo `json:"status"`
}

func newRingOutBody(r *restapi.Request, ro rc.RingOut) ringOutBody {
	return ringOutBody{URI: extensionURI(r, ro.AccountID, ro.ExtensionID) + "/ring-out/" + id(ro.ID), ID: id(ro.ID),
		Status: ringOutStatusInfo{CallStatus: ro.CallStatus, CallerStatus: ro.CallerStatus, CalleeStatus: ro.CalleeStatus}}
}

func (h *Handlers) createRingOut(w http.ResponseWriter, r *restapi.Request) error {
	e, err := h.extension(r)
	if err != nil {
		return err
	}
	var req ringOutRequest
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	if req.To == nil || req.To.PhoneNumber == "" {
		return rc.Missing("to.phoneNumber")
	}
	vr := voice.RingOutRequest{To: req.To.PhoneNumber}
	if req.From != nil {
		if req.From.ForwardingNumberID != "" && req.From.PhoneNumber == "" {
			return rc.BadReference("from.forwardingNumberId") // rcemu keeps no forwarding numbers
		}
		vr.From = req.From.PhoneNumber
	}
	if req.CallerID != nil {
		vr.CallerID = req.CallerID.PhoneNumber
	}
	if req.PlayPrompt != nil {
		vr.PlayPrompt = *req.PlayPrompt
	}
	ro, err := h.Voice.RingOut(r.Context(), e, vr)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newRingOutBody(r, ro))
}

func (h *Handlers) ringOutID(r *restapi.Request) (int64, error) {
	if err := h.checkExtension(r); err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(r.Param("ringoutId"), 10, 64)
	if err != nil || n <= 0 {
		return 0, rc.NotFound("ringoutId")
	}
	return n, nil
}

func (h *Handlers) readRingOut(w http.ResponseWriter, r *restapi.Request) error {
	n, err := h.ringOutID(r)
	if err != nil {
		return err
	}
	ro, err := h.Voice.RingOutStatus(r.Context(), r.ExtensionID, n)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newRingOutBody(r, ro))
}

func (h *Handlers) deleteRingOut(w http.ResponseWriter, r *restapi.Request) error {
	n, err := h.ringOutID(r)
	if err != nil {
		return err
	}
	caller := *r.Principal
	caller.ExtensionID = r.ExtensionID
	if err := h.Voice.CancelRingOut(r.Context(), &caller, n); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

// --- call control ---

type callSessionBody struct {
	Session callSession `json:"session"`
}

// flexID takes an id sent as a JSON string or number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexID(n.String())
	return nil
}

func (f flexID) int(param string) (int64, error) {
	if f == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil || n <= 0 {
		return 0, rc.Invalid(param)
	}
	return n, nil
}

type callOutRequest struct {
	From *struct {
		DeviceID flexID `json:"deviceId"`
	} `json:"from"`
	To *struct {
		PhoneNumber     string `json:"phoneNumber"`
		ExtensionNumber string `json:"extensionNumber"`
	} `json:"to"`
	CountryID flexID `json:"countryId"`
}

func (h *Handlers) caller(r *restapi.Request) (rc.Extension, error) {
	return h.Directory.Extension(r.Context(), r.Principal.AccountID, r.Principal.ExtensionID)
}

func (h *Handlers) createCallOut(w http.ResponseWriter, r *restapi.Request) error {
	me, err := h.caller(r)
	if err != nil {
		return err
	}
	var req callOutRequest
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	if req.From == nil {
		return rc.Missing("from")
	}
	if req.To == nil || (req.To.PhoneNumber == "" && req.To.ExtensionNumber == "") {
		return rc.Missing("to")
	}
	dev, err := req.From.DeviceID.int("from.deviceId")
	if err != nil {
		return err
	}
	sess, release, err := h.Voice.CallOut(r.Context(), me, voice.CallOutRequest{DeviceID: dev,
		To: voice.Target{PhoneNumber: req.To.PhoneNumber, ExtensionNumber: req.To.ExtensionNumber}})
	if err != nil {
		return err
	}
	defer release()
	// Only the caller's own party: the platform's answer leaves out the other side.
	body := newCallSession(&sess)
	body.Parties = body.Parties[:1]
	err = restapi.JSON(w, 201, callSessionBody{Session: body})
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // the answer is on the wire before the session's first notification
	}
	return err
}

func (h *Handlers) createConference(w http.ResponseWriter, r *restapi.Request) error {
	me, err := h.caller(r)
	if err != nil {
		return err
	}
	if _, err := r.DecodeOptionalJSON(&struct{}{}); err != nil {
		return err
	}
	sess, err := h.Voice.Conference(r.Context(), me)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, callSessionBody{Session: newCallSession(&sess)})
}

func (h *Handlers) readCallSession(w http.ResponseWriter, r *restapi.Request) error {
	sess, err := h.Voice.Session(r.Context(), r.Principal, r.Param("telephonySessionId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newCallSession(&sess))
}

func (h *Handlers) deleteCallSession(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.Voice.Drop(r.Context(), r.Principal, r.Param("telephonySessionId")); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

func (h *Handlers) readCallParty(w http.ResponseWriter, r *restapi.Request) error {
	sess, err := h.Voice.Session(r.Context(), r.Principal, r.Param("telephonySessionId"))
	if err != nil {
		return err
	}
	p := sess.Party(r.Param("partyId"))
	if p == nil {
		return rc.NotFound("partyId")
	}
	return restapi.JSON(w, 200, newCallParty(&sess, p))
}

type partyUpdate struct {
	Muted      *bool `json:"muted"`
	StandAlone *bool `json:"standAlone"`
	Party      *struct {
		Muted      *bool `json:"muted"`
		StandAlone *bool `json:"standAlone"`
	} `json:"party"`
}

func (h *Handlers) updateCallParty(w http.ResponseWriter, r *restapi.Request) error {
	var u partyUpdate
	if err := r.DecodeJSON(&u); err != nil {
		return err
	}
	op := voice.PartyOp{Name: "update", Muted: u.Muted, Alone: u.StandAlone}
	if u.Party != nil {
		if u.Party.Muted != nil {
			op.Muted = u.Party.Muted
		}
		if u.Party.StandAlone != nil {
			op.Alone = u.Party.StandAlone
		}
	}
	return h.operate(w, r, op, 200)
}

func (h *Handlers) deleteCallParty(w http.ResponseWriter, r *restapi.Request) error {
	if _, err := r.DecodeOptionalJSON(&struct {
		KeepConferenceAlive bool `json:"keepConferenceAlive"`
	}{}); err != nil {
		return err
	}
	if _, _, err := h.Voice.Operate(r.Context(), r.Principal, r.Param("telephonySessionId"), r.Param("partyId"), voice.PartyOp{Name: "remove"}); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

// partyBody is the union of the party operations' bodies.
type partyBody struct {
	DeviceID        flexID `json:"deviceId"`
	PhoneNumber     string `json:"phoneNumber"`
	ExtensionNumber string `json:"extensionNumber"`
	ExtensionID     flexID `json:"extensionId"`
	Voicemail       flexID `json:"voicemail"`
	ParkOrbit       string `json:"parkOrbit"`
	CallFlipID      string `json:"callFlipId"`
	ReplyWithText   string `json:"replyWithText"`
	ReplyPattern    *struct {
		Pattern string `json:"pattern"`
	} `json:"replyWithPattern"`
}

// partyOps lists what each operation answers: its status and whether with a body.
var partyOps = map[string]struct {
	status int
	body   bool
}{
	"hold": {200, true}, "unhold": {200, true}, "answer": {200, true}, "reject": {204, false}, "ignore": {204, false},
	"park": {201, true}, "reply": {200, true}, "forward": {200, true}, "transfer": {200, true}, "flip": {200, false},
	"pickup": {201, true},
}

func (h *Handlers) partyOp(name string) restapi.Handler {
	return func(w http.ResponseWriter, r *restapi.Request) error {
		var b partyBody
		if _, err := r.DecodeOptionalJSON(&b); err != nil {
			return err
		}
		dev, err := b.DeviceID.int("deviceId")
		if err != nil {
			return err
		}
		op := voice.PartyOp{Name: name, DeviceID: dev, Target: voice.Target{PhoneNumber: b.PhoneNumber, ExtensionNumber: b.ExtensionNumber,
			ExtensionID: string(b.ExtensionID)}, Voicemail: string(b.Voicemail), ParkOrbit: b.ParkOrbit, FlipID: b.CallFlipID, Reply: b.ReplyWithText}
		switch name {
		case "ignore", "pickup":
			if dev == 0 {
				return rc.Missing("deviceId")
			}
		case "reply":
			if b.ReplyWithText == "" && (b.ReplyPattern == nil || b.ReplyPattern.Pattern == "") {
				return rc.Missing("replyWithText")
			}
		case "forward", "transfer":
			// The body is a oneOf: exactly one target (parkOrbit for transfer only).
			n := 0
			for _, set := range []bool{b.PhoneNumber != "", b.ExtensionNumber != "", b.ExtensionID != "", b.Voicemail != "",
				name == "transfer" && b.ParkOrbit != ""} {
				if set {
					n++
				}
			}
			if n == 0 {
				return rc.Missing("phoneNumber")
			}
			if n > 1 {
				return &rc.Error{Status: 400, Code: "CMN-101", TopCode: "InvalidParameter", Param: "phoneNumber",
					Message: "Only one of parameters [phoneNumber, extensionNumber, extensionId, voicemail, parkOrbit] must be specified"}
			}
		case "flip":
			if b.CallFlipID == "" {
				return rc.Missing("callFlipId")
			}
		}
		return h.operate(w, r, op, partyOps[name].status)
	}
}

func (h *Handlers) operate(w http.ResponseWriter, r *restapi.Request, op voice.PartyOp, status int) error {
	p, sess, err := h.Voice.Operate(r.Context(), r.Principal, r.Param("telephonySessionId"), r.Param("partyId"), op)
	if err != nil {
		return err
	}
	if spec, ok := partyOps[op.Name]; ok && !spec.body {
		if spec.status == 204 {
			return restapi.NoContent(w)
		}
		w.WriteHeader(spec.status)
		return nil
	}
	return restapi.JSON(w, status, newCallParty(&sess, &p))
}

func (h *Handlers) bridge(w http.ResponseWriter, r *restapi.Request) error {
	var b struct {
		TelephonySessionID string `json:"telephonySessionId"`
		PartyID            string `json:"partyId"`
	}
	if err := r.DecodeJSON(&b); err != nil {
		return err
	}
	p, err := h.Voice.Bridge(r.Context(), r.Principal, r.Param("telephonySessionId"), r.Param("partyId"), b.TelephonySessionID, b.PartyID)
	if err != nil {
		return err
	}
	sess := rc.CallSession{ID: r.Param("telephonySessionId"), Parties: []rc.CallParty{p}}
	return restapi.JSON(w, 200, newCallParty(&sess, &p))
}

func (h *Handlers) bringIn(w http.ResponseWriter, r *restapi.Request) error {
	var b struct {
		SessionID string `json:"sessionId"`
		PartyID   string `json:"partyId"`
	}
	if err := r.DecodeJSON(&b); err != nil {
		return err
	}
	if b.SessionID == "" {
		return rc.Missing("sessionId")
	}
	p, err := h.Voice.BringIn(r.Context(), r.Principal, r.Param("telephonySessionId"), b.SessionID, b.PartyID)
	if err != nil {
		return err
	}
	sess := rc.CallSession{Origin: "Conference", Parties: []rc.CallParty{p}}
	return restapi.JSON(w, 201, newCallParty(&sess, &p))
}

type superviseBody struct {
	Mode               string `json:"mode"`
	SupervisorDeviceID flexID `json:"supervisorDeviceId"`
	AgentExtensionID   flexID `json:"agentExtensionId"`
	AgentExtensionNum  string `json:"agentExtensionNumber"`
}

// superviseResponse is SuperviseCallSessionResponse / PartySuperviseResponse.
type superviseResponse struct {
	From        partyInfo  `json:"from"`
	To          partyInfo  `json:"to"`
	Direction   string     `json:"direction"`
	ID          string     `json:"id"`
	AccountID   string     `json:"accountId"`
	ExtensionID string     `json:"extensionId"`
	Muted       bool       `json:"muted"`
	Owner       *ownerInfo `json:"owner,omitempty"`
	StandAlone  bool       `json:"standAlone"`
	Status      callStatus `json:"status"`
}

func (h *Handlers) supervise(w http.ResponseWriter, r *restapi.Request, agentParty string) error {
	var b superviseBody
	if err := r.DecodeJSON(&b); err != nil {
		return err
	}
	if b.Mode == "" {
		return rc.Missing("mode")
	}
	dev, err := b.SupervisorDeviceID.int("supervisorDeviceId")
	if err != nil {
		return err
	}
	agent, err := b.AgentExtensionID.int("agentExtensionId")
	if err != nil {
		return err
	}
	if agent == 0 && b.AgentExtensionNum != "" {
		if agent, err = h.Voice.ExtensionID(r.Context(), r.AccountID, b.AgentExtensionNum); err != nil {
			return rc.BadReference("agentExtensionNumber")
		}
	}
	if agentParty != "" {
		if agent == 0 {
			return rc.Missing("agentExtensionId")
		}
		p, err := h.Voice.Party(r.Context(), r.Principal, r.Param("telephonySessionId"), agentParty)
		if err != nil {
			return err
		}
		if p.ExtensionID != agent {
			return rc.Invalid("agentExtensionId")
		}
	}
	p, err := h.Voice.Supervise(r.Context(), r.Principal, r.Param("telephonySessionId"), dev, agent, b.Mode)
	if err != nil {
		return err
	}
	sess := rc.CallSession{Parties: []rc.CallParty{p}}
	cp := newCallParty(&sess, &p)
	return restapi.JSON(w, 201, superviseResponse{From: cp.From, To: cp.To, Direction: cp.Direction, ID: cp.ID,
		AccountID: cp.AccountID, ExtensionID: cp.ExtensionID, Muted: cp.Muted, Owner: cp.Owner, StandAlone: cp.StandAlone, Status: cp.Status})
}

func (h *Handlers) superviseSession(w http.ResponseWriter, r *restapi.Request) error {
	return h.supervise(w, r, "")
}

func (h *Handlers) superviseParty(w http.ResponseWriter, r *restapi.Request) error {
	return h.supervise(w, r, r.Param("partyId"))
}

type callRecordingState struct {
	ID     string `json:"id"`
	Active bool   `json:"active"`
}

func (h *Handlers) startRecording(w http.ResponseWriter, r *restapi.Request) error {
	if _, err := r.DecodeOptionalJSON(&struct{}{}); err != nil {
		return err
	}
	rec, err := h.Voice.Recording(r.Context(), r.Principal, r.Param("telephonySessionId"), r.Param("partyId"), 0, true)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, callRecordingState{ID: id(rec.ID), Active: rec.Active})
}

func (h *Handlers) updateRecording(w http.ResponseWriter, r *restapi.Request) error {
	rid, err := parseID(r.Param("recordingId"), "recordingId")
	if err != nil {
		return rc.NotFound("recordingId")
	}
	var b struct {
		Active *bool `json:"active"`
	}
	if err := r.DecodeJSON(&b); err != nil {
		return err
	}
	if b.Active == nil {
		return rc.Missing("active")
	}
	rec, err := h.Voice.Recording(r.Context(), r.Principal, r.Param("telephonySessionId"), r.Param("partyId"), rid, *b.Active)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, callRecordingState{ID: id(rec.ID), Active: rec.Active})
}
