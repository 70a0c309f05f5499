package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/store"
)

// Register adds the OAuth endpoints to the router.
func (s *Service) Register(rt *restapi.Router) {
	pub := restapi.Options{Public: true}
	rt.Handle("POST", "/restapi/oauth/token", s.handleToken, pub)
	rt.Handle("POST", "/restapi/oauth/revoke", s.handleRevoke, pub)
	rt.Handle("GET", "/restapi/oauth/authorize", s.handleAuthorizePage, pub)
	rt.Handle("POST", "/restapi/oauth/authorize", s.handleAuthorizeSubmit, pub)
}

func oauthInvalid(param string) *rc.Error {
	e := rc.OAuthError(400, "invalid_request", "CMN-101", "Parameter ["+param+"] value is invalid.")
	e.Param = param
	return e
}

func oauthMissing(param string) *rc.Error {
	e := rc.OAuthError(400, "invalid_request", "CMN-100", "Mandatory parameter ["+param+"] not specified")
	e.Param = param
	return e
}

// form reads a token-endpoint body: application/x-www-form-urlencoded only, no key twice
// (OAU-111), query parameters merged in for clients that put them there.
func form(r *restapi.Request) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" && !(mt == "" && r.ContentLength == 0) {
		e := rc.OAuthError(415, "invalid_request", "AGW-415", "Unsupported media type ["+r.Header.Get("Content-Type")+"]: use application/x-www-form-urlencoded")
		return nil, e
	}
	if err := r.ParseForm(); err != nil {
		e := restapi.ReadError(err)
		e.OAuth = "invalid_request"
		return nil, e
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 {
			e := rc.OAuthError(400, "invalid_request", "OAU-111", "Request parameter duplication detected")
			e.Param = k
			return nil, e
		}
	}
	return formValues(r), nil
}

// client authenticates the calling app: HTTP Basic for confidential apps, client_id in the body
// for public ones.
func (s *Service) client(ctx context.Context, r *restapi.Request, f url.Values) (rc.App, error) {
	required := rc.OAuthError(401, "invalid_client", "OAU-123", "Client authentication is required")
	bad := rc.OAuthError(401, "invalid_client", "OAU-146", "Invalid client credentials")
	id, secret, basic := f.Get("client_id"), "", false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, _ := strings.Cut(strings.TrimSpace(h), " ")
		if !strings.EqualFold(scheme, "basic") {
			return rc.App{}, rc.OAuthError(401, "invalid_client", "OAU-151", "Authorization method not supported")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		var ok bool
		id, secret, ok = strings.Cut(string(raw), ":")
		if err != nil || !ok {
			return rc.App{}, rc.OAuthError(401, "invalid_client", "OAU-123", "Invalid Authorization header value: "+cred)
		}
		basic = true
	} else if id == "" {
		return rc.App{}, required
	}
	r.ClientID = id
	app, err := s.store.App(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rc.App{}, bad
	}
	if err != nil {
		return rc.App{}, err
	}
	if basic {
		if !app.Public() && subtle.ConstantTimeCompare([]byte(secret), []byte(app.ClientSecret)) != 1 {
			return rc.App{}, bad
		}
	} else if !app.Public() {
		return rc.App{}, required
	}
	return app, nil
}

func lifetimes(f url.Values) (ttls, error) {
	lt := ttls{access: AccessTTL, refresh: RefreshTTL}
	if v := f.Get("access_token_ttl"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return lt, oauthInvalid("access_token_ttl")
		}
		// The platform clamps rather than refuses: above the default gives the default, below the
		// minimum gives the minimum. @ringcentral/sdk sends -1 when it refreshes after a 401.
		lt.access = min(max(time.Duration(n)*time.Second, MinAccessTTL), AccessTTL)
	}
	if v := f.Get("refresh_token_ttl"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return lt, oauthInvalid("refresh_token_ttl")
		}
		if n > 0 {
			lt.refresh = min(time.Duration(n)*time.Second, RefreshTTL)
		}
	}
	return lt, nil
}

// authenticated reads a token-endpoint form and the app that sent it.
func (s *Service) authenticated(r *restapi.Request) (url.Values, rc.App, error) {
	f, err := form(r)
	if err != nil {
		return nil, rc.App{}, err
	}
	app, err := s.client(r.Context(), r, f)
	return f, app, err
}

func (s *Service) handleToken(w http.ResponseWriter, r *restapi.Request) error {
	ctx := r.Context()
	f, app, err := s.authenticated(r)
	if err != nil {
		return err
	}
	grant := f.Get("grant_type")
	if grant == "" {
		return oauthMissing("grant_type")
	}
	r.Grant = grant
	switch grant {
	case rc.GrantJWT, rc.GrantPassword, rc.GrantAuthorizationCode, rc.GrantRefreshToken:
	default:
		return rc.OAuthError(400, "unsupported_grant_type", "OAU-250", "Unsupported grant type ["+grant+"]")
	}
	if !app.Allows(grant) {
		return rc.OAuthError(400, "unauthorized_client", "OAU-251", "Unauthorized for this grant type")
	}
	lt, err := lifetimes(f)
	if err != nil {
		return err
	}
	endpoint := f.Get("endpoint_id")
	var resp TokenResponse
	switch grant {
	case rc.GrantJWT:
		resp, err = s.grantJWT(ctx, app, f, lt, endpoint)
	case rc.GrantPassword:
		resp, err = s.grantPassword(ctx, app, f, lt, endpoint)
	case rc.GrantAuthorizationCode:
		resp, err = s.grantCode(ctx, app, f, lt, endpoint)
	case rc.GrantRefreshToken:
		tok := f.Get("refresh_token")
		if tok == "" {
			return oauthMissing("refresh_token")
		}
		resp, err = s.refresh(ctx, app, tok, lt, endpoint)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	return restapi.JSON(w, 200, resp)
}

// extension is the user a grant names; gone from the directory, it is OAU-232.
func (s *Service) extension(ctx context.Context, accountID, extensionID int64) (rc.Extension, error) {
	ext, err := s.store.Extension(ctx, accountID, extensionID)
	if errors.Is(err, store.ErrNotFound) {
		return rc.Extension{}, rc.OAuthError(400, "invalid_grant", "OAU-232", "Extension not found")
	}
	return ext, err
}

func (s *Service) grantJWT(ctx context.Context, app rc.App, f url.Values, lt ttls, endpoint string) (TokenResponse, error) {
	assertion := f.Get("assertion")
	if assertion == "" {
		return TokenResponse{}, oauthMissing("assertion")
	}
	invalid := rc.OAuthError(400, "invalid_grant", "OAU-149", "Invalid token")
	extID, err := parseUserJWT(s.key().JWT, assertion)
	if err != nil {
		return TokenResponse{}, invalid
	}
	cred, err := s.store.Credential(ctx, extID)
	if errors.Is(err, store.ErrNotFound) {
		return TokenResponse{}, invalid
	}
	if err != nil {
		return TokenResponse{}, err
	}
	// A credential replaced in the store is no longer accepted, as a revoked one on the platform.
	if subtle.ConstantTimeCompare([]byte(cred.JWT), []byte(assertion)) != 1 {
		return TokenResponse{}, invalid
	}
	ext, err := s.extension(ctx, cred.AccountID, cred.ExtensionID)
	if err != nil {
		return TokenResponse{}, err
	}
	return s.login(ctx, app, ext, lt, endpoint)
}

// grantPassword accepts the forms the SDKs send: username "<number>*<ext>", or username plus
// a separate extension field; the number may be a user's direct number or the company's main
// number, and an email works as a username too.
func (s *Service) grantPassword(ctx context.Context, app rc.App, f url.Values, lt ttls, endpoint string) (TokenResponse, error) {
	username, password := f.Get("username"), f.Get("password")
	if username == "" {
		return TokenResponse{}, oauthMissing("username")
	}
	if password == "" {
		return TokenResponse{}, oauthMissing("password")
	}
	bad := rc.OAuthError(401, "invalid_grant", "OAU-140", "Invalid resource owner credentials.")
	user, ext, _ := strings.Cut(username, "*")
	if ext == "" {
		ext = f.Get("extension")
	}
	user = strings.TrimSpace(user)
	if !strings.HasPrefix(user, "+") && !strings.Contains(user, "@") && user != "" {
		user = "+" + user // SDK users often drop the plus of E.164
	}
	var cred rc.UserCredential
	found := false
	creds, err := s.store.CredentialsByUsername(ctx, user)
	if err != nil {
		return TokenResponse{}, err
	}
	if len(creds) > 0 {
		cred, found = creds[0], true
	} else if pn, err := s.store.FindPhoneNumber(ctx, user); err == nil && ext != "" {
		e, err := s.store.ExtensionByNumber(ctx, pn.AccountID, ext)
		if err == nil {
			if c, err := s.store.Credential(ctx, e.ID); err == nil {
				cred, found = c, true
			}
		}
	}
	if !found || cred.Password == "" || subtle.ConstantTimeCompare([]byte(cred.Password), []byte(password)) != 1 {
		return TokenResponse{}, bad
	}
	e, err := s.extension(ctx, cred.AccountID, cred.ExtensionID)
	if err != nil {
		return TokenResponse{}, err
	}
	if ext != "" && e.ExtensionNumber != ext {
		return TokenResponse{}, bad
	}
	return s.login(ctx, app, e, lt, endpoint)
}

func (s *Service) grantCode(ctx context.Context, app rc.App, f url.Values, lt ttls, endpoint string) (TokenResponse, error) {
	code := f.Get("code")
	if code == "" {
		return TokenResponse{}, oauthMissing("code")
	}
	invalid := rc.OAuthError(403, "invalid_grant", "OAU-106", "Invalid authorization code")
	c, err := s.store.TakeAuthCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return TokenResponse{}, invalid
	}
	if err != nil {
		return TokenResponse{}, err
	}
	if c.Used {
		return TokenResponse{}, invalid
	}
	if !s.clock.Now().Before(c.ExpiresAt) {
		return TokenResponse{}, rc.OAuthError(403, "invalid_grant", "OAU-108", "Authorization code is expired")
	}
	if c.ClientID != app.ClientID {
		return TokenResponse{}, rc.OAuthError(403, "invalid_grant", "OAU-110", "Authorization code was not issued for this application")
	}
	if ru := f.Get("redirect_uri"); ru != c.RedirectURI {
		return TokenResponse{}, rc.OAuthError(403, "invalid_grant", "OAU-109", "Redirect URIs do not match")
	}
	if c.Challenge != "" || app.Public() {
		verifier := f.Get("code_verifier")
		if verifier == "" {
			return TokenResponse{}, oauthMissing("code_verifier")
		}
		if !pkceMatches(c.ChallengeMeth, c.Challenge, verifier) {
			return TokenResponse{}, rc.OAuthError(400, "invalid_grant", "OAU-106", "Code verifier does not match the code challenge")
		}
	}
	ext, err := s.extension(ctx, c.AccountID, c.ExtensionID)
	if err != nil {
		return TokenResponse{}, err
	}
	return s.login(ctx, app, ext, lt, endpoint)
}

func (s *Service) handleRevoke(w http.ResponseWriter, r *restapi.Request) error {
	ctx := r.Context()
	f, app, err := s.authenticated(r)
	if err != nil {
		return err
	}
	tok := f.Get("token")
	if tok == "" {
		return oauthMissing("token")
	}
	if err := s.Revoke(ctx, app, tok); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
