// Package addressbook holds the personal address books of extensions: contacts with the
// platform's full-replacement (PUT) and partial (PATCH) changes, validation of e-mail addresses
// and phone numbers, favorites, and address-book sync (full, then incremental from a token,
// deleted contacts reported as such). It knows neither HTTP nor SQL.
package addressbook

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// ErrNotFound is what a Store returns for a row that does not exist.
var ErrNotFound = store.ErrNotFound

// Sort keys of the contact list (the spec's sortBy values).
var SortKeys = []string{"FirstName", "LastName", "Company"}

// ContactFilter selects contacts of one address book. Deleted contacts are never listed.
type ContactFilter struct {
	ExtensionID int64
	// StartsWith keeps contacts whose first or last name starts with it, without regard to case.
	StartsWith string
	// Phones keeps contacts with any of these numbers (E.164) in any phone attribute.
	Phones []string
	// SortBy orders by these keys in turn, then by id; empty orders by id.
	SortBy []string
	// AfterID keeps contacts with a larger id (sync pages walk by id).
	AfterID       int64
	Offset, Limit int // Limit 0: no limit
}

// Store is what the address book keeps: contacts (with tombstones of deleted ones, for sync),
// favorites, and the directory reads it needs.
type Store interface {
	// InsertContacts stores new contacts, assigning ids and change sequence numbers.
	InsertContacts(ctx context.Context, cs ...*rc.PersonalContact) error
	// Contact returns a live contact of an address book.
	Contact(ctx context.Context, extensionID, id int64) (rc.PersonalContact, error)
	ListContacts(ctx context.Context, f ContactFilter) ([]rc.PersonalContact, int, error)
	// UpdateContacts rewrites contacts that exist (ErrNotFound otherwise, changing none), each
	// with a new change sequence number; an availability of Deleted deletes.
	UpdateContacts(ctx context.Context, cs ...*rc.PersonalContact) error
	// ContactsChangedSince returns an address book's contacts changed after seq, deleted ones
	// included, oldest change first.
	ContactsChangedSince(ctx context.Context, extensionID, seq int64, limit int) ([]rc.PersonalContact, error)
	// LastContactSeq is the newest change sequence number of any address book.
	LastContactSeq(ctx context.Context) (int64, error)
	ContactFavorites(ctx context.Context, extensionID int64) ([]rc.FavoriteContact, error)
	PutContactFavorites(ctx context.Context, extensionID int64, fs []rc.FavoriteContact) error
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
}

// Service applies the address book's rules over a Store.
type Service struct {
	store Store
	clock rc.Clock
}

// New builds a Service.
func New(st Store, clock rc.Clock) *Service { return &Service{store: st, clock: clock} }

// Book names one address book: the owner's extension in its account.
type Book struct{ AccountID, ExtensionID int64 }

// MaxBulkIDs is how many contacts one bulk request may name.
const MaxBulkIDs = 50

// Patch is a partial change: Values holds the attributes the request gave, Set names them (by
// their JSON names), Clear names those it set to null; every other attribute stays as it is.
type Patch struct {
	Values rc.ContactAttributes
	Set    []string
	Clear  []string
}

// Attributes are the JSON names of every contact attribute, in the spec's order.
var Attributes = func() []string {
	t := reflect.TypeFor[rc.ContactAttributes]()
	out := make([]string, t.NumField())
	for i := range out {
		out[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return out
}()

func attrIndex(name string) int { return slices.Index(Attributes, name) }

var (
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	// phoneFields and emailFields are validated; the others are free text within a length.
	phoneFields = []string{"homePhone", "homePhone2", "businessPhone", "businessPhone2", "mobilePhone", "businessFax",
		"companyPhone", "assistantPhone", "carPhone", "otherPhone", "otherFax", "callbackPhone"}
	emailFields = []string{"email", "email2", "email3"}
)

// maxText bounds free-text attributes; ringtoneIndex and appInfo have the spec's own 64.
const maxText = 1024

// check validates and normalises attributes: e-mail addresses must look like ones, phone numbers
// become E.164 in the dialing plan (callingCode), birthdays a UTC instant. The first bad
// attribute is CMN-101 naming it.
func check(a *rc.ContactAttributes, callingCode string) error {
	v := reflect.ValueOf(a).Elem()
	for i, name := range Attributes {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			addr := f.Interface().(*rc.ContactAddress)
			for _, s := range []*string{&addr.Street, &addr.City, &addr.State, &addr.Zip, &addr.Country} {
				*s = strings.TrimSpace(*s)
				if len(*s) > maxText {
					return rc.Invalid(name)
				}
			}
			if *addr == (rc.ContactAddress{}) {
				f.SetZero()
			}
			continue
		}
		s := strings.TrimSpace(f.String())
		f.SetString(s)
		if s == "" {
			continue
		}
		limit := maxText
		if name == "ringtoneIndex" || name == "appInfo" {
			limit = 64
		}
		if len(s) > limit {
			return rc.Invalid(name)
		}
		switch {
		case slices.Contains(emailFields, name):
			if !emailRE.MatchString(s) {
				return rc.Invalid(name)
			}
		case slices.Contains(phoneFields, name):
			n, ok := NormalizePhone(s, callingCode)
			if !ok {
				return rc.Invalid(name)
			}
			f.SetString(n)
		case name == "birthday":
			t, ok := parseDate(s)
			if !ok {
				return rc.Invalid(name)
			}
			f.SetString(rc.FormatTime(t))
		}
	}
	return nil
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (s *Service) book(ctx context.Context, b Book) error {
	_, err := s.store.Extension(ctx, b.AccountID, b.ExtensionID)
	if errors.Is(err, ErrNotFound) {
		return rc.NotFound("extensionId")
	}
	return err
}

func contactNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return rc.NotFound("contactId")
	}
	return err
}

// Create adds a contact to an address book.
func (s *Service) Create(ctx context.Context, b Book, a rc.ContactAttributes, callingCode string) (rc.PersonalContact, error) {
	if err := s.book(ctx, b); err != nil {
		return rc.PersonalContact{}, err
	}
	if err := check(&a, callingCode); err != nil {
		return rc.PersonalContact{}, err
	}
	now := s.clock.Now()
	c := rc.PersonalContact{AccountID: b.AccountID, ExtensionID: b.ExtensionID, ContactAttributes: a,
		Availability: "Alive", CreationTime: now, LastModifiedTime: now}
	if err := s.store.InsertContacts(ctx, &c); err != nil {
		return rc.PersonalContact{}, err
	}
	return c, nil
}

// Get returns a contact; 404 CMN-102 naming contactId if the address book has no such contact.
func (s *Service) Get(ctx context.Context, b Book, id int64) (rc.PersonalContact, error) {
	if err := s.book(ctx, b); err != nil {
		return rc.PersonalContact{}, err
	}
	c, err := s.store.Contact(ctx, b.ExtensionID, id)
	return c, contactNotFound(err)
}

// List returns a page of an address book and the number of contacts matching.
func (s *Service) List(ctx context.Context, b Book, f ContactFilter) ([]rc.PersonalContact, int, error) {
	if err := s.book(ctx, b); err != nil {
		return nil, 0, err
	}
	f.ExtensionID = b.ExtensionID
	return s.store.ListContacts(ctx, f)
}

// Replace is PUT: the contact becomes exactly what a holds; attributes a leaves out are gone.
func (s *Service) Replace(ctx context.Context, b Book, id int64, a rc.ContactAttributes, callingCode string) (rc.PersonalContact, error) {
	c, err := s.Get(ctx, b, id)
	if err != nil {
		return c, err
	}
	if err := check(&a, callingCode); err != nil {
		return rc.PersonalContact{}, err
	}
	c.ContactAttributes = a
	return s.save(ctx, c)
}

// Apply is PATCH: attributes p sets change, those it clears are removed, the rest stay.
func (s *Service) Apply(ctx context.Context, b Book, id int64, p Patch, callingCode string) (rc.PersonalContact, error) {
	c, err := s.Get(ctx, b, id)
	if err != nil {
		return c, err
	}
	a := c.ContactAttributes
	dst, src := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&p.Values).Elem()
	for _, name := range p.Set {
		if i := attrIndex(name); i >= 0 {
			dst.Field(i).Set(src.Field(i))
		}
	}
	for _, name := range p.Clear {
		if i := attrIndex(name); i >= 0 {
			dst.Field(i).SetZero()
		}
	}
	if err := check(&a, callingCode); err != nil {
		return rc.PersonalContact{}, err
	}
	c.ContactAttributes = a
	return s.save(ctx, c)
}

func (s *Service) save(ctx context.Context, c rc.PersonalContact) (rc.PersonalContact, error) {
	c.LastModifiedTime = s.clock.Now()
	if err := s.store.UpdateContacts(ctx, &c); err != nil {
		return rc.PersonalContact{}, contactNotFound(err)
	}
	return c, nil
}

// Delete removes contacts, all or none: an id the address book does not have is 404 naming
// contactId and deletes nothing. Deleted contacts leave the favorites.
func (s *Service) Delete(ctx context.Context, b Book, ids []int64) error {
	if err := s.book(ctx, b); err != nil {
		return err
	}
	now := s.clock.Now()
	cs := make([]*rc.PersonalContact, len(ids))
	for i, id := range ids {
		c, err := s.store.Contact(ctx, b.ExtensionID, id)
		if err != nil {
			return contactNotFound(err)
		}
		c.Availability, c.LastModifiedTime = "Deleted", now
		cs[i] = &c
	}
	if err := s.store.UpdateContacts(ctx, cs...); err != nil {
		return contactNotFound(err)
	}
	favs, err := s.store.ContactFavorites(ctx, b.ExtensionID)
	if err != nil {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(favs), func(f rc.FavoriteContact) bool {
		return f.ContactID != 0 && slices.Contains(ids, f.ContactID)
	})
	if len(kept) != len(favs) {
		return s.store.PutContactFavorites(ctx, b.ExtensionID, renumber(kept))
	}
	return nil
}

// --- favorites ---

// Favorites lists an extension's favorite contacts.
func (s *Service) Favorites(ctx context.Context, b Book) ([]rc.FavoriteContact, error) {
	if err := s.book(ctx, b); err != nil {
		return nil, err
	}
	return s.store.ContactFavorites(ctx, b.ExtensionID)
}

// SetFavorites replaces the favorites. Each entry names a colleague of the account
// (extensionId) or a personal contact of this address book (contactId); a name that does not
// resolve is 400 CMN-102 naming it, and changes nothing.
func (s *Service) SetFavorites(ctx context.Context, b Book, fs []rc.FavoriteContact) ([]rc.FavoriteContact, error) {
	if err := s.book(ctx, b); err != nil {
		return nil, err
	}
	out := make([]rc.FavoriteContact, 0, len(fs))
	seen := map[[2]int64]bool{}
	for _, f := range fs {
		switch {
		case f.ContactID != 0:
			if _, err := s.store.Contact(ctx, b.ExtensionID, f.ContactID); err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil, rc.BadReference("records.contactId")
				}
				return nil, err
			}
			f = rc.FavoriteContact{ContactID: f.ContactID}
		case f.ExtensionID != 0:
			if f.AccountID != 0 && f.AccountID != b.AccountID {
				return nil, rc.BadReference("records.accountId")
			}
			if _, err := s.store.Extension(ctx, b.AccountID, f.ExtensionID); err != nil {
				if errors.Is(err, ErrNotFound) {
					return nil, rc.BadReference("records.extensionId")
				}
				return nil, err
			}
			f = rc.FavoriteContact{AccountID: b.AccountID, ExtensionID: f.ExtensionID}
		default:
			return nil, rc.Missing("records.extensionId")
		}
		key := [2]int64{f.ExtensionID, f.ContactID}
		if !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	out = renumber(out)
	if err := s.store.PutContactFavorites(ctx, b.ExtensionID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// renumber gives favorites their ids: their 1-based positions in the list.
func renumber(fs []rc.FavoriteContact) []rc.FavoriteContact {
	for i := range fs {
		fs[i].ID = int64(i + 1)
	}
	return fs
}

// --- sync ---

// MaxSyncPage is address-book sync's largest (and default) page.
const MaxSyncPage = 250

// SyncRequest is an address-book sync call.
type SyncRequest struct {
	Type    string // FSync or ISync
	Token   string
	PerPage int
	// PageID continues a full sync after the contact with that id.
	PageID int64
}

// SyncResult is one page of a sync and the state to continue from.
type SyncResult struct {
	Records []rc.PersonalContact
	Type    string
	Token   string
	Time    time.Time
	// NextPageID is set when a full sync has more pages.
	NextPageID int64
}

// syncState is what a sync token carries: whose address book, up to which change.
type syncState struct {
	Ext int64 `json:"e"`
	Seq int64 `json:"s"`
}

func decodeToken(tok string) (syncState, bool) {
	var st syncState
	return st, rc.DecodeToken(tok, &st) && st.Ext != 0
}

// Sync runs a full sync (every live contact, page by page in the order of ids) or an incremental
// one (what changed since the token, deleted contacts with availability Deleted, oldest change
// first, at most PerPage of them; the new token continues after the last one returned).
func (s *Service) Sync(ctx context.Context, b Book, r SyncRequest) (SyncResult, error) {
	if err := s.book(ctx, b); err != nil {
		return SyncResult{}, err
	}
	now := s.clock.Now()
	last, err := s.store.LastContactSeq(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	per := r.PerPage
	if per <= 0 || per > MaxSyncPage {
		per = MaxSyncPage
	}
	var st syncState
	if r.Token != "" {
		var ok bool
		if st, ok = decodeToken(r.Token); !ok || st.Ext != b.ExtensionID || st.Seq > last {
			// Not ours, or from before a reset: the client must start over with a full sync.
			return SyncResult{}, rc.Invalid("syncToken")
		}
	}
	if r.Type == "ISync" {
		if r.Token == "" {
			return SyncResult{}, rc.Missing("syncToken")
		}
		changed, err := s.store.ContactsChangedSince(ctx, b.ExtensionID, st.Seq, per)
		if err != nil {
			return SyncResult{}, err
		}
		if len(changed) == per {
			st.Seq = changed[len(changed)-1].Seq
		} else {
			st.Seq = last
		}
		return SyncResult{Records: changed, Type: "ISync", Token: rc.EncodeToken(st), Time: now}, nil
	}
	// A later page of a full sync keeps the token of its first page, so that changes made
	// between pages come with the next incremental sync.
	if r.PageID == 0 || r.Token == "" {
		st = syncState{Ext: b.ExtensionID, Seq: last}
	}
	cs, _, err := s.store.ListContacts(ctx, ContactFilter{ExtensionID: b.ExtensionID, AfterID: r.PageID, Limit: per + 1})
	if err != nil {
		return SyncResult{}, err
	}
	res := SyncResult{Records: cs, Type: "FSync", Token: rc.EncodeToken(st), Time: now}
	if len(cs) > per {
		res.Records = cs[:per]
		res.NextPageID = cs[per-1].ID
	}
	return res, nil
}
