package control

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/store"
)

type attachmentIn struct {
	ContentType string `json:"contentType"`
	FileName    string `json:"fileName"`
	Base64      string `json:"base64"`
	Text        string `json:"text"`
}

// inboundRequest simulates a message from an outside number to a hosted one.
type inboundRequest struct {
	Type        string         `json:"type"` // SMS (default), MMS, Fax, VoiceMail
	From        string         `json:"from"`
	To          string         `json:"to"`
	Text        string         `json:"text"`
	Attachments []attachmentIn `json:"attachments"`
	Duration    int            `json:"duration"` // voicemail seconds
	Pages       int            `json:"pages"`    // fax pages
}

// messageOut is a message as the control plane reports it: plain, with ids and statuses.
type messageOut struct {
	ID                int64      `json:"id"`
	AccountID         int64      `json:"accountId"`
	ExtensionID       int64      `json:"extensionId"`
	Type              string     `json:"type"`
	Direction         string     `json:"direction"`
	From              rc.Party   `json:"from"`
	To                []rc.Party `json:"to"`
	Text              string     `json:"text"`
	MessageStatus     string     `json:"messageStatus"`
	DeliveryErrorCode string     `json:"deliveryErrorCode,omitempty"`
	ConversationID    int64      `json:"conversationId,omitempty"`
	CreationTime      string     `json:"creationTime"`
	LastModifiedTime  string     `json:"lastModifiedTime"`
	Attachments       int        `json:"attachments"`
}

func out(m rc.Message) messageOut {
	return messageOut{ID: m.ID, AccountID: m.AccountID, ExtensionID: m.ExtensionID, Type: m.Type, Direction: m.Direction,
		From: m.From, To: m.To, Text: m.Subject, MessageStatus: m.MessageStatus, DeliveryErrorCode: m.DeliveryErrorCode,
		ConversationID: m.ConversationID, CreationTime: rc.FormatTime(m.CreationTime),
		LastModifiedTime: rc.FormatTime(m.LastModifiedTime), Attachments: len(m.Attachments)}
}

func (h *Handlers) inbound(w http.ResponseWriter, r *restapi.Request) error {
	var req inboundRequest
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	in := messaging.InboundRequest{Type: req.Type, From: req.From, To: req.To, Text: req.Text,
		Duration: req.Duration, Pages: req.Pages}
	for i, a := range req.Attachments {
		content := []byte(a.Text)
		if a.Base64 != "" {
			b, err := base64.StdEncoding.DecodeString(a.Base64)
			if err != nil {
				return rc.Invalid("attachments[" + strconv.Itoa(i) + "].base64")
			}
			content = b
		}
		if a.ContentType == "" {
			return rc.Missing("attachments[" + strconv.Itoa(i) + "].contentType")
		}
		typ := "MmsAttachment"
		switch req.Type {
		case "Fax":
			typ = "RenderedDocument"
		case "VoiceMail":
			typ = "AudioRecording"
		}
		in.Attachments = append(in.Attachments, rc.Attachment{Type: typ, ContentType: a.ContentType, FileName: a.FileName, Content: content})
	}
	m, err := h.Messages.Inject(r.Context(), in)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, out(m))
}

func (h *Handlers) outbox(w http.ResponseWriter, r *restapi.Request) error {
	limit, err := r.Query.Int("limit", 100, 1, 10000)
	if err != nil {
		return err
	}
	ms, err := h.Messages.Outbox(r.Context(), limit)
	if err != nil {
		return err
	}
	records := make([]messageOut, len(ms))
	for i, m := range ms {
		records[i] = out(m)
	}
	return restapi.JSON(w, 200, map[string]any{"records": records})
}

func (h *Handlers) forceStatus(w http.ResponseWriter, r *restapi.Request) error {
	mid, err := strconv.ParseInt(r.Param("messageId"), 10, 64)
	if err != nil {
		return rc.Invalid("messageId")
	}
	var req struct {
		MessageStatus     string `json:"messageStatus"`
		DeliveryErrorCode string `json:"deliveryErrorCode"`
	}
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	if req.MessageStatus == "" {
		return rc.Missing("messageStatus")
	}
	m, err := h.Messages.ForceStatus(r.Context(), mid, req.MessageStatus, req.DeliveryErrorCode)
	if errors.Is(err, store.ErrNotFound) {
		return rc.NotFound("messageId")
	}
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, out(m))
}

type delaysBody struct {
	SendDelaySeconds     float64 `json:"sendDelaySeconds"`
	DeliveryDelaySeconds float64 `json:"deliveryDelaySeconds"`
	ReservedNumbers      any     `json:"reservedNumbers,omitempty"`
}

func (h *Handlers) getMessaging(w http.ResponseWriter, r *restapi.Request) error {
	d := h.Messages.Delays()
	reserved := map[string]map[string]string{}
	for n, f := range messaging.ReservedNumbers {
		reserved[n] = map[string]string{"messageStatus": f.Status, "deliveryErrorCode": f.ErrorCode}
	}
	return restapi.JSON(w, 200, delaysBody{SendDelaySeconds: d.Send.Seconds(), DeliveryDelaySeconds: d.Delivery.Seconds(),
		ReservedNumbers: reserved})
}

func (h *Handlers) putMessaging(w http.ResponseWriter, r *restapi.Request) error {
	var req delaysBody
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	if req.SendDelaySeconds < 0 || req.SendDelaySeconds > 86400 {
		return rc.Invalid("sendDelaySeconds")
	}
	if req.DeliveryDelaySeconds < 0 || req.DeliveryDelaySeconds > 86400 {
		return rc.Invalid("deliveryDelaySeconds")
	}
	h.Messages.SetDelays(messaging.Delays{Send: time.Duration(req.SendDelaySeconds * float64(time.Second)),
		Delivery: time.Duration(req.DeliveryDelaySeconds * float64(time.Second))})
	return h.getMessaging(w, r)
}

func (h *Handlers) events(w http.ResponseWriter, r *restapi.Request) error {
	limit, err := r.Query.Int("limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"records": h.Bus.Recent(limit), "dropped": h.Bus.Dropped()})
}
