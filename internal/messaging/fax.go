package messaging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Fax limits from the spec (createFaxMessage, FaxResponse) and "Sending Faxes".
const (
	MaxFaxBody       = 55 << 20 // createFaxMessage's x-request-max-body-size
	MaxFaxSize       = 50 << 20 // all attachments of one fax together
	MaxFaxPages      = 200      // more and the fax fails with TooManyPages
	MaxCoverPageText = 1024     // characters
	MaxCoverIndex    = 13       // cover pages 1-13; 0 is none
	// DefaultFaxResolution applies when a request names none; the spec gives no default.
	DefaultFaxResolution = "Low"
)

// faxTypes are the media types a fax document may have: the table of "Sending Faxes" (PDF,
// Photoshop, Word, Excel, PowerPoint, Visio, Publisher, Works, Write, Microsoft Fax, images, RTF,
// text, Lotus 1-2-3, Quattro Pro, XML, HTML, CSV) in the spellings clients send. Any text/* type
// is a text file too.
var faxTypes = set(
	"application/pdf", "application/x-pdf",
	"image/vnd.adobe.photoshop", "image/x-photoshop", "image/photoshop", "image/psd", "application/x-photoshop",
	"application/photoshop", "application/psd",
	"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.template", "application/vnd.ms-word",
	"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.ms-excel.sheet.binary.macroenabled.12",
	"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.visio", "application/vnd.ms-visio.viewer", "application/x-visio",
	"application/vnd.ms-publisher", "application/x-mspublisher", "application/vnd.ms-works", "application/x-mswrite",
	"image/x-awd", "application/vnd.lotus-1-2-3", "application/x-lotus123", "application/x-quattro-pro",
	"application/x-quattropro",
	"image/tiff", "image/tif", "image/gif", "image/jpeg", "image/jpg", "image/pjpeg", "image/bmp", "image/x-bmp",
	"image/x-ms-bmp", "image/png", "image/x-pcx", "image/pcx", "image/vnd.zbrush.pcx", "image/x-tga", "image/x-targa",
	"image/tga",
	"application/rtf", "application/xml", "application/xhtml+xml",
)

func faxType(contentType string) bool {
	mt := baseType(contentType)
	return faxTypes[mt] || (strings.HasPrefix(mt, "text/") && len(mt) > len("text/"))
}

// faxExtensionTypes are the extension types that may send faxes; others get 403 MSG-340.
var faxExtensionTypes = set("User", "FaxUser", "VirtualUser", "DigitalUser", "FlexibleUser")

// FaxErrorCodes is what a fax to a reserved number (ReservedNumbers) ends with, from the spec's
// FaxErrorCodeEnum. An outbound fax has no DeliveryFailed: the platform aggregates a fax's
// status as Queued, Sent or SendingFailed (MessageStatusEnum), so every reserved number makes
// the fax SendingFailed, with the code that matches the SMS failure best:
//
//	+15005550410 destination invalid or unallocated  InvalidNumber
//	+15005550430 filtered as spam                    ProhibitedNumber
//	+15005550403 daily or monthly limit exceeded      NotEnoughCredits
//	+15005550411 carrier: destination invalid         WrongNumber
//	+15005550412 carrier: subscriber unavailable      LineBusy
//	+15005550413 carrier: subscriber opted out        CallDeclined
//
// A reserved number missing here fails with Undefined. Besides, a fax of more than 200 pages
// fails with TooManyPages, and one to a hosted voice-only number with NoFaxMachine.
var FaxErrorCodes = map[string]string{
	"+15005550410": "InvalidNumber",
	"+15005550430": "ProhibitedNumber",
	"+15005550403": "NotEnoughCredits",
	"+15005550411": "WrongNumber",
	"+15005550412": "LineBusy",
	"+15005550413": "CallDeclined",
}

// FaxRecipient is one entry of a fax request's `to`: {"phoneNumber","name"}, or a bare number
// as form fields and some clients send it.
type FaxRecipient struct {
	PhoneNumber string `json:"phoneNumber"`
	Name        string `json:"name"`
}

// UnmarshalJSON takes an object, a string or a number.
func (r *FaxRecipient) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &r.PhoneNumber)
	case len(b) > 0 && (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		r.PhoneNumber = n.String()
		return nil
	}
	type plain FaxRecipient
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = FaxRecipient(p)
	return nil
}

// FaxRequest is the envelope of createFaxMessage: the JSON part, or the form fields turned into
// JSON. originalMessageId (with `to` and `sendTime`) asks to resend a stored fax instead.
type FaxRequest struct {
	To            []FaxRecipient `json:"to"`
	FaxResolution *string        `json:"faxResolution"`
	SendTime      *string        `json:"sendTime"`
	ISOCode       *string        `json:"isoCode"`
	Country       *struct {
		ISOCode string `json:"isoCode"`
	} `json:"country"`
	CoverIndex        *int            `json:"coverIndex"`
	CoverPageText     *string         `json:"coverPageText"`
	OriginalMessageID json.RawMessage `json:"originalMessageId"`
}

// Fax is a checked fax ready to send.
type Fax struct {
	From          rc.Party
	To            []rc.Party
	Resolution    string
	SendTime      time.Time // zero: now
	CoverIndex    int
	CoverPageText string
	Pages         int
	Document      []byte // the rendered PDF the recipients get
}

// IsResend reports whether the request resends a stored fax.
func (r FaxRequest) IsResend() bool {
	v := bytes.TrimSpace(r.OriginalMessageID)
	return len(v) > 0 && !bytes.Equal(v, []byte("null"))
}

// CheckFax validates a fax request and its documents, and renders the document it sends: the
// sender may fax (403 MSG-340 for its extension type, MSG-341 when not enabled); every document
// is non-empty (MSG-347) and of a type the platform renders (415 MSG-348), 50 MB together
// (MSG-337); `to` holds E.164 numbers (a number without "+" is taken as international, or as a
// North American one when it has ten digits and isoCode is US, CA or absent);
// faxResolution is High or Low (default Low); coverIndex is 0-13 (absent: 0, the outbound fax
// settings' default, which rcemu keeps at none); coverPageText is at most 1024 characters;
// sendTime is an ISO date-time. A request with originalMessageId resends a stored fax.
func (s *Service) CheckFax(ctx context.Context, sender rc.Extension, req FaxRequest, files []Upload) (Fax, error) {
	if err := checkFaxSender(sender); err != nil {
		return Fax{}, err
	}
	if req.IsResend() && len(files) == 0 {
		return s.checkResend(ctx, sender, req)
	}
	docs := make([]faxDoc, 0, len(files))
	total := 0
	for _, f := range files {
		ct, err := checkUpload(f, faxType)
		if err != nil {
			return Fax{}, err
		}
		total += len(f.Content)
		kind := DocumentKind(ct, f.Content)
		docs = append(docs, faxDoc{Upload: f, contentType: ct, kind: kind, pages: pagesOf(kind, f.Content)})
	}
	if total > MaxFaxSize {
		return Fax{}, attachmentsTooLarge(total, MaxFaxSize, "attachment")
	}
	fx, err := checkFaxEnvelope(req)
	if err != nil {
		return Fax{}, err
	}
	if len(fx.To) == 0 {
		return Fax{}, rc.Missing("to")
	}
	if len(docs) == 0 {
		return Fax{}, rc.Missing("attachment")
	}
	if fx.From, err = s.faxFrom(ctx, sender); err != nil {
		return Fax{}, err
	}
	if fx.CoverIndex != 0 {
		fx.Pages = 1
	}
	for _, d := range docs {
		fx.Pages += d.pages
	}
	fx.Document = renderFax(fx, docs, s.Clock.Now())
	return fx, nil
}

func checkFaxSender(sender rc.Extension) error {
	if !faxExtensionTypes[sender.Type] {
		return msgError(403, "MSG-340", fmt.Sprintf("Outbound fax is not available for extension type [%s]", sender.Type), "")
	}
	if sender.Status != "" && sender.Status != "Enabled" {
		return msgError(403, "MSG-341", fmt.Sprintf("Outbound fax is not allowed for extension [%d]", sender.ID), "")
	}
	return nil
}

// checkFaxEnvelope checks what a new fax and a resend share: recipients, resolution, cover page,
// send time and country.
func checkFaxEnvelope(req FaxRequest) (Fax, error) {
	var fx Fax
	iso := ""
	if req.Country != nil {
		iso = req.Country.ISOCode
	}
	if req.ISOCode != nil {
		iso = *req.ISOCode
	}
	iso = strings.ToUpper(strings.TrimSpace(iso))
	if iso != "" && (len(iso) != 2 || strings.Trim(iso, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		return fx, rc.Invalid("isoCode")
	}
	for _, t := range req.To {
		raw := strings.TrimSpace(t.PhoneNumber)
		if raw == "" {
			return fx, rc.Missing("to.phoneNumber")
		}
		n, ok := faxNumber(raw, iso)
		if !ok {
			return fx, rc.Invalid("to.phoneNumber")
		}
		if slices.ContainsFunc(fx.To, func(p rc.Party) bool { return p.PhoneNumber == n }) {
			continue
		}
		fx.To = append(fx.To, rc.Party{PhoneNumber: n, Name: strings.TrimSpace(t.Name)})
	}
	fx.Resolution = DefaultFaxResolution
	if req.FaxResolution != nil {
		switch strings.ToLower(strings.TrimSpace(*req.FaxResolution)) {
		case "high":
			fx.Resolution = "High"
		case "low":
			fx.Resolution = "Low"
		case "":
		default:
			return fx, rc.Invalid("faxResolution")
		}
	}
	if req.CoverIndex != nil {
		if *req.CoverIndex < 0 || *req.CoverIndex > MaxCoverIndex {
			return fx, rc.Invalid("coverIndex")
		}
		fx.CoverIndex = *req.CoverIndex
	}
	if req.CoverPageText != nil {
		if utf8.RuneCountInString(*req.CoverPageText) > MaxCoverPageText {
			return fx, rc.Invalid("coverPageText")
		}
		fx.CoverPageText = *req.CoverPageText
	}
	if req.SendTime != nil && strings.TrimSpace(*req.SendTime) != "" {
		t, err := parseSendTime(*req.SendTime)
		if err != nil {
			return fx, rc.Invalid("sendTime")
		}
		fx.SendTime = t
	}
	return fx, nil
}

// parseSendTime reads an ISO 8601 date-time; one without a zone is UTC.
func parseSendTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		var err2 error
		if t, err2 = time.ParseInLocation("2006-01-02T15:04:05.999999999", v, time.UTC); err2 != nil {
			return t, err
		}
	}
	return t, nil
}

// faxNumber normalises a fax recipient's number to E.164.
func faxNumber(raw, iso string) (string, bool) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.':
			return -1
		}
		return r
	}, raw)
	if !strings.HasPrefix(n, "+") {
		if len(n) == 10 && (iso == "" || iso == "US" || iso == "CA") && n[0] >= '2' {
			n = "1" + n
		}
		n = "+" + n
	}
	return n, e164RE.MatchString(n)
}

// faxFrom picks the number a fax is sent from, as the outbound fax settings would: the sender's
// own fax-capable number, else the company fax number, else the main number.
func (s *Service) faxFrom(ctx context.Context, sender rc.Extension) (rc.Party, error) {
	from := rc.Party{Name: sender.Name}
	own, _, err := s.store.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: sender.AccountID, ExtensionID: sender.ID})
	if err != nil {
		return from, err
	}
	for _, n := range own {
		if n.Type == "FaxOnly" || n.Type == "VoiceFax" {
			from.PhoneNumber = n.PhoneNumber
			return from, nil
		}
	}
	company, _, err := s.store.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: sender.AccountID,
		UsageTypes: []string{"CompanyFaxNumber"}})
	if err != nil {
		return from, err
	}
	if len(company) > 0 {
		from.PhoneNumber = company[0].PhoneNumber
		return from, nil
	}
	acc, err := s.store.Account(ctx, sender.AccountID)
	if err != nil {
		return from, err
	}
	from.PhoneNumber = acc.MainNumber
	return from, nil
}

// checkResend validates a resend: the original is a fax of the caller's store that is not
// waiting to be sent (406 MSG-343 otherwise); without `to` it goes to the original recipients.
func (s *Service) checkResend(ctx context.Context, sender rc.Extension, req FaxRequest) (Fax, error) {
	var raw string
	if err := json.Unmarshal(req.OriginalMessageID, &raw); err != nil {
		var n json.Number
		if json.Unmarshal(req.OriginalMessageID, &n) != nil {
			return Fax{}, rc.Invalid("originalMessageId")
		}
		raw = n.String()
	}
	mid, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || mid <= 0 {
		return Fax{}, rc.Invalid("originalMessageId")
	}
	orig, err := s.store.Message(ctx, sender.ID, mid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (orig.Type != "Fax" || orig.Availability == "Purged")) {
		return Fax{}, rc.BadReference("originalMessageId")
	}
	if err != nil {
		return Fax{}, err
	}
	if orig.Direction == "Outbound" && orig.MessageStatus == "Queued" {
		return Fax{}, msgError(406, "MSG-343", "Fax resend is not allowed for message in current state", "originalMessageId")
	}
	fx, err := checkFaxEnvelope(FaxRequest{To: req.To, SendTime: req.SendTime, ISOCode: req.ISOCode, Country: req.Country})
	if err != nil {
		return Fax{}, err
	}
	if len(fx.To) == 0 {
		if orig.Direction != "Outbound" {
			return Fax{}, rc.Missing("to")
		}
		for _, p := range orig.To {
			fx.To = append(fx.To, rc.Party{PhoneNumber: p.PhoneNumber, Name: p.Name})
		}
	}
	for _, a := range orig.Attachments {
		if a.Type != "RenderedDocument" {
			continue
		}
		b, err := s.store.AttachmentContent(ctx, orig.ID, a.ID)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			return Fax{}, err
		}
		fx.Document = b
		break
	}
	if fx.Document == nil {
		return Fax{}, msgError(406, "MSG-343", "Fax resend is not allowed for message in current state", "originalMessageId")
	}
	if fx.From, err = s.faxFrom(ctx, sender); err != nil {
		return Fax{}, err
	}
	fx.Resolution = orig.FaxResolution
	if fx.Resolution == "" {
		fx.Resolution = DefaultFaxResolution
	}
	fx.CoverIndex, fx.CoverPageText = orig.CoverIndex, orig.CoverPageText
	fx.Pages = orig.FaxPageCount
	if fx.Pages == 0 {
		fx.Pages = max(PDFPages(fx.Document), 1)
	}
	return fx, nil
}

// SendFax stores an outbound fax, Queued, in the sender's store and returns it as the platform
// answers. The fax is transmitted at sendTime (now when absent or past), plus the send delay
// when it goes to outside numbers: then every recipient gets its status (Sent, or SendingFailed
// with a faxErrorCode), hosted numbers get the fax in their owner's store as an inbound Fax, and
// the fax's own status aggregates its recipients'. Until then it stays Queued.
func (s *Service) SendFax(ctx context.Context, sender rc.Extension, fx Fax) (rc.Message, error) {
	now := s.Clock.Now()
	out := &rc.Message{AccountID: sender.AccountID, ExtensionID: sender.ID, Type: "Fax", Direction: "Outbound",
		Availability: "Alive", ReadStatus: "Read", MessageStatus: "Queued", Priority: "Normal", From: fx.From,
		CreationTime: now, LastModifiedTime: now, FaxResolution: fx.Resolution, FaxPageCount: fx.Pages,
		CoverIndex: fx.CoverIndex, CoverPageText: fx.CoverPageText,
		Attachments: []rc.Attachment{{Type: "RenderedDocument", ContentType: "application/pdf", Size: len(fx.Document),
			Content: fx.Document}}}
	var predicted []faxResult
	for _, to := range fx.To {
		res, err := s.faxDestination(ctx, to.PhoneNumber, fx.Pages)
		if err != nil {
			return rc.Message{}, err
		}
		if to.Name == "" && res.hosted {
			to.Name = res.ext.Name
		}
		to.MessageStatus = "Queued"
		out.To = append(out.To, to)
		out.External = out.External || !res.hosted
		predicted = append(predicted, res)
	}
	answer := cloneMessage(*out)
	at := now
	if fx.SendTime.After(at) {
		at = fx.SendTime
	}
	if out.External {
		at = at.Add(s.Delays().Send)
	}
	msgs := []*rc.Message{out}
	if at.After(now) {
		// applyStatus moves every recipient to this status; settleDueFaxes then sets each
		// recipient's own and delivers to hosted numbers.
		change := &rc.StatusChange{At: at, Status: "Sent"}
		for _, r := range predicted {
			if r.status == "SendingFailed" {
				change.Status, change.ErrorCode = "SendingFailed", r.code
				break
			}
		}
		out.Pending = change
	} else {
		arrivals, err := s.settleFax(ctx, out, now, predicted)
		if err != nil {
			return rc.Message{}, err
		}
		msgs = append(msgs, arrivals...)
	}
	if err := s.store.InsertMessages(ctx, msgs...); err != nil {
		return rc.Message{}, err
	}
	answer.ID, answer.Attachments, answer.Seq = out.ID, cloneAttachments(out.Attachments), out.Seq
	s.publish(msgs, nil)
	if out.Pending != nil {
		s.Kick() // a fax sent at once has nothing left for the scheduler
	}
	return answer, nil
}

// faxResult is how transmitting a fax to one number ends.
type faxResult struct {
	status, code string
	hosted       bool
	ext          rc.Extension
	pn           rc.PhoneNumber
}

func (s *Service) faxDestination(ctx context.Context, number string, pages int) (faxResult, error) {
	ext, pn, hosted, err := s.owner(ctx, number)
	if err != nil {
		return faxResult{}, err
	}
	res := faxResult{status: "Sent", hosted: hosted, ext: ext, pn: pn}
	switch {
	case pages > MaxFaxPages:
		res.status, res.code = "SendingFailed", "TooManyPages"
	case hosted && pn.Type == "VoiceOnly":
		res.status, res.code = "SendingFailed", "NoFaxMachine"
	case !hosted:
		if _, reserved := ReservedNumbers[number]; reserved {
			res.status, res.code = "SendingFailed", FaxErrorCodes[number]
			if res.code == "" {
				res.code = "Undefined"
			}
		}
	}
	return res, nil
}

// faxStatus aggregates the recipients' statuses as MessageStatusEnum describes it for outbound
// faxes: Queued if any is Queued, else SendingFailed if any failed, else Sent.
func faxStatus(to []rc.Party) string {
	status := "Sent"
	for _, p := range to {
		switch p.MessageStatus {
		case "Queued":
			return "Queued"
		case "SendingFailed", "DeliveryFailed":
			status = "SendingFailed"
		}
	}
	return status
}

// settleFax finishes an outbound fax whose transmission time has come: each recipient's status
// and fax error code, the aggregate status, and the inbound copies for hosted recipients (which
// it returns for the caller to store). results, when given, are the recipients' outcomes
// already looked up. A fax deleted before its time is cancelled: it stays Queued, unsent.
func (s *Service) settleFax(ctx context.Context, m *rc.Message, at time.Time, results []faxResult) ([]*rc.Message, error) {
	m.Pending = nil
	m.DeliveryErrorCode = ""
	m.LastModifiedTime = at
	if m.Availability != "Alive" {
		m.MessageStatus = "Queued"
		for i := range m.To {
			m.To[i].MessageStatus, m.To[i].FaxErrorCode = "Queued", ""
		}
		return nil, nil
	}
	var doc *rc.Attachment
	for i := range m.Attachments {
		if m.Attachments[i].Type == "RenderedDocument" {
			doc = &m.Attachments[i]
			break
		}
	}
	var content []byte
	var arrivals []*rc.Message
	for i := range m.To {
		var res faxResult
		if i < len(results) {
			res = results[i]
		} else {
			var err error
			if res, err = s.faxDestination(ctx, m.To[i].PhoneNumber, m.FaxPageCount); err != nil {
				return nil, err
			}
		}
		m.To[i].MessageStatus, m.To[i].FaxErrorCode = res.status, res.code
		if !res.hosted || res.status != "Sent" || doc == nil {
			continue
		}
		if content == nil {
			content = doc.Content
			if content == nil {
				b, err := s.store.AttachmentContent(ctx, m.ID, doc.ID)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
				content = b
			}
		}
		arrivals = append(arrivals, &rc.Message{AccountID: res.pn.AccountID, ExtensionID: res.ext.ID, Type: "Fax",
			Direction: "Inbound", Availability: "Alive", ReadStatus: "Unread", MessageStatus: "Received",
			Priority: "Normal", From: rc.Party{PhoneNumber: m.From.PhoneNumber, Name: m.From.Name},
			To: []rc.Party{{PhoneNumber: m.To[i].PhoneNumber, Name: res.ext.Name}}, Subject: m.From.PhoneNumber,
			CreationTime: at, LastModifiedTime: at, FaxResolution: m.FaxResolution, FaxPageCount: m.FaxPageCount,
			Attachments: []rc.Attachment{{Type: "RenderedDocument", ContentType: "application/pdf", Size: len(content),
				Content: content}}})
	}
	m.MessageStatus = faxStatus(m.To)
	return arrivals, nil
}

// settleDueFaxes finishes the outbound faxes among due (messages whose scheduled status changes
// ApplyDue has just applied) that have reached their transmission: see settleFax. It changes
// them in place and returns the inbound copies to insert. ApplyDue calls it between applying the
// changes and storing them.
func (s *Service) settleDueFaxes(ctx context.Context, due []rc.Message) ([]*rc.Message, error) {
	var arrivals []*rc.Message
	for i := range due {
		m := &due[i]
		if m.Type != "Fax" || m.Direction != "Outbound" || m.Pending != nil {
			continue
		}
		in, err := s.settleFax(ctx, m, m.LastModifiedTime, nil)
		if err != nil {
			return nil, err
		}
		arrivals = append(arrivals, in...)
	}
	return arrivals, nil
}

// --- rendering ---

// faxDoc is one checked document of a fax.
type faxDoc struct {
	Upload
	contentType string
	kind        string
	pages       int
}

const (
	pdfLineWidth = 96 // characters of Courier 10 pt across a Letter page with half-inch margins
)

// renderFax makes the PDF a fax transmits and its recipients receive: a lone PDF without a
// cover page as it is; otherwise a cover page (when coverIndex is not 0) with the sender,
// recipients, date, page count and cover page text, then the text documents' lines, 66 to a
// page, and for every other document as many pages as it counts, each naming the document. A
// fax over 200 pages (which fails) renders its first 200.
func renderFax(fx Fax, docs []faxDoc, now time.Time) []byte {
	if fx.CoverIndex == 0 && len(docs) == 1 && docs[0].kind == KindPDF {
		return docs[0].Content
	}
	var pages [][]string
	if fx.CoverIndex != 0 {
		var to []string
		for _, p := range fx.To {
			if p.Name != "" {
				to = append(to, p.Name+" "+p.PhoneNumber)
			} else {
				to = append(to, p.PhoneNumber)
			}
		}
		cover := []string{"FAX", "", "Date:   " + now.UTC().Format("Mon, 02 Jan 2006 15:04 MST"),
			"From:   " + strings.TrimSpace(fx.From.Name+" "+fx.From.PhoneNumber), "To:     " + strings.Join(to, ", "),
			fmt.Sprintf("Pages:  %d, including this cover page", fx.Pages), fmt.Sprintf("Cover:  %d", fx.CoverIndex), ""}
		for _, line := range strings.Split(fx.CoverPageText, "\n") {
			for utf8.RuneCountInString(line) > pdfLineWidth {
				r := []rune(line)
				cover = append(cover, string(r[:pdfLineWidth]))
				line = string(r[pdfLineWidth:])
			}
			cover = append(cover, line)
		}
		pages = append(pages, cover[:min(len(cover), TextLinesPerPage)])
	}
	for _, d := range docs {
		if d.kind == KindText {
			lines := strings.Split(strings.TrimSuffix(string(d.Content), "\n"), "\n")
			for len(lines) > 0 && len(pages) < MaxFaxPages {
				n := min(len(lines), TextLinesPerPage)
				pages = append(pages, lines[:n])
				lines = lines[n:]
			}
			continue
		}
		name := d.FileName
		if name == "" {
			name = "attachment"
		}
		for p := 1; p <= d.pages && len(pages) < MaxFaxPages; p++ {
			pages = append(pages, []string{fmt.Sprintf("%s (%s)", name, d.contentType), fmt.Sprintf("page %d of %d", p, d.pages)})
		}
	}
	return WritePDF(pages[:min(len(pages), MaxFaxPages)])
}

// WritePDF writes a PDF of Letter pages, each showing its lines in Courier 10 pt. Characters
// outside printable ASCII show as "?".
func WritePDF(pages [][]string) []byte {
	var w pdfWriter
	w.b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	w.obj("<< /Type /Catalog /Pages 2 0 R >>")
	var kids strings.Builder
	for i := range pages {
		fmt.Fprintf(&kids, "%d 0 R ", 4+2*i)
	}
	w.obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.TrimSpace(kids.String()), len(pages)))
	w.obj("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
	for i, lines := range pages {
		w.obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		var c strings.Builder
		c.WriteString("BT /F1 10 Tf 11 TL 36 756 Td\n")
		for _, line := range lines {
			c.WriteString("(")
			c.WriteString(pdfString(line))
			c.WriteString(") Tj T*\n")
		}
		c.WriteString("ET")
		w.obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.String()))
	}
	return w.finish()
}

// pdfString escapes a line for a PDF literal string. "/" is written in octal so that a text
// that says "/Type /Page" does not look like a page object to a page counter.
func pdfString(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		if n == pdfLineWidth {
			break
		}
		n++
		switch {
		case r == '\\' || r == '(' || r == ')':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '/':
			b.WriteString(`\057`)
		case r == '\t':
			b.WriteString("    ")
		case r == '\r':
			n--
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
