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
	"strconv"
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
	Messages      []Message `yaml:"messages" json:"messages"`
	Calls         []Call    `yaml:"calls" json:"calls"`
}

// Call is one finished call of a seeded call log, as the extension saw it. Its time is relative
// to the moment the seed loads (`ago`), like messages'.
type Call struct {
	ExtensionID int64  `yaml:"extensionId"` // whose call log
	Direction   string `yaml:"direction"`   // Inbound (default) or Outbound
	From        string `yaml:"from"`        // E.164 number
	To          string `yaml:"to"`
	Ago         string `yaml:"ago"`
	Duration    string `yaml:"duration"` // e.g. "4m12s"
	// Result is the call-log result: Accepted, Call connected, Missed, Voicemail, Busy...
	// Default: Accepted inbound, Call connected outbound.
	Result   string `yaml:"result"`
	Recorded bool   `yaml:"recorded"`
}

// Message is one record of a seeded message store. Its time is relative to the moment the seed
// loads (`ago`), so that a fresh instance's default 24-hour message list shows it.
type Message struct {
	ID          int64    `yaml:"id"`
	ExtensionID int64    `yaml:"extensionId"` // whose store
	Type        string   `yaml:"type"`        // SMS (default) or Pager
	Direction   string   `yaml:"direction"`   // Inbound (default) or Outbound
	From        string   `yaml:"from"`        // E.164 number, or an extension number for Pager
	To          []string `yaml:"to"`
	Text        string   `yaml:"text"`
	Ago         string   `yaml:"ago"` // e.g. "2h30m"
	ReadStatus  string   `yaml:"readStatus"`
}

// App is a seeded client application; no clientSecret makes it public (PKCE).
type App struct {
	ClientID     string   `yaml:"clientId"`
	ClientSecret string   `yaml:"clientSecret"`
	Name         string   `yaml:"name"`
	Grants       []string `yaml:"grants"`
	RedirectURIs []string `yaml:"redirectUris"`
	Scopes       []string `yaml:"scopes"`
	// Permissions are the app's RingCentral permissions (the same as scopes); none listed lets
	// the app call every operation.
	Permissions []string `yaml:"permissions"`
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
	// Roles are the account's own user roles, beside the standard Super Admin and Standard.
	Roles []Role `yaml:"roles"`
}

// Role is a custom user role: exactly the user permissions listed (the spec's
// x-user-permission names).
type Role struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Permissions []string `yaml:"permissions"`
}

// Extension is a seeded extension; password and jwt make it a user who can log in.
type Extension struct {
	ID              int64  `yaml:"id"`
	ExtensionNumber string `yaml:"extensionNumber"`
	Type            string `yaml:"type"`
	Status          string `yaml:"status"`
	Name            string `yaml:"name"`
	FirstName       string `yaml:"firstName"`
	LastName        string `yaml:"lastName"`
	Email           string `yaml:"email"`
	Admin           bool   `yaml:"admin"`
	// Role names a standard role ("Super Admin" or 1, "Standard" or 3) or one of the account's
	// roles, by id or name. Default: Super Admin for an admin, else Standard.
	Role         string        `yaml:"role"`
	Password     string        `yaml:"password"`
	JWT          string        `yaml:"jwt"`
	PhoneNumbers []PhoneNumber `yaml:"phoneNumbers"`
	// Contacts are the user's personal address book.
	Contacts []Contact `yaml:"contacts"`
}

// Contact is a seeded personal contact; its id comes from the store, in document order.
type Contact struct {
	FirstName     string `yaml:"firstName"`
	LastName      string `yaml:"lastName"`
	Company       string `yaml:"company"`
	JobTitle      string `yaml:"jobTitle"`
	Email         string `yaml:"email"`
	BusinessPhone string `yaml:"businessPhone"`
	MobilePhone   string `yaml:"mobilePhone"`
	HomePhone     string `yaml:"homePhone"`
	Notes         string `yaml:"notes"`
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

// Parse reads and checks a seed document as if it loaded at DefaultCreationTime.
func Parse(doc []byte) (Result, error) { return ParseAt(doc, DefaultCreationTime) }

// ParseAt reads and checks a seed document that loads at now. Missing ids are assigned
// deterministically in document order, so the same document always gives the same ids.
func ParseAt(doc []byte, now time.Time) (Result, error) {
	var f File
	dec := yaml.NewDecoder(strings.NewReader(string(doc)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	return f.build(now)
}

func (f File) build(now time.Time) (Result, error) {
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
			Grants: grants, RedirectURIs: a.RedirectURIs, Scopes: append(append([]string(nil), a.Scopes...), a.Permissions...)})
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
		roles := accountRoles(a.Roles, what, fail)
		acc.Roles = roles
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
			role, err := roles.find(e.Role, e.Admin)
			if err != nil {
				fail("%s: %v", ewhat, err)
			}
			d.Extensions = append(d.Extensions, rc.Extension{ID: e.ID, AccountID: a.ID, ExtensionNumber: e.ExtensionNumber,
				Name: name, Type: typ, Status: status, Admin: e.Admin || (role != nil && role.Admin), Role: role,
				Contact: rc.Contact{FirstName: e.FirstName, LastName: e.LastName, Company: acc.CompanyName, Email: e.Email,
					BusinessPhone: firstNumber(e.PhoneNumbers)},
				Regional:         rc.RegionalSettings{HomeCountry: country, Timezone: tz, Language: "en-US", TimeFormat: "12h"},
				SetupWizardState: "Completed", CreationTime: created})
			for pi, p := range e.PhoneNumbers {
				addNumber(p, e.ID, "DirectNumber", fmt.Sprintf("%s.phoneNumbers[%d]", ewhat, pi))
			}
			for ci, c := range e.Contacts {
				for _, p := range []string{c.BusinessPhone, c.MobilePhone, c.HomePhone} {
					if p != "" && !e164RE.MatchString(p) {
						fail("%s.contacts[%d]: %q is not an E.164 number", ewhat, ci, p)
					}
				}
				d.Contacts = append(d.Contacts, &rc.PersonalContact{AccountID: a.ID, ExtensionID: e.ID, Availability: "Alive",
					CreationTime: created, LastModifiedTime: created,
					ContactAttributes: rc.ContactAttributes{FirstName: c.FirstName, LastName: c.LastName, Company: c.Company,
						JobTitle: c.JobTitle, Email: c.Email, BusinessPhone: c.BusinessPhone, MobilePhone: c.MobilePhone,
						HomePhone: c.HomePhone, Notes: c.Notes}})
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
	exts := map[int64]rc.Extension{}
	for _, e := range d.Extensions {
		exts[e.ID] = e
	}
	for i, m := range f.Messages {
		msg, err := buildMessage(m, exts, now)
		if err != nil {
			fail("messages[%d]: %v", i, err)
			continue
		}
		d.Messages = append(d.Messages, msg)
	}
	names := map[string]rc.Extension{}
	for _, p := range d.PhoneNumbers {
		if e, ok := exts[p.ExtensionID]; ok {
			names[p.PhoneNumber] = e
		}
	}
	for i, c := range f.Calls {
		rec, err := buildCall(i, c, exts, names, now)
		if err != nil {
			fail("calls[%d]: %v", i, err)
			continue
		}
		d.CallRecords = append(d.CallRecords, rec)
		if rec.Recording != nil {
			d.CallRecordings = append(d.CallRecordings, *rec.Recording)
		}
	}
	if len(errs) > 0 {
		return Result{}, fmt.Errorf("seed: %w", errors.Join(errs...))
	}
	return Result{Dataset: d, JWTSigningKey: key}, nil
}

// callResults are the call-log results a seeded call may have (a subset of the spec's).
var callResults = []string{"Accepted", "Call connected", "Missed", "Voicemail", "Busy", "No Answer", "Rejected",
	"Hang Up", "Stopped", "Wrong Number"}

// buildCall makes the call-log record of a seeded call. Its ids derive from its place in the
// document, in a range of their own, so they never meet the engine's.
func buildCall(i int, c Call, exts map[int64]rc.Extension, names map[string]rc.Extension, now time.Time) (*rc.CallRecord, error) {
	owner, ok := exts[c.ExtensionID]
	if !ok {
		return nil, fmt.Errorf("extensionId %d is not a seeded extension", c.ExtensionID)
	}
	dir := orDefault(c.Direction, "Inbound")
	if dir != "Inbound" && dir != "Outbound" {
		return nil, fmt.Errorf("direction %q is not Inbound or Outbound", c.Direction)
	}
	if !e164RE.MatchString(c.From) || !e164RE.MatchString(c.To) {
		return nil, fmt.Errorf("from and to must be E.164 numbers")
	}
	ago, err := time.ParseDuration(orDefault(c.Ago, "1h"))
	if err != nil || ago < 0 {
		return nil, fmt.Errorf("ago %q is not a duration", c.Ago)
	}
	dur, err := time.ParseDuration(orDefault(c.Duration, "0s"))
	if err != nil || dur < 0 {
		return nil, fmt.Errorf("duration %q is not a duration", c.Duration)
	}
	result := c.Result
	if result == "" {
		result = "Accepted"
		if dir == "Outbound" {
			result = "Call connected"
		}
	}
	if !slices.Contains(callResults, result) {
		return nil, fmt.Errorf("result %q is not one of %v", c.Result, callResults)
	}
	end := func(n string) rc.CallEndpoint {
		ep := rc.CallEndpoint{PhoneNumber: n}
		if e, ok := names[n]; ok {
			ep.Name, ep.ExtensionNumber, ep.ExtensionID = e.Name, e.ExtensionNumber, e.ID
		}
		return ep
	}
	start := now.Add(-ago).Truncate(time.Millisecond)
	num := int64(i + 1)
	r := &rc.CallRecord{ID: fmt.Sprintf("Seed%08dAXg", num), AccountID: owner.AccountID, ExtensionID: owner.ID,
		SessionID: fmt.Sprint(1000000000008 + num*1010), StartTime: start, Duration: dur, Type: "Voice", Direction: dir,
		Action: "Phone Call", Result: result, From: end(c.From), To: end(c.To), Transport: "PSTN", LastModified: start.Add(dur)}
	if r.From.ExtensionID != 0 && r.To.ExtensionID != 0 {
		r.Action, r.Transport = "VoIP Call", "VoIP"
	}
	legType := "PstnToSip"
	if dir == "Outbound" {
		legType = "SipToPstnMetered"
	}
	if c.Recorded {
		r.Recording = &rc.CallRecording{ID: 1000000000008 + num*1000, AccountID: owner.AccountID, Type: "Automatic",
			Duration: max(dur, time.Second), ContentType: "audio/wav", Created: start.Add(dur)}
	}
	r.Legs = []rc.CallLeg{{StartTime: start, Duration: dur, Type: "Voice", Direction: dir, Action: r.Action, Result: result,
		From: r.From, To: r.To, LegType: legType, Transport: r.Transport, ExtensionID: owner.ID, Master: true, Recording: r.Recording}}
	return r, nil
}

func buildMessage(m Message, exts map[int64]rc.Extension, now time.Time) (*rc.Message, error) {
	owner, ok := exts[m.ExtensionID]
	if !ok {
		return nil, fmt.Errorf("extensionId %d is not a seeded extension", m.ExtensionID)
	}
	typ := orDefault(m.Type, "SMS")
	if typ != "SMS" && typ != "Pager" {
		return nil, fmt.Errorf("type %q: seeds hold SMS and Pager messages", typ)
	}
	dir := orDefault(m.Direction, "Inbound")
	if dir != "Inbound" && dir != "Outbound" {
		return nil, fmt.Errorf("direction %q is not Inbound or Outbound", dir)
	}
	ago := time.Duration(0)
	if m.Ago != "" {
		var err error
		if ago, err = time.ParseDuration(m.Ago); err != nil || ago < 0 {
			return nil, fmt.Errorf("ago %q is not a duration such as 2h30m", m.Ago)
		}
	}
	if m.Text == "" || m.From == "" || len(m.To) == 0 {
		return nil, errors.New("from, to and text are required")
	}
	at := now.Add(-ago).Truncate(time.Millisecond)
	read := orDefault(m.ReadStatus, map[string]string{"Inbound": "Unread", "Outbound": "Read"}[dir])
	status := map[string]string{"Inbound": "Received", "Outbound": "Delivered"}[dir]
	if typ == "Pager" && dir == "Outbound" {
		status = "Sent"
	}
	party := func(v string) (rc.Party, error) {
		if typ == "SMS" {
			if !e164RE.MatchString(v) {
				return rc.Party{}, fmt.Errorf("%q is not an E.164 number", v)
			}
			return rc.Party{PhoneNumber: v}, nil
		}
		for _, e := range exts {
			if e.AccountID == owner.AccountID && e.ExtensionNumber == v {
				return rc.Party{ExtensionNumber: v, ExtensionID: e.ID, Name: e.Name}, nil
			}
		}
		return rc.Party{}, fmt.Errorf("extension number %q is not in the owner's account", v)
	}
	from, err := party(m.From)
	if err != nil {
		return nil, err
	}
	msg := &rc.Message{ID: m.ID, AccountID: owner.AccountID, ExtensionID: owner.ID, Type: typ, Direction: dir,
		Availability: "Alive", ReadStatus: read, MessageStatus: status, Priority: "Normal", From: from, Subject: m.Text,
		CreationTime: at, LastModifiedTime: at,
		Attachments: []rc.Attachment{{Type: "Text", ContentType: "text/plain", Size: len(m.Text), Content: []byte(m.Text)}}}
	parts := []string{m.From}
	for _, t := range m.To {
		p, err := party(t)
		if err != nil {
			return nil, err
		}
		if dir == "Outbound" && typ == "SMS" {
			p.MessageStatus = "Delivered"
		}
		msg.To = append(msg.To, p)
		parts = append(parts, t)
	}
	if typ == "Pager" {
		parts = nil
		for _, p := range append([]rc.Party{msg.From}, msg.To...) {
			parts = append(parts, strconv.FormatInt(p.ExtensionID, 10))
		}
	}
	msg.ConversationID = rc.ConversationID(parts...)
	if dir == "Outbound" && typ == "SMS" {
		msg.SMSAttempts = 1
		t := at
		msg.SMSDeliveryTime = &t
	}
	return msg, nil
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

// roleSet is an account's custom roles, checked.
type roleSet []rc.Role

func accountRoles(in []Role, what string, fail func(string, ...any)) roleSet {
	var out roleSet
	seen := map[string]bool{}
	for i, r := range in {
		rwhat := fmt.Sprintf("%s.roles[%d]", what, i)
		if r.ID == "" {
			r.ID = r.Name
		}
		if r.ID == "" {
			fail("%s: id or name is required", rwhat)
			continue
		}
		if _, std := rc.StandardRole(r.ID); std || seen[r.ID] {
			fail("%s: role id %q is already used", rwhat, r.ID)
		}
		seen[r.ID] = true
		perms := append([]string{}, r.Permissions...)
		for _, p := range perms {
			if p == "" || strings.ContainsAny(p, " ,") {
				fail("%s: %q is not a permission name", rwhat, p)
			}
		}
		out = append(out, rc.Role{ID: r.ID, DisplayName: orDefault(r.Name, r.ID), Description: r.Description,
			Custom: true, Permissions: perms})
	}
	return out
}

// find resolves an extension's role: a standard one or the account's own, by id or name.
func (rs roleSet) find(name string, admin bool) (*rc.Role, error) {
	if name == "" {
		return nil, nil // the standard role the admin flag implies (rc.RoleOf)
	}
	if r, ok := rc.StandardRole(name); ok {
		if admin && !r.Admin {
			return nil, fmt.Errorf("admin: true contradicts role %q", name)
		}
		return &r, nil
	}
	for i := range rs {
		if rs[i].ID == name || strings.EqualFold(rs[i].DisplayName, name) {
			if admin {
				return nil, fmt.Errorf("admin: true contradicts the custom role %q", name)
			}
			r := rs[i]
			return &r, nil
		}
	}
	return nil, fmt.Errorf("unknown role %q", name)
}
