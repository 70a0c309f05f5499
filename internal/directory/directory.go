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

// Service applies the directory's rules over a store.
type Service struct {
	Store store.Store
	// Bus, when set, receives an "extension" event for every change.
	Bus   *events.Bus
	Clock rc.Clock
}

// Account returns the caller's account.
func (s *Service) Account(ctx context.Context, id int64) (rc.Account, error) {
	a, err := s.Store.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, rc.NotFound("accountId")
	}
	return a, err
}

// Extension returns an extension of the account; 404 CMN-102 if there is none.
func (s *Service) Extension(ctx context.Context, accountID, id int64) (rc.Extension, error) {
	e, err := s.Store.Extension(ctx, accountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, rc.NotFound("extensionId")
	}
	return e, err
}

// ExtensionAt returns an extension as Extension does, with the generation it was read at: the
// same generation later means the same extension.
func (s *Service) ExtensionAt(ctx context.Context, accountID, id int64) (rc.Extension, uint64, error) {
	gen := s.Store.ExtensionsGeneration()
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
	err = s.Store.UpdateExtension(ctx, e)
	if errors.Is(err, store.ErrConflict) {
		return e, &rc.Error{Status: 400, Code: "CMN-406", TopCode: "CMN-406", Param: "extensionNumber",
			Message: "Duplicate value for parameter extensionNumber: " + e.ExtensionNumber + " found in request"}
	}
	if errors.Is(err, store.ErrNotFound) {
		return e, rc.NotFound("extensionId")
	}
	if err == nil && s.Bus != nil {
		cp := e
		s.Bus.Publish(rc.Event{Kind: "extension", AccountID: e.AccountID, ExtensionID: e.ID, Time: s.Clock.Now(), Extension: &cp})
	}
	return e, err
}
