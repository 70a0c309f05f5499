package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/store"
	"github.com/rcemu/rcemu/internal/teammessaging"
	"github.com/rcemu/rcemu/internal/voice"
	"github.com/rcemu/rcemu/internal/wsg"
)

// Directory is what the console reads of accounts, extensions and numbers.
type Directory interface {
	Accounts(ctx context.Context) ([]rc.Account, error)
	ListExtensions(ctx context.Context, f store.ExtensionFilter) ([]rc.Extension, int, error)
	ListPhoneNumbers(ctx context.Context, f store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error)
}

// Messages pages through one extension's message store.
type Messages interface {
	ListMessages(ctx context.Context, f store.MessageFilter) ([]rc.Message, int, error)
}

// Subscriptions lists every subscription, whoever owns it.
type Subscriptions interface {
	AllSubscriptions(ctx context.Context) ([]rc.Subscription, error)
}

// CallLog pages through an account's call log.
type CallLog interface {
	Log(ctx context.Context, f voice.LogFilter) ([]rc.CallRecord, error)
}

// Chats lists the chats and posts an extension sees.
type Chats interface {
	ListChats(ctx context.Context, caller *rc.Principal, types []string, pr teammessaging.PageRequest) (teammessaging.Page[teammessaging.Chat], error)
	ListPosts(ctx context.Context, caller *rc.Principal, chatID, threadID string, pr teammessaging.PageRequest) (teammessaging.Page[teammessaging.Post], error)
}

// Attempts are the recent WebHook delivery attempts.
type Attempts interface {
	Attempts(limit int) []notify.Attempt
}

// Sockets are the WebSocket gateway's sessions.
type Sockets interface {
	Sessions() []wsg.SessionInfo
}

type accountOut struct {
	rc.Account
	Extensions   []rc.Extension   `json:"extensions"`
	PhoneNumbers []rc.PhoneNumber `json:"phoneNumbers"`
}

func (h *Handler) directory(w http.ResponseWriter, r *restapi.Request) error {
	ctx := r.Context()
	accounts, err := h.Directory.Accounts(ctx)
	if err != nil {
		return err
	}
	out := make([]accountOut, len(accounts))
	for i, a := range accounts {
		exts, _, err := h.Directory.ListExtensions(ctx, store.ExtensionFilter{AccountID: a.ID, Limit: 1000})
		if err != nil {
			return err
		}
		nums, _, err := h.Directory.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: a.ID, Limit: 1000})
		if err != nil {
			return err
		}
		out[i] = accountOut{Account: a, Extensions: exts, PhoneNumbers: nums}
	}
	return restapi.JSON(w, 200, map[string]any{"records": out})
}

func int64Param(r *restapi.Request, name string) (int64, error) {
	v := r.Query.Get(name)
	if v == "" {
		return 0, rc.Missing(name)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, rc.Invalid(name)
	}
	return n, nil
}

// paging reads offset and limit; limit is at most 200 so that no view ever loads a whole store.
func paging(r *restapi.Request) (offset, limit int, err error) {
	if offset, err = r.Query.Int("offset", 0, 0, 1<<30); err != nil {
		return
	}
	limit, err = r.Query.Int("limit", 50, 1, 200)
	return
}

// messageOut is a message as the console lists it: no attachment bodies, plain times.
type messageOut struct {
	ID                int64      `json:"id"`
	Type              string     `json:"type"`
	Direction         string     `json:"direction"`
	Availability      string     `json:"availability"`
	ReadStatus        string     `json:"readStatus"`
	MessageStatus     string     `json:"messageStatus"`
	DeliveryErrorCode string     `json:"deliveryErrorCode,omitempty"`
	From              rc.Party   `json:"from"`
	To                []rc.Party `json:"to"`
	Subject           string     `json:"subject"`
	CreationTime      string     `json:"creationTime"`
	Attachments       int        `json:"attachments"`
	External          bool       `json:"external,omitempty"`
}

func (h *Handler) messages(w http.ResponseWriter, r *restapi.Request) error {
	ext, err := int64Param(r, "extensionId")
	if err != nil {
		return err
	}
	offset, limit, err := paging(r)
	if err != nil {
		return err
	}
	ms, total, err := h.Messages.ListMessages(r.Context(), store.MessageFilter{ExtensionID: ext, Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]messageOut, len(ms))
	for i, m := range ms {
		out[i] = messageOut{ID: m.ID, Type: m.Type, Direction: m.Direction, Availability: m.Availability, ReadStatus: m.ReadStatus,
			MessageStatus: m.MessageStatus, DeliveryErrorCode: m.DeliveryErrorCode, From: m.From, To: m.To, Subject: m.Subject,
			CreationTime: rc.FormatTime(m.CreationTime), Attachments: len(m.Attachments), External: m.External}
	}
	return restapi.JSON(w, 200, map[string]any{"records": out, "total": total, "offset": offset, "limit": limit})
}

func (h *Handler) callLog(w http.ResponseWriter, r *restapi.Request) error {
	acc, err := int64Param(r, "accountId")
	if err != nil {
		return err
	}
	offset, limit, err := paging(r)
	if err != nil {
		return err
	}
	recs, err := h.CallLog.Log(r.Context(), voice.LogFilter{AccountID: acc, Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"records": recs, "offset": offset, "limit": limit})
}

// viewer is an administrator acting as the extension, so the console sees its chats as it does.
func (h *Handler) viewer(r *restapi.Request) (*rc.Principal, error) {
	acc, err := int64Param(r, "accountId")
	if err != nil {
		return nil, err
	}
	ext, err := int64Param(r, "extensionId")
	if err != nil {
		return nil, err
	}
	return &rc.Principal{AccountID: acc, ExtensionID: ext, Admin: true, AllPermissions: true, ClientID: "rcemu-console",
		ExpiresAt: time.Now().Add(time.Hour)}, nil
}

func (h *Handler) chats(w http.ResponseWriter, r *restapi.Request) error {
	p, err := h.viewer(r)
	if err != nil {
		return err
	}
	page, err := h.Chats.ListChats(r.Context(), p, nil, teammessaging.PageRequest{RecordCount: 250, Token: r.Query.Get("pageToken")})
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"records": page.Records, "nextPageToken": page.Next})
}

func (h *Handler) posts(w http.ResponseWriter, r *restapi.Request) error {
	p, err := h.viewer(r)
	if err != nil {
		return err
	}
	chat := r.Query.Get("chatId")
	if chat == "" {
		return rc.Missing("chatId")
	}
	page, err := h.Chats.ListPosts(r.Context(), p, chat, "", teammessaging.PageRequest{RecordCount: 50, Token: r.Query.Get("pageToken")})
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"records": page.Records, "nextPageToken": page.Next})
}

func (h *Handler) subscriptions(w http.ResponseWriter, r *restapi.Request) error {
	subs, err := h.Subscriptions.AllSubscriptions(r.Context())
	if err != nil {
		return err
	}
	if subs == nil {
		subs = []rc.Subscription{}
	}
	return restapi.JSON(w, 200, map[string]any{"records": subs, "attempts": h.Attempts.Attempts(200),
		"sessions": h.Sockets.Sessions()})
}
