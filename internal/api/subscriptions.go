package api

import (
	"net/http"
	"time"

	"github.com/rcemu/rcemu/internal/directory"
	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/presence"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
)

func (h *Handlers) registerNotifications(rt *restapi.Router) {
	sub := v1 + "/subscription"
	rt.Handle("POST", sub, h.createSubscription, restapi.Options{})
	rt.Handle("GET", sub, h.listSubscriptions, restapi.Options{})
	rt.Handle("GET", sub+"/{subscriptionId}", h.readSubscription, restapi.Options{})
	rt.Handle("PUT", sub+"/{subscriptionId}", h.updateSubscription, restapi.Options{})
	rt.Handle("DELETE", sub+"/{subscriptionId}", h.deleteSubscription, restapi.Options{})
	rt.Handle("POST", sub+"/{subscriptionId}/renew", h.renewSubscription, restapi.Options{})

	ext := v1 + "/account/{accountId}/extension/{extensionId}"
	rt.Handle("GET", ext+"/presence", h.readPresence, restapi.Options{OtherExtensionAllowed: true})
	rt.Handle("PUT", ext+"/presence", h.updatePresence, restapi.Options{Permission: "EditPresenceStatus"})
	rt.Handle("GET", v1+"/account/{accountId}/presence", h.readAccountPresence, restapi.Options{})
}

type deliveryModeOut struct {
	TransportType string `json:"transportType"`
	Address       string `json:"address,omitempty"`
	Encryption    bool   `json:"encryption"`
}

type blacklistedData struct {
	BlacklistedAt string `json:"blacklistedAt"`
	Reason        string `json:"reason"`
}

type subscriptionInfo struct {
	URI             string           `json:"uri"`
	ID              string           `json:"id"`
	CreationTime    string           `json:"creationTime"`
	Status          string           `json:"status"`
	EventFilters    []string         `json:"eventFilters"`
	ExpirationTime  string           `json:"expirationTime"`
	ExpiresIn       int64            `json:"expiresIn"`
	DeliveryMode    deliveryModeOut  `json:"deliveryMode"`
	BlacklistedData *blacklistedData `json:"blacklistedData,omitempty"`
}

func newSubscriptionInfo(r *restapi.Request, s rc.Subscription) subscriptionInfo {
	left := int64(s.Expiration.Sub(r.Now) / time.Second)
	if left < 0 {
		left = 0
	}
	out := subscriptionInfo{URI: r.URI(v1 + "/subscription/" + s.ID), ID: s.ID, CreationTime: rc.FormatTime(s.CreationTime),
		Status: s.Status, EventFilters: s.EventFilters, ExpirationTime: rc.FormatTime(s.Expiration), ExpiresIn: left,
		DeliveryMode: deliveryModeOut{TransportType: s.DeliveryMode.TransportType, Address: s.DeliveryMode.Address}}
	if s.BlacklistedAt != nil {
		out.BlacklistedData = &blacklistedData{BlacklistedAt: rc.FormatTime(*s.BlacklistedAt), Reason: s.BlacklistReason}
	}
	return out
}

func owner(r *restapi.Request) notify.Owner {
	return notify.Owner{Principal: r.Principal, WSSession: notify.WSSessionFrom(r.Context())}
}

func (h *Handlers) createSubscription(w http.ResponseWriter, r *restapi.Request) error {
	var req notify.CreateRequest
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	s, err := h.Notify.Create(r.Context(), owner(r), req)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newSubscriptionInfo(r, s))
}

func (h *Handlers) listSubscriptions(w http.ResponseWriter, r *restapi.Request) error {
	subs, err := h.Notify.List(r.Context(), r.Principal)
	if err != nil {
		return err
	}
	records := make([]subscriptionInfo, len(subs))
	for i, s := range subs {
		records[i] = newSubscriptionInfo(r, s)
	}
	return restapi.JSON(w, 200, struct {
		URI     string             `json:"uri"`
		Records []subscriptionInfo `json:"records"`
	}{r.URI(v1 + "/subscription"), records})
}

func (h *Handlers) readSubscription(w http.ResponseWriter, r *restapi.Request) error {
	s, err := h.Notify.Get(r.Context(), r.Principal, r.Param("subscriptionId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newSubscriptionInfo(r, s))
}

func (h *Handlers) updateSubscription(w http.ResponseWriter, r *restapi.Request) error {
	var req notify.UpdateRequest
	// The body is optional: an empty one just renews.
	if _, err := r.DecodeOptionalJSON(&req); err != nil {
		return err
	}
	s, err := h.Notify.Update(r.Context(), owner(r), r.Param("subscriptionId"), req)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newSubscriptionInfo(r, s))
}

func (h *Handlers) renewSubscription(w http.ResponseWriter, r *restapi.Request) error {
	s, err := h.Notify.Renew(r.Context(), owner(r), r.Param("subscriptionId"))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newSubscriptionInfo(r, s))
}

func (h *Handlers) deleteSubscription(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.Notify.Delete(r.Context(), r.Principal, r.Param("subscriptionId")); err != nil {
		return err
	}
	return restapi.NoContent(w)
}

// --- presence ---

type presenceExtension struct {
	ID              int64  `json:"id"`
	URI             string `json:"uri"`
	ExtensionNumber string `json:"extensionNumber"`
}

type presenceInfo struct {
	URI                 string               `json:"uri"`
	Extension           presenceExtension    `json:"extension"`
	PresenceStatus      string               `json:"presenceStatus"`
	TelephonyStatus     string               `json:"telephonyStatus,omitempty"`
	UserStatus          string               `json:"userStatus"`
	DndStatus           string               `json:"dndStatus"`
	Message             string               `json:"message,omitempty"`
	AllowSeeMyPresence  bool                 `json:"allowSeeMyPresence"`
	RingOnMonitoredCall bool                 `json:"ringOnMonitoredCall"`
	PickUpCallsOnHold   bool                 `json:"pickUpCallsOnHold"`
	MeetingStatus       string               `json:"meetingStatus"`
	ActiveCalls         *[]notify.ActiveCall `json:"activeCalls,omitempty"` // with detailedTelephonyState only
}

func newPresenceInfo(r *restapi.Request, e rc.Extension, p rc.Presence, tel *rc.Telephony, detailed, sip bool) presenceInfo {
	uri := extensionURI(r, e.AccountID, e.ID)
	out := presenceInfo{URI: uri + "/presence", Extension: presenceExtension{ID: e.ID, URI: uri, ExtensionNumber: e.ExtensionNumber},
		PresenceStatus: notify.PresenceWithCalls(p, tel), UserStatus: p.UserStatus, DndStatus: p.DndStatus, Message: p.Message,
		AllowSeeMyPresence: p.AllowSeeMyPresence, RingOnMonitoredCall: p.RingOnMonitoredCall,
		PickUpCallsOnHold: p.PickUpCallsOnHold, MeetingStatus: "Disconnected", TelephonyStatus: notify.TelephonyStatus(tel)}
	if e.Type != "User" && e.Type != "DigitalUser" && e.Type != "VirtualUser" {
		// The platform reports other extension types as Offline.
		out.PresenceStatus, out.UserStatus = "Offline", "Offline"
	}
	if detailed {
		calls := notify.ActiveCalls(tel, sip)
		out.ActiveCalls = &calls
	}
	return out
}

// telephony reads an extension's calls in progress for its presence.
func (h *Handlers) telephony(r *restapi.Request, e rc.Extension) (*rc.Telephony, error) {
	if h.Voice == nil {
		return nil, nil
	}
	tel, err := h.Voice.Telephony(r.Context(), e.AccountID, e.ID)
	return &tel, err
}

func (h *Handlers) readPresence(w http.ResponseWriter, r *restapi.Request) error {
	e, err := h.Directory.Extension(r.Context(), r.AccountID, r.ExtensionID)
	if err != nil {
		return err
	}
	detailed, err := r.Query.Bool("detailedTelephonyState", false)
	if err != nil {
		return err
	}
	sip, err := r.Query.Bool("sipData", false)
	if err != nil {
		return err
	}
	p, err := h.Presence.Get(r.Context(), e.ID)
	if err != nil {
		return err
	}
	if !p.AllowSeeMyPresence && !r.Principal.Admin && e.ID != r.Principal.ExtensionID {
		return rc.OtherExtension("ReadPresenceStatus")
	}
	tel, err := h.telephony(r, e)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newPresenceInfo(r, e, p, tel, detailed, sip))
}

func (h *Handlers) updatePresence(w http.ResponseWriter, r *restapi.Request) error {
	e, err := h.Directory.Extension(r.Context(), r.AccountID, r.ExtensionID)
	if err != nil {
		return err
	}
	var u presence.Update
	if err := r.DecodeJSON(&u); err != nil {
		return err
	}
	p, err := h.Presence.Set(r.Context(), e, u)
	if err != nil {
		return err
	}
	tel, err := h.telephony(r, e)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newPresenceInfo(r, e, p, tel, false, false))
}

func (h *Handlers) readAccountPresence(w http.ResponseWriter, r *restapi.Request) error {
	pg, err := paging.Parse(r.Query)
	if err != nil {
		return err
	}
	detailed, err := r.Query.Bool("detailedTelephonyState", false)
	if err != nil {
		return err
	}
	sip, err := r.Query.Bool("sipData", false)
	if err != nil {
		return err
	}
	exts, total, err := h.Directory.ListExtensions(r.Context(), directory.ExtensionFilter{AccountID: r.AccountID,
		Offset: pg.Offset(), Limit: pg.PerPage})
	if err != nil {
		return err
	}
	records := make([]presenceInfo, 0, len(exts))
	for _, e := range exts {
		p, err := h.Presence.Get(r.Context(), e.ID)
		if err != nil {
			return err
		}
		tel, err := h.telephony(r, e)
		if err != nil {
			return err
		}
		records = append(records, newPresenceInfo(r, e, p, tel, detailed, sip))
	}
	return list(w, r, v1+"/account/"+id(r.AccountID)+"/presence", effective(r), pg, total, records)
}
