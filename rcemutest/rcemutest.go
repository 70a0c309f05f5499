// Package rcemutest runs a real rcemu inside a Go test: a RingCentral REST API emulator on a free
// loopback port, with a throwaway database, stopped when the test ends.
//
//	func TestSendsSMS(t *testing.T) {
//		t.Parallel()
//		s := rcemutest.Start(t)
//		ada := s.Users[0]
//		app := myapp.New(s.URL, s.ClientID, s.ClientSecret, ada.JWT)
//		app.Notify("+13125550188", "hello")
//		out, err := s.Outbox()
//		if err != nil || len(out) != 1 || out[0].Text != "hello" {
//			t.Fatalf("outbox %+v, %v", out, err)
//		}
//	}
//
// Every Server is independent (its own port, database file and clock), so tests that start one
// each may run in parallel. The helpers drive the emulator's control plane (/_rcemu/*) over
// HTTP, as any other client of rcemu would, so what a test sees is what an app would see.
//
// The spec-served operations need RingCentral's OpenAPI spec, which rcemu does not ship: Start
// uses the copy `rcemu spec fetch` (or a first `rcemu serve`) put in the user cache, or the one in
// .cache/spec of the module under test, and never downloads it unless told to with
// WithSpec("required"). Without a spec the hand-written (stateful) operations are served.
package rcemutest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/app"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/spec"
)

// Server is a running emulator.
type Server struct {
	URL          string // base URL, e.g. http://127.0.0.1:54321
	ClientID     string // the seed's first confidential app
	ClientSecret string
	// Users are the users who can log in: the first account's first, its administrator first.
	Users []User
	// HTTPClient talks to the emulator; it does not follow redirects, so OAuth redirects can be
	// checked.
	HTTPClient *http.Client

	app *app.App
	dir string // removed by Close when New made it
}

// User is one seeded user and the credentials to log in as them.
type User struct {
	ID              string // extension id
	AccountID       string
	ExtensionNumber string
	Name            string
	JWT             string // for the JWT bearer grant
	Username        string // for the password grant, with Password
	Password        string
	PhoneNumbers    []string // E.164, the direct numbers first
}

// Option changes how a Server starts.
type Option func(*options)

type options struct {
	seed       []byte
	seedPath   string
	spec       string
	rateLimits string
	clock      time.Time
	log        *slog.Logger
}

// WithSeed starts from a seed document (YAML or JSON, as `rcemu serve --seed` takes) instead of
// the embedded default.
func WithSeed(doc []byte) Option { return func(o *options) { o.seed, o.seedPath = doc, "" } }

// WithSeedFile starts from a seed file.
func WithSeedFile(path string) Option { return func(o *options) { o.seedPath, o.seed = path, nil } }

// WithSpec names the OpenAPI file of the spec-served operations; "off" serves the hand-written
// operations only, "required" fetches the spec from the npm registry when no copy is found.
func WithSpec(path string) Option { return func(o *options) { o.spec = path } }

// WithRateLimits sets the rate-limit mode: "off", "report" (the default: headers, never a 429) or
// "enforce".
func WithRateLimits(mode string) Option { return func(o *options) { o.rateLimits = mode } }

// WithClock freezes the emulator's clock at t from the start (seeded history is dated relative
// to it); Advance and SetClock move it.
func WithClock(t time.Time) Option { return func(o *options) { o.clock = t } }

// WithLogger receives the emulator's log (by default it is discarded).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Start starts an emulator for the test and stops it when the test ends; a failure to start
// fails the test at once.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := start(tb.TempDir(), opts)
	if err != nil {
		tb.Fatalf("rcemutest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("rcemutest: close: %v", err)
		}
	})
	return s
}

// New starts an emulator outside a test (an Example, a TestMain shared by a package's tests, a
// program); Close stops it and removes its files.
func New(opts ...Option) (*Server, error) {
	dir, err := os.MkdirTemp("", "rcemutest-")
	if err != nil {
		return nil, err
	}
	s, err := start(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.dir = dir
	return s, nil
}

func start(dir string, opts []Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg := config.Config{Addr: "127.0.0.1:0", DB: filepath.Join(dir, "rcemu.db"), Seed: o.seedPath,
		Spec: o.spec, MaxBody: restapi.DefaultMaxBody, RateLimits: o.rateLimits, LogLevel: slog.LevelWarn}
	if o.seed != nil {
		cfg.Seed = filepath.Join(dir, "seed.yaml")
		if err := os.WriteFile(cfg.Seed, o.seed, 0o600); err != nil {
			return nil, err
		}
	}
	if cfg.Spec == "" {
		// The user-cache copy, never a download: a test run must not depend on the network.
		cfg.Spec, cfg.SpecFetch = spec.FindInModule(), "off"
	}
	if cfg.RateLimits == "" {
		cfg.RateLimits = "report"
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := app.New(cfg, log)
	if !o.clock.IsZero() {
		a.Clock.Set(o.clock, true)
	}
	ctx := context.Background()
	if err := a.Open(ctx); err != nil {
		return nil, err
	}
	a.Serve()
	s := &Server{URL: a.URL(), app: a, HTTPClient: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	c, err := a.Credentials(ctx, s.URL)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	s.ClientID, s.ClientSecret = c.ClientID, c.ClientSecret
	for _, u := range c.Users {
		s.Users = append(s.Users, newUser(u))
	}
	return s, nil
}

func newUser(u credentials.User) User {
	return User{ID: u.ExtensionID, AccountID: u.AccountID, ExtensionNumber: u.ExtensionNumber, Name: u.Name,
		JWT: u.JWT, Username: u.Username, Password: u.Password, PhoneNumbers: u.PhoneNumbers}
}

// Close stops the emulator; it is safe to call more than once.
func (s *Server) Close() error {
	if s.app == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.app.Close(ctx)
	s.app = nil
	if s.dir != "" {
		err = errors.Join(err, os.RemoveAll(s.dir))
	}
	return err
}

// User returns the user with the given extension number in the first account.
func (s *Server) User(extensionNumber string) (User, bool) {
	for _, u := range s.Users {
		if u.AccountID != s.Users[0].AccountID {
			break
		}
		if u.ExtensionNumber == extensionNumber {
			return u, true
		}
	}
	return User{}, false
}

// AccessToken logs u in with the JWT bearer grant, as an SDK would, and returns the access token.
func (s *Server) AccessToken(u User) (string, error) {
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {u.JWT}}
	req, err := http.NewRequest("POST", s.URL+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID, s.ClientSecret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := s.do(req, 200, &tok); err != nil {
		return "", fmt.Errorf("log in %s: %w", u.ExtensionNumber, err)
	}
	return tok.AccessToken, nil
}

// Message is a message as the control plane reports it.
type Message struct {
	ID                int64   `json:"id"`
	AccountID         int64   `json:"accountId"`
	ExtensionID       int64   `json:"extensionId"`
	Type              string  `json:"type"`
	Direction         string  `json:"direction"`
	From              Party   `json:"from"`
	To                []Party `json:"to"`
	Text              string  `json:"text"`
	MessageStatus     string  `json:"messageStatus"`
	DeliveryErrorCode string  `json:"deliveryErrorCode,omitempty"`
	ConversationID    int64   `json:"conversationId,omitempty"`
	CreationTime      string  `json:"creationTime"`
	Attachments       int     `json:"attachments"`
}

// Party is a sender or recipient.
type Party struct {
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	Name            string `json:"name,omitempty"`
}

// Inbound is a message from an outside number to a hosted one.
type Inbound struct {
	Type        string       `json:"type,omitempty"` // SMS (default), MMS, Fax, VoiceMail
	From        string       `json:"from"`
	To          string       `json:"to"`
	Text        string       `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Duration    int          `json:"duration,omitempty"` // VoiceMail seconds
	Pages       int          `json:"pages,omitempty"`    // Fax pages
}

// Attachment is a file of an inbound MMS, fax or voicemail.
type Attachment struct {
	ContentType string `json:"contentType"`
	FileName    string `json:"fileName,omitempty"`
	Content     []byte `json:"base64"` // encoding/json writes []byte as base64
}

// Inject delivers an inbound message to the owner of the number it is sent to, with the events
// and notifications a real one brings.
func (s *Server) Inject(in Inbound) (Message, error) {
	var m Message
	return m, s.control("POST", "/inbound", in, 201, &m)
}

// InjectSMS delivers an inbound text from an outside number to a hosted one.
func (s *Server) InjectSMS(from, to, text string) (Message, error) {
	return s.Inject(Inbound{From: from, To: to, Text: text})
}

// Outbox lists the texts sent to outside numbers, newest first.
func (s *Server) Outbox() ([]Message, error) {
	var body struct {
		Records []Message `json:"records"`
	}
	return body.Records, s.control("GET", "/outbox?limit=10000", nil, 200, &body)
}

// Call is an inbound call to a hosted number ("+16505550102", or "+16505550100*102").
type Call struct {
	From string `json:"from"` // outside E.164 number, or an extension number of the callee's account
	To   string `json:"to"`
	// Outcome is answered, missed, voicemail, busy, rejected, or "" (it rings until answered through
	// the API, else goes to voicemail).
	Outcome     string  `json:"outcome,omitempty"`
	AnswerAfter float64 `json:"answerAfter,omitempty"` // seconds of ringing before the outcome
	Duration    float64 `json:"duration,omitempty"`    // seconds an answered call lasts; 0 until a hang-up
	Recorded    bool    `json:"recorded,omitempty"`
}

// CallSession is a call in progress; its parties and steps are left as the control plane's JSON.
type CallSession struct {
	TelephonySessionID string            `json:"telephonySessionId"`
	SessionID          string            `json:"sessionId"`
	Parties            []json.RawMessage `json:"parties"`
}

// PlaceCall starts an inbound call; its steps follow the emulator's clock.
func (s *Server) PlaceCall(c Call) (CallSession, error) {
	var cs CallSession
	return cs, s.control("POST", "/calls", c, 201, &cs)
}

// Now is the emulator's time.
func (s *Server) Now() (time.Time, error) {
	var body struct {
		Now string `json:"now"`
	}
	if err := s.control("GET", "/clock", nil, 200, &body); err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, body.Now)
}

// Advance moves the emulator's clock forward; what became due (deliveries, call steps, token
// expiry) has happened when it returns.
func (s *Server) Advance(d time.Duration) error {
	return s.control("POST", "/clock", map[string]any{"advance": d.String()}, 200, nil)
}

// SetClock sets the emulator's clock, frozen there or running on from it.
func (s *Server) SetClock(t time.Time, freeze bool) error {
	return s.control("POST", "/clock", map[string]any{"set": t.UTC().Format(time.RFC3339Nano), "freeze": freeze}, 200, nil)
}

// Reset returns the emulator to its seed (and its clock to real time).
func (s *Server) Reset() error { return s.control("POST", "/reset", nil, 200, nil) }

func (s *Server) control(method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/_rcemu"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return s.do(req, want, out)
}

// do sends req and decodes a want-status answer into out; any other status is an error that
// carries the emulator's message (a bad number, an unknown extension).
func (s *Server) do(req *http.Request, want int, out any) error {
	res, err := s.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}
