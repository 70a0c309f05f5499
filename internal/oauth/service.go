// Package oauth is the platform's OAuth 2.0 server under /restapi/oauth/: the token endpoint
// (JWT bearer, password, authorization code with PKCE, refresh), revoke, the authorize login
// page, and the bearer check every API call makes. Tokens live in the store, so they survive a
// restart; expiry reads the injected clock.
package oauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Lifetimes and limits, as the platform documents them.
const (
	AccessTTL         = 3600 * time.Second
	MinAccessTTL      = 600 * time.Second
	RefreshTTL        = 604800 * time.Second
	AuthCodeTTL       = 60 * time.Second
	refreshRetryGrace = 60 * time.Second
)

// DefaultScopes are granted to apps whose seed names none.
var DefaultScopes = []string{"ReadAccounts", "EditAccounts", "EditExtensions", "ReadMessages", "EditMessages",
	"SMS", "InternalMessages", "Faxes", "ReadCallLog", "ReadCallRecording", "ReadPresence", "EditPresence",
	"ReadContacts", "Contacts", "RingOut", "CallControl", "TeamMessaging", "WebSocket", "SubscriptionWebhook",
	"WebSocketsSubscriptions", "VideoInternal", "Meetings"}

// Keys are the secrets of one database.
type Keys struct {
	Token []byte // tags opaque tokens
	JWT   string // signs and verifies users' JWT credentials
}

// SessionStore holds apps, users' credentials, OAuth sessions, their tokens and authorization
// codes, and finds the extensions that log in.
type SessionStore interface {
	App(ctx context.Context, clientID string) (rc.App, error)
	// CredentialsByUsername returns every credential whose username, or whose extension's email,
	// matches.
	CredentialsByUsername(ctx context.Context, username string) ([]rc.UserCredential, error)
	Credential(ctx context.Context, extensionID int64) (rc.UserCredential, error)
	Credentials(ctx context.Context) ([]rc.UserCredential, error)
	// CreateSession stores a new session with its first tokens.
	CreateSession(ctx context.Context, s rc.Session, tokens ...rc.Token) error
	Session(ctx context.Context, id string) (rc.Session, error)
	Token(ctx context.Context, token string) (rc.Token, error)
	// RotateTokens retires the session's live tokens and stores their successors atomically;
	// store.ErrConflict means the refresh token was retired meanwhile.
	RotateTokens(ctx context.Context, sessionID, usedRefresh string, at time.Time, tokens ...rc.Token) error
	// RevokeSession ends a session and every token of it.
	RevokeSession(ctx context.Context, id string) error
	PutAuthCode(ctx context.Context, c rc.AuthCode) error
	// TakeAuthCode marks a code used and returns it as it was before.
	TakeAuthCode(ctx context.Context, code string) (rc.AuthCode, error)
	Users
}

// Users finds the extensions behind logins: by id, by number under a phone number, and the
// generation that says when a cached caller is stale.
type Users interface {
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	ExtensionByNumber(ctx context.Context, accountID int64, number string) (rc.Extension, error)
	// ExtensionsGeneration changes whenever any extension or account may have changed.
	ExtensionsGeneration() uint64
	// FindPhoneNumber looks a hosted number up by its E.164 form, in any account.
	FindPhoneNumber(ctx context.Context, number string) (rc.PhoneNumber, error)
}

// Service issues and checks tokens.
type Service struct {
	store SessionStore
	clock rc.Clock
	keys  Keys

	mu    sync.RWMutex
	cache map[string]cachedCaller // access token → caller, for the hot path
}

// cachedCaller is a caller as the directory was when it was looked up: a change of any
// extension (its role, its admin flag, its removal) sends the next call to the store again.
type cachedCaller struct {
	p   *rc.Principal
	gen uint64
}

// New builds a Service.
func New(s SessionStore, clock rc.Clock, keys Keys) *Service {
	return &Service{store: s, clock: clock, keys: keys, cache: make(map[string]cachedCaller)}
}

// maxCachedCallers bounds the callers kept by access token: an app that logs in again and
// again leaves a token behind each time.
const maxCachedCallers = 1024

// sweep drops the callers of expired tokens, and all of them if that frees too little; the
// store answers for a dropped one. With s.mu held.
func (s *Service) sweep() {
	now := s.clock.Now()
	for tok, c := range s.cache {
		if !now.Before(c.p.ExpiresAt) {
			delete(s.cache, tok)
		}
	}
	if len(s.cache) >= maxCachedCallers*3/4 {
		s.cache = make(map[string]cachedCaller)
	}
}

// Flush forgets cached callers; the control plane calls it when the state is replaced.
func (s *Service) Flush() {
	s.mu.Lock()
	s.cache = make(map[string]cachedCaller)
	s.mu.Unlock()
}

func (s *Service) forgetSession(id string) {
	s.mu.Lock()
	for tok, c := range s.cache {
		if c.p.SessionID == id {
			delete(s.cache, tok)
		}
	}
	s.mu.Unlock()
}

// Authenticate checks a bearer token: unparsable (OAU-149), corrupted (OAU-129), unknown,
// revoked or refreshed away (OAU-213), expired (OAU-128).
func (s *Service) Authenticate(ctx context.Context, token string) (*rc.Principal, error) {
	gen := s.store.ExtensionsGeneration()
	s.mu.RLock()
	c := s.cache[token]
	s.mu.RUnlock()
	if p := c.p; p != nil && c.gen == gen {
		if !s.clock.Now().Before(p.ExpiresAt) {
			return nil, rc.Unauthorized("OAU-128", "Access token expired.")
		}
		return p, nil
	}
	if e := checkToken(s.key().Token, token); e != nil {
		return nil, e
	}
	t, err := s.store.Token(ctx, token)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (t.Retired || t.Kind != "access")) {
		return nil, rc.Unauthorized("OAU-213", "Token not found")
	}
	if err != nil {
		return nil, err
	}
	if !s.clock.Now().Before(t.ExpiresAt) {
		return nil, rc.Unauthorized("OAU-128", "Access token expired.")
	}
	sess, err := s.store.Session(ctx, t.SessionID)
	if err != nil {
		return nil, err
	}
	if sess.Revoked {
		return nil, rc.Unauthorized("OAU-213", "Token not found")
	}
	ext, err := s.store.Extension(ctx, sess.AccountID, sess.ExtensionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, rc.Unauthorized("OAU-213", "Token not found")
	}
	if err != nil {
		return nil, err
	}
	app, err := s.store.App(ctx, sess.ClientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	role := rc.RoleOf(ext)
	p := &rc.Principal{AccountID: sess.AccountID, ExtensionID: sess.ExtensionID, ClientID: sess.ClientID,
		SessionID: sess.ID, Admin: ext.Admin || role.Admin, Role: role, Scopes: strings.Fields(sess.Scope),
		ExpiresAt: t.ExpiresAt, AllPermissions: err == nil && len(app.Scopes) == 0}
	s.mu.Lock()
	if len(s.cache) >= maxCachedCallers {
		s.sweep()
	}
	s.cache[token] = cachedCaller{p: p, gen: gen}
	s.mu.Unlock()
	return p, nil
}

// TokenResponse is the token endpoint's body (TokenInfo in the spec).
type TokenResponse struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in,omitempty"`
	Scope                 string `json:"scope"`
	OwnerID               string `json:"owner_id"`
	EndpointID            string `json:"endpoint_id"`
	SessionID             string `json:"session_id"`
	SessionExpiresIn      int64  `json:"session_expires_in"`
	SessionIdleTimeout    int64  `json:"session_idle_timeout"`
}

// ttls are the lifetimes a token request asked for, already clamped.
type ttls struct{ access, refresh time.Duration }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// login starts a session for an extension and returns its first tokens.
func (s *Service) login(ctx context.Context, app rc.App, ext rc.Extension, lt ttls, endpointID string) (TokenResponse, error) {
	if ext.Status != "Enabled" {
		return TokenResponse{}, rc.OAuthError(401, "invalid_grant", "OAU-141", "Login for extension in current state is not allowed.")
	}
	now := s.clock.Now()
	scopes := app.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	sess := rc.Session{ID: randomID(16), ClientID: app.ClientID, AccountID: ext.AccountID, ExtensionID: ext.ID,
		Scope: strings.Join(scopes, " "), CreatedAt: now}
	access, refresh := s.pair(sess.ID, now, lt, app)
	tokens := []rc.Token{access}
	if refresh.Token != "" {
		tokens = append(tokens, refresh)
	}
	if err := s.store.CreateSession(ctx, sess, tokens...); err != nil {
		return TokenResponse{}, err
	}
	return s.response(sess, access, refresh, now, endpointID), nil
}

func (s *Service) pair(sessionID string, now time.Time, lt ttls, app rc.App) (access, refresh rc.Token) {
	access = rc.Token{Token: newToken(s.key().Token), Kind: "access", SessionID: sessionID, ExpiresAt: now.Add(lt.access)}
	if app.Allows(rc.GrantRefreshToken) {
		refresh = rc.Token{Token: newToken(s.key().Token), Kind: "refresh", SessionID: sessionID, ExpiresAt: now.Add(lt.refresh)}
	}
	return access, refresh
}

func (s *Service) response(sess rc.Session, access, refresh rc.Token, now time.Time, endpointID string) TokenResponse {
	if endpointID == "" {
		endpointID = randomID(11)
	}
	r := TokenResponse{AccessToken: access.Token, TokenType: "bearer", ExpiresIn: secondsUntil(now, access.ExpiresAt),
		Scope: sess.Scope, OwnerID: strconv.FormatInt(sess.ExtensionID, 10), EndpointID: endpointID,
		SessionID: sess.ID, SessionExpiresIn: int64(RefreshTTL / time.Second), SessionIdleTimeout: 0}
	if refresh.Token != "" {
		r.RefreshToken = refresh.Token
		r.RefreshTokenExpiresIn = secondsUntil(now, refresh.ExpiresAt)
	}
	return r
}

func secondsUntil(now, t time.Time) int64 {
	d := t.Sub(now) / time.Second
	if d < 0 {
		return 0
	}
	return int64(d)
}

// refresh exchanges a refresh token for a new pair and retires the old one. A retried refresh
// with the token just used returns the pair it issued, for a short grace period.
func (s *Service) refresh(ctx context.Context, app rc.App, token string, lt ttls, endpointID string) (TokenResponse, error) {
	invalid := rc.OAuthError(400, "invalid_grant", "OAU-213", "Token not found")
	if checkToken(s.key().Token, token) != nil {
		return TokenResponse{}, rc.OAuthError(400, "invalid_grant", "OAU-149", "Unparsable refresh token")
	}
	t, err := s.store.Token(ctx, token)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Kind != "refresh") {
		return TokenResponse{}, invalid
	}
	if err != nil {
		return TokenResponse{}, err
	}
	sess, err := s.store.Session(ctx, t.SessionID)
	if err != nil {
		return TokenResponse{}, err
	}
	if sess.Revoked {
		return TokenResponse{}, invalid
	}
	if sess.ClientID != app.ClientID {
		return TokenResponse{}, rc.OAuthError(400, "invalid_grant", "OAU-110", "Token was not issued for this application")
	}
	now := s.clock.Now()
	if !t.Retired && !now.Before(t.ExpiresAt) {
		return TokenResponse{}, rc.OAuthError(400, "invalid_grant", "OAU-128", "Refresh token expired")
	}
	if !t.Retired {
		access, refresh := s.pair(sess.ID, now, lt, app)
		err := s.store.RotateTokens(ctx, sess.ID, token, now, access, refresh)
		if err == nil {
			s.forgetSession(sess.ID)
			return s.response(sess, access, refresh, now, endpointID), nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return TokenResponse{}, err
		}
		// A concurrent refresh with the same token won: answer with the pair it issued.
		if t, err = s.store.Token(ctx, token); err != nil {
			return TokenResponse{}, err
		}
	}
	return s.successor(ctx, sess, t, now, endpointID)
}

// successor answers a refresh with a token already used: the pair that refresh issued, while it
// is still the session's live pair and the grace period has not passed.
func (s *Service) successor(ctx context.Context, sess rc.Session, used rc.Token, now time.Time, endpointID string) (TokenResponse, error) {
	invalid := rc.OAuthError(400, "invalid_grant", "OAU-213", "Token not found")
	acc, ref, ok := strings.Cut(used.Successor, " ")
	if !ok || now.Sub(used.RetiredAt) > refreshRetryGrace {
		return TokenResponse{}, invalid
	}
	na, err1 := s.store.Token(ctx, acc)
	nr, err2 := s.store.Token(ctx, ref)
	if err1 != nil || err2 != nil || na.Retired || nr.Retired {
		return TokenResponse{}, invalid
	}
	return s.response(sess, na, nr, now, endpointID), nil
}

// Revoke ends the session a token belongs to. Unknown tokens are not an error (RFC 7009).
func (s *Service) Revoke(ctx context.Context, app rc.App, token string) error {
	if checkToken(s.key().Token, token) != nil {
		return nil
	}
	t, err := s.store.Token(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	sess, err := s.store.Session(ctx, t.SessionID)
	if err != nil {
		return err
	}
	if sess.ClientID != app.ClientID {
		return nil
	}
	if err := s.store.RevokeSession(ctx, sess.ID); err != nil {
		return err
	}
	s.forgetSession(sess.ID)
	return nil
}

// SetKeys replaces the keys, after an import brought another database's state.
func (s *Service) SetKeys(k Keys) {
	s.mu.Lock()
	s.keys = k
	s.mu.Unlock()
}

func (s *Service) key() Keys {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keys
}
