package api

import (
	"mime"
	"net/http"
	"strings"

	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
)

// readUploads reads a multipart message request the way the SDKs and the docs send it: the
// envelope from a JSON part (request.json, json, or the first part of multipart/mixed) or from
// form fields (from, to repeated, text, country; the fax settings), and the files. Every file
// part needs a Content-Disposition (400 MSG-350) with a file name (400 MSG-351); form fields
// named attachment or attachments without a file name, as the docs' fax example sends them, are
// text/plain documents. A JSON body (no files) is read as the envelope alone.
func readUploads(r *restapi.Request, v any) ([]messaging.Upload, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		return nil, r.DecodeJSON(v)
	}
	m, err := restapi.ReadMultipart(r)
	if err != nil {
		return nil, err
	}
	var ups []messaging.Upload
	err = m.Decode(v, func(f restapi.FilePart) error {
		if !f.Disposition {
			return &rc.Error{Status: 400, Code: "MSG-350", TopCode: "MSG-350", Message: "No content disposition"}
		}
		if strings.TrimSpace(f.FileName) == "" {
			return &rc.Error{Status: 400, Code: "MSG-351", TopCode: "MSG-351", Message: "No file name in content disposition"}
		}
		ups = append(ups, messaging.Upload{FileName: f.FileName, ContentType: f.ContentType, Content: f.Content})
		return nil
	}, textFields)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"attachment", "attachments"} {
		for _, text := range m.Fields[name] {
			ups = append(ups, messaging.Upload{ContentType: "text/plain", Content: []byte(text)})
		}
	}
	return ups, nil
}

// createMMS sends an MMS: an SMS envelope with up to ten media attachments, delivered like an
// SMS (hosted recipients get an inbound copy whose MmsAttachment parts download byte for byte).
func (h *Handlers) createMMS(w http.ResponseWriter, r *restapi.Request) error {
	return h.createTextMessage(w, r, true)
}

// createTextMessage sends an SMS or an MMS. With mms (POST .../mms) the MMS rules apply;
// otherwise (POST .../sms, which the messaging guide says sends MMS too) a request that carries
// files is an MMS and one without is an SMS.
func (h *Handlers) createTextMessage(w http.ResponseWriter, r *restapi.Request, mms bool) error {
	snd, err := h.extension(r)
	if err != nil {
		return err
	}
	var req messaging.SMSRequest
	files, err := readUploads(r, &req)
	if err != nil {
		return err
	}
	var tm messaging.TextMessage
	if mms || len(files) > 0 {
		tm, err = h.Messages.CheckMMS(r.Context(), snd, req, files)
	} else {
		tm, err = h.Messages.CheckSMS(r.Context(), snd, req, false)
	}
	if err != nil {
		return err
	}
	m, err := h.Messages.SendText(r.Context(), snd, tm)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newMessageRecord(r, m))
}

// faxResponse is the spec's FaxResponse.
type faxResponse struct {
	ID               int64               `json:"id"`
	URI              string              `json:"uri"`
	Type             string              `json:"type"`
	From             messageParty        `json:"from"`
	To               []faxResponseTo     `json:"to"`
	CreationTime     string              `json:"creationTime"`
	ReadStatus       string              `json:"readStatus"`
	Priority         string              `json:"priority"`
	Attachments      []messageAttachment `json:"attachments"`
	Direction        string              `json:"direction"`
	Availability     string              `json:"availability"`
	MessageStatus    string              `json:"messageStatus"`
	FaxResolution    string              `json:"faxResolution"`
	FaxPageCount     int                 `json:"faxPageCount"`
	LastModifiedTime string              `json:"lastModifiedTime"`
	CoverIndex       int                 `json:"coverIndex"`
	CoverPageText    string              `json:"coverPageText,omitempty"`
}

type faxResponseTo struct {
	PhoneNumber   string `json:"phoneNumber,omitempty"`
	Name          string `json:"name,omitempty"`
	MessageStatus string `json:"messageStatus,omitempty"`
	Location      string `json:"location,omitempty"`
}

func newFaxResponse(r *restapi.Request, m rc.Message) faxResponse {
	rec := newMessageRecord(r, m)
	fr := faxResponse{ID: rec.ID, URI: rec.URI, Type: rec.Type, From: rec.From, CreationTime: rec.CreationTime,
		ReadStatus: rec.ReadStatus, Priority: rec.Priority, Attachments: rec.Attachments, Direction: rec.Direction,
		Availability: rec.Availability, MessageStatus: rec.MessageStatus, FaxResolution: rec.FaxResolution,
		FaxPageCount: m.FaxPageCount, LastModifiedTime: rec.LastModifiedTime, CoverIndex: m.CoverIndex,
		CoverPageText: rec.CoverPageText, To: make([]faxResponseTo, len(m.To))}
	for i, p := range m.To {
		fr.To[i] = faxResponseTo{PhoneNumber: p.PhoneNumber, Name: p.Name, MessageStatus: p.MessageStatus, Location: p.Location}
	}
	return fr
}

// createFax sends a fax (multipart: the envelope and the documents) or resends a stored one
// (JSON with originalMessageId). An envelope that cannot be parsed is 400 MSG-349.
func (h *Handlers) createFax(w http.ResponseWriter, r *restapi.Request) error {
	snd, err := h.extension(r)
	if err != nil {
		return err
	}
	var req messaging.FaxRequest
	files, err := readUploads(r, &req)
	if err != nil {
		if e := rc.AsError(err); e.Code == "CMN-103" {
			return &rc.Error{Status: 400, Code: "MSG-349", TopCode: "MSG-349", Message: "Unable to parse fax envelope"}
		}
		return err
	}
	fx, err := h.Messages.CheckFax(r.Context(), snd, req, files)
	if err != nil {
		return err
	}
	m, err := h.Messages.SendFax(r.Context(), snd, fx)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newFaxResponse(r, m))
}
