package api

import (
	"encoding/json"
	"errors"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/companydir"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
)

func (h *Handlers) registerCompanyDirectory(rt *restapi.Router) {
	dir := v1 + "/account/{accountId}/directory"
	rt.Handle("GET", dir+"/entries", h.listDirectoryEntries, restapi.Options{})
	rt.Handle("POST", dir+"/entries/search", h.searchDirectoryEntries, restapi.Options{})
	rt.Handle("GET", dir+"/entries/{entryId}", h.readDirectoryEntry, restapi.Options{})
	rt.Handle("GET", dir+"/federation", h.readDirectoryFederation, restapi.Options{})
}

// --- wire shapes ---

type adgPhoneNumber struct {
	PhoneNumber          string `json:"phoneNumber"`
	FormattedPhoneNumber string `json:"formattedPhoneNumber"`
	Type                 string `json:"type,omitempty"`
	UsageType            string `json:"usageType,omitempty"`
	Label                string `json:"label,omitempty"`
	Primary              bool   `json:"primary"`
	Hidden               bool   `json:"hidden"`
}

type directoryAccount struct {
	ID            string          `json:"id"`
	CompanyName   string          `json:"companyName,omitempty"`
	FederatedName string          `json:"federatedName,omitempty"`
	MainNumber    *adgPhoneNumber `json:"mainNumber,omitempty"`
}

type directoryImage struct {
	URI string `json:"uri"`
}

// directoryEntry is ContactResource.
type directoryEntry struct {
	ID              string            `json:"id"`
	Type            string            `json:"type"`
	Status          string            `json:"status"`
	Account         *directoryAccount `json:"account,omitempty"`
	FirstName       string            `json:"firstName,omitempty"`
	LastName        string            `json:"lastName,omitempty"`
	Name            string            `json:"name,omitempty"`
	Email           string            `json:"email,omitempty"`
	ExtensionNumber string            `json:"extensionNumber,omitempty"`
	JobTitle        string            `json:"jobTitle,omitempty"`
	Department      string            `json:"department,omitempty"`
	PhoneNumbers    []adgPhoneNumber  `json:"phoneNumbers"`
	ProfileImage    directoryImage    `json:"profileImage"`
	Hidden          bool              `json:"hidden"`
}

// formatNumber renders an E.164 number the way the directory shows it: North American numbers
// as "+1 (650) 555-0101", others with a space after the country code's first digits.
func formatNumber(n string) string {
	if len(n) == 12 && strings.HasPrefix(n, "+1") {
		return "+1 (" + n[2:5] + ") " + n[5:8] + "-" + n[8:]
	}
	if len(n) > 4 {
		return n[:3] + " " + n[3:]
	}
	return n
}

// directoryUsageTypes are the usage types the directory names; it leaves others out.
var directoryUsageTypes = []string{"MobileNumber", "ContactNumber", "DirectNumber", "ForwardedNumber", "PartnerBusinessMobileNumber"}

func adgNumber(p rc.PhoneNumber) adgPhoneNumber {
	n := adgPhoneNumber{PhoneNumber: p.PhoneNumber, FormattedPhoneNumber: formatNumber(p.PhoneNumber), Type: p.Type,
		Label: p.Label, Primary: p.Primary}
	if slices.Contains(directoryUsageTypes, p.UsageType) {
		n.UsageType = p.UsageType
	}
	return n
}

func newDirectoryEntry(r *restapi.Request, e companydir.Entry, withAccount bool) directoryEntry {
	x := e.Extension
	out := directoryEntry{ID: id(x.ID), Type: e.Type, Status: x.Status, Email: x.Contact.Email,
		ExtensionNumber: x.ExtensionNumber, JobTitle: x.Contact.JobTitle, Department: x.Contact.Department,
		PhoneNumbers: make([]adgPhoneNumber, len(e.Numbers)), Hidden: x.Hidden,
		ProfileImage: directoryImage{URI: extensionURI(r, x.AccountID, x.ID) + "/profile-image"}}
	if e.IsUser() {
		out.FirstName, out.LastName = x.Contact.FirstName, x.Contact.LastName
	} else {
		out.Name = x.Name
	}
	for i, n := range e.Numbers {
		out.PhoneNumbers[i] = adgNumber(n)
	}
	if withAccount {
		a := e.Account
		out.Account = &directoryAccount{ID: id(a.ID), CompanyName: a.CompanyName, FederatedName: a.CompanyName}
		if a.MainNumber != "" {
			mn := adgNumber(rc.PhoneNumber{PhoneNumber: a.MainNumber, Type: "VoiceFax", UsageType: "MainCompanyNumber", Primary: true})
			out.Account.MainNumber = &mn
		}
	}
	return out
}

// adgError turns the conventions layer's parameter and body errors into the directory's own
// codes (ADG-121, ADG-112), as its operations document them.
func adgError(err error) error {
	var e *rc.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case "CMN-100", "CMN-101":
		return companydir.InvalidParameter(e.Param)
	case "CMN-103", "CMN-104":
		return companydir.BadBody()
	}
	return err
}

// directoryPage is page/perPage as the directory takes them: perPage up to 2000 (default
// 1000), or "all" (every record on one page) or "max".
func directoryPage(page int, perPage string) (int, int, error) {
	if page < 1 {
		return 0, 0, companydir.InvalidParameter("page")
	}
	switch strings.ToLower(strings.TrimSpace(perPage)) {
	case "":
		return page, 1000, nil
	case "all":
		return page, 0, nil
	case "max":
		return page, 2000, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(perPage))
	if err != nil || n < 1 {
		return 0, 0, companydir.InvalidParameter("perPage")
	}
	return page, min(n, 2000), nil
}

// writeDirectory writes a page of entries with its paging, and honours If-None-Match: the ETag is
// the body's hash, so any change to the entries (an extension update) changes it.
func writeDirectory(w http.ResponseWriter, r *restapi.Request, es []companydir.Entry, page, perPage int, withAccount bool) error {
	cut := companydir.Page(es, page, perPage)
	records := make([]directoryEntry, len(cut))
	for i, e := range cut {
		records[i] = newDirectoryEntry(r, e, withAccount)
	}
	per := perPage
	if per == 0 {
		per = max(len(es), 1)
	}
	_, info, _ := paging.Envelope("", r.Query, paging.Page{Page: page, PerPage: per}, len(es), len(records))
	body, err := json.Marshal(struct {
		Paging  paging.Info      `json:"paging"`
		Records []directoryEntry `json:"records"`
	}{info, records})
	if err != nil {
		return err
	}
	return writeTagged(w, r, body)
}

func writeTagged(w http.ResponseWriter, r *restapi.Request, body []byte) error {
	h := fnv.New64a()
	h.Write(body)
	tag := `"` + strconv.FormatUint(h.Sum64(), 16) + `"`
	w.Header().Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if t = strings.TrimSpace(t); t == tag || t == "*" || t == "W/"+tag {
				w.WriteHeader(http.StatusNotModified)
				return nil
			}
		}
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(200)
	_, err := w.Write(body)
	return err
}

// federated reports whether the directory spans a federation for this request.
func (h *Handlers) federated(r *restapi.Request, show bool) (bool, error) {
	if !show {
		return false, nil
	}
	if _, err := h.CompanyDirectory.Federation(r.Context(), r.AccountID); err != nil {
		if companydir.IsNotFederated(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// --- handlers ---

func (h *Handlers) listDirectoryEntries(w http.ResponseWriter, r *restapi.Request) error {
	q := r.Query
	show, err := q.Bool("showFederated", true)
	if err != nil {
		return adgError(err)
	}
	if _, err := q.Bool("accessibleSitesOnly", true); err != nil {
		return adgError(err)
	}
	pg, err := q.Int("page", 1, 1, 1<<30)
	if err != nil {
		return adgError(err)
	}
	page, perPage, err := directoryPage(pg, q.Get("perPage"))
	if err != nil {
		return err
	}
	fed, err := h.federated(r, show)
	if err != nil {
		return err
	}
	dq := companydir.Query{AccountID: r.AccountID, Federated: fed}
	if dq.Types, err = q.Enum("type", companydir.ListTypes); err != nil {
		return adgError(err)
	}
	if g, err := q.Enum("typeGroup", []string{"User", "NonUser"}); err != nil {
		return adgError(err)
	} else if len(g) == 1 {
		dq.UserGroup = g[0]
	}
	if q.Has("siteId") {
		dq.SiteIDs = []string{q.Get("siteId")}
	}
	es, err := h.CompanyDirectory.Entries(r.Context(), dq)
	if err != nil {
		return err
	}
	return writeDirectory(w, r, es, page, perPage, fed)
}

func (h *Handlers) readDirectoryEntry(w http.ResponseWriter, r *restapi.Request) error {
	if _, err := r.Query.Bool("accessibleSitesOnly", true); err != nil {
		return adgError(err)
	}
	e, err := h.CompanyDirectory.Entry(r.Context(), r.AccountID, r.Param("entryId"))
	if err != nil {
		return err
	}
	fed, err := h.federated(r, true)
	if err != nil {
		return err
	}
	body, err := json.Marshal(newDirectoryEntry(r, e, fed))
	if err != nil {
		return err
	}
	return writeTagged(w, r, body)
}

type orderKey struct {
	Index     int    `json:"index"`
	FieldName string `json:"fieldName"`
	Direction string `json:"direction"`
}

// searchRequest is SearchDirectoryEntriesRequest.
type searchRequest struct {
	SearchString      string     `json:"searchString"`
	SearchFields      []string   `json:"searchFields"`
	ShowFederated     *bool      `json:"showFederated"`
	ExtensionType     string     `json:"extensionType"`
	ExtensionTypes    []string   `json:"extensionTypes"`
	ExtensionStatuses []string   `json:"extensionStatuses"`
	AccountIDs        []string   `json:"accountIds"`
	ExtensionIDs      []string   `json:"extensionIds"`
	Department        string     `json:"department"`
	SiteID            string     `json:"siteId"`
	SiteIDs           []string   `json:"siteIds"`
	OrderBy           []orderKey `json:"orderBy"`
	Page              *int       `json:"page"`
	PerPage           *int       `json:"perPage"`
}

func canonical(v string, allowed []string, param string) (string, error) {
	for _, a := range allowed {
		if strings.EqualFold(a, strings.TrimSpace(v)) {
			return a, nil
		}
	}
	return "", companydir.InvalidParameter(param)
}

func canonicalAll(vs []string, allowed []string, param string) ([]string, error) {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		c, err := canonical(v, allowed, param)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func ids64(vs []string, param string) ([]int64, error) {
	out := make([]int64, 0, len(vs))
	for _, v := range vs {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			return nil, companydir.InvalidParameter(param)
		}
		out = append(out, n)
	}
	return out, nil
}

func (h *Handlers) searchDirectoryEntries(w http.ResponseWriter, r *restapi.Request) error {
	if _, err := r.Query.Bool("accessibleSitesOnly", true); err != nil {
		return adgError(err)
	}
	var b searchRequest
	if err := r.DecodeJSON(&b); err != nil {
		return adgError(err)
	}
	page, per := 1, "1000"
	if b.Page != nil {
		page = *b.Page
	}
	if b.PerPage != nil {
		per = strconv.Itoa(*b.PerPage)
	}
	page, perPage, err := directoryPage(page, per)
	if err != nil {
		return err
	}
	show := b.ShowFederated == nil || *b.ShowFederated
	fed, err := h.federated(r, show)
	if err != nil {
		return err
	}
	q := companydir.Query{AccountID: r.AccountID, Federated: fed, Search: b.SearchString, Department: strings.TrimSpace(b.Department)}
	if q.Fields, err = canonicalAll(b.SearchFields, companydir.SearchFields, "searchFields"); err != nil {
		return err
	}
	if b.ExtensionType != "" {
		t, err := canonical(b.ExtensionType, companydir.ContactTypes, "extensionType")
		if err != nil {
			return err
		}
		q.Types = []string{t}
	}
	if q.ExtensionTypes, err = canonicalAll(b.ExtensionTypes, companydir.ExtensionTypes, "extensionTypes"); err != nil {
		return err
	}
	if q.Statuses, err = canonicalAll(b.ExtensionStatuses, companydir.Statuses, "extensionStatuses"); err != nil {
		return err
	}
	if q.AccountIDs, err = ids64(b.AccountIDs, "accountIds"); err != nil {
		return err
	}
	if len(b.ExtensionIDs) > 100 {
		return companydir.InvalidParameter("extensionIds")
	}
	if q.ExtensionID, err = ids64(b.ExtensionIDs, "extensionIds"); err != nil {
		return err
	}
	if b.SiteID != "" {
		q.SiteIDs = append(q.SiteIDs, b.SiteID)
	}
	q.SiteIDs = append(q.SiteIDs, b.SiteIDs...)
	order := slices.Clone(b.OrderBy)
	slices.SortStableFunc(order, func(x, y orderKey) int { return x.Index - y.Index })
	for _, o := range order {
		f, err := canonical(o.FieldName, companydir.OrderFields, "orderBy.fieldName")
		if err != nil {
			return err
		}
		dir := "Asc"
		if o.Direction != "" {
			if dir, err = canonical(o.Direction, []string{"Asc", "Desc"}, "orderBy.direction"); err != nil {
				return err
			}
		}
		q.Order = append(q.Order, companydir.Order{Field: f, Desc: dir == "Desc"})
	}
	es, err := h.CompanyDirectory.Entries(r.Context(), q)
	if err != nil {
		return err
	}
	return writeDirectory(w, r, es, page, perPage, fed)
}

func (h *Handlers) readDirectoryFederation(w http.ResponseWriter, r *restapi.Request) error {
	types, err := r.Query.Enum("types", []string{"All", "Regular", "AdminOnly"})
	if err != nil {
		return adgError(err)
	}
	f, err := h.CompanyDirectory.Federation(r.Context(), r.AccountID)
	if err != nil {
		return err
	}
	if len(types) > 0 && !slices.Contains(types, "All") && !slices.Contains(types, f.Type) {
		// rcemu's federation is a regular one; an admin-only one does not exist.
		return companydir.NotFederated()
	}
	type account struct {
		ID               string `json:"id"`
		CompanyName      string `json:"companyName"`
		FederatedName    string `json:"federatedName"`
		LinkCreationTime string `json:"linkCreationTime"`
	}
	accs := make([]account, len(f.Accounts))
	for i, a := range f.Accounts {
		accs[i] = account{ID: id(a.ID), CompanyName: a.CompanyName, FederatedName: a.CompanyName,
			LinkCreationTime: rc.FormatTime(f.Created)}
	}
	created := rc.FormatTime(f.Created)
	return restapi.JSON(w, 200, struct {
		ID               string    `json:"id"`
		DisplayName      string    `json:"displayName"`
		Type             string    `json:"type"`
		CreationTime     string    `json:"creationTime"`
		LastModifiedTime string    `json:"lastModifiedTime"`
		Accounts         []account `json:"accounts"`
	}{f.ID, f.DisplayName, f.Type, created, created, accs})
}
