// Package directory holds the rules of accounts, extensions and phone numbers: who may read or
// change what, and how an extension update is checked and applied. It knows neither HTTP nor SQL.
package directory

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Enumerations the list filters validate against (the spec's enums).
var (
	UsageTypes = []string{"MainCompanyNumber", "AdditionalCompanyNumber", "CompanyNumber", "DirectNumber",
		"CompanyFaxNumber", "FmcBusinessMobileNumber", "InventoryFmcBusinessMobileNumber", "ForwardedNumber",
		"ForwardedCompanyNumber", "ContactCenterNumber", "ConferencingNumber", "MeetingsNumber", "NumberPool",
		"BusinessMobileNumber", "ELIN", "PartnerBusinessMobileNumber", "NumberPoolPartnerBusinessMobileNumber",
		"NumberStorage", "IntegrationNumber", "InventoryMobileNumber"}
	NumberStatuses = []string{"Normal", "Pending", "PortedIn", "Temporary", "Unknown"}
	PaymentTypes   = []string{"External", "TollFree", "Local", "BusinessMobileNumberProvider", "ExternalNumberProvider",
		"ExternalNumberProviderTollFree", "Mobile"}
	ListedExtensionTypes = []string{"User", "Department", "Announcement", "Voicemail", "DigitalUser", "VirtualUser",
		"FaxUser", "PagingOnly", "SharedLinesGroup", "DelegatedLinesGroup", "GroupCallPickup", "IvrMenu",
		"ApplicationExtension", "ProxyAdmin", "RoomConnector", "ParkLocation", "Limited", "Bot", "Site", "Room",
		"FlexibleUser", "TieLine", "Unknown"}
)

// AccountStore holds accounts, their extensions and phone numbers: what the directory reads and
// the one change it makes.
type AccountStore interface {
	Account(ctx context.Context, id int64) (rc.Account, error)
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	// ExtensionsGeneration changes whenever any extension or account may have changed.
	ExtensionsGeneration() uint64
	// ListExtensions returns one page and the total number matching.
	ListExtensions(ctx context.Context, f store.ExtensionFilter) ([]rc.Extension, int, error)
	// UpdateExtension replaces a stored extension; store.ErrConflict if its number is taken.
	UpdateExtension(ctx context.Context, e rc.Extension) error
	PhoneNumber(ctx context.Context, accountID, id int64) (rc.PhoneNumber, error)
	ListPhoneNumbers(ctx context.Context, f store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error)
}

// Service applies the directory's rules over a store.
type Service struct {
	store AccountStore
	// bus, when set, receives an "extension" event for every change.
	bus   *events.Bus
	clock rc.Clock
}

// New returns the directory over st; bus may be nil.
func New(st AccountStore, clock rc.Clock, bus *events.Bus) *Service {
	return &Service{store: st, clock: clock, bus: bus}
}

// Account returns the caller's account.
func (s *Service) Account(ctx context.Context, id int64) (rc.Account, error) {
	a, err := s.store.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, rc.NotFound("accountId")
	}
	return a, err
}

// Extension returns an extension of the account; 404 CMN-102 if there is none.
func (s *Service) Extension(ctx context.Context, accountID, id int64) (rc.Extension, error) {
	e, err := s.store.Extension(ctx, accountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, rc.NotFound("extensionId")
	}
	return e, err
}

// LookupExtension is Extension for callers to whom a missing extension is no error (a number
// assigned to an extension deleted meanwhile): ok is false then, and err is kept for real
// failures.
func (s *Service) LookupExtension(ctx context.Context, accountID, id int64) (e rc.Extension, ok bool, err error) {
	e, err = s.store.Extension(ctx, accountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, false, nil
	}
	return e, err == nil, err
}

// ExtensionFilter selects extensions of one account. Slices are unions; empty means any.
type ExtensionFilter struct {
	AccountID        int64
	ExtensionNumbers []string
	Emails           []string
	Types            []string
	Statuses         []string
	Offset, Limit    int // Limit 0: no limit
}

// ListExtensions returns one page of an account's extensions and the total number matching.
func (s *Service) ListExtensions(ctx context.Context, f ExtensionFilter) ([]rc.Extension, int, error) {
	return s.store.ListExtensions(ctx, store.ExtensionFilter{AccountID: f.AccountID, ExtensionNumbers: f.ExtensionNumbers,
		Emails: f.Emails, Types: f.Types, Statuses: f.Statuses, Offset: f.Offset, Limit: f.Limit})
}

// PhoneNumberFilter selects phone numbers of one account, optionally of one extension.
type PhoneNumberFilter struct {
	AccountID    int64
	ExtensionID  int64 // 0: any
	UsageTypes   []string
	Types        []string
	Statuses     []string
	PaymentTypes []string
	// ExtensionStatus keeps numbers assigned to extensions of that status; "" means any.
	ExtensionStatus string
	Offset, Limit   int
}

// ListPhoneNumbers returns one page of phone numbers and the total number matching.
func (s *Service) ListPhoneNumbers(ctx context.Context, f PhoneNumberFilter) ([]rc.PhoneNumber, int, error) {
	return s.store.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: f.AccountID, ExtensionID: f.ExtensionID,
		UsageTypes: f.UsageTypes, Types: f.Types, Statuses: f.Statuses, PaymentTypes: f.PaymentTypes,
		ExtensionStatus: f.ExtensionStatus, Offset: f.Offset, Limit: f.Limit})
}

// PhoneNumber returns a phone number of the account; 404 CMN-102 if there is none.
func (s *Service) PhoneNumber(ctx context.Context, accountID, id int64) (rc.PhoneNumber, error) {
	pn, err := s.store.PhoneNumber(ctx, accountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return pn, rc.NotFound("phoneNumberId")
	}
	return pn, err
}

// ExtensionAt returns an extension as Extension does, with the generation it was read at: the
// same generation later means the same extension.
func (s *Service) ExtensionAt(ctx context.Context, accountID, id int64) (rc.Extension, uint64, error) {
	gen := s.store.ExtensionsGeneration()
	e, err := s.Extension(ctx, accountID, id)
	return e, gen, err
}

// ContactUpdate is the contact part of an update; nil fields are left as they are.
type ContactUpdate struct {
	FirstName     *string `json:"firstName"`
	LastName      *string `json:"lastName"`
	Company       *string `json:"company"`
	JobTitle      *string `json:"jobTitle"`
	Email         *string `json:"email"`
	BusinessPhone *string `json:"businessPhone"`
	MobilePhone   *string `json:"mobilePhone"`
	Department    *string `json:"department"`
}

// RegionalUpdate is the regional-settings part of an update.
type RegionalUpdate struct {
	HomeCountry *struct {
		ID string `json:"id"`
	} `json:"homeCountry"`
	Timezone *struct {
		ID string `json:"id"`
	} `json:"timezone"`
	Language *struct {
		ID string `json:"id"`
	} `json:"language"`
	TimeFormat *string `json:"timeFormat"`
}

// ExtensionUpdate is the body of updateExtension (ExtensionUpdateRequest). The platform applies
// it field by field: what the body leaves out stays as it was.
type ExtensionUpdate struct {
	Status           *string         `json:"status"`
	ExtensionNumber  *string         `json:"extensionNumber"`
	Contact          *ContactUpdate  `json:"contact"`
	RegionalSettings *RegionalUpdate `json:"regionalSettings"`
	SetupWizardState *string         `json:"setupWizardState"`
	Type             *string         `json:"type"`
}

var (
	emailRE  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	extNumRE = regexp.MustCompile(`^[0-9]{1,8}$`)
)

// UpdateExtension checks and applies an update. Only an administrator may change another
// extension, or the status, number or type of any extension.
func (s *Service) UpdateExtension(ctx context.Context, caller *rc.Principal, accountID, id int64, u ExtensionUpdate) (rc.Extension, error) {
	e, err := s.Extension(ctx, accountID, id)
	if err != nil {
		return e, err
	}
	if !caller.Admin && (u.Status != nil || u.ExtensionNumber != nil || u.Type != nil) {
		return e, rc.AdminRequired()
	}
	if u.Status != nil {
		if !slices.Contains([]string{"Enabled", "Disabled", "Frozen", "NotActivated"}, *u.Status) {
			return e, rc.Invalid("status")
		}
		e.Status = *u.Status
	}
	if u.ExtensionNumber != nil {
		if !extNumRE.MatchString(*u.ExtensionNumber) {
			return e, rc.Invalid("extensionNumber")
		}
		e.ExtensionNumber = *u.ExtensionNumber
	}
	if u.Type != nil {
		if !slices.Contains(rc.ExtensionTypes, *u.Type) {
			return e, rc.Invalid("type")
		}
		e.Type = *u.Type
	}
	if u.SetupWizardState != nil {
		if !slices.Contains([]string{"NotStarted", "Incomplete", "Completed"}, *u.SetupWizardState) {
			return e, rc.Invalid("setupWizardState")
		}
		e.SetupWizardState = *u.SetupWizardState
	}
	if c := u.Contact; c != nil {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		if c.Email != nil && !emailRE.MatchString(strings.TrimSpace(*c.Email)) {
			return e, rc.Invalid("contact.email")
		}
		set(&e.Contact.FirstName, c.FirstName)
		set(&e.Contact.LastName, c.LastName)
		set(&e.Contact.Company, c.Company)
		set(&e.Contact.JobTitle, c.JobTitle)
		set(&e.Contact.Email, c.Email)
		set(&e.Contact.BusinessPhone, c.BusinessPhone)
		set(&e.Contact.MobilePhone, c.MobilePhone)
		set(&e.Contact.Department, c.Department)
		if c.FirstName != nil || c.LastName != nil {
			e.Name = strings.TrimSpace(e.Contact.FirstName + " " + e.Contact.LastName)
		}
	}
	if r := u.RegionalSettings; r != nil {
		if r.TimeFormat != nil {
			if *r.TimeFormat != "12h" && *r.TimeFormat != "24h" {
				return e, rc.Invalid("regionalSettings.timeFormat")
			}
			e.Regional.TimeFormat = *r.TimeFormat
		}
		if r.Timezone != nil {
			tz, ok := TimezoneByID(r.Timezone.ID)
			if !ok {
				return e, rc.Invalid("regionalSettings.timezone.id")
			}
			e.Regional.Timezone = tz.Name
		}
		if r.HomeCountry != nil {
			c, ok := CountryByID(r.HomeCountry.ID)
			if !ok {
				return e, rc.Invalid("regionalSettings.homeCountry.id")
			}
			e.Regional.HomeCountry = c.ISOCode
		}
		if r.Language != nil {
			l, ok := LanguageByID(r.Language.ID)
			if !ok {
				return e, rc.Invalid("regionalSettings.language.id")
			}
			e.Regional.Language = l.LocaleCode
		}
	}
	err = s.store.UpdateExtension(ctx, e)
	if errors.Is(err, store.ErrConflict) {
		return e, &rc.Error{Status: 400, Code: "CMN-406", TopCode: "CMN-406", Param: "extensionNumber",
			Message: "Duplicate value for parameter extensionNumber: " + e.ExtensionNumber + " found in request"}
	}
	if errors.Is(err, store.ErrNotFound) {
		return e, rc.NotFound("extensionId")
	}
	if err == nil && s.bus != nil {
		cp := e
		s.bus.Publish(rc.Event{Kind: "extension", AccountID: e.AccountID, ExtensionID: e.ID, Time: s.clock.Now(), Extension: &cp})
	}
	return e, err
}
