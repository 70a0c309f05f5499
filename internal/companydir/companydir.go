// Package companydir is the company directory (the platform's "internal contacts"): entries made
// from the accounts, extensions and phone numbers the store holds, so that every entry exists
// everywhere else (its id is the extension's), with the directory's filters, search, ordering
// and paging, and the federation the accounts form. It keeps nothing of its own and knows neither
// HTTP nor SQL.
package companydir

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Store is what the directory reads.
type Store interface {
	Accounts(ctx context.Context) ([]rc.Account, error)
	ListExtensions(ctx context.Context, f store.ExtensionFilter) ([]rc.Extension, int, error)
	ListPhoneNumbers(ctx context.Context, f store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error)
}

// Service answers directory queries over a Store.
type Service struct {
	store Store
}

// New builds a Service.
func New(st Store) *Service { return &Service{store: st} }

// Entry is one directory entry: an extension with its numbers, and its account when the
// directory spans a federation.
type Entry struct {
	Extension rc.Extension
	// Type is the directory's type: the user types (digital, virtual, fax) are all User.
	Type    string
	Numbers []rc.PhoneNumber
	Account rc.Account
}

// Federation is the accounts whose directories are shared.
type Federation struct {
	ID          string
	DisplayName string
	Type        string
	Created     time.Time
	Accounts    []rc.Account
}

// Error codes of the directory's own error family (ADGErrorResponse).
const (
	CodeInvalidParameter = "ADG-121"
	CodeBadBody          = "ADG-112"
	CodeNotFederated     = "ADG-105"
	CodeContactNotFound  = "ADG-122"
)

// InvalidParameter is ADG-121 naming a parameter.
func InvalidParameter(param string) *rc.Error {
	return &rc.Error{Status: 400, Code: CodeInvalidParameter, TopCode: CodeInvalidParameter, Param: param,
		Message: "Parameter [" + param + "] is invalid."}
}

// BadBody is ADG-112: the body is not JSON, or not of the documented shape.
func BadBody() *rc.Error {
	return &rc.Error{Status: 400, Code: CodeBadBody, TopCode: CodeBadBody, Message: "Request body is invalid."}
}

func contactNotFound() *rc.Error {
	return &rc.Error{Status: 404, Code: CodeContactNotFound, TopCode: CodeContactNotFound, Param: "entryId",
		Message: "Contact not found."}
}

// NotFederated is ADG-105: the account is in no federation (of the type asked for).
func NotFederated() *rc.Error {
	return &rc.Error{Status: 404, Code: CodeNotFederated, TopCode: CodeNotFederated,
		Message: "Current account is not linked to any federation."}
}

// Types and statuses of the directory's filters (the spec's enums).
var (
	// ListTypes are listDirectoryEntries' type values.
	ListTypes = []string{"User", "Department", "Announcement", "Voicemail", "SharedLinesGroup", "PagingOnly", "IvrMenu",
		"ParkLocation", "Limited", "External", "DelegatedLinesGroup", "TieLine"}
	// ContactTypes are search's extensionType values (directory types).
	ContactTypes = []string{"User", "Department", "Announcement", "Voicemail", "SharedLinesGroup", "PagingOnly",
		"ParkLocation", "IvrMenu", "Limited", "ApplicationExtension", "Site", "Bot", "Room", "DelegatedLinesGroup",
		"GroupCallPickup", "External"}
	// ExtensionTypes are search's extensionTypes values (the extensions' own types).
	ExtensionTypes = []string{"User", "Department", "Announcement", "Voicemail", "DigitalUser", "VirtualUser", "FaxUser",
		"PagingOnly", "SharedLinesGroup", "IvrMenu", "ApplicationExtension", "ParkLocation", "Limited", "Bot", "Site",
		"Room", "ProxyAdmin", "DelegatedLinesGroup", "FlexibleUser", "GroupCallPickup", "RoomConnector", "TieLine", "External"}
	Statuses     = []string{"Enabled", "Disabled", "NotActivated"}
	SearchFields = []string{"firstName", "lastName", "extensionNumber", "phoneNumber", "email", "jobTitle", "department",
		"customFieldValue"}
	OrderFields = []string{"firstName", "lastName", "extensionNumber", "phoneNumber", "email", "jobTitle", "department"}
)

// userTypes are listed as User.
var userTypes = []string{"User", "DigitalUser", "VirtualUser", "FaxUser", "FlexibleUser"}

// DirectoryType is how the directory types an extension.
func DirectoryType(t string) string {
	if slices.Contains(userTypes, t) {
		return "User"
	}
	return t
}

// IsUser reports whether the directory shows first and last names (users) or a name.
func (e Entry) IsUser() bool { return e.Type == "User" }

// Query selects and orders entries.
type Query struct {
	// AccountID is the caller's account; Federated widens the directory to its federation.
	AccountID int64
	Federated bool
	// Types filter by directory type, ExtensionTypes by the extension's own; empty means any.
	Types          []string
	ExtensionTypes []string
	// UserGroup is "User" or "NonUser"; "" means both.
	UserGroup   string
	Statuses    []string
	AccountIDs  []int64
	ExtensionID []int64
	Department  string
	// SiteIDs filter by site; rcemu's extensions belong to no site, so any filter matches none.
	SiteIDs []string
	// Search terms must each match one of Fields (all searchable fields when empty).
	Search string
	Fields []string
	Order  []Order
}

// Order is one sort key.
type Order struct {
	Field string
	Desc  bool
}

// Federation returns the federation the account belongs to. The accounts of one rcemu form one
// federation; a lone account belongs to none (404 ADG-105).
func (s *Service) Federation(ctx context.Context, accountID int64) (Federation, error) {
	accs, err := s.store.Accounts(ctx)
	if err != nil {
		return Federation{}, err
	}
	in := slices.ContainsFunc(accs, func(a rc.Account) bool { return a.ID == accountID })
	if len(accs) < 2 || !in {
		return Federation{}, NotFederated()
	}
	created := accs[0].CreationTime
	for _, a := range accs {
		if a.CreationTime.After(created) {
			created = a.CreationTime
		}
	}
	return Federation{ID: strconv.FormatInt(accs[0].ID, 10), DisplayName: accs[0].CompanyName + " federation",
		Type: "Regular", Created: created, Accounts: accs}, nil
}

// Entries returns the entries q selects, in order: the caller's account first, then the others
// of the federation, each in the order of its extension list, unless q orders otherwise.
func (s *Service) Entries(ctx context.Context, q Query) ([]Entry, error) {
	accs, err := s.store.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var own *rc.Account
	for i := range accs {
		if accs[i].ID == q.AccountID {
			own = &accs[i]
		}
	}
	if own == nil {
		return nil, rc.NotFound("accountId")
	}
	scope := []rc.Account{*own}
	if q.Federated && len(accs) > 1 {
		for _, a := range accs {
			if a.ID != own.ID {
				scope = append(scope, a)
			}
		}
	}
	terms := strings.Fields(strings.ToLower(q.Search))
	fields := q.Fields
	if len(fields) == 0 {
		fields = SearchFields
	}
	var out []Entry
	for _, a := range scope {
		if len(q.AccountIDs) > 0 && !slices.Contains(q.AccountIDs, a.ID) {
			continue
		}
		exts, _, err := s.store.ListExtensions(ctx, store.ExtensionFilter{AccountID: a.ID, Statuses: Statuses})
		if err != nil {
			return nil, err
		}
		nums, _, err := s.store.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: a.ID})
		if err != nil {
			return nil, err
		}
		byExt := map[int64][]rc.PhoneNumber{}
		for _, n := range nums {
			if n.ExtensionID != 0 {
				byExt[n.ExtensionID] = append(byExt[n.ExtensionID], n)
			}
		}
		for _, e := range exts {
			en := Entry{Extension: e, Type: DirectoryType(e.Type), Numbers: byExt[e.ID], Account: a}
			if e.Type == "ApplicationExtension" || !q.keeps(en) || !matchesAll(en, terms, fields) {
				continue
			}
			out = append(out, en)
		}
	}
	if len(q.Order) > 0 {
		slices.SortStableFunc(out, func(a, b Entry) int {
			for _, o := range q.Order {
				c := cmp.Compare(strings.ToLower(field(a, o.Field)), strings.ToLower(field(b, o.Field)))
				if o.Desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	return out, nil
}

// Entry returns one entry of the caller's directory (its federation included); 404 ADG-122 if
// there is none.
func (s *Service) Entry(ctx context.Context, accountID int64, entryID string) (Entry, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(entryID), 10, 64)
	if err != nil || id <= 0 {
		return Entry{}, contactNotFound()
	}
	es, err := s.Entries(ctx, Query{AccountID: accountID, Federated: true, ExtensionID: []int64{id}})
	if err != nil {
		return Entry{}, err
	}
	if len(es) == 0 {
		return Entry{}, contactNotFound()
	}
	return es[0], nil
}

func (q Query) keeps(e Entry) bool {
	x := e.Extension
	switch {
	case len(q.Types) > 0 && !slices.Contains(q.Types, e.Type),
		len(q.ExtensionTypes) > 0 && !slices.Contains(q.ExtensionTypes, x.Type),
		q.UserGroup == "User" && !e.IsUser(),
		q.UserGroup == "NonUser" && e.IsUser(),
		len(q.Statuses) > 0 && !slices.Contains(q.Statuses, x.Status),
		len(q.ExtensionID) > 0 && !slices.Contains(q.ExtensionID, x.ID),
		q.Department != "" && !strings.EqualFold(q.Department, x.Contact.Department),
		len(q.SiteIDs) > 0:
		return false
	}
	return true
}

// matchesAll reports whether every term is in one of the fields (without regard to case; phone
// numbers by their digits).
func matchesAll(e Entry, terms, fields []string) bool {
	for _, t := range terms {
		found := false
		for _, f := range fields {
			if f == "phoneNumber" {
				d := digits(t)
				if d == "" {
					continue
				}
				for _, n := range e.Numbers {
					if strings.Contains(n.PhoneNumber, d) {
						found = true
					}
				}
			} else if strings.Contains(strings.ToLower(field(e, f)), t) {
				found = true
			}
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else if c != '+' && c != '-' && c != ' ' && c != '(' && c != ')' && c != '.' {
			return ""
		}
	}
	return b.String()
}

// field is an entry's value of a search or order field.
func field(e Entry, name string) string {
	x := e.Extension
	switch name {
	case "firstName":
		if e.IsUser() {
			return x.Contact.FirstName
		}
		return x.Name
	case "lastName":
		if e.IsUser() {
			return x.Contact.LastName
		}
	case "extensionNumber":
		return x.ExtensionNumber
	case "phoneNumber":
		if len(e.Numbers) > 0 {
			return e.Numbers[0].PhoneNumber
		}
	case "email":
		return x.Contact.Email
	case "jobTitle":
		return x.Contact.JobTitle
	case "department":
		return x.Contact.Department
	}
	return ""
}

// Page cuts a page out of entries; perPage 0 means all.
func Page(es []Entry, page, perPage int) []Entry {
	if perPage == 0 {
		return es
	}
	start := (page - 1) * perPage
	if start >= len(es) {
		return []Entry{}
	}
	return es[start:min(start+perPage, len(es))]
}

// IsNotFederated reports whether err is the directory's "not federated".
func IsNotFederated(err error) bool {
	var e *rc.Error
	return errors.As(err, &e) && e.Code == CodeNotFederated
}
