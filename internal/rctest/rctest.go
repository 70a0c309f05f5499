// Package rctest is the test kit: it runs a real rcemu (real SQLite file, real HTTP on
// 127.0.0.1:0) and gives tests small helpers to log in and call it.
package rctest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/store/pgtest"
)

// App is a running emulator under test.
type App struct {
	*app.App
	URL   string
	Creds credentials.Credentials
	tb    testing.TB
}

// Option changes the configuration before the app opens.
type Option func(*config.Config)

// WithSeed makes the app use a seed file.
func WithSeed(path string) Option { return func(c *config.Config) { c.Seed = path } }

// WithDB uses a given database file (to test restarts).
func WithDB(path string) Option { return func(c *config.Config) { c.DB = path } }

// MustOpenApp starts an emulator on a free loopback port with a fresh database file; it is
// closed when the test ends.
func MustOpenApp(tb testing.TB, opts ...Option) *App {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "rcemu.db")
	cfg := config.Config{Addr: "127.0.0.1:0", DB: file, LogLevel: slog.LevelError, MaxBody: 10 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.DB == file && pgtest.DSN() != "" {
		// The whole integration suite runs on PostgreSQL this way, each app on a database of its
		// own (unless an option named one).
		cfg.DB = pgtest.Database(tb)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := app.New(cfg, log)
	if err := a.Open(context.Background()); err != nil {
		tb.Fatalf("open app: %v", err)
	}
	a.Serve()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	})
	c, err := a.Credentials(context.Background(), a.URL())
	if err != nil {
		tb.Fatalf("credentials: %v", err)
	}
	return &App{App: a, URL: a.URL(), Creds: c, tb: tb}
}

// TwoInstances starts two emulators on one fresh PostgreSQL database (skipping the test without
// RCEMU_TEST_POSTGRES); a opens first, so it leads.
func TwoInstances(tb testing.TB, opts ...Option) (a, b *App) {
	tb.Helper()
	opts = append(opts, WithDB(pgtest.Database(tb)))
	return MustOpenApp(tb, opts...), MustOpenApp(tb, opts...)
}

// User returns the seeded user with the given account index (0 or 1) and extension number.
func (a *App) User(account int, extensionNumber string) credentials.User {
	a.tb.Helper()
	accounts := []string{}
	for _, u := range a.Creds.Users {
		if len(accounts) == 0 || accounts[len(accounts)-1] != u.AccountID {
			accounts = append(accounts, u.AccountID)
		}
		if len(accounts)-1 == account && u.ExtensionNumber == extensionNumber {
			return u
		}
	}
	a.tb.Fatalf("no user %s in account %d", extensionNumber, account)
	return credentials.User{}
}

// Token is a token endpoint answer.
type Token struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	OwnerID      string `json:"owner_id"`
}

// Login logs a user in with the JWT grant and returns the tokens.
func (a *App) Login(u credentials.User) Token {
	a.tb.Helper()
	res := a.TokenRequest(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {u.JWT}})
	if res.Status != 200 {
		a.tb.Fatalf("login %s: %d %s", u.ExtensionNumber, res.Status, res.Body)
	}
	var t Token
	res.JSON(a.tb, &t)
	return t
}

// TokenRequest posts a form to /restapi/oauth/token with the default app's Basic credentials.
func (a *App) TokenRequest(form url.Values) *Response {
	a.tb.Helper()
	return a.Do(Req{Method: "POST", Path: "/restapi/oauth/token", Form: form,
		Basic: [2]string{a.Creds.ClientID, a.Creds.ClientSecret}})
}

// Req describes one request.
type Req struct {
	Method string
	Path   string // path and query
	Token  string // bearer token
	Basic  [2]string
	JSON   any    // body, marshalled as JSON
	Raw    string // body as is
	Form   url.Values
	Header http.Header
}

// Response is what came back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("response is not JSON: %v: %s", err, r.Body)
	}
}

// Map decodes the body into a generic map.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// ErrorCode is the body's errors[0].errorCode (or OAuth errors[0].errorCode).
func (r *Response) ErrorCode(tb testing.TB) string {
	tb.Helper()
	var body struct {
		Errors []struct {
			ErrorCode string `json:"errorCode"`
		} `json:"errors"`
		ErrorCode string `json:"errorCode"`
	}
	r.JSON(tb, &body)
	if len(body.Errors) > 0 {
		return body.Errors[0].ErrorCode
	}
	return body.ErrorCode
}

var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout: 30 * time.Second}

// Do sends a request over real HTTP.
func (a *App) Do(r Req) *Response {
	a.tb.Helper()
	var body io.Reader
	ct := ""
	switch {
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		if err != nil {
			a.tb.Fatal(err)
		}
		body, ct = bytes.NewReader(b), "application/json"
	case r.Form != nil:
		body, ct = strings.NewReader(r.Form.Encode()), "application/x-www-form-urlencoded"
	case r.Raw != "":
		body = strings.NewReader(r.Raw)
	}
	method := r.Method
	if method == "" {
		method = "GET"
	}
	req, err := http.NewRequest(method, a.URL+r.Path, body)
	if err != nil {
		a.tb.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if r.Basic[0] != "" {
		req.SetBasicAuth(r.Basic[0], r.Basic[1])
	}
	res, err := client.Do(req)
	if err != nil {
		a.tb.Fatalf("%s %s: %v", method, r.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.tb.Fatal(err)
	}
	out := &Response{Status: res.StatusCode, Header: res.Header, Body: b}
	a.checkContract(r, out)
	return out
}

// CloseNow stops the app before the test ends (to test restarts).
func (a *App) CloseNow(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Close(ctx); err != nil {
		tb.Fatalf("close: %v", err)
	}
}
