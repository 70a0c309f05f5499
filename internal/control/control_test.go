package control_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/rctest"
)

const (
	accountPath = "/restapi/v1.0/account/~"
	myExtension = "/restapi/v1.0/account/~/extension/~"
	goodAgent   = "MyApp/1.0 (test)"
)

func wantStatus(t *testing.T, res *rctest.Response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
}

func wantError(t *testing.T, res *rctest.Response, status int, code string) {
	t.Helper()
	wantStatus(t, res, status)
	if got := res.ErrorCode(t); got != code {
		t.Errorf("errors[0].errorCode %q, want %q: %s", got, code, res.Body)
	}
}

func firstName(t *testing.T, a *rctest.App, token string) string {
	t.Helper()
	res := a.Do(rctest.Req{Path: myExtension, Token: token})
	wantStatus(t, res, 200)
	var e struct {
		Contact struct {
			FirstName string `json:"firstName"`
		} `json:"contact"`
	}
	res.JSON(t, &e)
	return e.Contact.FirstName
}

func setFirstName(t *testing.T, a *rctest.App, token, name string) {
	t.Helper()
	res := a.Do(rctest.Req{Method: "PUT", Path: myExtension, Token: token,
		JSON: map[string]any{"contact": map[string]any{"firstName": name}}})
	wantStatus(t, res, 200)
	if got := firstName(t, a, token); got != name {
		t.Fatalf("after PUT the first name is %q, want %q", got, name)
	}
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		t.Fatalf("time %v is not in the platform's form: %v", v, err)
	}
	return tm
}

func near(a, b time.Time, d time.Duration) bool {
	diff := a.Sub(b)
	return diff < d && diff > -d
}

func TestHealth(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	res := a.Do(rctest.Req{Path: "/_rcemu/health"})
	wantStatus(t, res, 200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	m := res.Map(t)
	if m["status"] != "ok" {
		t.Errorf("status %v, want ok", m["status"])
	}
	if m["version"] != app.Version {
		t.Errorf("version %v, want %q", m["version"], app.Version)
	}
	if now := parseTime(t, m["time"]); !near(now, time.Now(), time.Minute) {
		t.Errorf("time %v is not now", now)
	}
	t.Run("FollowsTheAppClock", func(t *testing.T) {
		a.Clock.Advance(48 * time.Hour)
		m := a.Do(rctest.Req{Path: "/_rcemu/health"}).Map(t)
		if now := parseTime(t, m["time"]); !near(now, time.Now().Add(48*time.Hour), time.Minute) {
			t.Errorf("time %v does not follow the advanced clock", now)
		}
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		res := a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/health"})
		wantStatus(t, res, 405)
	})
}

func TestReset(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	old := a.Login(a.User(0, "101"))
	seedName := firstName(t, a, old.AccessToken)
	if seedName != "Ada" {
		t.Fatalf("seeded first name %q, want Ada", seedName)
	}
	setFirstName(t, a, old.AccessToken, "X")
	a.Clock.Set(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC), true)

	res := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/reset"})
	wantStatus(t, res, 200)
	if s := res.Map(t)["status"]; s != "reset" {
		t.Errorf("status %v, want reset", s)
	}

	t.Run("ErrTokenIssuedBeforeReset", func(t *testing.T) {
		wantError(t, a.Do(rctest.Req{Path: accountPath, Token: old.AccessToken}), 401, "OAU-213")
	})
	t.Run("ErrRefreshTokenIssuedBeforeReset", func(t *testing.T) {
		res := a.TokenRequest(map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {old.RefreshToken}})
		wantStatus(t, res, 400)
	})
	t.Run("SeedRestored", func(t *testing.T) {
		tok := a.Login(a.User(0, "101"))
		if got := firstName(t, a, tok.AccessToken); got != seedName {
			t.Errorf("first name after reset %q, want %q", got, seedName)
		}
	})
	t.Run("ClockBackToRealTime", func(t *testing.T) {
		m := a.Do(rctest.Req{Path: "/_rcemu/clock"}).Map(t)
		if m["frozen"] != false {
			t.Errorf("frozen %v after reset, want false", m["frozen"])
		}
		if now := parseTime(t, m["now"]); !near(now, time.Now(), time.Minute) {
			t.Errorf("clock %v after reset, want real time", now)
		}
	})
	t.Run("CredentialsUnchanged", func(t *testing.T) {
		res := a.Do(rctest.Req{Path: "/_rcemu/credentials"})
		wantStatus(t, res, 200)
		var c struct {
			Users []struct {
				ExtensionID string `json:"extensionId"`
				JWT         string `json:"jwt"`
			} `json:"users"`
		}
		res.JSON(t, &c)
		if len(c.Users) != len(a.Creds.Users) {
			t.Fatalf("%d users after reset, want %d", len(c.Users), len(a.Creds.Users))
		}
		for i, u := range c.Users {
			if u.ExtensionID != a.Creds.Users[i].ExtensionID || u.JWT != a.Creds.Users[i].JWT {
				t.Errorf("user %d changed across reset: %+v", i, u)
			}
		}
	})
}

func TestResetClearsRequestLog(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101"))
	a.Do(rctest.Req{Path: accountPath, Token: tok.AccessToken})
	if n := len(recentRequests(t, a, "")); n == 0 {
		t.Fatal("no requests logged before the reset")
	}
	wantStatus(t, a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/reset"}), 200)
	if recs := recentRequests(t, a, ""); len(recs) != 0 {
		t.Errorf("%d requests logged after reset, want 0", len(recs))
	}
}

func export(t *testing.T, a *rctest.App) []byte {
	t.Helper()
	res := a.Do(rctest.Req{Path: "/_rcemu/state"})
	wantStatus(t, res, 200)
	return res.Body
}

func importState(a *rctest.App, method string, body []byte) *rctest.Response {
	return a.Do(rctest.Req{Method: method, Path: "/_rcemu/state", Raw: string(body),
		Header: http.Header{"Content-Type": {"application/json"}}})
}

type snapshot struct {
	Format  string                      `json:"format"`
	Version json.Number                 `json:"schemaVersion"`
	Tables  map[string][]map[string]any `json:"tables"`
}

func decodeSnapshot(t *testing.T, b []byte) snapshot {
	t.Helper()
	var s snapshot
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	return s
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExportImport(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101"))
	exported := export(t, a)

	s := decodeSnapshot(t, exported)
	if s.Format != "rcemu-state" {
		t.Errorf("format %q, want rcemu-state", s.Format)
	}
	for _, table := range []string{"meta", "accounts", "extensions", "phone_numbers", "apps", "credentials", "sessions", "tokens"} {
		if len(s.Tables[table]) == 0 {
			t.Errorf("table %s is missing or empty in the export", table)
		}
	}

	for _, method := range []string{"PUT", "POST"} {
		t.Run("RoundTripWith"+method, func(t *testing.T) {
			setFirstName(t, a, tok.AccessToken, "Changed")
			res := importState(a, method, exported)
			if res.Status != 204 && res.Status != 200 {
				t.Fatalf("import: status %d: %s", res.Status, res.Body)
			}
			// The token was issued before the export, so it travels with the state.
			if got := firstName(t, a, tok.AccessToken); got != "Ada" {
				t.Errorf("first name after import %q, want Ada", got)
			}
		})
	}

	t.Run("ExportAfterImportIsEquivalent", func(t *testing.T) {
		again := decodeSnapshot(t, export(t, a))
		for table, rows := range s.Tables {
			if len(again.Tables[table]) != len(rows) {
				t.Errorf("table %s: %d rows after the round trip, want %d", table, len(again.Tables[table]), len(rows))
			}
		}
	})

	t.Run("TokenIssuedAfterExportIsGoneAfterImport", func(t *testing.T) {
		later := a.Login(a.User(0, "102"))
		wantStatus(t, a.Do(rctest.Req{Path: accountPath, Token: later.AccessToken}), 200) // now cached
		res := importState(a, "PUT", exported)
		if res.Status != 204 && res.Status != 200 {
			t.Fatalf("import: status %d: %s", res.Status, res.Body)
		}
		wantError(t, a.Do(rctest.Req{Path: accountPath, Token: later.AccessToken}), 401, "OAU-213")
	})

	// Every bad snapshot below must be refused whole: the change made before it stays.
	bad := []struct {
		name   string
		mutate func(s *snapshot) any
		code   string
	}{
		{"ErrWrongFormat", func(s *snapshot) any { s.Format = "something-else"; return s }, "CMN-101"},
		{"ErrMissingFormat", func(s *snapshot) any { s.Format = ""; return s }, "CMN-101"},
		{"ErrWrongSchemaVersion", func(s *snapshot) any { s.Version = "9999"; return s }, "CMN-101"},
		{"ErrUnknownTable", func(s *snapshot) any {
			s.Tables["no_such_table"] = []map[string]any{{"a": 1}}
			return s
		}, "CMN-101"},
		{"ErrUnknownColumn", func(s *snapshot) any {
			s.Tables["extensions"][0]["no_such_column"] = "x"
			return s
		}, "CMN-101"},
		{"ErrNoMetaKeys", func(s *snapshot) any { delete(s.Tables, "meta"); return s }, "CMN-101"},
		{"ErrDanglingReference", func(s *snapshot) any { delete(s.Tables, "accounts"); return s }, "CMN-101"},
		{"ErrNestedValue", func(s *snapshot) any {
			s.Tables["extensions"][0]["data"] = map[string]any{"nested": true}
			return s
		}, "CMN-101"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			setFirstName(t, a, tok.AccessToken, "Kept")
			doc := decodeSnapshot(t, exported)
			res := importState(a, "PUT", encode(t, c.mutate(&doc)))
			wantError(t, res, 400, c.code)
			if got := firstName(t, a, tok.AccessToken); got != "Kept" {
				t.Errorf("a refused import changed the state: first name %q, want Kept", got)
			}
		})
	}
	for _, c := range []struct{ name, body string }{
		{"ErrMalformedJSON", `{"format": "rcemu-state", "tables": {`},
		{"ErrNotAnObject", `[1, 2, 3]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			setFirstName(t, a, tok.AccessToken, "Kept")
			wantError(t, importState(a, "PUT", []byte(c.body)), 400, "CMN-103")
			if got := firstName(t, a, tok.AccessToken); got != "Kept" {
				t.Errorf("a refused import changed the state: first name %q, want Kept", got)
			}
		})
	}
}

// A state exported from one instance carries its keys: its tokens and JWT credentials work on
// the instance it is imported into, and that instance's own earlier tokens do not.
func TestImportFromAnotherInstance(t *testing.T) {
	t.Parallel()
	src := rctest.MustOpenApp(t)
	dst := rctest.MustOpenApp(t)
	srcTok := src.Login(src.User(0, "101"))
	setFirstName(t, src, srcTok.AccessToken, "Exported")
	dstTok := dst.Login(dst.User(0, "101"))
	wantStatus(t, dst.Do(rctest.Req{Path: accountPath, Token: dstTok.AccessToken}), 200)

	res := importState(dst, "PUT", export(t, src))
	if res.Status != 204 && res.Status != 200 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	t.Run("SourceTokenWorks", func(t *testing.T) {
		if got := firstName(t, dst, srcTok.AccessToken); got != "Exported" {
			t.Errorf("first name %q, want Exported", got)
		}
	})
	t.Run("SourceRefreshTokenWorks", func(t *testing.T) {
		res := dst.TokenRequest(map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {srcTok.RefreshToken}})
		wantStatus(t, res, 200)
	})
	t.Run("ErrOwnEarlierToken", func(t *testing.T) {
		res := dst.Do(rctest.Req{Path: accountPath, Token: dstTok.AccessToken})
		wantStatus(t, res, 401)
	})
	t.Run("JWTStillWorks", func(t *testing.T) {
		tok := dst.Login(dst.User(0, "102"))
		wantStatus(t, dst.Do(rctest.Req{Path: accountPath, Token: tok.AccessToken}), 200)
	})
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	res := a.Do(rctest.Req{Path: "/_rcemu/credentials"})
	wantStatus(t, res, 200)
	m := res.Map(t)
	for _, k := range []string{"serverUrl", "clientId", "clientSecret", "users"} {
		if _, ok := m[k]; !ok {
			t.Errorf("credentials lack %q: %s", k, res.Body)
		}
	}
	if m["serverUrl"] != a.URL {
		t.Errorf("serverUrl %v, want %q", m["serverUrl"], a.URL)
	}
	if m["clientId"] != "rcemuDefaultClientId01" || m["clientSecret"] != "rcemuDefaultClientSecret0000000000000001" {
		t.Errorf("clientId %v clientSecret %v, want the default confidential app", m["clientId"], m["clientSecret"])
	}
	users, _ := m["users"].([]any)
	want := []struct{ account, ext, number, name, username string }{
		{"159048008", "171857008", "101", "Ada Lovelace", "+16505550101"},
		{"159048008", "171858008", "102", "Grace Hopper", "+16505550102"},
		{"159048008", "171859008", "103", "Alan Turing", "+16505550103"},
		{"259048008", "271857008", "101", "Marie Curie", "+14155550101"},
		{"259048008", "271858008", "102", "Niels Bohr", "+14155550102"},
	}
	if len(users) != len(want) {
		t.Fatalf("%d users, want %d: %s", len(users), len(want), res.Body)
	}
	for i, w := range want {
		u, _ := users[i].(map[string]any)
		for k, v := range map[string]string{"accountId": w.account, "extensionId": w.ext, "extensionNumber": w.number,
			"name": w.name, "username": w.username} {
			if u[k] != v {
				t.Errorf("users[%d].%s = %v (%T), want string %q", i, k, u[k], u[k], v)
			}
		}
		for _, k := range []string{"jwt", "password"} {
			if s, _ := u[k].(string); s == "" {
				t.Errorf("users[%d].%s is empty", i, k)
			}
		}
		phones, _ := u["phoneNumbers"].([]any)
		if len(phones) != 1 || phones[0] != w.username {
			t.Errorf("users[%d].phoneNumbers = %v, want [%s]", i, u["phoneNumbers"], w.username)
		}
	}
	t.Run("ServerURLFollowsHost", func(t *testing.T) {
		res := a.Do(rctest.Req{Path: "/_rcemu/credentials", Header: http.Header{"X-Forwarded-Proto": {"https"}}})
		wantStatus(t, res, 200)
		if got := res.Map(t)["serverUrl"]; got != strings.Replace(a.URL, "http://", "https://", 1) {
			t.Errorf("serverUrl %v behind an https proxy", got)
		}
	})
	t.Run("CredentialsLogIn", func(t *testing.T) {
		for _, u := range a.Creds.Users {
			if tok := a.Login(u); tok.OwnerID != u.ExtensionID {
				t.Errorf("login of %s gave owner %s", u.ExtensionID, tok.OwnerID)
			}
		}
	})
}

type entry struct {
	RequestID       string `json:"requestId"`
	Method          string `json:"method"`
	Path            string `json:"path"`
	Query           string `json:"query"`
	Status          int    `json:"status"`
	ErrorCode       string `json:"errorCode"`
	ClientID        string `json:"clientId"`
	SessionID       string `json:"sessionId"`
	UserAgent       string `json:"userAgent"`
	UserAgentHeader string `json:"userAgentHeader"`
	Time            string `json:"time"`
}

func recentRequests(t *testing.T, a *rctest.App, query string) []entry {
	t.Helper()
	res := a.Do(rctest.Req{Path: "/_rcemu/requests" + query})
	wantStatus(t, res, 200)
	var body struct {
		Records []entry `json:"records"`
	}
	res.JSON(t, &body)
	return body.Records
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101"))
	a.Do(rctest.Req{Path: "/_rcemu/health"})
	ok := a.Do(rctest.Req{Path: accountPath + "?foo=bar", Token: tok.AccessToken,
		Header: http.Header{"User-Agent": {goodAgent}}})
	wantStatus(t, ok, 200)
	denied := a.Do(rctest.Req{Path: accountPath, Header: http.Header{"User-Agent": {"Other/2.0"}}})
	wantStatus(t, denied, 401)
	missing := a.Do(rctest.Req{Path: "/restapi/v1.0/no-such-thing", Token: tok.AccessToken})
	wantStatus(t, missing, 404)
	a.Do(rctest.Req{Path: "/_rcemu/clock"})

	recs := recentRequests(t, a, "")
	for _, r := range recs {
		if strings.HasPrefix(r.Path, "/_rcemu") {
			t.Errorf("control-plane request logged: %+v", r)
		}
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (token, account, 401, 404): %+v", len(recs), recs)
	}
	byID := map[string]entry{}
	for _, r := range recs {
		byID[r.RequestID] = r
	}
	cases := []struct {
		name      string
		res       *rctest.Response
		status    int
		code      string
		path      string
		agent     string
		sessioned bool
	}{
		{"SuccessfulCall", ok, 200, "", accountPath, goodAgent, true},
		{"UnauthenticatedCall", denied, 401, "OAU-123", accountPath, "Other/2.0", false},
		{"UnknownPath", missing, 404, "AGW-404", "/restapi/v1.0/no-such-thing", "Go-http-client/1.1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := c.res.Header.Get("RCRequestId")
			if id == "" {
				t.Fatal("no RCRequestId header")
			}
			r, found := byID[id]
			if !found {
				t.Fatalf("no record with requestId %s", id)
			}
			if r.Method != "GET" || r.Path != c.path || r.Status != c.status || r.UserAgent != c.agent {
				t.Errorf("record %+v, want GET %s %d agent %q", r, c.path, c.status, c.agent)
			}
			if r.ErrorCode != c.code {
				t.Errorf("errorCode %q, want %q", r.ErrorCode, c.code)
			}
			if c.sessioned && (r.SessionID == "" || r.ClientID != a.Creds.ClientID) {
				t.Errorf("sessionId %q clientId %q, want the caller's", r.SessionID, r.ClientID)
			}
			if r.Time == "" {
				t.Error("no time")
			}
		})
	}
	t.Run("QueryRecorded", func(t *testing.T) {
		if r := byID[ok.Header.Get("RCRequestId")]; r.Query != "foo=bar" {
			t.Errorf("query %q, want foo=bar", r.Query)
		}
	})
	t.Run("NewestFirst", func(t *testing.T) {
		if recs[0].RequestID != missing.Header.Get("RCRequestId") {
			t.Errorf("first record %+v, want the latest request", recs[0])
		}
		if recs[3].Path != "/restapi/oauth/token" || recs[3].Method != "POST" || recs[3].ClientID != a.Creds.ClientID {
			t.Errorf("oldest record %+v, want the token request", recs[3])
		}
	})
	t.Run("Limit", func(t *testing.T) {
		if got := recentRequests(t, a, "?limit=2"); len(got) != 2 || got[0].RequestID != recs[0].RequestID {
			t.Errorf("limit=2 gave %+v", got)
		}
	})
	t.Run("ErrBadLimit", func(t *testing.T) {
		wantError(t, a.Do(rctest.Req{Path: "/_rcemu/requests?limit=0"}), 400, "CMN-101")
	})
	t.Run("Clear", func(t *testing.T) {
		res := a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/requests"})
		if res.Status != 204 && res.Status != 200 {
			t.Fatalf("clear: %d %s", res.Status, res.Body)
		}
		if got := recentRequests(t, a, ""); len(got) != 0 {
			t.Errorf("%d records after clear", len(got))
		}
	})
}

type agentReport struct {
	ClientID   string `json:"clientId"`
	Requests   int    `json:"requests"`
	UserAgents []struct {
		Value      string `json:"value"`
		Requests   int    `json:"requests"`
		Conforming bool   `json:"conforming"`
	} `json:"userAgents"`
	Violations []struct {
		Rule    string `json:"rule"`
		Count   int    `json:"count"`
		Message string `json:"message"`
	} `json:"violations"`
}

func appReport(t *testing.T, a *rctest.App, clientID string) agentReport {
	t.Helper()
	res := a.Do(rctest.Req{Path: "/_rcemu/user-agents"})
	wantStatus(t, res, 200)
	var body struct {
		Apps []agentReport `json:"apps"`
	}
	res.JSON(t, &body)
	for _, r := range body.Apps {
		if r.ClientID == clientID {
			return r
		}
	}
	t.Fatalf("no report for app %q: %s", clientID, res.Body)
	return agentReport{}
}

func violations(r agentReport) map[string]int {
	m := map[string]int{}
	for _, v := range r.Violations {
		m[v.Rule] = v.Count
	}
	return m
}

func TestUserAgents(t *testing.T) {
	t.Parallel()
	noAgent := http.Header{"User-Agent": {""}} // an empty value makes net/http send none
	cases := []struct {
		name       string
		agents     []http.Header // one API call per entry, all on one session
		wantAgents map[string]bool
		want       map[string]int // rule → count
	}{
		{"Conforming", []http.Header{{"User-Agent": {goodAgent}}, {"User-Agent": {goodAgent}}},
			map[string]bool{goodAgent: true}, map[string]int{}},
		{"XUserAgentPreferred", []http.Header{{"User-Agent": {"curl"}, "X-User-Agent": {goodAgent}}},
			map[string]bool{goodAgent: true}, map[string]int{}},
		{"ErrNotSent", []http.Header{noAgent, {"User-Agent": {goodAgent}}},
			map[string]bool{goodAgent: true}, map[string]int{"sent": 1}},
		{"ErrFormat", []http.Header{{"User-Agent": {"curl"}}},
			map[string]bool{"curl": false}, map[string]int{"format": 1}},
		{"ErrFormatNoVersion", []http.Header{{"User-Agent": {"MyApp (test)"}}},
			map[string]bool{"MyApp (test)": false}, map[string]int{"format": 1}},
		{"ErrInconsistent", []http.Header{{"User-Agent": {goodAgent}}, {"User-Agent": {"MyApp/2.0 (test)"}}},
			map[string]bool{goodAgent: true, "MyApp/2.0 (test)": true}, map[string]int{"consistent": 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := rctest.MustOpenApp(t)
			tok := a.Login(a.User(0, "101"))
			wantStatus(t, a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/requests"}), 204)
			for _, h := range c.agents {
				wantStatus(t, a.Do(rctest.Req{Path: accountPath, Token: tok.AccessToken, Header: h}), 200)
			}
			r := appReport(t, a, a.Creds.ClientID)
			if r.Requests != len(c.agents) {
				t.Errorf("requests %d, want %d", r.Requests, len(c.agents))
			}
			got := map[string]bool{}
			for _, u := range r.UserAgents {
				got[u.Value] = u.Conforming
			}
			if len(got) != len(c.wantAgents) {
				t.Errorf("userAgents %+v, want %v", r.UserAgents, c.wantAgents)
			}
			for v, conf := range c.wantAgents {
				if g, ok := got[v]; !ok || g != conf {
					t.Errorf("agent %q: listed %v conforming %v, want conforming %v", v, ok, g, conf)
				}
			}
			gotV := violations(r)
			if len(gotV) != len(c.want) {
				t.Errorf("violations %+v, want %v", r.Violations, c.want)
			}
			for rule, n := range c.want {
				if gotV[rule] != n {
					t.Errorf("violation %q count %d, want %d (%+v)", rule, gotV[rule], n, r.Violations)
				}
			}
			for _, v := range r.Violations {
				if v.Message == "" {
					t.Errorf("violation %q has no message", v.Rule)
				}
			}
		})
	}
	t.Run("ErrInconsistentCountsSessions", func(t *testing.T) {
		t.Parallel()
		a := rctest.MustOpenApp(t)
		s1 := a.Login(a.User(0, "101"))
		s2 := a.Login(a.User(0, "102"))
		wantStatus(t, a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/requests"}), 204)
		// Two sessions, each consistent with itself: no violation yet.
		a.Do(rctest.Req{Path: accountPath, Token: s1.AccessToken, Header: http.Header{"User-Agent": {"A/1.0"}}})
		a.Do(rctest.Req{Path: accountPath, Token: s2.AccessToken, Header: http.Header{"User-Agent": {"B/1.0"}}})
		if v := violations(appReport(t, a, a.Creds.ClientID)); len(v) != 0 {
			t.Fatalf("violations %v for two self-consistent sessions", v)
		}
		a.Do(rctest.Req{Path: accountPath, Token: s1.AccessToken, Header: http.Header{"User-Agent": {"A/2.0"}}})
		if v := violations(appReport(t, a, a.Creds.ClientID)); v["consistent"] != 1 || len(v) != 1 {
			t.Errorf("violations %v, want consistent: 1", v)
		}
	})
	t.Run("ControlPlaneNotCounted", func(t *testing.T) {
		t.Parallel()
		a := rctest.MustOpenApp(t)
		a.Do(rctest.Req{Path: "/_rcemu/health", Header: http.Header{"User-Agent": {""}}})
		res := a.Do(rctest.Req{Path: "/_rcemu/user-agents"})
		var body struct {
			Apps []agentReport `json:"apps"`
		}
		res.JSON(t, &body)
		if len(body.Apps) != 0 {
			t.Errorf("control-plane calls reported: %s", res.Body)
		}
	})
}

func clockPost(t *testing.T, a *rctest.App, body any) map[string]any {
	t.Helper()
	res := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/clock", JSON: body})
	wantStatus(t, res, 200)
	return res.Map(t)
}

func TestClock(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	m := a.Do(rctest.Req{Path: "/_rcemu/clock"}).Map(t)
	if m["frozen"] != false || !near(parseTime(t, m["now"]), time.Now(), time.Minute) {
		t.Fatalf("initial clock %v, want running real time", m)
	}
	t.Run("SetAndFreeze", func(t *testing.T) {
		m := clockPost(t, a, map[string]any{"set": "2030-01-02T03:04:05Z", "freeze": true})
		if m["now"] != "2030-01-02T03:04:05.000Z" || m["frozen"] != true {
			t.Errorf("clock %v", m)
		}
		time.Sleep(20 * time.Millisecond)
		if m := a.Do(rctest.Req{Path: "/_rcemu/clock"}).Map(t); m["now"] != "2030-01-02T03:04:05.000Z" {
			t.Errorf("frozen clock moved: %v", m)
		}
		if got := a.Clock.Now(); !got.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("app clock %v", got)
		}
	})
	t.Run("AdvanceByDuration", func(t *testing.T) {
		if m := clockPost(t, a, map[string]any{"advance": "90s"}); m["now"] != "2030-01-02T03:05:35.000Z" || m["frozen"] != true {
			t.Errorf("clock %v, want 03:05:35 frozen", m)
		}
	})
	t.Run("AdvanceBySeconds", func(t *testing.T) {
		if m := clockPost(t, a, map[string]any{"advance": 30}); m["now"] != "2030-01-02T03:06:05.000Z" {
			t.Errorf("clock %v, want 03:06:05", m)
		}
		if m := clockPost(t, a, map[string]any{"advance": "2h"}); m["now"] != "2030-01-02T05:06:05.000Z" {
			t.Errorf("clock %v, want 05:06:05", m)
		}
	})
	t.Run("Resume", func(t *testing.T) {
		m := clockPost(t, a, map[string]any{"freeze": false})
		if m["frozen"] != false {
			t.Errorf("frozen %v after resume", m["frozen"])
		}
		from := parseTime(t, m["now"])
		if !near(from, time.Date(2030, 1, 2, 5, 6, 5, 0, time.UTC), 5*time.Second) {
			t.Errorf("resumed at %v, want where it was frozen", from)
		}
		time.Sleep(30 * time.Millisecond)
		if now := a.Clock.Now(); !now.After(from) {
			t.Errorf("running clock did not move: %v then %v", from, now)
		}
	})
	t.Run("FreezeNow", func(t *testing.T) {
		m := clockPost(t, a, map[string]any{"freeze": true})
		if m["frozen"] != true || parseTime(t, m["now"]).Year() != 2030 {
			t.Errorf("clock %v, want frozen in 2030", m)
		}
	})
	t.Run("SetWithoutFreezeRuns", func(t *testing.T) {
		clockPost(t, a, map[string]any{"freeze": false})
		m := clockPost(t, a, map[string]any{"set": "2029-06-01T00:00:00Z"})
		if m["frozen"] != false || !near(parseTime(t, m["now"]), time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC), 5*time.Second) {
			t.Errorf("clock %v, want running from 2029-06-01", m)
		}
	})
	t.Run("SetKeepsFrozenClockFrozen", func(t *testing.T) {
		clockPost(t, a, map[string]any{"freeze": true})
		m := clockPost(t, a, map[string]any{"set": "2028-03-04T05:06:07Z"})
		if m["frozen"] != true || m["now"] != "2028-03-04T05:06:07.000Z" {
			t.Errorf("clock %v, want frozen at 2028-03-04T05:06:07", m)
		}
	})
	t.Run("SetWithFreezeFalseRuns", func(t *testing.T) {
		// An explicit "freeze": false means running, whether or not "set" comes with it.
		clockPost(t, a, map[string]any{"freeze": true})
		m := clockPost(t, a, map[string]any{"set": "2027-01-01T00:00:00Z", "freeze": false})
		if m["frozen"] != false {
			t.Errorf("clock %v, want running after set with freeze false", m)
		}
		if !near(parseTime(t, m["now"]), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 5*time.Second) {
			t.Errorf("clock %v, want 2027-01-01", m)
		}
	})
	t.Run("Reset", func(t *testing.T) {
		m := clockPost(t, a, map[string]any{"reset": true})
		if m["frozen"] != false || !near(parseTime(t, m["now"]), time.Now(), time.Minute) {
			t.Errorf("clock %v after reset, want real time", m)
		}
	})
	for _, c := range []struct {
		name string
		body any
	}{
		{"ErrNegativeAdvance", map[string]any{"advance": "-5s"}},
		{"ErrBadDuration", map[string]any{"advance": "soon"}},
		{"ErrBadSet", map[string]any{"set": "tomorrow"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := a.Clock.Now()
			res := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/clock", JSON: c.body})
			wantError(t, res, 400, "CMN-101")
			if !near(a.Clock.Now(), before, 5*time.Second) {
				t.Errorf("a refused request moved the clock from %v to %v", before, a.Clock.Now())
			}
		})
	}
	t.Run("ErrMalformedJSON", func(t *testing.T) {
		res := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/clock", Raw: "{",
			Header: http.Header{"Content-Type": {"application/json"}}})
		wantError(t, res, 400, "CMN-103")
	})
}

// The control clock is the one tokens expire by.
func TestClockDrivesTokenExpiry(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	clockPost(t, a, map[string]any{"set": "2030-01-01T00:00:00Z", "freeze": true})
	tok := a.Login(a.User(0, "101"))
	wantStatus(t, a.Do(rctest.Req{Path: accountPath, Token: tok.AccessToken}), 200)
	clockPost(t, a, map[string]any{"advance": "3599s"})
	wantStatus(t, a.Do(rctest.Req{Path: accountPath, Token: tok.AccessToken}), 200)
	clockPost(t, a, map[string]any{"advance": 1})
	wantError(t, a.Do(rctest.Req{Path: accountPath, Token: tok.AccessToken}), 401, "OAU-128")
}
