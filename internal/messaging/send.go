package messaging

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// SMSRequest is the body of createSMSMessage (and the text part of createMMS).
type SMSRequest struct {
	From *struct {
		PhoneNumber string `json:"phoneNumber"`
	} `json:"from"`
	To []struct {
		PhoneNumber string `json:"phoneNumber"`
	} `json:"to"`
	Text    *string `json:"text"`
	Country *struct {
		ID      string `json:"id"`
		ISOCode string `json:"isoCode"`
	} `json:"country"`
}

func msgError(status int, code, msg, param string) *rc.Error {
	return &rc.Error{Status: status, Code: code, TopCode: code, Message: msg, Param: param}
}

// checkSender validates `from` against the sender's own numbers and the feature it needs
// (SmsSender or MmsSender).
func (s *Service) checkSender(ctx context.Context, sender rc.Extension, from string, feature string) (rc.PhoneNumber, error) {
	if from == "" {
		return rc.PhoneNumber{}, rc.Missing("from.phoneNumber")
	}
	if !e164RE.MatchString(from) {
		return rc.PhoneNumber{}, rc.Invalid("from.phoneNumber")
	}
	nums, _, err := s.store.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: sender.AccountID, ExtensionID: sender.ID})
	if err != nil {
		return rc.PhoneNumber{}, err
	}
	for _, n := range nums {
		if n.PhoneNumber != from {
			continue
		}
		if n.Type == "FaxOnly" {
			return n, msgError(403, "MSG-241", "Cannot send SMS from Fax number", "from.phoneNumber")
		}
		if !slices.Contains(n.Features, feature) {
			if feature == "MmsSender" {
				return n, msgError(403, "MSG-242", "Sending MMS is not available from the number specified.", "from.phoneNumber")
			}
			return n, msgError(403, "MSG-242", "Sending SMS is not available from the number specified.", "from.phoneNumber")
		}
		return n, nil
	}
	return rc.PhoneNumber{}, msgError(400, "MSG-245",
		fmt.Sprintf("Parameter [from] value [%s] is invalid [Cannot find the phone number which belongs to user]", from), "from")
}

// TextMessage is a checked SMS or MMS ready to send.
type TextMessage struct {
	Type        string // SMS or MMS is stored as SMS
	From        string
	To          []string
	Text        string
	Attachments []rc.Attachment
}

// CheckSMS validates an SMS request body. The sender, here and in every other sending method, is
// the caller's extension as the handler has already loaded it.
func (s *Service) CheckSMS(ctx context.Context, sender rc.Extension, req SMSRequest, mms bool) (TextMessage, error) {
	if req.From == nil {
		return TextMessage{}, rc.Missing("from")
	}
	feature := "SmsSender"
	if mms {
		feature = "MmsSender"
	}
	from := strings.TrimSpace(req.From.PhoneNumber)
	if _, err := s.checkSender(ctx, sender, from, feature); err != nil {
		return TextMessage{}, err
	}
	if len(req.To) == 0 {
		return TextMessage{}, rc.Missing("to")
	}
	if len(req.To) > MaxRecipients {
		return TextMessage{}, msgError(400, "MSG-381", fmt.Sprintf("Exceeded max recipients for Group MMS: [%d]", MaxRecipients), "to")
	}
	tm := TextMessage{Type: "SMS", From: from}
	for _, t := range req.To {
		n := strings.TrimSpace(t.PhoneNumber)
		if n == "" {
			return TextMessage{}, rc.Missing("to.phoneNumber")
		}
		if !e164RE.MatchString(n) {
			return TextMessage{}, rc.Invalid("to.phoneNumber")
		}
		if !slices.Contains(tm.To, n) {
			tm.To = append(tm.To, n)
		}
	}
	if req.Text == nil || (*req.Text == "" && !mms) {
		return TextMessage{}, rc.Missing("text")
	}
	tm.Text = *req.Text
	if err := checkTextLength(tm.Text); err != nil {
		return TextMessage{}, err
	}
	return tm, nil
}

func checkTextLength(text string) error {
	if utf8.RuneCountInString(text) > MaxTextLength {
		return msgError(400, "MSG-338", fmt.Sprintf("Message size limit exceeded: the text has more than %d characters", MaxTextLength), "text")
	}
	return nil
}

// SendText stores an outbound SMS or MMS in the sender's store, an inbound copy in the store of
// every hosted recipient, and sends the rest out. It returns the sender's record as the platform
// answers it: Queued.
func (s *Service) SendText(ctx context.Context, sender rc.Extension, tm TextMessage) (rc.Message, error) {
	now := s.Clock.Now()
	conv := rc.ConversationID(append([]string{tm.From}, tm.To...)...)
	out := &rc.Message{AccountID: sender.AccountID, ExtensionID: sender.ID, Type: "SMS", Direction: "Outbound",
		Availability: "Alive", ReadStatus: "Read", MessageStatus: "Queued", Priority: "Normal",
		From: rc.Party{PhoneNumber: tm.From, Name: sender.Name, Location: ""}, Subject: tm.Text, ConversationID: conv,
		CreationTime: now, LastModifiedTime: now, SMSAttempts: 1, SegmentCount: segments(tm.Text)}
	out.Attachments = s.attachments(tm)
	msgs := []*rc.Message{out}
	var failure *Failure
	external := false
	for _, to := range tm.To {
		party := rc.Party{PhoneNumber: to, MessageStatus: "Queued"}
		ext, pn, hosted, err := s.owner(ctx, to)
		if err != nil {
			return rc.Message{}, err
		}
		if hosted {
			party.Name = ext.Name
			in := &rc.Message{AccountID: pn.AccountID, ExtensionID: ext.ID, Type: "SMS", Direction: "Inbound",
				Availability: "Alive", ReadStatus: "Unread", MessageStatus: "Received", Priority: "Normal",
				From: rc.Party{PhoneNumber: tm.From, Name: sender.Name}, Subject: tm.Text, ConversationID: conv,
				CreationTime: now, LastModifiedTime: now, Attachments: s.attachments(tm)}
			for _, t := range tm.To {
				p := rc.Party{PhoneNumber: t}
				if t == to {
					p.Name = ext.Name
				}
				in.To = append(in.To, p)
			}
			msgs = append(msgs, in)
		} else {
			external = true
			if f, ok := ReservedNumbers[to]; ok && failure == nil {
				failure = &f
			}
		}
		out.To = append(out.To, party)
	}
	out.External = external
	answer := cloneMessage(*out)
	s.schedule(out, failure, now)
	if err := s.store.InsertMessages(ctx, msgs...); err != nil {
		return rc.Message{}, err
	}
	answer.ID, answer.Attachments, answer.Seq = out.ID, cloneAttachments(out.Attachments), out.Seq
	s.publish(msgs, nil)
	if out.Pending != nil {
		s.Kick() // only a scheduled status change needs the scheduler
	}
	return answer, nil
}

func (s *Service) attachments(tm TextMessage) []rc.Attachment {
	var as []rc.Attachment
	if tm.Text != "" || len(tm.Attachments) == 0 {
		as = append(as, textAttachment(tm.Text))
	}
	for _, a := range tm.Attachments {
		a.ID = 0
		as = append(as, a)
	}
	return as
}

func cloneAttachments(as []rc.Attachment) []rc.Attachment {
	out := make([]rc.Attachment, len(as))
	for i, a := range as {
		a.Content = nil
		out[i] = a
	}
	return out
}

func cloneMessage(m rc.Message) rc.Message {
	m.To = slices.Clone(m.To)
	m.Attachments = cloneAttachments(m.Attachments)
	return m
}

// schedule sets an outbound text's way to its final status: at once with zero delays, else as
// pending changes the clock brings.
func (s *Service) schedule(m *rc.Message, failure *Failure, now time.Time) {
	final := &rc.StatusChange{Status: "Delivered"}
	if failure != nil {
		final = &rc.StatusChange{Status: failure.Status, ErrorCode: failure.ErrorCode}
	}
	d := s.Delays()
	if !m.External || (d.Send == 0 && d.Delivery == 0) {
		final.At = now
		applyStatus(m, *final)
		return
	}
	sent := &rc.StatusChange{At: now.Add(d.Send), Status: "Sent", Then: final}
	final.At = sent.At.Add(d.Delivery)
	if failure != nil && failure.Status == "SendingFailed" {
		// Sending fails before the message leaves: no Sent step.
		final.At = sent.At
		m.Pending = final
		return
	}
	m.Pending = sent
}

// applyStatus moves an outbound message to a status, with its recipients.
func applyStatus(m *rc.Message, c rc.StatusChange) {
	m.MessageStatus = c.Status
	m.DeliveryErrorCode = c.ErrorCode
	m.LastModifiedTime = c.At
	for i := range m.To {
		m.To[i].MessageStatus = c.Status
	}
	if c.Status == "Delivered" {
		t := c.At
		m.SMSDeliveryTime = &t
	}
	m.Pending = c.Then
}

// PagerRequest is the body of createInternalTextMessage.
type PagerRequest struct {
	From *struct {
		ExtensionID     string `json:"extensionId"`
		ExtensionNumber string `json:"extensionNumber"`
	} `json:"from"`
	To []struct {
		ExtensionID     string `json:"extensionId"`
		ExtensionNumber string `json:"extensionNumber"`
	} `json:"to"`
	Text    *string `json:"text"`
	ReplyOn *int64  `json:"replyOn"`
}

// SendPager delivers a company pager message to extensions of the sender's account.
func (s *Service) SendPager(ctx context.Context, sender rc.Extension, req PagerRequest) (rc.Message, error) {
	if req.Text == nil || *req.Text == "" {
		return rc.Message{}, rc.Missing("text")
	}
	if err := checkTextLength(*req.Text); err != nil {
		return rc.Message{}, err
	}
	if f := req.From; f != nil && ((f.ExtensionID != "" && f.ExtensionID != id(sender.ID)) ||
		(f.ExtensionNumber != "" && f.ExtensionNumber != sender.ExtensionNumber)) {
		return rc.Message{}, msgError(400, "MSG-331", "Sender extension number does not correspond to logged in extension", "from")
	}
	var recipients []rc.Extension
	seen := map[int64]bool{sender.ID: true}
	addRecipient := func(e rc.Extension) {
		if !seen[e.ID] {
			seen[e.ID] = true
			recipients = append(recipients, e)
		}
	}
	var conv int64
	if req.ReplyOn != nil {
		orig, err := s.store.Message(ctx, sender.ID, *req.ReplyOn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && orig.Type != "Pager") {
			return rc.Message{}, rc.BadReference("replyOn")
		}
		if err != nil {
			return rc.Message{}, err
		}
		conv = orig.ConversationID
		if len(req.To) == 0 {
			for _, p := range append([]rc.Party{orig.From}, orig.To...) {
				if p.ExtensionID != 0 && p.ExtensionID != sender.ID {
					if e, err := s.store.Extension(ctx, sender.AccountID, p.ExtensionID); err == nil {
						addRecipient(e)
					}
				}
			}
		}
	}
	for _, t := range req.To {
		var e rc.Extension
		var err error
		switch {
		case t.ExtensionID != "":
			var n int64
			if _, perr := fmt.Sscan(t.ExtensionID, &n); perr != nil {
				err = store.ErrNotFound
			} else {
				e, err = s.store.Extension(ctx, sender.AccountID, n)
			}
		case t.ExtensionNumber != "":
			e, err = s.store.ExtensionByNumber(ctx, sender.AccountID, t.ExtensionNumber)
		default:
			return rc.Message{}, rc.Missing("to.extensionNumber")
		}
		if errors.Is(err, store.ErrNotFound) {
			v := t.ExtensionNumber
			if v == "" {
				v = t.ExtensionID
			}
			return rc.Message{}, msgError(400, "MSG-316", fmt.Sprintf("Parameter [to] value [%s] is invalid [Target extension not found]", v), "to")
		}
		if err != nil {
			return rc.Message{}, err
		}
		if e.Status != "Enabled" {
			return rc.Message{}, msgError(400, "MSG-324", "Recipient extension is in inappropriate state", "to")
		}
		addRecipient(e)
	}
	if len(recipients) == 0 {
		return rc.Message{}, rc.Missing("to")
	}
	now := s.Clock.Now()
	if conv == 0 {
		ids := []string{id(sender.ID)}
		for _, r := range recipients {
			ids = append(ids, id(r.ID))
		}
		conv = rc.ConversationID(ids...)
	}
	party := func(e rc.Extension) rc.Party {
		return rc.Party{ExtensionNumber: e.ExtensionNumber, ExtensionID: e.ID, Name: e.Name}
	}
	var to []rc.Party
	for _, r := range recipients {
		to = append(to, party(r))
	}
	dept := false
	for _, r := range recipients {
		dept = dept || r.Type == "Department"
	}
	base := rc.Message{AccountID: sender.AccountID, Type: "Pager", Availability: "Alive", Priority: "Normal",
		From: party(sender), Subject: *req.Text, ConversationID: conv, CreationTime: now, LastModifiedTime: now,
		PgToDepartment: dept}
	out := base
	out.ExtensionID, out.Direction, out.ReadStatus, out.MessageStatus = sender.ID, "Outbound", "Read", "Sent"
	// The platform lists the sender among the recipients of its own copy.
	out.To = append(slices.Clone(to), party(sender))
	out.Attachments = []rc.Attachment{textAttachment(*req.Text)}
	msgs := []*rc.Message{&out}
	for _, r := range recipients {
		in := base
		in.ExtensionID, in.Direction, in.ReadStatus, in.MessageStatus = r.ID, "Inbound", "Unread", "Received"
		in.To = slices.Clone(to)
		in.Attachments = []rc.Attachment{textAttachment(*req.Text)}
		msgs = append(msgs, &in)
	}
	if err := s.store.InsertMessages(ctx, msgs...); err != nil {
		return rc.Message{}, err
	}
	s.publish(msgs, nil)
	return cloneMessage(out), nil
}

// InboundRequest is an inbound message from an outside number, injected by a test.
type InboundRequest struct {
	Type        string          // SMS, MMS (stored as SMS), Fax or VoiceMail
	From        string          // outside E.164 number
	To          string          // hosted number
	Text        string          // SMS text, or fax cover text
	Attachments []rc.Attachment // MMS parts, the fax document, the voicemail audio
	Duration    int             // voicemail seconds
	Pages       int             // fax pages
}

// Inject delivers an inbound message to the store of the extension that owns `to`.
func (s *Service) Inject(ctx context.Context, r InboundRequest) (rc.Message, error) {
	if !e164RE.MatchString(r.From) {
		return rc.Message{}, rc.Invalid("from")
	}
	if !e164RE.MatchString(r.To) {
		return rc.Message{}, rc.Invalid("to")
	}
	ext, pn, hosted, err := s.owner(ctx, r.To)
	if err != nil {
		return rc.Message{}, err
	}
	if !hosted {
		return rc.Message{}, msgError(400, "MSG-310", "Phone number is not assigned", "to")
	}
	now := s.Clock.Now()
	m := &rc.Message{AccountID: pn.AccountID, ExtensionID: ext.ID, Direction: "Inbound", Availability: "Alive",
		ReadStatus: "Unread", MessageStatus: "Received", Priority: "Normal", From: rc.Party{PhoneNumber: r.From},
		To: []rc.Party{{PhoneNumber: r.To, Name: ext.Name}}, ConversationID: rc.ConversationID(r.From, r.To),
		CreationTime: now, LastModifiedTime: now}
	switch r.Type {
	case "SMS", "MMS", "":
		if r.Text == "" && len(r.Attachments) == 0 {
			return rc.Message{}, rc.Missing("text")
		}
		m.Type, m.Subject = "SMS", r.Text
		m.Attachments = s.attachments(TextMessage{Text: r.Text, Attachments: r.Attachments})
	case "Fax":
		if len(r.Attachments) == 0 {
			r.Attachments = []rc.Attachment{{Type: "RenderedDocument", ContentType: "application/pdf", FileName: "fax.pdf",
				Content: BlankPDF(max(r.Pages, 1))}}
		}
		m.Type, m.FaxResolution, m.FaxPageCount = "Fax", "High", max(r.Pages, 1)
		m.CoverPageText = r.Text
		m.Attachments = r.Attachments
		m.ConversationID = 0
	case "VoiceMail":
		if len(r.Attachments) == 0 {
			r.Attachments = []rc.Attachment{{Type: "AudioRecording", ContentType: "audio/mpeg", FileName: "voicemail.mp3",
				Content: SilentMP3(max(r.Duration, 1))}}
		}
		for i := range r.Attachments {
			r.Attachments[i].VMDuration = max(r.Duration, 1)
		}
		m.Type, m.VMTranscription = "VoiceMail", "NotAvailable"
		m.Attachments = r.Attachments
		m.ConversationID = 0
	default:
		return rc.Message{}, rc.Invalid("type")
	}
	for i := range m.Attachments {
		m.Attachments[i].Size = len(m.Attachments[i].Content)
	}
	if err := s.store.InsertMessages(ctx, m); err != nil {
		return rc.Message{}, err
	}
	s.publish([]*rc.Message{m}, nil)
	return cloneMessage(*m), nil
}

// LeaveVoicemail stores the message a caller left in a hosted extension's mailbox: a VoiceMail
// in its store with the recording attached, announced like any inbound message.
func (s *Service) LeaveVoicemail(ctx context.Context, to rc.Extension, from rc.CallEndpoint, seconds int, audio []byte, contentType string) (rc.Message, error) {
	now := s.Clock.Now()
	m := &rc.Message{AccountID: to.AccountID, ExtensionID: to.ID, Type: "VoiceMail", Direction: "Inbound",
		Availability: "Alive", ReadStatus: "Unread", MessageStatus: "Received", Priority: "Normal",
		From:         rc.Party{PhoneNumber: from.PhoneNumber, ExtensionNumber: from.ExtensionNumber, ExtensionID: from.ExtensionID, Name: from.Name},
		To:           []rc.Party{{ExtensionNumber: to.ExtensionNumber, ExtensionID: to.ID, Name: to.Name}},
		CreationTime: now, LastModifiedTime: now, VMTranscription: "NotAvailable",
		Attachments: []rc.Attachment{{Type: "AudioRecording", ContentType: contentType, FileName: "voicemail.wav",
			Size: len(audio), VMDuration: max(seconds, 1), Content: audio}}}
	if err := s.store.InsertMessages(ctx, m); err != nil {
		return rc.Message{}, err
	}
	s.publish([]*rc.Message{m}, nil)
	return cloneMessage(*m), nil
}
