package api

import (
	"context"
	"net/http"
	"sync"

	"github.com/rcemu/rcemu/internal/addressbook"
	"github.com/rcemu/rcemu/internal/companydir"
	"github.com/rcemu/rcemu/internal/directory"
	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/presence"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/restapi/query"
	"github.com/rcemu/rcemu/internal/teammessaging"
	"github.com/rcemu/rcemu/internal/voice"
)

// Handlers serves the stateful resources.
type Handlers struct {
	Directory        *directory.Service
	AddressBook      *addressbook.Service
	CompanyDirectory *companydir.Service
	Messages         *messaging.Service
	Notify           *notify.Service
	Presence         *presence.Service
	Voice            *voice.Service
	// TeamMessaging serves /team-messaging/v1; nil leaves it to the spec.
	TeamMessaging *teammessaging.Service

	extBodies extBodies
	rolesState
}

const v1 = "/restapi/v1.0"

// Register adds every stateful operation to the router.
func (h *Handlers) Register(rt *restapi.Router) {
	acc := v1 + "/account/{accountId}"
	ext := acc + "/extension/{extensionId}"
	rt.Handle("GET", acc, h.readAccountInfo, restapi.Options{})
	rt.Handle("GET", acc+"/service-info", h.readAccountServiceInfo, restapi.Options{})
	rt.Handle("GET", acc+"/extension", h.listExtensions, restapi.Options{})
	rt.Handle("GET", ext, h.readExtension, restapi.Options{Permission: "ReadExtensions"})
	rt.Handle("PUT", ext, h.updateExtension, restapi.Options{Permission: "EditExtensionInfo"})
	rt.Handle("GET", ext+"/phone-number", h.listExtensionPhoneNumbers, restapi.Options{Permission: "ReadUserPhoneNumbers"})
	rt.Handle("GET", acc+"/phone-number", h.listAccountPhoneNumbers, restapi.Options{})
	rt.Handle("GET", acc+"/phone-number/{phoneNumberId}", h.readAccountPhoneNumber, restapi.Options{})
	h.registerMessages(rt)
	h.registerNotifications(rt)
	h.registerVoice(rt)
	h.registerTeamMessaging(rt)
	h.registerAddressBook(rt)
	h.registerCompanyDirectory(rt)
	h.registerRoles(rt)
}

func (h *Handlers) readAccountInfo(w http.ResponseWriter, r *restapi.Request) error {
	a, err := h.Directory.Account(r.Context(), r.AccountID)
	if err != nil {
		return err
	}
	body := accountInfo{ID: a.ID, URI: accountURI(r, a.ID), MainNumber: a.MainNumber,
		ServiceInfo: newServiceInfo(r, a), SetupWizardState: "Completed", Status: a.Status,
		SignupInfo: signupInfo{TOSAccepted: true, SignupState: []string{"AccountCreated", "BillingEntered", "AccountConfirmed"},
			CreationTime: rc.FormatTime(a.CreationTime)},
		RegionalSettings: regional(r, a.HomeCountry, a.Timezone, a.Language, "12h"), Limits: limits}
	body.RegionalSettings.Currency = &currency{ID: 1, Code: "USD", Name: "US Dollar", Symbol: "$", MinorSymbol: "¢"}
	if a.OperatorExtension != 0 {
		if op, err := h.Directory.Extension(r.Context(), a.ID, a.OperatorExtension); err == nil {
			body.Operator = &operatorInfo{URI: extensionURI(r, a.ID, op.ID), ID: op.ID, ExtensionNumber: op.ExtensionNumber}
		}
	}
	return restapi.JSON(w, 200, body)
}

type accountServiceInfo struct {
	URI               string           `json:"uri"`
	ServicePlanName   string           `json:"servicePlanName"`
	Brand             brandInfo        `json:"brand"`
	ContractedCountry countryInfo      `json:"contractedCountry"`
	ServicePlan       servicePlan      `json:"servicePlan"`
	TargetServicePlan servicePlan      `json:"targetServicePlan"`
	BillingPlan       billingPlan      `json:"billingPlan"`
	ServiceFeatures   []serviceFeature `json:"serviceFeatures"`
	Limits            accountLimits    `json:"limits"`
}

// accountFeatures are the service features every rcemu account has.
var accountFeatures = []string{"CallerIdControl", "CallForwarding", "CallPark", "Conferencing", "DeveloperPortal",
	"DND", "Fax", "FaxReceiving", "InternationalCalling", "InternationalSMS", "MMS", "Pager", "PagerReceiving",
	"Presence", "RingOut", "SMS", "SMSReceiving", "TelephonySessions", "Voicemail", "VoipCalling", "WebPhone"}

func (h *Handlers) readAccountServiceInfo(w http.ResponseWriter, r *restapi.Request) error {
	a, err := h.Directory.Account(r.Context(), r.AccountID)
	if err != nil {
		return err
	}
	si := newServiceInfo(r, a)
	features := make([]serviceFeature, len(accountFeatures))
	for i, f := range accountFeatures {
		features[i] = serviceFeature{FeatureName: f, Enabled: true}
	}
	return restapi.JSON(w, 200, accountServiceInfo{URI: si.URI, ServicePlanName: a.ServicePlan, Brand: si.Brand,
		ContractedCountry: si.ContractedCountry, ServicePlan: si.ServicePlan, TargetServicePlan: si.TargetServicePlan,
		BillingPlan: si.BillingPlan, ServiceFeatures: features, Limits: limits})
}

// list finishes a classic list: it echoes the effective query (defaults included) in uri and
// navigation and wraps the page.
func list[T any](w http.ResponseWriter, r *restapi.Request, base string, q query.Values, p paging.Page, total int, records []T) error {
	self, info, nav := paging.Envelope(r.URI(base), q, p, total, len(records))
	return restapi.JSON(w, 200, listBody[T]{URI: self, Records: records, Paging: info, Navigation: nav})
}

// effective returns the query the platform echoes: what the client sent, minus tunnelling and
// token parameters.
func effective(r *restapi.Request) query.Values {
	q := r.Query.Clone()
	q.Del("access_token")
	return q
}

func (h *Handlers) listExtensions(w http.ResponseWriter, r *restapi.Request) error {
	q := r.Query
	p, err := paging.Parse(q)
	if err != nil {
		return err
	}
	f := directory.ExtensionFilter{AccountID: r.AccountID, Offset: p.Offset(), Limit: p.PerPage, Emails: q.All("email")}
	if q.Has("extensionNumber") {
		n := q.Get("extensionNumber")
		if len(n) > 8 {
			return rc.Invalid("extensionNumber")
		}
		f.ExtensionNumbers = []string{n}
	}
	if f.Statuses, err = q.Enum("status", rc.ExtensionStatuses); err != nil {
		return err
	}
	if f.Types, err = q.Enum("type", directory.ListedExtensionTypes); err != nil {
		return err
	}
	exts, total, err := h.Directory.ListExtensions(r.Context(), f)
	if err != nil {
		return err
	}
	records := make([]extensionRecord, len(exts))
	for i, e := range exts {
		records[i] = newExtensionRecord(r, e)
	}
	return list(w, r, v1+"/account/"+id(r.AccountID)+"/extension", effective(r), p, total, records)
}

func (h *Handlers) readExtension(w http.ResponseWriter, r *restapi.Request) error {
	e, gen, err := h.Directory.ExtensionAt(r.Context(), r.AccountID, r.ExtensionID)
	if err != nil {
		return err
	}
	k := extBodyKey{id: e.ID, base: r.Base()}
	if b, ok := h.extBodies.get(k, gen); ok {
		return restapi.RawJSON(w, 200, b)
	}
	b, err := restapi.Marshal(newExtensionInfo(r, e))
	if err != nil {
		return err
	}
	h.extBodies.put(k, gen, b)
	return restapi.RawJSON(w, 200, b)
}

// extBodies keeps encoded extension bodies: every app reads its user's extension again and
// again, and encoding it was most of the request. An entry is good for the store generation it
// was made at; the base URL is part of the key since the body's uris carry it.
type extBodies struct {
	mu sync.Mutex
	m  map[extBodyKey]extBody
}

type extBodyKey struct {
	id   int64
	base string
}

type extBody struct {
	gen  uint64
	body []byte
}

func (c *extBodies) get(k extBodyKey, gen uint64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e.body, ok && e.gen == gen
}

func (c *extBodies) put(k extBodyKey, gen uint64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 1024 {
		c.m = map[extBodyKey]extBody{}
	}
	c.m[k] = extBody{gen: gen, body: b}
}

func (h *Handlers) updateExtension(w http.ResponseWriter, r *restapi.Request) error {
	var u directory.ExtensionUpdate
	if err := r.DecodeJSON(&u); err != nil {
		return err
	}
	e, err := h.Directory.UpdateExtension(r.Context(), r.Principal, r.AccountID, r.ExtensionID, u)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newExtensionInfo(r, e))
}

// extensionNames caches extension lookups while one list is built.
type extensionNames struct {
	dir  *directory.Service
	seen map[int64]*rc.Extension
}

// get returns nil for an extension that is gone: its number is still listed, without it.
func (n *extensionNames) get(ctx context.Context, accountID, extID int64) (*rc.Extension, error) {
	if e, ok := n.seen[extID]; ok {
		return e, nil
	}
	e, ok, err := n.dir.LookupExtension(ctx, accountID, extID)
	if err != nil {
		return nil, err
	}
	var p *rc.Extension
	if ok {
		p = &e
	}
	n.seen[extID] = p
	return p, nil
}

func (h *Handlers) phoneNumberRecord(ctx context.Context, r *restapi.Request, pn rc.PhoneNumber, names *extensionNames, withCountry bool) (phoneNumberRecord, error) {
	rec := phoneNumberRecord{URI: accountURI(r, pn.AccountID) + "/phone-number/" + id(pn.ID), ID: pn.ID,
		Label: pn.Label, Location: pn.Location, PaymentType: pn.PaymentType, PhoneNumber: pn.PhoneNumber,
		Primary: pn.Primary, Status: pn.Status, Type: pn.Type, UsageType: pn.UsageType}
	if withCountry {
		c := country(r, "US")
		c.ISOCode, c.CallingCode = "", ""
		rec.Country = &c
		rec.Features = pn.Features
		if rec.Features == nil {
			rec.Features = []string{}
		}
	}
	if pn.ExtensionID != 0 {
		e, err := names.get(ctx, pn.AccountID, pn.ExtensionID)
		if err != nil {
			return rec, err
		}
		if e != nil {
			rec.Extension = &numberExtension{ID: e.ID, URI: extensionURI(r, e.AccountID, e.ID), ExtensionNumber: e.ExtensionNumber}
			if !withCountry {
				rec.Extension.Name = e.Name
			}
		}
	}
	return rec, nil
}

func (h *Handlers) listPhoneNumbers(w http.ResponseWriter, r *restapi.Request, f directory.PhoneNumberFilter, base string, userView bool) error {
	q := r.Query
	p, err := paging.Parse(q)
	if err != nil {
		return err
	}
	f.Offset, f.Limit = p.Offset(), p.PerPage
	if f.UsageTypes, err = q.Enum("usageType", directory.UsageTypes); err != nil {
		return err
	}
	if f.Statuses, err = q.Enum("status", directory.NumberStatuses); err != nil {
		return err
	}
	if !userView {
		if f.PaymentTypes, err = q.Enum("paymentType", directory.PaymentTypes); err != nil {
			return err
		}
		st, err := q.Enum("extensionStatus", rc.ExtensionStatuses)
		if err != nil {
			return err
		}
		if len(st) > 0 {
			f.ExtensionStatus = st[0]
		}
	}
	nums, total, err := h.Directory.ListPhoneNumbers(r.Context(), f)
	if err != nil {
		return err
	}
	names := &extensionNames{dir: h.Directory, seen: map[int64]*rc.Extension{}}
	records := make([]phoneNumberRecord, len(nums))
	for i, n := range nums {
		if records[i], err = h.phoneNumberRecord(r.Context(), r, n, names, userView); err != nil {
			return err
		}
	}
	return list(w, r, base, effective(r), p, total, records)
}

func (h *Handlers) listExtensionPhoneNumbers(w http.ResponseWriter, r *restapi.Request) error {
	if _, err := h.Directory.Extension(r.Context(), r.AccountID, r.ExtensionID); err != nil {
		return err
	}
	base := v1 + "/account/" + id(r.AccountID) + "/extension/" + id(r.ExtensionID) + "/phone-number"
	return h.listPhoneNumbers(w, r, directory.PhoneNumberFilter{AccountID: r.AccountID, ExtensionID: r.ExtensionID}, base, true)
}

func (h *Handlers) listAccountPhoneNumbers(w http.ResponseWriter, r *restapi.Request) error {
	if !r.Principal.Admin {
		return rc.AdminRequired()
	}
	base := v1 + "/account/" + id(r.AccountID) + "/phone-number"
	return h.listPhoneNumbers(w, r, directory.PhoneNumberFilter{AccountID: r.AccountID}, base, false)
}

func (h *Handlers) readAccountPhoneNumber(w http.ResponseWriter, r *restapi.Request) error {
	if !r.Principal.Admin {
		return rc.AdminRequired()
	}
	pid, err := parseID(r.Param("phoneNumberId"), "phoneNumberId")
	if err != nil {
		return err
	}
	pn, err := h.Directory.PhoneNumber(r.Context(), r.AccountID, pid)
	if err != nil {
		return err
	}
	names := &extensionNames{dir: h.Directory, seen: map[int64]*rc.Extension{}}
	rec, err := h.phoneNumberRecord(r.Context(), r, pn, names, false)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, rec)
}
