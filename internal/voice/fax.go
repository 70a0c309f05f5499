package voice

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// faxSecondsPerPage is how long the call log says a page takes to transmit.
const faxSecondsPerPage = 30

// LogFax writes the call-log record of a fax that was sent (or failed) or received: faxes are
// calls too, of type Fax. A fax is logged once, whatever changes to its message follow.
func (s *Service) LogFax(ctx context.Context, m rc.Message) error {
	if m.Type != "Fax" {
		return nil
	}
	r := &rc.CallRecord{ID: "F" + strconv.FormatInt(m.ID, 36), AccountID: m.AccountID, ExtensionID: m.ExtensionID,
		SessionID: strconv.FormatInt(m.ID*10+4, 10), StartTime: m.CreationTime,
		Duration: time.Duration(max(m.FaxPageCount, 1)*faxSecondsPerPage) * time.Second, Type: "Fax",
		Direction: m.Direction, Transport: "PSTN", MessageID: m.ID, MessageType: "Fax", LastModified: m.LastModifiedTime,
		From: rc.CallEndpoint{PhoneNumber: m.From.PhoneNumber, Name: m.From.Name, ExtensionNumber: m.From.ExtensionNumber,
			ExtensionID: m.From.ExtensionID}}
	if len(m.To) > 0 {
		t := m.To[0]
		r.To = rc.CallEndpoint{PhoneNumber: t.PhoneNumber, Name: t.Name, ExtensionNumber: t.ExtensionNumber, ExtensionID: t.ExtensionID}
	}
	legType := "FaxSent"
	switch {
	case m.Direction == "Inbound" && m.MessageStatus == "Received":
		r.Action, r.Result, legType = "Incoming Fax", "Received", "PstnToSip"
	case m.Direction == "Outbound" && m.MessageStatus == "Sent":
		r.Action, r.Result = "Outgoing Fax", "Sent"
	case m.Direction == "Outbound" && m.MessageStatus == "SendingFailed":
		r.Action, r.Result = "Outgoing Fax", "Fax Not Sent"
	default:
		return nil // not transmitted yet
	}
	r.Legs = []rc.CallLeg{{StartTime: r.StartTime, Duration: r.Duration, Type: "Fax", Direction: r.Direction,
		Action: r.Action, Result: r.Result, From: r.From, To: r.To, LegType: legType, Transport: "PSTN",
		ExtensionID: r.ExtensionID, Master: true}}
	err := s.store.InsertCallRecords(ctx, r)
	if errors.Is(err, store.ErrConflict) {
		return nil // logged already
	}
	return err
}
