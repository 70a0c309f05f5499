// Package seed reads the description of a new rcemu database (accounts, extensions, numbers,
// apps, credentials) from YAML or JSON, fills in the platform's defaults, checks it, and turns
// it into a store.Dataset. The default seed is embedded.
package seed

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

//go:embed default.yaml
var defaultSeed []byte

// Default returns the embedded default seed document.
func Default() []byte { return defaultSeed }

// File is a seed document. YAML is a superset of JSON, so one parser reads both.
type File struct {
	JWTSigningKey string    `yaml:"jwtSigningKey" json:"jwtSigningKey"`
	CreationTime  string    `yaml:"creationTime" json:"creationTime"`
	Apps          []App     `yaml:"apps" json:"apps"`
	Accounts      []Account `yaml:"accounts" json:"accounts"`
}

// App is a seeded client application; no clientSecret makes it public (PKCE).
type App struct {
	ClientID     string   `yaml:"clientId"`
	ClientSecret string   `yaml:"clientSecret"`
	Name         string   `yaml:"name"`
	Grants       []string `yaml:"grants"`
	RedirectURIs []string `yaml:"redirectUris"`
	Scopes       []string `yaml:"scopes"`
}

// Account is a seeded account with its company numbers and extensions.
type Account struct {
	ID           int64         `yaml:"id"`
	CompanyName  string        `yaml:"companyName"`
	MainNumber   string        `yaml:"mainNumber"`
	HomeCountry  string        `yaml:"homeCountry"`
	Timezone     string        `yaml:"timezone"`
	PhoneNumbers []PhoneNumber `yaml:"phoneNumbers"`
	Extensions   []Extension   `yaml:"extensions"`
}

// Extension is a seeded extension; password and jwt make it a user who can log in.
type Extension struct {
	ID              int64         `yaml:"id"`
	ExtensionNumber string        `yaml:"extensionNumber"`
	Type            string        `yaml:"type"`
	Status          string        `yaml:"status"`
	Name            string        `yaml:"name"`
	FirstName       string        `yaml:"firstName"`
	LastName        string        `yaml:"lastName"`
	Email           string        `yaml:"email"`
	Admin           bool          `yaml:"admin"`
	Password        string        `yaml:"password"`
	JWT             string        `yaml:"jwt"`
	PhoneNumbers    []PhoneNumber `yaml:"phoneNumbers"`
}

// PhoneNumber is a seeded number.
type PhoneNumber struct {
	ID          int64    `yaml:"id"`
	PhoneNumber string   `yaml:"phoneNumber"`
	Type        string   `yaml:"type"`
	UsageType   string   `yaml:"usageType"`
	PaymentType string   `yaml:"paymentType"`
	Label       string   `yaml:"label"`
	Location    string   `yaml:"location"`
	Features    []string `yaml:"features"`
}

// Result is a checked seed: the dataset to load and the key that signs its JWT credentials.
type Result struct {
	Dataset       store.Dataset
	JWTSigningKey string
}

var (
	e164RE   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	extNumRE = regexp.MustCompile(`^[0-9]{1,8}$`)
)

// DefaultCreationTime stamps seeded records when the seed names no time, so that a seed gives
// the same bodies on every fresh start.
var DefaultCreationTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Parse reads and checks a seed document. Missing ids are assigned deterministically in document
// order, so the same document always gives the same ids.
func Parse(doc []byte) (Result, error) {
	var f File
	dec := yaml.NewDecoder(strings.NewReader(string(doc)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	return f.build()
}

func (f File) build() (Result, error) {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	created := DefaultCreationTime
	if f.CreationTime != "" {
		t, err := time.Parse(time.RFC3339, f.CreationTime)
		if err != nil {
			fail("creationTime: %v", err)
		}
		created = t.UTC()
	}
	key := f.JWTSigningKey
	if key == "" {
		key = "rcemu-seed-jwt-key"
	}
	next := int64(300000008)
	newID := func() int64 { id := next; next += 1000; return id }
	ids := map[int64]string{}
	claim := func(id *int64, what string) {
		if *id == 0 {
			*id = newID()
			for ids[*id] != "" {
				*id = newID()
			}
		}
		if prev := ids[*id]; prev != "" {
			fail("%s: id %d already used by %s", what, *id, prev)
		}
		ids[*id] = what
	}
	numbers := map[string]bool{}
	var d store.Dataset

	if len(f.Apps) == 0 {
		fail("apps: at least one app is needed")
	}
	for i, a := range f.Apps {
		if a.ClientID == "" {
			fail("apps[%d]: clientId is required", i)
		}
		grants := a.Grants
		if len(grants) == 0 {
			grants = []string{rc.GrantAuthorizationCode, rc.GrantRefreshToken, rc.GrantJWT, rc.GrantPassword}
		}
		for _, g := range grants {
			if !slices.Contains([]string{rc.GrantAuthorizationCode, rc.GrantRefreshToken, rc.GrantJWT, rc.GrantPassword, rc.GrantPartnerJWT}, g) {
				fail("apps[%d]: unknown grant %q", i, g)
			}
		}
		name := a.Name
		if name == "" {
			name = a.ClientID
		}
		d.Apps = append(d.Apps, rc.App{ClientID: a.ClientID, ClientSecret: a.ClientSecret, Name: name,
			Grants: grants, RedirectURIs: a.RedirectURIs, Scopes: a.Scopes})
	}

	if len(f.Accounts) == 0 {
		fail("accounts: at least one account is needed")
	}
	for ai := range f.Accounts {
		a := &f.Accounts[ai]
		what := fmt.Sprintf("accounts[%d]", ai)
		claim(&a.ID, what)
		if !e164RE.MatchString(a.MainNumber) {
			fail("%s: mainNumber %q is not an E.164 number", what, a.MainNumber)
		}
		country := orDefault(a.HomeCountry, "US")
		tz := orDefault(a.Timezone, "America/Los_Angeles")
		acc := rc.Account{ID: a.ID, MainNumber: a.MainNumber, CompanyName: orDefault(a.CompanyName, "Company"),
			Status: "Confirmed", BrandID: "1210", BrandName: "RingCentral", HomeCountry: country, Timezone: tz,
			Language: "en-US", ServicePlan: "RingEX Premium", CreationTime: created}
		extNumbers := map[string]bool{}
		addNumber := func(p PhoneNumber, extID int64, defUsage, where string) {
			claim(&p.ID, where)
			if !e164RE.MatchString(p.PhoneNumber) {
				fail("%s: phoneNumber %q is not an E.164 number", where, p.PhoneNumber)
			}
			if numbers[p.PhoneNumber] {
				fail("%s: phoneNumber %s is used twice", where, p.PhoneNumber)
			}
			numbers[p.PhoneNumber] = true
			features := p.Features
			if features == nil {
				features = []string{"CallerId"}
			}
			d.PhoneNumbers = append(d.PhoneNumbers, rc.PhoneNumber{ID: p.ID, AccountID: a.ID, ExtensionID: extID,
				PhoneNumber: p.PhoneNumber, Type: orDefault(p.Type, "VoiceFax"), UsageType: orDefault(p.UsageType, defUsage),
				PaymentType: orDefault(p.PaymentType, "Local"), Status: "Normal", Label: p.Label,
				Location: p.Location, Primary: p.UsageType == "MainCompanyNumber", Features: features})
		}
		for pi, p := range a.PhoneNumbers {
			addNumber(p, 0, "CompanyNumber", fmt.Sprintf("%s.phoneNumbers[%d]", what, pi))
		}
		for ei := range a.Extensions {
			e := &a.Extensions[ei]
			ewhat := fmt.Sprintf("%s.extensions[%d]", what, ei)
			claim(&e.ID, ewhat)
			if !extNumRE.MatchString(e.ExtensionNumber) {
				fail("%s: extensionNumber %q must be 1 to 8 digits", ewhat, e.ExtensionNumber)
			}
			if extNumbers[e.ExtensionNumber] {
				fail("%s: extensionNumber %s is used twice in the account", ewhat, e.ExtensionNumber)
			}
			extNumbers[e.ExtensionNumber] = true
			typ := orDefault(e.Type, "User")
			if !slices.Contains(rc.ExtensionTypes, typ) {
				fail("%s: unknown type %q", ewhat, typ)
			}
			status := orDefault(e.Status, "Enabled")
			if !slices.Contains(rc.ExtensionStatuses, status) {
				fail("%s: unknown status %q", ewhat, status)
			}
			name := e.Name
			if name == "" {
				name = strings.TrimSpace(e.FirstName + " " + e.LastName)
			}
			if name == "" {
				name = "Extension " + e.ExtensionNumber
			}
			if acc.OperatorExtension == 0 && typ == "User" {
				acc.OperatorExtension = e.ID
			}
			d.Extensions = append(d.Extensions, rc.Extension{ID: e.ID, AccountID: a.ID, ExtensionNumber: e.ExtensionNumber,
				Name: name, Type: typ, Status: status, Admin: e.Admin,
				Contact: rc.Contact{FirstName: e.FirstName, LastName: e.LastName, Company: acc.CompanyName, Email: e.Email,
					BusinessPhone: firstNumber(e.PhoneNumbers)},
				Regional:         rc.RegionalSettings{HomeCountry: country, Timezone: tz, Language: "en-US", TimeFormat: "12h"},
				SetupWizardState: "Completed", CreationTime: created})
			for pi, p := range e.PhoneNumbers {
				addNumber(p, e.ID, "DirectNumber", fmt.Sprintf("%s.phoneNumbers[%d]", ewhat, pi))
			}
			if e.Password != "" || e.JWT != "" {
				username := firstNumber(e.PhoneNumbers)
				if username == "" {
					username = e.Email
				}
				if username == "" {
					fail("%s: a user who logs in needs a phone number or an email as username", ewhat)
				}
				d.Credentials = append(d.Credentials, rc.UserCredential{ExtensionID: e.ID, AccountID: a.ID,
					Username: username, Password: e.Password, JWT: e.JWT})
			}
		}
		d.Accounts = append(d.Accounts, acc)
	}
	if len(errs) > 0 {
		return Result{}, fmt.Errorf("seed: %w", errors.Join(errs...))
	}
	return Result{Dataset: d, JWTSigningKey: key}, nil
}

func firstNumber(ps []PhoneNumber) string {
	if len(ps) > 0 {
		return ps[0].PhoneNumber
	}
	return ""
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
