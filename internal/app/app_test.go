package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/rctest"
)

const jwtGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// openErr runs app.Open with a fresh database and returns its error; a successful app is closed.
func openErr(t *testing.T, cfg config.Config) error {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "rcemu.db")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	a := app.New(cfg, quietLog())
	err := a.Open(context.Background())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	}
	return err
}

func writeSeedFile(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultSeedIsDeterministic(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	b := rctest.MustOpenApp(t)
	if a.URL == b.URL {
		t.Fatalf("two apps on one URL %s", a.URL)
	}
	ca, cb := a.Creds, b.Creds
	if ca.ClientID != cb.ClientID || ca.ClientSecret != cb.ClientSecret {
		t.Errorf("app credentials differ: %s/%s vs %s/%s", ca.ClientID, ca.ClientSecret, cb.ClientID, cb.ClientSecret)
	}
	if ca.ClientID != "rcemuDefaultClientId01" {
		t.Errorf("clientId %q, want rcemuDefaultClientId01", ca.ClientID)
	}
	if len(ca.Users) != 5 || len(ca.Users) != len(cb.Users) {
		t.Fatalf("users: %d and %d, want 5 each", len(ca.Users), len(cb.Users))
	}
	for i := range ca.Users {
		ua, ub := ca.Users[i], cb.Users[i]
		if ua.JWT == "" || ua.JWT != ub.JWT {
			t.Errorf("user %d: JWT differs or is empty", i)
		}
		if ua.AccountID != ub.AccountID || ua.ExtensionID != ub.ExtensionID || ua.ExtensionNumber != ub.ExtensionNumber ||
			ua.Username != ub.Username || ua.Password != ub.Password {
			t.Errorf("user %d differs: %+v vs %+v", i, ua, ub)
		}
	}
	// The ids CI configurations hard-code.
	if u := a.User(0, "101"); u.AccountID != "159048008" || u.ExtensionID != "171857008" {
		t.Errorf("account 0 ext 101 is %s/%s, want 159048008/171857008", u.AccountID, u.ExtensionID)
	}
	if u := a.User(1, "102"); u.AccountID != "259048008" || u.ExtensionID != "271858008" {
		t.Errorf("account 1 ext 102 is %s/%s, want 259048008/271858008", u.AccountID, u.ExtensionID)
	}

	t.Run("ControlPlaneAgrees", func(t *testing.T) {
		ra := a.Do(rctest.Req{Path: "/_rcemu/credentials"}).Map(t)
		rb := b.Do(rctest.Req{Path: "/_rcemu/credentials"}).Map(t)
		delete(ra, "serverUrl")
		delete(rb, "serverUrl")
		if ja, jb := canonicalJSON(t, ra), canonicalJSON(t, rb); ja != jb {
			t.Errorf("/_rcemu/credentials differ:\n%s\n%s", ja, jb)
		}
	})
	t.Run("JWTOfOneAppWorksOnTheOther", func(t *testing.T) {
		res := b.TokenRequest(url.Values{"grant_type": {jwtGrantType}, "assertion": {a.User(0, "102").JWT}})
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
	})
	t.Run("RecordsIdentical", func(t *testing.T) {
		ta, tb := a.Login(a.User(0, "101")), b.Login(b.User(0, "101"))
		for _, p := range []string{"/restapi/v1.0/account/~/extension/~", "/restapi/v1.0/account/~/phone-number"} {
			ra := a.Do(rctest.Req{Path: p, Token: ta.AccessToken})
			rb := b.Do(rctest.Req{Path: p, Token: tb.AccessToken})
			if ra.Status != 200 || rb.Status != 200 {
				t.Fatalf("GET %s: %d / %d", p, ra.Status, rb.Status)
			}
			// Bodies carry absolute URIs; apart from the port they must be the same.
			sa := strings.ReplaceAll(string(ra.Body), a.URL, "BASE")
			sb := strings.ReplaceAll(string(rb.Body), b.URL, "BASE")
			if sa != sb {
				t.Errorf("GET %s differs between two fresh apps:\n%s\n%s", p, sa, sb)
			}
		}
	})
}

func TestCustomSeed(t *testing.T) {
	t.Parallel()
	path := writeSeedFile(t, `
jwtSigningKey: custom-seed-test-key
apps:
  - clientId: customClientId
    clientSecret: customClientSecret
    name: Custom app
accounts:
  - id: 400000008
    companyName: Custom Co
    mainNumber: "+12025550100"
    extensions:
      - id: 400001008
        extensionNumber: "11"
        firstName: Custom
        lastName: User
        email: custom.user@example.net
        admin: true
        password: custom-password
        phoneNumbers:
          - {phoneNumber: "+12025550111"}
      - extensionNumber: "12"
        firstName: No
        lastName: Login
`)
	a := rctest.MustOpenApp(t, rctest.WithSeed(path))
	c := a.Creds
	if c.ClientID != "customClientId" || c.ClientSecret != "customClientSecret" {
		t.Errorf("app %s/%s, want customClientId/customClientSecret", c.ClientID, c.ClientSecret)
	}
	if len(c.Users) != 1 {
		t.Fatalf("%d users, want 1: %+v", len(c.Users), c.Users)
	}
	u := c.Users[0]
	if u.AccountID != "400000008" || u.ExtensionID != "400001008" || u.ExtensionNumber != "11" ||
		u.Username != "+12025550111" || u.Password != "custom-password" || u.Name != "Custom User" || u.JWT == "" {
		t.Errorf("user %+v", u)
	}

	tok := a.Login(u)
	if tok.OwnerID != "400001008" {
		t.Errorf("owner_id %q, want 400001008", tok.OwnerID)
	}
	t.Run("AccountFromSeed", func(t *testing.T) {
		res := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~", Token: tok.AccessToken})
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		m := res.Map(t)
		if m["id"] != float64(400000008) || m["mainNumber"] != "+12025550100" {
			t.Errorf("account id %v mainNumber %v", m["id"], m["mainNumber"])
		}
	})
	t.Run("ExtensionsFromSeed", func(t *testing.T) {
		res := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension", Token: tok.AccessToken})
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		var body struct {
			Records []struct {
				ID              int64  `json:"id"`
				ExtensionNumber string `json:"extensionNumber"`
			} `json:"records"`
		}
		res.JSON(t, &body)
		numbers := map[string]bool{}
		for _, r := range body.Records {
			numbers[r.ExtensionNumber] = true
		}
		if len(body.Records) != 2 || !numbers["11"] || !numbers["12"] {
			t.Errorf("extensions %+v, want 11 and 12", body.Records)
		}
	})
	t.Run("PasswordLogin", func(t *testing.T) {
		res := a.TokenRequest(url.Values{"grant_type": {"password"}, "username": {"+12025550111"},
			"password": {"custom-password"}})
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
	})
	t.Run("ErrDefaultSeedJWTRejected", func(t *testing.T) {
		def := rctest.MustOpenApp(t)
		res := a.TokenRequest(url.Values{"grant_type": {jwtGrantType}, "assertion": {def.User(0, "101").JWT}})
		if res.Status != 400 {
			t.Errorf("status %d, want 400: %s", res.Status, res.Body)
		}
	})
	t.Run("ErrDefaultAppUnknown", func(t *testing.T) {
		res := a.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/token",
			Form:  url.Values{"grant_type": {jwtGrantType}, "assertion": {u.JWT}},
			Basic: [2]string{"rcemuDefaultClientId01", "rcemuDefaultClientSecret0000000000000001"}})
		if res.Status != 401 {
			t.Errorf("status %d, want 401: %s", res.Status, res.Body)
		}
	})
	t.Run("ResetRestoresCustomSeed", func(t *testing.T) {
		if res := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/reset"}); res.Status != 200 {
			t.Fatalf("reset: %d %s", res.Status, res.Body)
		}
		c, err := a.Credentials(context.Background(), a.URL)
		if err != nil {
			t.Fatal(err)
		}
		if c.ClientID != "customClientId" || len(c.Users) != 1 || c.Users[0].JWT != u.JWT {
			t.Errorf("after reset: %+v", c)
		}
	})
}

// Ids a seed leaves out are assigned in document order, so they too are the same on every start.
func TestSeedWithoutIDsIsDeterministic(t *testing.T) {
	t.Parallel()
	path := writeSeedFile(t, `
apps: [{clientId: c1, clientSecret: s1}]
accounts:
  - mainNumber: "+12025550100"
    extensions:
      - {extensionNumber: "1", password: pw1, phoneNumbers: [{phoneNumber: "+12025550101"}]}
      - {extensionNumber: "2", password: pw2, email: two@example.net}
  - mainNumber: "+13035550100"
    extensions:
      - {extensionNumber: "1", password: pw3, phoneNumbers: [{phoneNumber: "+13035550101"}]}
`)
	a := rctest.MustOpenApp(t, rctest.WithSeed(path))
	b := rctest.MustOpenApp(t, rctest.WithSeed(path))
	if len(a.Creds.Users) != 3 || len(b.Creds.Users) != 3 {
		t.Fatalf("users: %d and %d, want 3", len(a.Creds.Users), len(b.Creds.Users))
	}
	ids := map[string]bool{}
	for i, ua := range a.Creds.Users {
		ub := b.Creds.Users[i]
		if ua.AccountID != ub.AccountID || ua.ExtensionID != ub.ExtensionID || ua.JWT != ub.JWT {
			t.Errorf("user %d: %s/%s vs %s/%s", i, ua.AccountID, ua.ExtensionID, ub.AccountID, ub.ExtensionID)
		}
		if ids[ua.ExtensionID] {
			t.Errorf("extension id %s assigned twice", ua.ExtensionID)
		}
		ids[ua.ExtensionID] = true
	}
	if u := a.User(0, "2"); u.Username != "two@example.net" {
		t.Errorf("a user without a number has username %q, want the email", u.Username)
	}
	for _, u := range a.Creds.Users {
		if tok := a.Login(u); tok.OwnerID != u.ExtensionID {
			t.Errorf("login of %s gave owner %s", u.ExtensionID, tok.OwnerID)
		}
	}
}

func TestExistingDatabaseKeepsItsSeed(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "rcemu.db")
	first := rctest.MustOpenApp(t, rctest.WithDB(db))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	path := writeSeedFile(t, `
apps: [{clientId: otherClient, clientSecret: otherSecret}]
accounts:
  - mainNumber: "+12025550100"
    extensions: [{extensionNumber: "1", password: pw, phoneNumbers: [{phoneNumber: "+12025550101"}]}]
`)
	second := rctest.MustOpenApp(t, rctest.WithDB(db), rctest.WithSeed(path))
	if second.Creds.ClientID != "rcemuDefaultClientId01" || len(second.Creds.Users) != 5 {
		t.Errorf("a seeded database took a new seed: %s with %d users", second.Creds.ClientID, len(second.Creds.Users))
	}
}

func TestInvalidSeed(t *testing.T) {
	t.Parallel()
	const apps = "apps: [{clientId: c1, clientSecret: s1}]\n"
	cases := []struct {
		name string
		doc  string
		want []string // each must appear in the error
	}{
		{"ErrMainNumberNotE164", apps + `
accounts:
  - mainNumber: "6505550100"
    extensions: [{extensionNumber: "101"}]
`, []string{"accounts[0]", "mainNumber", "6505550100", "E.164"}},
		{"ErrExtensionPhoneNumberNotE164", apps + `
accounts:
  - mainNumber: "+16505550100"
    extensions:
      - extensionNumber: "101"
        phoneNumbers: [{phoneNumber: "+1-650-555-0101"}]
`, []string{"accounts[0].extensions[0].phoneNumbers[0]", "phoneNumber", "+1-650-555-0101", "E.164"}},
		{"ErrDuplicateExtensionNumber", apps + `
accounts:
  - mainNumber: "+16505550100"
    extensions:
      - {extensionNumber: "101"}
      - {extensionNumber: "101"}
`, []string{"accounts[0].extensions[1]", "extensionNumber", "101", "twice"}},
		{"ErrDuplicatePhoneNumber", apps + `
accounts:
  - mainNumber: "+16505550100"
    phoneNumbers: [{phoneNumber: "+16505550100"}]
    extensions:
      - extensionNumber: "101"
        phoneNumbers: [{phoneNumber: "+16505550100"}]
`, []string{"accounts[0].extensions[0].phoneNumbers[0]", "+16505550100", "twice"}},
		{"ErrBadExtensionNumber", apps + `
accounts:
  - mainNumber: "+16505550100"
    extensions: [{extensionNumber: "12a"}]
`, []string{"accounts[0].extensions[0]", "extensionNumber", "12a"}},
		{"ErrDuplicateID", apps + `
accounts:
  - id: 5000
    mainNumber: "+16505550100"
    extensions: [{id: 5000, extensionNumber: "101"}]
`, []string{"accounts[0].extensions[0]", "5000", "already used"}},
		{"ErrUnknownField", apps + `
accounts:
  - mainNumbr: "+16505550100"
`, []string{"mainNumbr"}},
		{"ErrUnknownGrant", `
apps: [{clientId: c1, grants: [client_credentials]}]
accounts: [{mainNumber: "+16505550100"}]
`, []string{"apps[0]", "client_credentials"}},
		{"ErrNoApps", `
accounts: [{mainNumber: "+16505550100"}]
`, []string{"apps"}},
		{"ErrNotYAML", "apps: [unclosed\n", []string{"seed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := openErr(t, config.Config{Seed: writeSeedFile(t, c.doc)})
			if err == nil {
				t.Fatal("Open accepted an invalid seed")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	t.Run("ErrSeedFileMissing", func(t *testing.T) {
		t.Parallel()
		missing := filepath.Join(t.TempDir(), "nope.yaml")
		err := openErr(t, config.Config{Seed: missing})
		if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
			t.Errorf("error %v, want one naming the missing seed file", err)
		}
	})
	t.Run("InvalidSeedLeavesDatabaseUsable", func(t *testing.T) {
		t.Parallel()
		db := filepath.Join(t.TempDir(), "rcemu.db")
		bad := writeSeedFile(t, apps+"accounts: [{mainNumber: \"123\"}]\n")
		if err := openErr(t, config.Config{DB: db, Seed: bad}); err == nil {
			t.Fatal("Open accepted an invalid seed")
		}
		// The failed start must not leave the database half-seeded: a corrected start works.
		a := rctest.MustOpenApp(t, rctest.WithDB(db))
		if len(a.Creds.Users) != 5 {
			t.Errorf("%d users after a corrected start, want the default 5", len(a.Creds.Users))
		}
	})
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	db := filepath.Join(t.TempDir(), "rcemu.db")

	err = openErr(t, config.Config{Addr: addr, DB: db})
	if err == nil {
		t.Fatalf("Open on the taken address %s succeeded", addr)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %v does not wrap EADDRINUSE", err)
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "listen") {
		t.Errorf("error %q does not name the address it could not listen on", err)
	}

	t.Run("DatabaseClosed", func(t *testing.T) {
		// The failed Open must have closed the database it opened.
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd on this system")
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
			if err == nil && strings.HasPrefix(target, db) {
				t.Errorf("file %s is still open after the failed Open", target)
			}
		}
		a := rctest.MustOpenApp(t, rctest.WithDB(db))
		if res := a.Do(rctest.Req{Path: "/_rcemu/health"}); res.Status != 200 {
			t.Errorf("health: %d %s", res.Status, res.Body)
		}
	})
	t.Run("ErrBadAddress", func(t *testing.T) {
		err := openErr(t, config.Config{Addr: "127.0.0.1:notaport"})
		if err == nil || !strings.Contains(err.Error(), "notaport") {
			t.Errorf("error %v, want one naming the address", err)
		}
	})
}

func TestCloseStopsServing(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	if res := a.Do(rctest.Req{Path: "/_rcemu/health"}); res.Status != 200 {
		t.Fatalf("health: %d", res.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	addr := strings.TrimPrefix(a.URL, "http://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
}

func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
