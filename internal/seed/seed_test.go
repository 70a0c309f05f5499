package seed_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/seed"
)

func TestDefaultSeed(t *testing.T) {
	res, err := seed.Parse(seed.Default())
	if err != nil {
		t.Fatal(err)
	}
	d := res.Dataset
	if len(d.Accounts) != 2 || d.Accounts[0].ID != 159048008 || d.Accounts[0].MainNumber == "" {
		t.Fatalf("accounts = %+v", d.Accounts)
	}
	admin := d.Extensions[0]
	if admin.ID != 171857008 || admin.ExtensionNumber != "101" || !admin.Admin || admin.Type != "User" {
		t.Fatalf("first extension = %+v", admin)
	}
	users := 0
	for _, e := range d.Extensions {
		if e.AccountID == 159048008 && e.Type == "User" {
			users++
		}
	}
	if users < 3 {
		t.Fatalf("account 1 has %d users, want at least 3", users)
	}
	for _, c := range d.Credentials {
		found := false
		for _, p := range d.PhoneNumbers {
			if p.ExtensionID == c.ExtensionID && p.UsageType == "DirectNumber" {
				found = true
				for _, f := range []string{"SmsSender", "MmsSender", "CallerId"} {
					if !strings.Contains(strings.Join(p.Features, ","), f) {
						t.Errorf("%s lacks %s", p.PhoneNumber, f)
					}
				}
			}
		}
		if !found || c.Password == "" {
			t.Errorf("user %d has no direct number or password", c.ExtensionID)
		}
	}
	again, _ := seed.Parse(seed.Default())
	if again.Dataset.PhoneNumbers[3].ID != d.PhoneNumbers[3].ID {
		t.Fatal("ids differ between two parses of one seed")
	}
}

func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"BadNumber":      {"apps: [{clientId: a}]\naccounts: [{mainNumber: '555'}]", "mainNumber"},
		"DupExtension":   {"apps: [{clientId: a}]\naccounts: [{mainNumber: '+15550001111', extensions: [{extensionNumber: '1'}, {extensionNumber: '1'}]}]", "used twice"},
		"DupID":          {"apps: [{clientId: a}]\naccounts: [{id: 5, mainNumber: '+15550001111', extensions: [{id: 5, extensionNumber: '1'}]}]", "already used"},
		"UnknownField":   {"apps: [{clientId: a, colour: red}]\naccounts: []", "colour"},
		"NoApps":         {"accounts: [{mainNumber: '+15550001111'}]", "apps"},
		"UnknownType":    {"apps: [{clientId: a}]\naccounts: [{mainNumber: '+15550001111', extensions: [{extensionNumber: '1', type: Robot}]}]", "Robot"},
		"UnknownGrant":   {"apps: [{clientId: a, grants: [magic]}]\naccounts: [{mainNumber: '+15550001111'}]", "magic"},
		"NotYAML":        {"{{{", "seed"},
		"UserNoUsername": {"apps: [{clientId: a}]\naccounts: [{mainNumber: '+15550001111', extensions: [{extensionNumber: '1', password: p}]}]", "username"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := seed.Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestJSONSeed(t *testing.T) {
	doc := `{"apps":[{"clientId":"c","clientSecret":"s"}],"accounts":[{"mainNumber":"+15550001111",
		"extensions":[{"extensionNumber":"7","firstName":"J","password":"p","phoneNumbers":[{"phoneNumber":"+15550001112"}]}]}]}`
	res, err := seed.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dataset.Extensions) != 1 || res.Dataset.Extensions[0].ID == 0 || len(res.Dataset.Credentials) != 1 {
		t.Fatalf("dataset = %+v", res.Dataset)
	}
}

// FuzzParse: no seed document makes the parser panic.
func FuzzParse(f *testing.F) {
	f.Add(string(seed.Default()))
	f.Add(`{"apps":[{"clientId":"c"}],"accounts":[{"mainNumber":"+15550001111"}]}`)
	f.Add("apps: [{clientId: a}]\naccounts: [{id: -1, mainNumber: '+1'}]")
	f.Fuzz(func(t *testing.T, doc string) {
		_, _ = seed.Parse([]byte(doc))
	})
}

// TestRoles: extensions take a standard role or one of their account's, by id or name; an
// unknown role, a reused id and an admin flag that contradicts the role are refused.
func TestRoles(t *testing.T) {
	doc := func(roles, role string, admin bool) string {
		return `apps: [{clientId: a}]
accounts:
  - mainNumber: "+16505550100"
    roles: ` + roles + `
    extensions:
      - {extensionNumber: "101", role: "` + role + `", admin: ` + strconv.FormatBool(admin) + `}
`
	}
	r, err := seed.Parse([]byte(doc(`[{id: aud, name: Auditor, permissions: [ReadCallLog]}]`, "Auditor", false)))
	if err != nil {
		t.Fatal(err)
	}
	e := r.Dataset.Extensions[0]
	if e.Role == nil || e.Role.ID != "aud" || !e.Role.Custom || e.Admin || !e.Role.Allows("ReadCallLog") || e.Role.Allows("OutboundSMS") {
		t.Fatalf("custom role: %+v", e.Role)
	}
	if len(r.Dataset.Accounts[0].Roles) != 1 {
		t.Fatalf("account roles: %+v", r.Dataset.Accounts[0].Roles)
	}
	r, err = seed.Parse([]byte(doc(`[]`, "Super Admin", false)))
	if err != nil || !r.Dataset.Extensions[0].Admin {
		t.Fatalf("Super Admin makes an administrator: %v %+v", err, r.Dataset.Extensions)
	}
	for _, bad := range []string{
		doc(`[]`, "Nobody", false),
		doc(`[{id: "1", permissions: []}]`, "", false),
		doc(`[{id: aud}, {id: aud}]`, "aud", false),
		doc(`[{id: aud}]`, "aud", true),
		doc(`[]`, "Standard", true),
		doc(`[{id: aud, permissions: ["Read Call Log"]}]`, "aud", false),
	} {
		if _, err := seed.Parse([]byte(bad)); err == nil {
			t.Fatalf("accepted:\n%s", bad)
		}
	}
}
