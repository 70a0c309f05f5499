package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/addressbook"
	"github.com/rcemu/rcemu/internal/directory"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
)

func (h *Handlers) registerAddressBook(rt *restapi.Router) {
	ext := v1 + "/account/{accountId}/extension/{extensionId}"
	read := restapi.Options{Permission: "ReadPersonalContacts"}
	edit := restapi.Options{Permission: "EditPersonalContacts"}
	rt.Handle("GET", ext+"/address-book/contact", h.listContacts, read)
	rt.Handle("POST", ext+"/address-book/contact", h.createContact, edit)
	rt.Handle("GET", ext+"/address-book/contact/{contactId}", h.readContact, read)
	rt.Handle("PUT", ext+"/address-book/contact/{contactId}", h.updateContact, edit)
	rt.Handle("PATCH", ext+"/address-book/contact/{contactId}", h.patchContact, edit)
	rt.Handle("DELETE", ext+"/address-book/contact/{contactId}", h.deleteContact, edit)
	rt.Handle("GET", ext+"/address-book-sync", h.syncAddressBook, read)
	rt.Handle("GET", ext+"/favorite", h.listFavoriteContacts, read)
	rt.Handle("PUT", ext+"/favorite", h.updateFavoriteContactList, edit)
}

// --- wire shapes ---

// contactRecord is PersonalContactResource.
type contactRecord struct {
	URI          string `json:"uri"`
	ID           int64  `json:"id"`
	Availability string `json:"availability"`
	rc.ContactAttributes
}

func addressBookURI(r *restapi.Request, accountID, extensionID int64) string {
	return extensionURI(r, accountID, extensionID) + "/address-book"
}

func newContactRecord(r *restapi.Request, c rc.PersonalContact) contactRecord {
	return contactRecord{URI: addressBookURI(r, c.AccountID, c.ExtensionID) + "/contact/" + id(c.ID), ID: c.ID,
		Availability: c.Availability, ContactAttributes: c.ContactAttributes}
}

func book(r *restapi.Request) addressbook.Book {
	return addressbook.Book{AccountID: r.AccountID, ExtensionID: r.ExtensionID}
}

// callingCode is the dialing plan national numbers are read in: dialingPlan's country, or the
// extension's home country.
func (h *Handlers) callingCode(r *restapi.Request) (string, error) {
	e, err := h.extension(r)
	if err != nil {
		return "", err
	}
	iso := e.Regional.HomeCountry
	if r.Query.Has("dialingPlan") {
		iso = strings.ToUpper(strings.TrimSpace(r.Query.Get("dialingPlan")))
		if c := directory.CountryByISO(iso); c.ISOCode != iso {
			return "", rc.Invalid("dialingPlan")
		}
	}
	return directory.CountryByISO(iso).CallingCode, nil
}

// decodeContact reads a PersonalContactRequest. It also reports which attributes the body names
// and which of them it sets to null, for PATCH.
func decodeContact(r *restapi.Request) (addressbook.Patch, error) {
	var raw map[string]json.RawMessage
	if err := r.DecodeJSON(&raw); err != nil {
		return addressbook.Patch{}, err
	}
	return contactPatch(raw)
}

// decodeContactPart reads one part of a bulk PUT, with the checks DecodeJSON makes.
func decodeContactPart(body []byte) (addressbook.Patch, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return addressbook.Patch{}, rc.BadJSON()
	}
	if err := restapi.CheckJSONShape(body); err != nil {
		return addressbook.Patch{}, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return addressbook.Patch{}, rc.BadJSON()
	}
	return contactPatch(raw)
}

func contactPatch(raw map[string]json.RawMessage) (addressbook.Patch, error) {
	var p addressbook.Patch
	for _, name := range addressbook.Attributes {
		v, ok := raw[name]
		if !ok {
			continue
		}
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			p.Clear = append(p.Clear, name)
			continue
		}
		p.Set = append(p.Set, name)
	}
	body, _ := json.Marshal(raw)
	if err := json.Unmarshal(body, &p.Values); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return p, rc.Invalid(te.Field)
		}
		return p, rc.BadJSON()
	}
	return p, nil
}

// contactIDs reads {contactId}: one id, or up to MaxBulkIDs comma-separated.
func contactIDs(r *restapi.Request) ([]int64, error) {
	raw := strings.Split(r.Param("contactId"), ",")
	if len(raw) > addressbook.MaxBulkIDs {
		return nil, &rc.Error{Status: 400, Code: "CMN-106", TopCode: "CMN-106",
			Message: "Batch request is limited to " + strconv.Itoa(addressbook.MaxBulkIDs) + " entries"}
	}
	ids := make([]int64, 0, len(raw))
	for _, s := range raw {
		n, err := parseID(strings.TrimSpace(s), "contactId")
		if err != nil {
			return nil, err
		}
		ids = append(ids, n)
	}
	return ids, nil
}

func singleContactID(r *restapi.Request) (int64, error) {
	ids, err := contactIDs(r)
	if err != nil {
		return 0, err
	}
	if len(ids) != 1 {
		return 0, rc.Invalid("contactId")
	}
	return ids[0], nil
}

// --- handlers ---

func (h *Handlers) listContacts(w http.ResponseWriter, r *restapi.Request) error {
	q := r.Query
	p, err := paging.Parse(q)
	if err != nil {
		return err
	}
	f := addressbook.ContactFilter{StartsWith: strings.TrimSpace(q.Get("startsWith")), Offset: p.Offset(), Limit: p.PerPage}
	if f.SortBy, err = q.Enum("sortBy", addressbook.SortKeys); err != nil {
		return err
	}
	if q.Has("phoneNumber") {
		cc, err := h.callingCode(r)
		if err != nil {
			return err
		}
		for _, raw := range q.All("phoneNumber") {
			n, ok := addressbook.NormalizePhone(raw, cc)
			if !ok {
				return rc.Invalid("phoneNumber")
			}
			f.Phones = append(f.Phones, n)
		}
	}
	cs, total, err := h.AddressBook.List(r.Context(), book(r), f)
	if err != nil {
		return err
	}
	records := make([]contactRecord, len(cs))
	for i, c := range cs {
		records[i] = newContactRecord(r, c)
	}
	base := v1 + "/account/" + id(r.AccountID) + "/extension/" + id(r.ExtensionID) + "/address-book/contact"
	self, info, nav := paging.Envelope(r.URI(base), effective(r), p, total, len(records))
	return restapi.JSON(w, 200, struct {
		URI        string            `json:"uri"`
		Records    []contactRecord   `json:"records"`
		Paging     paging.Info       `json:"paging"`
		Navigation paging.Navigation `json:"navigation"`
		Groups     paging.Link       `json:"groups"`
	}{self, records, info, nav, paging.Link{URI: addressBookURI(r, r.AccountID, r.ExtensionID) + "/group"}})
}

func (h *Handlers) createContact(w http.ResponseWriter, r *restapi.Request) error {
	cc, err := h.callingCode(r)
	if err != nil {
		return err
	}
	p, err := decodeContact(r)
	if err != nil {
		return err
	}
	c, err := h.AddressBook.Create(r.Context(), book(r), p.Values, cc)
	if err != nil {
		return err
	}
	// The spec documents 200 for a created contact, and that is what SDKs expect.
	return restapi.JSON(w, 200, newContactRecord(r, c))
}

func (h *Handlers) readContact(w http.ResponseWriter, r *restapi.Request) error {
	ids, err := contactIDs(r)
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		c, err := h.AddressBook.Get(r.Context(), book(r), ids[0])
		if err != nil {
			return err
		}
		return restapi.JSON(w, 200, newContactRecord(r, c))
	}
	if err := h.checkExtension(r); err != nil {
		return err
	}
	base := addressBookURI(r, r.AccountID, r.ExtensionID) + "/contact/"
	parts := make([]restapi.Part, len(ids))
	for i, cid := range ids {
		parts[i] = restapi.Part{ID: id(cid), Href: base + id(cid), Status: 200}
		c, err := h.AddressBook.Get(r.Context(), book(r), cid)
		if err != nil {
			if !rc.IsNotFound(err) {
				return err
			}
			parts[i].Err = err
			continue
		}
		parts[i].Body = newContactRecord(r, c)
	}
	return restapi.MultiStatus(w, r, parts)
}

// updateContact is PUT, a full replacement: what the body leaves out (or sets to null) is gone.
func (h *Handlers) updateContact(w http.ResponseWriter, r *restapi.Request) error {
	ids, err := contactIDs(r)
	if err != nil {
		return err
	}
	cc, err := h.callingCode(r)
	if err != nil {
		return err
	}
	if len(ids) > 1 {
		return h.updateContacts(w, r, ids, cc)
	}
	cid := ids[0]
	p, err := decodeContact(r)
	if err != nil {
		return err
	}
	c, err := h.AddressBook.Replace(r.Context(), book(r), cid, p.Values, cc)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newContactRecord(r, c))
}

// bulkBodies takes a bulk PUT apart into one body per id, in path order: a multipart/mixed body
// with a JSON part per id, or the JSON form ([{"body": {...}}, ...]).
func bulkBodies(r *restapi.Request, n int) ([][]byte, error) {
	var bodies [][]byte
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		m, err := restapi.ReadMultipart(r)
		if err != nil {
			return nil, err
		}
		if m.JSON != nil {
			bodies = append(bodies, m.JSON)
		}
		for _, f := range m.Files {
			bodies = append(bodies, f.Content)
		}
	} else {
		var raw json.RawMessage
		if err := r.DecodeJSON(&raw); err != nil {
			return nil, err
		}
		var parts []struct {
			Body json.RawMessage `json:"body"`
		}
		if raw[0] != '[' || json.Unmarshal(raw, &parts) != nil {
			// One contact's body for several ids.
			return nil, rc.Invalid("contactId")
		}
		for _, p := range parts {
			bodies = append(bodies, p.Body)
		}
	}
	if len(bodies) != n {
		// Parts are matched to the path's ids by position, so their numbers must agree.
		return nil, rc.Invalid("contactId")
	}
	return bodies, nil
}

// updateContacts is a bulk PUT: each part replaces its contact; the answer is 207 with each
// part's outcome.
func (h *Handlers) updateContacts(w http.ResponseWriter, r *restapi.Request, ids []int64, cc string) error {
	if err := h.checkExtension(r); err != nil {
		return err
	}
	bodies, err := bulkBodies(r, len(ids))
	if err != nil {
		return err
	}
	base := addressBookURI(r, r.AccountID, r.ExtensionID) + "/contact/"
	parts := make([]restapi.Part, len(ids))
	for i, cid := range ids {
		parts[i] = restapi.Part{ID: id(cid), Href: base + id(cid), Status: 200}
		p, err := decodeContactPart(bodies[i])
		if err == nil {
			var c rc.PersonalContact
			if c, err = h.AddressBook.Replace(r.Context(), book(r), cid, p.Values, cc); err == nil {
				parts[i].Body = newContactRecord(r, c)
				continue
			}
		}
		if e := rc.AsError(err); e.Status >= 500 {
			return err
		}
		parts[i].Err = err
	}
	return restapi.MultiStatus(w, r, parts)
}

// patchContact changes what the body names: a value sets, null removes, absence keeps.
func (h *Handlers) patchContact(w http.ResponseWriter, r *restapi.Request) error {
	cid, err := singleContactID(r)
	if err != nil {
		return err
	}
	cc, err := h.callingCode(r)
	if err != nil {
		return err
	}
	p, err := decodeContact(r)
	if err != nil {
		return err
	}
	c, err := h.AddressBook.Apply(r.Context(), book(r), cid, p, cc)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, newContactRecord(r, c))
}

func (h *Handlers) deleteContact(w http.ResponseWriter, r *restapi.Request) error {
	ids, err := contactIDs(r)
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		if err := h.AddressBook.Delete(r.Context(), book(r), ids); err != nil {
			return err
		}
		return restapi.NoContent(w)
	}
	if err := h.checkExtension(r); err != nil {
		return err
	}
	base := addressBookURI(r, r.AccountID, r.ExtensionID) + "/contact/"
	parts := make([]restapi.Part, len(ids))
	failed := false
	for i, cid := range ids {
		parts[i] = restapi.Part{ID: id(cid), Href: base + id(cid), Status: 204}
		if err := h.AddressBook.Delete(r.Context(), book(r), []int64{cid}); err != nil {
			if !rc.IsNotFound(err) {
				return err
			}
			parts[i].Err, failed = err, true
		}
	}
	if !failed {
		return restapi.NoContent(w)
	}
	return restapi.MultiStatus(w, r, parts)
}

func (h *Handlers) syncAddressBook(w http.ResponseWriter, r *restapi.Request) error {
	q := r.Query
	types, err := q.Enum("syncType", []string{"FSync", "ISync"})
	if err != nil {
		return err
	}
	req := addressbook.SyncRequest{Type: "FSync", Token: strings.TrimSpace(q.Get("syncToken"))}
	if len(types) > 0 {
		req.Type = types[0]
	}
	per, err := q.Int("perPage", addressbook.MaxSyncPage, 1, 1<<30)
	if err != nil {
		return err
	}
	req.PerPage = min(per, addressbook.MaxSyncPage)
	if q.Has("pageId") {
		if req.PageID, err = parseID(strings.TrimSpace(q.Get("pageId")), "pageId"); err != nil {
			return err
		}
	}
	res, err := h.AddressBook.Sync(r.Context(), book(r), req)
	if err != nil {
		return err
	}
	records := make([]contactRecord, len(res.Records))
	for i, c := range res.Records {
		records[i] = newContactRecord(r, c)
	}
	base := r.URI(v1 + "/account/" + id(r.AccountID) + "/extension/" + id(r.ExtensionID) + "/address-book-sync")
	uri := base
	if e := effective(r).Encode(); e != "" {
		uri += "?" + e
	}
	type syncInfo struct {
		SyncType  string `json:"syncType"`
		SyncToken string `json:"syncToken"`
		SyncTime  string `json:"syncTime"`
	}
	body := struct {
		URI         string          `json:"uri"`
		Records     []contactRecord `json:"records"`
		SyncInfo    syncInfo        `json:"syncInfo"`
		NextPageID  int64           `json:"nextPageId,omitempty"`
		NextPageURI string          `json:"nextPageUri,omitempty"`
	}{URI: uri, Records: records, SyncInfo: syncInfo{SyncType: res.Type, SyncToken: res.Token, SyncTime: rc.FormatTime(res.Time)}}
	if res.NextPageID != 0 {
		body.NextPageID = res.NextPageID
		body.NextPageURI = base + "?syncType=FSync&perPage=" + strconv.Itoa(req.PerPage) +
			"&pageId=" + id(res.NextPageID) + "&syncToken=" + res.Token
	}
	return restapi.JSON(w, 200, body)
}

// --- favorites ---

type favoriteRecord struct {
	ID          int64  `json:"id"`
	ExtensionID string `json:"extensionId,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	ContactID   string `json:"contactId,omitempty"`
}

func favoritesBody(r *restapi.Request, fs []rc.FavoriteContact) any {
	records := make([]favoriteRecord, len(fs))
	for i, f := range fs {
		rec := favoriteRecord{ID: f.ID}
		if f.ExtensionID != 0 {
			rec.ExtensionID, rec.AccountID = id(f.ExtensionID), id(f.AccountID)
		}
		if f.ContactID != 0 {
			rec.ContactID = id(f.ContactID)
		}
		records[i] = rec
	}
	return struct {
		URI     string           `json:"uri"`
		Records []favoriteRecord `json:"records"`
	}{extensionURI(r, r.AccountID, r.ExtensionID) + "/favorite", records}
}

func (h *Handlers) listFavoriteContacts(w http.ResponseWriter, r *restapi.Request) error {
	fs, err := h.AddressBook.Favorites(r.Context(), book(r))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, favoritesBody(r, fs))
}

func (h *Handlers) updateFavoriteContactList(w http.ResponseWriter, r *restapi.Request) error {
	var body struct {
		Records *[]struct {
			ExtensionID flexID `json:"extensionId"`
			AccountID   flexID `json:"accountId"`
			ContactID   flexID `json:"contactId"`
		} `json:"records"`
	}
	if err := r.DecodeJSON(&body); err != nil {
		return err
	}
	if body.Records == nil {
		return rc.Missing("records")
	}
	fs := make([]rc.FavoriteContact, 0, len(*body.Records))
	for _, rec := range *body.Records {
		var f rc.FavoriteContact
		var err error
		if f.ExtensionID, err = rec.ExtensionID.int("records.extensionId"); err != nil {
			return err
		}
		if f.AccountID, err = rec.AccountID.int("records.accountId"); err != nil {
			return err
		}
		if f.ContactID, err = rec.ContactID.int("records.contactId"); err != nil {
			return err
		}
		fs = append(fs, f)
	}
	out, err := h.AddressBook.SetFavorites(r.Context(), book(r), slices.Clip(fs))
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, favoritesBody(r, out))
}
