package rc

import "time"

// Account is a RingCentral customer account (a company).
type Account struct {
	ID                int64     `json:"id"`
	MainNumber        string    `json:"mainNumber"`
	CompanyName       string    `json:"companyName"`
	Status            string    `json:"status"`
	BrandID           string    `json:"brandId"`
	BrandName         string    `json:"brandName"`
	HomeCountry       string    `json:"homeCountry"` // ISO code, e.g. "US"
	Timezone          string    `json:"timezone"`
	Language          string    `json:"language"`
	ServicePlan       string    `json:"servicePlan"`
	OperatorExtension int64     `json:"operatorExtensionId,omitempty"`
	CreationTime      time.Time `json:"creationTime"`
	// Roles are the account's custom user roles (the standard ones are StandardRoles).
	Roles []Role `json:"roles,omitempty"`
}

// Contact is an extension's contact block.
type Contact struct {
	FirstName     string `json:"firstName,omitempty"`
	LastName      string `json:"lastName,omitempty"`
	Company       string `json:"company,omitempty"`
	JobTitle      string `json:"jobTitle,omitempty"`
	Email         string `json:"email,omitempty"`
	BusinessPhone string `json:"businessPhone,omitempty"`
	MobilePhone   string `json:"mobilePhone,omitempty"`
	Department    string `json:"department,omitempty"`
}

// RegionalSettings is the subset of an extension's regional settings rcemu keeps.
type RegionalSettings struct {
	HomeCountry string `json:"homeCountry,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
	Language    string `json:"language,omitempty"`
	TimeFormat  string `json:"timeFormat,omitempty"`
}

// Extension is one extension of an account: a user, a department, an IVR menu...
type Extension struct {
	ID               int64            `json:"id"`
	AccountID        int64            `json:"accountId"`
	ExtensionNumber  string           `json:"extensionNumber"`
	Name             string           `json:"name"`
	Type             string           `json:"type"`
	Status           string           `json:"status"`
	Admin            bool             `json:"admin"`
	Role             *Role            `json:"role,omitempty"` // nil: the standard role Admin implies
	Contact          Contact          `json:"contact"`
	Regional         RegionalSettings `json:"regionalSettings"`
	SetupWizardState string           `json:"setupWizardState"`
	Hidden           bool             `json:"hidden"`
	CreationTime     time.Time        `json:"creationTime"`
}

// PhoneNumber is a number hosted by the account, assigned to an extension or to the company.
type PhoneNumber struct {
	ID          int64    `json:"id"`
	AccountID   int64    `json:"accountId"`
	ExtensionID int64    `json:"extensionId,omitempty"` // 0: not assigned to an extension
	PhoneNumber string   `json:"phoneNumber"`           // E.164
	Type        string   `json:"type"`                  // VoiceFax, VoiceOnly, FaxOnly
	UsageType   string   `json:"usageType"`             // MainCompanyNumber, DirectNumber, ...
	PaymentType string   `json:"paymentType"`           // Local, TollFree
	Status      string   `json:"status"`                // Normal, Pending, PortedIn, Temporary
	Label       string   `json:"label,omitempty"`
	Location    string   `json:"location,omitempty"`
	Primary     bool     `json:"primary"`
	Features    []string `json:"features"`
}

// Extension types and statuses the directory validates against (from the spec's enums).
var (
	ExtensionTypes = []string{"User", "FaxUser", "FlexibleUser", "VirtualUser", "DigitalUser", "Department",
		"Announcement", "Voicemail", "SharedLinesGroup", "PagingOnly", "IvrMenu", "ApplicationExtension",
		"ParkLocation", "Limited", "Bot", "Site", "Room", "ProxyAdmin", "DelegatedLinesGroup",
		"GroupCallPickup", "RoomConnector"}
	ExtensionStatuses = []string{"Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned"}
)
