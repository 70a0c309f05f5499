// Package api holds the hand-written, stateful resource handlers and their wire shapes. Handlers
// parse with the conventions layer's helpers, call domain services, and build response bodies
// from domain values plus the request's base URI; stored records are never sent as they are.
package api

import (
	"strconv"

	"github.com/rcemu/rcemu/internal/directory"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
)

func id(n int64) string { return strconv.FormatInt(n, 10) }

func accountURI(r *restapi.Request, accountID int64) string {
	return r.URI("/restapi/v1.0/account/" + id(accountID))
}

func extensionURI(r *restapi.Request, accountID, extensionID int64) string {
	return accountURI(r, accountID) + "/extension/" + id(extensionID)
}

type countryInfo struct {
	ID          string `json:"id"`
	URI         string `json:"uri"`
	Name        string `json:"name"`
	ISOCode     string `json:"isoCode,omitempty"`
	CallingCode string `json:"callingCode,omitempty"`
}

func country(r *restapi.Request, iso string) countryInfo {
	c := directory.CountryByISO(iso)
	return countryInfo{ID: c.ID, URI: r.URI("/restapi/v1.0/dictionary/country/" + c.ID), Name: c.Name,
		ISOCode: c.ISOCode, CallingCode: c.CallingCode}
}

type timezoneInfo struct {
	URI         string `json:"uri"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Bias        string `json:"bias"`
}

type localeInfo struct {
	ID         string `json:"id"`
	LocaleCode string `json:"localeCode"`
	Name       string `json:"name"`
}

type regionalSettings struct {
	HomeCountry      countryInfo  `json:"homeCountry"`
	Timezone         timezoneInfo `json:"timezone"`
	Language         localeInfo   `json:"language"`
	GreetingLanguage localeInfo   `json:"greetingLanguage"`
	FormattingLocale localeInfo   `json:"formattingLocale"`
	TimeFormat       string       `json:"timeFormat"`
	Currency         *currency    `json:"currency,omitempty"`
}

type currency struct {
	ID          int64  `json:"id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	Symbol      string `json:"symbol"`
	MinorSymbol string `json:"minorSymbol"`
}

func regional(r *restapi.Request, iso, tz, lang, timeFormat string) regionalSettings {
	t := directory.TimezoneByName(tz)
	l := directory.LanguageByLocale(lang)
	li := localeInfo{ID: l.ID, LocaleCode: l.LocaleCode, Name: l.Name}
	if timeFormat == "" {
		timeFormat = "12h"
	}
	return regionalSettings{HomeCountry: country(r, iso),
		Timezone: timezoneInfo{URI: r.URI("/restapi/v1.0/dictionary/timezone/" + t.ID), ID: t.ID, Name: t.Name,
			Description: t.Description, Bias: t.Bias},
		Language: li, GreetingLanguage: li, FormattingLocale: li, TimeFormat: timeFormat}
}

// --- account ---

type brandInfo struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	HomeCountry countryInfo `json:"homeCountry"`
}

type servicePlan struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Edition string `json:"edition"`
}

type billingPlan struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	DurationUnit       string `json:"durationUnit"`
	Duration           int    `json:"duration"`
	Type               string `json:"type"`
	IncludedPhoneLines int    `json:"includedPhoneLines"`
}

type serviceInfo struct {
	URI               string      `json:"uri"`
	BillingPlan       billingPlan `json:"billingPlan"`
	Brand             brandInfo   `json:"brand"`
	ServicePlan       servicePlan `json:"servicePlan"`
	TargetServicePlan servicePlan `json:"targetServicePlan"`
	ContractedCountry countryInfo `json:"contractedCountry"`
}

type operatorInfo struct {
	URI             string `json:"uri"`
	ID              int64  `json:"id"`
	ExtensionNumber string `json:"extensionNumber"`
}

type accountLimits struct {
	FreeSoftPhoneLinesPerExtension int `json:"freeSoftPhoneLinesPerExtension"`
	MeetingSize                    int `json:"meetingSize"`
	MaxMonitoredExtensionsPerUser  int `json:"maxMonitoredExtensionsPerUser"`
	MaxExtensionNumberLength       int `json:"maxExtensionNumberLength"`
	ShortExtensionNumberLength     int `json:"shortExtensionNumberLength"`
}

type signupInfo struct {
	TOSAccepted       bool     `json:"tosAccepted"`
	SignupState       []string `json:"signupState"`
	MarketingAccepted bool     `json:"marketingAccepted"`
	CreationTime      string   `json:"creationTime"`
}

type accountInfo struct {
	ID               int64            `json:"id"`
	URI              string           `json:"uri"`
	MainNumber       string           `json:"mainNumber"`
	Operator         *operatorInfo    `json:"operator,omitempty"`
	ServiceInfo      serviceInfo      `json:"serviceInfo"`
	SetupWizardState string           `json:"setupWizardState"`
	SignupInfo       signupInfo       `json:"signupInfo"`
	Status           string           `json:"status"`
	RegionalSettings regionalSettings `json:"regionalSettings"`
	Federated        bool             `json:"federated"`
	Limits           accountLimits    `json:"limits"`
}

func plan(a rc.Account) servicePlan {
	return servicePlan{ID: "1210", Name: a.ServicePlan, Edition: "Premium"}
}

func newServiceInfo(r *restapi.Request, a rc.Account) serviceInfo {
	return serviceInfo{URI: accountURI(r, a.ID) + "/service-info",
		BillingPlan: billingPlan{ID: "8853", Name: "Monthly", DurationUnit: "Month", Duration: 1, Type: "Regular", IncludedPhoneLines: 100},
		Brand:       brandInfo{ID: a.BrandID, Name: a.BrandName, HomeCountry: country(r, a.HomeCountry)},
		ServicePlan: plan(a), TargetServicePlan: plan(a), ContractedCountry: country(r, a.HomeCountry)}
}

var limits = accountLimits{FreeSoftPhoneLinesPerExtension: 1, MeetingSize: 100, MaxMonitoredExtensionsPerUser: 100,
	MaxExtensionNumberLength: 8, ShortExtensionNumberLength: 5}

// --- extension ---

type contactInfo struct {
	FirstName     string `json:"firstName,omitempty"`
	LastName      string `json:"lastName,omitempty"`
	Company       string `json:"company,omitempty"`
	JobTitle      string `json:"jobTitle,omitempty"`
	Email         string `json:"email,omitempty"`
	BusinessPhone string `json:"businessPhone,omitempty"`
	MobilePhone   string `json:"mobilePhone,omitempty"`
	Department    string `json:"department,omitempty"`
	// EmailAsLoginName is false: rcemu users log in with a number or a JWT.
	EmailAsLoginName bool `json:"emailAsLoginName"`
}

type enabled struct {
	Enabled bool `json:"enabled"`
}

type permissions struct {
	Admin                enabled `json:"admin"`
	InternationalCalling enabled `json:"internationalCalling"`
}

type profileImage struct {
	URI string `json:"uri"`
}

type serviceFeature struct {
	FeatureName string `json:"featureName"`
	Enabled     bool   `json:"enabled"`
}

type extensionAccount struct {
	ID  string `json:"id"`
	URI string `json:"uri"`
}

// extensionRecord is GetExtensionListInfoResponse; extensionInfo adds what a single GET returns.
type extensionRecord struct {
	ID              int64        `json:"id"`
	URI             string       `json:"uri"`
	Contact         contactInfo  `json:"contact"`
	ExtensionNumber string       `json:"extensionNumber"`
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	Status          string       `json:"status"`
	Permissions     permissions  `json:"permissions"`
	ProfileImage    profileImage `json:"profileImage"`
	Hidden          bool         `json:"hidden"`
	CreationTime    string       `json:"creationTime"`
}

type extensionInfo struct {
	extensionRecord
	Account          extensionAccount `json:"account"`
	RegionalSettings regionalSettings `json:"regionalSettings"`
	ServiceFeatures  []serviceFeature `json:"serviceFeatures"`
	SetupWizardState string           `json:"setupWizardState"`
}

func newExtensionRecord(r *restapi.Request, e rc.Extension) extensionRecord {
	uri := extensionURI(r, e.AccountID, e.ID)
	c := e.Contact
	return extensionRecord{ID: e.ID, URI: uri, ExtensionNumber: e.ExtensionNumber, Name: e.Name, Type: e.Type,
		Status: e.Status, Hidden: e.Hidden, CreationTime: rc.FormatTime(e.CreationTime),
		Contact: contactInfo{FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, JobTitle: c.JobTitle,
			Email: c.Email, BusinessPhone: c.BusinessPhone, MobilePhone: c.MobilePhone, Department: c.Department},
		Permissions:  permissions{Admin: enabled{e.Admin}, InternationalCalling: enabled{true}},
		ProfileImage: profileImage{URI: uri + "/profile-image"}}
}

// userFeatures are the service features a User extension reports; other types have a subset.
var userFeatures = []string{"CallerIdControl", "CallForwarding", "Conferencing", "DND", "Fax", "FaxReceiving",
	"InternationalCalling", "InternationalSMS", "MMS", "Pager", "PagerReceiving", "Presence", "RingOut", "SMS",
	"SMSReceiving", "Voicemail", "VoipCalling", "WebPhone"}

func newExtensionInfo(r *restapi.Request, e rc.Extension) extensionInfo {
	features := make([]serviceFeature, len(userFeatures))
	user := e.Type == "User" || e.Type == "DigitalUser" || e.Type == "VirtualUser"
	for i, f := range userFeatures {
		features[i] = serviceFeature{FeatureName: f, Enabled: user || f == "Presence" || f == "Voicemail" || f == "Pager" || f == "PagerReceiving"}
	}
	return extensionInfo{extensionRecord: newExtensionRecord(r, e),
		Account:          extensionAccount{ID: id(e.AccountID), URI: accountURI(r, e.AccountID)},
		RegionalSettings: regional(r, e.Regional.HomeCountry, e.Regional.Timezone, e.Regional.Language, e.Regional.TimeFormat),
		ServiceFeatures:  features, SetupWizardState: e.SetupWizardState}
}

// --- phone numbers ---

type numberExtension struct {
	ID              int64  `json:"id"`
	URI             string `json:"uri"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	Name            string `json:"name,omitempty"`
}

type phoneNumberRecord struct {
	URI         string           `json:"uri"`
	ID          int64            `json:"id"`
	Country     *countryInfo     `json:"country,omitempty"`
	Extension   *numberExtension `json:"extension,omitempty"`
	Label       string           `json:"label,omitempty"`
	Location    string           `json:"location,omitempty"`
	PaymentType string           `json:"paymentType"`
	PhoneNumber string           `json:"phoneNumber"`
	Primary     bool             `json:"primary"`
	Status      string           `json:"status"`
	Type        string           `json:"type"`
	UsageType   string           `json:"usageType"`
	Features    []string         `json:"features,omitempty"`
}

// listBody is the classic list envelope.
type listBody[T any] struct {
	URI        string `json:"uri"`
	Records    []T    `json:"records"`
	Paging     any    `json:"paging"`
	Navigation any    `json:"navigation"`
}
