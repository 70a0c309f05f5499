package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/restapi/query"
)

func (h *Handlers) registerMessages(rt *restapi.Router) {
	ext := v1 + "/account/{accountId}/extension/{extensionId}"
	read := restapi.Options{Permission: "ReadMessages"}
	edit := restapi.Options{Permission: "EditMessages"}
	rt.Handle("POST", ext+"/sms", h.createSMS, restapi.Options{Permission: "OutboundSMS"})
	rt.Handle("POST", ext+"/company-pager", h.createPager, restapi.Options{Permission: "InternalSMS"})
	rt.Handle("GET", ext+"/message-store", h.listMessages, read)
	rt.Handle("DELETE", ext+"/message-store", h.deleteMessagesByFilter, edit)
	rt.Handle("GET", ext+"/message-store/{messageId}", h.readMessage, read)
	rt.Handle("PUT", ext+"/message-store/{messageId}", h.updateMessage, edit)
	rt.Handle("PATCH", ext+"/message-store/{messageId}", h.patchMessage, edit)
	rt.Handle("DELETE", ext+"/message-store/{messageId}", h.deleteMessage, edit)
	rt.Handle("GET", ext+"/message-store/{messageId}/content/{attachmentId}", h.readMessageContent, read)
	rt.Handle("GET", ext+"/message-sync", h.syncMessages, read)
	rt.Handle("POST", ext+"/mms", h.createMMS, restapi.Options{Permission: "OutboundSMS", MaxBody: messaging.MaxMMSBody})
	rt.Handle("POST", ext+"/fax", h.createFax, restapi.Options{Permission: "OutboundFaxes", MaxBody: messaging.MaxFaxBody})
}

// --- wire shapes ---

type messageParty struct {
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	ExtensionID     string `json:"extensionId,omitempty"`
	Name            string `json:"name,omitempty"`
	Location        string `json:"location,omitempty"`
	MessageStatus   string `json:"messageStatus,omitempty"`
	FaxErrorCode    string `json:"faxErrorCode,omitempty"`
}

type messageAttachment struct {
	ID          int64  `json:"id"`
	URI         string `json:"uri"`
	Type        string `json:"type"`
	ContentType string `json:"contentType"`
	FileName    string `json:"fileName,omitempty"`
	Size        int    `json:"size"`
	VMDuration  int    `json:"vmDuration,omitempty"`
}

type conversationInfo struct {
	ID  string `json:"id"`
	URI string `json:"uri"`
}

type messageRecord struct {
	URI                   string              `json:"uri"`
	ID                    int64               `json:"id"`
	ExtensionID           string              `json:"extensionId"`
	To                    []messageParty      `json:"to"`
	From                  messageParty        `json:"from"`
	Type                  string              `json:"type"`
	CreationTime          string              `json:"creationTime"`
	ReadStatus            string              `json:"readStatus"`
	Priority              string              `json:"priority"`
	Attachments           []messageAttachment `json:"attachments"`
	Direction             string              `json:"direction"`
	Availability          string              `json:"availability"`
	Subject               string              `json:"subject,omitempty"`
	MessageStatus         string              `json:"messageStatus"`
	ConversationID        int64               `json:"conversationId,omitempty"`
	Conversation          *conversationInfo   `json:"conversation,omitempty"`
	LastModifiedTime      string              `json:"lastModifiedTime"`
	SMSDeliveryTime       string              `json:"smsDeliveryTime,omitempty"`
	SMSSendingAttempts    int                 `json:"smsSendingAttemptsCount,omitempty"`
	DeliveryErrorCode     string              `json:"deliveryErrorCode,omitempty"`
	SegmentCount          int                 `json:"segmentCount,omitempty"`
	PgToDepartment        *bool               `json:"pgToDepartment,omitempty"`
	FaxResolution         string              `json:"faxResolution,omitempty"`
	FaxPageCount          *int                `json:"faxPageCount,omitempty"`
	CoverIndex            *int                `json:"coverIndex,omitempty"`
	CoverPageText         string              `json:"coverPageText,omitempty"`
	VMTranscriptionStatus string              `json:"vmTranscriptionStatus,omitempty"`
}

func party(p rc.Party) messageParty {
	mp := messageParty{PhoneNumber: p.PhoneNumber, ExtensionNumber: p.ExtensionNumber, Name: p.Name,
		Location: p.Location, MessageStatus: p.MessageStatus, FaxErrorCode: p.FaxErrorCode}
	if p.ExtensionID != 0 {
		mp.ExtensionID = id(p.ExtensionID)
	}
	return mp
}

func messageURI(r *restapi.Request, m rc.Message) string {
	return extensionURI(r, m.AccountID, m.ExtensionID) + "/message-store/" + id(m.ID)
}

// newMessageRecord builds a message's wire form (GetMessageInfoResponse).
func newMessageRecord(r *restapi.Request, m rc.Message) messageRecord {
	uri := messageURI(r, m)
	rec := messageRecord{URI: uri, ID: m.ID, ExtensionID: id(m.ExtensionID), From: party(m.From), Type: m.Type,
		CreationTime: rc.FormatTime(m.CreationTime), ReadStatus: m.ReadStatus, Priority: m.Priority,
		Direction: m.Direction, Availability: m.Availability, Subject: m.Subject, MessageStatus: m.MessageStatus,
		LastModifiedTime: rc.FormatTime(m.LastModifiedTime), SMSSendingAttempts: m.SMSAttempts,
		DeliveryErrorCode: m.DeliveryErrorCode, SegmentCount: m.SegmentCount, FaxResolution: m.FaxResolution,
		CoverPageText: m.CoverPageText, VMTranscriptionStatus: m.VMTranscription,
		To: make([]messageParty, len(m.To)), Attachments: make([]messageAttachment, len(m.Attachments))}
	for i, p := range m.To {
		rec.To[i] = party(p)
	}
	for i, a := range m.Attachments {
		rec.Attachments[i] = messageAttachment{ID: a.ID, URI: uri + "/content/" + id(a.ID), Type: a.Type,
			ContentType: a.ContentType, FileName: a.FileName, Size: a.Size, VMDuration: a.VMDuration}
	}
	if m.ConversationID != 0 {
		rec.ConversationID = m.ConversationID
		rec.Conversation = &conversationInfo{ID: id(m.ConversationID), URI: r.URI(v1 + "/conversation/" + id(m.ConversationID))}
	}
	if m.SMSDeliveryTime != nil {
		rec.SMSDeliveryTime = rc.FormatTime(*m.SMSDeliveryTime)
	}
	if m.Type == "Pager" {
		v := m.PgToDepartment
		rec.PgToDepartment = &v
	}
	if m.Type == "Fax" {
		pages, cover := m.FaxPageCount, m.CoverIndex
		rec.FaxPageCount, rec.CoverIndex = &pages, &cover
	}
	return rec
}

// extension loads {extensionId}, which must name an extension of the account; the senders hand
// it to the messaging service, which then need not read it again.
func (h *Handlers) extension(r *restapi.Request) (rc.Extension, error) {
	return h.Directory.Extension(r.Context(), r.AccountID, r.ExtensionID)
}

// checkExtension makes sure {extensionId} names an extension of the account.
func (h *Handlers) checkExtension(r *restapi.Request) error {
	_, err := h.extension(r)
	return err
}

// --- sending ---

// createSMS sends an SMS; a multipart body with attachments makes it an MMS, as the guide allows.
func (h *Handlers) createSMS(w http.ResponseWriter, r *restapi.Request) error {
	return h.createTextMessage(w, r, false)
}

func (h *Handlers) createPager(w http.ResponseWriter, r *restapi.Request) error {
	snd, err := h.extension(r)
	if err != nil {
		return err
	}
	var req messaging.PagerRequest
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	m, err := h.Messages.SendPager(r.Context(), snd, req)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newMessageRecord(r, m))
}

// textFields turns the form fields of an SMS, MMS or fax request (from, to repeated, text,
// country, and the fax settings) into its JSON body.
func textFields(f url.Values) ([]byte, error) {
	body := map[string]any{}
	if v := f.Get("from"); v != "" {
		body["from"] = map[string]string{"phoneNumber": v}
	}
	var to []map[string]string
	for _, raw := range f["to"] {
		for _, n := range strings.Split(raw, ",") {
			if n = strings.TrimSpace(n); n != "" {
				to = append(to, map[string]string{"phoneNumber": n})
			}
		}
	}
	if to != nil {
		body["to"] = to
	}
	for _, k := range []string{"text", "faxResolution", "sendTime", "coverPageText"} {
		if f.Has(k) {
			body[k] = f.Get(k)
		}
	}
	if v := f.Get("coverIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, rc.Invalid("coverIndex")
		}
		body["coverIndex"] = n
	}
	if v := f.Get("isoCode"); v != "" {
		body["country"] = map[string]string{"isoCode": v}
	}
	if v := f.Get("country"); v != "" {
		body["country"] = map[string]string{"isoCode": v}
	}
	return json.Marshal(body)
}

// --- message store ---

// listFilter reads the message-store filters shared by list and sync, and records the defaults
// the platform injects in eff.
func listFilter(r *restapi.Request, eff *query.Values, withDefaults bool) (messaging.Filter, error) {
	q := r.Query
	f := messaging.Filter{ExtensionID: r.ExtensionID}
	var err error
	if f.Types, err = q.Enum("messageType", rc.MessageTypes); err != nil {
		return f, err
	}
	if f.Directions, err = q.Enum("direction", rc.MessageDirections); err != nil {
		return f, err
	}
	if f.ReadStatuses, err = q.Enum("readStatus", rc.MessageReadStatuses); err != nil {
		return f, err
	}
	if f.Availabilities, err = q.Enum("availability", rc.MessageAvailabilities); err != nil {
		return f, err
	}
	if f.ConversationIDs, err = q.Int64s("conversationId"); err != nil {
		return f, err
	}
	if pn := strings.TrimSpace(q.Get("phoneNumber")); pn != "" {
		if !strings.HasPrefix(pn, "+") {
			pn = "+" + pn
		}
		f.PhoneNumber = pn
	}
	if f.Distinct, err = q.Bool("distinctConversations", false); err != nil {
		return f, err
	}
	// An absent date is the zero time: no bound.
	var hasTo, hasFrom bool
	if f.DateTo, hasTo, err = q.Time("dateTo"); err != nil {
		return f, err
	}
	if f.DateFrom, hasFrom, err = q.Time("dateFrom"); err != nil {
		return f, err
	}
	if withDefaults {
		if len(f.Availabilities) == 0 {
			f.Availabilities = []string{"Alive"}
			eff.Add("availability", "Alive")
		}
		if !hasFrom {
			// The platform rounds its default up to the minute and echoes it.
			end := f.DateTo
			if !hasTo {
				end = r.Now
			}
			from := end.Add(-24 * time.Hour)
			if t := from.Truncate(time.Minute); !t.Equal(from) {
				from = t.Add(time.Minute)
			}
			f.DateFrom = from
			eff.Add("dateFrom", rc.FormatTime(from))
		}
	}
	if !f.DateTo.IsZero() && !f.DateFrom.IsZero() && f.DateFrom.After(f.DateTo) {
		return f, rc.Invalid("dateFrom")
	}
	return f, nil
}

func (h *Handlers) listMessages(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	p, err := paging.Parse(r.Query)
	if err != nil {
		return err
	}
	eff := effective(r)
	f, err := listFilter(r, &eff, true)
	if err != nil {
		return err
	}
	f.Offset, f.Limit = p.Offset(), p.PerPage
	ms, total, err := h.Messages.List(r.Context(), f)
	if err != nil {
		return err
	}
	records := make([]messageRecord, len(ms))
	for i, m := range ms {
		records[i] = newMessageRecord(r, m)
	}
	base := v1 + "/account/" + id(r.AccountID) + "/extension/" + id(r.ExtensionID) + "/message-store"
	return list(w, r, base, eff, p, total, records)
}

// messageIDs reads {messageId}: one id, or up to 50 comma-separated ones.
func messageIDs(r *restapi.Request) ([]int64, error) {
	raw := strings.Split(r.Param("messageId"), ",")
	if len(raw) > messaging.MaxBulkIDs {
		return nil, &rc.Error{Status: 400, Code: "CMN-106", TopCode: "CMN-106",
			Message: fmt.Sprintf("Batch request is limited to %d entries", messaging.MaxBulkIDs)}
	}
	ids := make([]int64, 0, len(raw))
	for _, s := range raw {
		n, err := parseID(strings.TrimSpace(s), "messageId")
		if err != nil {
			return nil, err
		}
		ids = append(ids, n)
	}
	return ids, nil
}

func (h *Handlers) readMessage(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	ids, err := messageIDs(r)
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		m, err := h.Messages.Get(r.Context(), r.ExtensionID, ids[0])
		if err != nil {
			return err
		}
		return restapi.JSON(w, 200, newMessageRecord(r, m))
	}
	base := extensionURI(r, r.AccountID, r.ExtensionID) + "/message-store/"
	parts := make([]restapi.Part, len(ids))
	for i, mid := range ids {
		parts[i] = restapi.Part{ID: id(mid), Href: base + id(mid), Status: 200}
		m, err := h.Messages.Get(r.Context(), r.ExtensionID, mid)
		if err != nil {
			if !rc.IsNotFound(err) {
				return err
			}
			parts[i].Err = err
			continue
		}
		parts[i].Body = newMessageRecord(r, m)
	}
	return restapi.MultiStatus(w, r, parts)
}

func (h *Handlers) changeMessage(w http.ResponseWriter, r *restapi.Request, put bool) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	ids, err := messageIDs(r)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return rc.Invalid("messageId")
	}
	var u messaging.Update
	if err := r.DecodeJSON(&u); err != nil {
		return err
	}
	if put {
		u.Availability = nil // PUT changes readStatus only
	}
	m, err := h.Messages.Apply(r.Context(), r.ExtensionID, ids[0], u, put)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newMessageRecord(r, m))
}

func (h *Handlers) updateMessage(w http.ResponseWriter, r *restapi.Request) error {
	return h.changeMessage(w, r, true)
}

func (h *Handlers) patchMessage(w http.ResponseWriter, r *restapi.Request) error {
	return h.changeMessage(w, r, false)
}

func (h *Handlers) deleteMessage(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	ids, err := messageIDs(r)
	if err != nil {
		return err
	}
	purge, err := r.Query.Bool("purge", false)
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		if err := h.Messages.Delete(r.Context(), r.ExtensionID, ids, purge); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
	base := extensionURI(r, r.AccountID, r.ExtensionID) + "/message-store/"
	parts := make([]restapi.Part, len(ids))
	failed := false
	for i, mid := range ids {
		parts[i] = restapi.Part{ID: id(mid), Href: base + id(mid), Status: 204}
		if err := h.Messages.Delete(r.Context(), r.ExtensionID, []int64{mid}, purge); err != nil {
			if !rc.IsNotFound(err) {
				return err
			}
			parts[i].Err, failed = err, true
		}
	}
	if !failed {
		return restapi.NoContent(w) // every one deleted: a plain 204, as the platform answers
	}
	return restapi.MultiStatus(w, r, parts)
}

// deleteTypes are the values deleteMessagesByFilter's type takes.
var deleteTypes = append(slices.Clone(rc.MessageTypes), "All")

func (h *Handlers) deleteMessagesByFilter(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	q := r.Query
	var f messaging.DeleteFilter
	var err error
	if f.ConversationIDs, err = q.Int64s("conversationId"); err != nil {
		return err
	}
	if len(f.ConversationIDs) > messaging.MaxConversations {
		return rc.Invalid("conversationId")
	}
	types, err := q.Enum("type", deleteTypes)
	if err != nil {
		return err
	}
	if len(types) > 0 {
		f.Type = types[0]
	}
	if len(f.ConversationIDs) > 0 && f.Type != "" {
		return &rc.Error{Status: 400, Code: "MSG-390", TopCode: "MSG-390",
			Message: "[conversationId] and [type] query parameters cannot be specified simultaneously"}
	}
	dateTo, has, err := q.Time("dateTo")
	if err != nil {
		return err
	}
	if !has {
		dateTo = r.Now
	}
	f.DateTo = dateTo
	if f.Purge, err = q.Bool("purge", false); err != nil {
		return err
	}
	if err := h.Messages.DeleteByFilter(r.Context(), r.ExtensionID, f); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

func (h *Handlers) readMessageContent(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	mid, err := parseID(r.Param("messageId"), "messageId")
	if err != nil {
		return err
	}
	aid, err := parseID(r.Param("attachmentId"), "attachmentId")
	if err != nil {
		return err
	}
	disp, err := r.Query.Enum("contentDisposition", []string{"Inline", "Attachment"})
	if err != nil {
		return err
	}
	a, content, err := h.Messages.Content(r.Context(), r.ExtensionID, mid, aid)
	if err != nil {
		return err
	}
	kind := "inline"
	if len(disp) > 0 && disp[0] == "Attachment" {
		kind = "attachment"
	}
	name := r.Query.Get("contentDispositionFilename")
	if name == "" {
		name = a.FileName
	}
	if name == "" {
		name = id(a.ID) + extensionFor(a.ContentType)
	}
	if rng := r.Header.Get("Range"); rng != "" && !rangeSatisfiable(rng, len(content)) {
		return &rc.Error{Status: 416, Code: "CMN-107", TopCode: "CMN-107", Message: "Requested Range Not Satisfiable",
			Header: map[string][]string{"Content-Range": {"bytes */" + strconv.Itoa(len(content))}}}
	}
	if activeContent(a.ContentType) {
		kind = "attachment" // a sender's HTML or SVG must not run in the API's origin
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ContentType)
	hd.Set("Content-Disposition", mime.FormatMediaType(kind, map[string]string{"filename": name}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r.Request, name, time.Time{}, bytes.NewReader(content))
	return nil
}

// activeContent says whether a browser would run a document of this type (scripts in HTML, SVG,
// XML), rather than only display it.
func activeContent(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return true // unparsable: treat as the worst
	}
	switch {
	case mt == "text/html", mt == "image/svg+xml", mt == "application/xhtml+xml", mt == "text/xml",
		mt == "application/xml", mt == "text/javascript", mt == "application/javascript",
		strings.HasSuffix(mt, "+xml"), mt == "multipart/x-mixed-replace":
		return true
	}
	return false
}

func extensionFor(contentType string) string {
	switch contentType {
	case "text/plain":
		return ".txt"
	case "application/pdf":
		return ".pdf"
	case "audio/mpeg":
		return ".mp3"
	case "audio/wav", "audio/x-wav":
		return ".wav"
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/tiff":
		return ".tiff"
	}
	return ""
}

// rangeSatisfiable reports whether a single "bytes=a-b" range starts inside the content; other
// forms are left to http.ServeContent.
func rangeSatisfiable(h string, size int) bool {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return true
	}
	first, _, _ := strings.Cut(spec, "-")
	if first == "" {
		return size > 0
	}
	start, err := strconv.Atoi(first)
	return err != nil || start < size
}

func (h *Handlers) syncMessages(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	q := r.Query
	types, err := q.Enum("syncType", []string{"FSync", "ISync"})
	if err != nil {
		return err
	}
	req := messaging.SyncRequest{ExtensionID: r.ExtensionID, Type: "FSync", Token: q.Get("syncToken")}
	if len(types) > 0 {
		req.Type = types[0]
	}
	if req.RecordCount, err = q.Int("recordCount", 250, 1, 250); err != nil {
		return err
	}
	eff := effective(r)
	if req.Type == "FSync" {
		if req.Filter, err = listFilter(r, &eff, false); err != nil {
			return err
		}
		if req.Filter.DateFrom.IsZero() {
			req.Filter.DateFrom = r.Now.Add(-24 * time.Hour)
		}
	}
	res, err := h.Messages.Sync(r.Context(), req)
	if err != nil {
		return err
	}
	records := make([]messageRecord, len(res.Records))
	for i, m := range res.Records {
		records[i] = newMessageRecord(r, m)
	}
	type syncInfo struct {
		SyncType    string `json:"syncType"`
		SyncToken   string `json:"syncToken"`
		SyncTime    string `json:"syncTime"`
		OlderExists *bool  `json:"olderRecordsExist,omitempty"`
	}
	info := syncInfo{SyncType: res.Type, SyncToken: res.Token, SyncTime: rc.FormatTime(res.Time)}
	if res.Type == "FSync" {
		info.OlderExists = &res.OlderExists
	}
	uri := r.URI(v1 + "/account/" + id(r.AccountID) + "/extension/" + id(r.ExtensionID) + "/message-sync")
	if e := eff.Encode(); e != "" {
		uri += "?" + e
	}
	return restapi.JSON(w, 200, struct {
		URI      string          `json:"uri"`
		Records  []messageRecord `json:"records"`
		SyncInfo syncInfo        `json:"syncInfo"`
	}{uri, records, info})
}
