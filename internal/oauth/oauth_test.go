package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/rctest"
)

const (
	grantJWT     = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	publicClient = "rcemuPublicClientId001"
	redirectURI  = "http://localhost:5000/oauth2callback"
	accountPath  = "/restapi/v1.0/account/~"
	tokenPath    = "/restapi/oauth/token"
	revokePath   = "/restapi/oauth/revoke"
	authorizeURL = "/restapi/oauth/authorize"

	adaID   = "171857008" // account 0, extension 101, administrator
	graceID = "171858008" // account 0, extension 102
)

// tokenInfo is the token endpoint's success body.
type tokenInfo struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	Scope                 string `json:"scope"`
	OwnerID               string `json:"owner_id"`
	EndpointID            string `json:"endpoint_id"`
	SessionID             string `json:"session_id"`
}

// oauthError is the OAuth error body of /restapi/oauth/*.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Errors      []struct {
		ErrorCode     string `json:"errorCode"`
		Message       string `json:"message"`
		ParameterName string `json:"parameterName"`
	} `json:"errors"`
}

func mustToken(t *testing.T, res *rctest.Response) tokenInfo {
	t.Helper()
	if res.Status != 200 {
		t.Fatalf("token request: status %d, want 200: %s", res.Status, res.Body)
	}
	var ti tokenInfo
	res.JSON(t, &ti)
	if ti.AccessToken == "" {
		t.Fatalf("token response without access_token: %s", res.Body)
	}
	return ti
}

// wantOAuthError checks an OAuth-shaped error; an empty code skips the errorCode check.
func wantOAuthError(t *testing.T, res *rctest.Response, status int, errName, code string) oauthError {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	var e oauthError
	res.JSON(t, &e)
	if e.Error != errName {
		t.Errorf("error %q, want %q: %s", e.Error, errName, res.Body)
	}
	if e.Description == "" {
		t.Errorf("error_description is empty: %s", res.Body)
	}
	if len(e.Errors) == 0 {
		t.Fatalf("errors[] is empty: %s", res.Body)
	}
	if code != "" && e.Errors[0].ErrorCode != code {
		t.Errorf("errors[0].errorCode %q, want %q: %s", e.Errors[0].ErrorCode, code, res.Body)
	}
	return e
}

// wantAPIError checks a legacy REST error body.
func wantAPIError(t *testing.T, res *rctest.Response, status int, code string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	if got := res.ErrorCode(t); got != code {
		t.Errorf("errors[0].errorCode %q, want %q: %s", got, code, res.Body)
	}
}

func jwtForm(u credentials.User, kv ...string) url.Values {
	f := url.Values{"grant_type": {grantJWT}, "assertion": {u.JWT}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func getAccount(a *rctest.App, token string) *rctest.Response {
	return a.Do(rctest.Req{Path: accountPath, Token: token})
}

func wantAccountOK(t *testing.T, a *rctest.App, token string) {
	t.Helper()
	res := getAccount(a, token)
	if res.Status != 200 {
		t.Fatalf("GET %s: status %d, want 200: %s", accountPath, res.Status, res.Body)
	}
}

func refresh(a *rctest.App, refreshToken string) *rctest.Response {
	return a.TokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

func revoke(a *rctest.App, token string) *rctest.Response {
	return a.Do(rctest.Req{Method: "POST", Path: revokePath, Form: url.Values{"token": {token}},
		Basic: [2]string{a.Creds.ClientID, a.Creds.ClientSecret}})
}

// flip changes one character of a token in its random part, keeping it well-formed.
func flip(tok string, i int) string {
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestJWTGrant(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	u := a.User(0, "101")
	res := a.TokenRequest(jwtForm(u))
	ti := mustToken(t, res)

	var raw map[string]any
	res.JSON(t, &raw)
	if _, ok := raw["owner_id"].(string); !ok {
		t.Errorf("owner_id is %T, want a JSON string: %s", raw["owner_id"], res.Body)
	}
	if ti.TokenType != "bearer" {
		t.Errorf("token_type %q, want %q", ti.TokenType, "bearer")
	}
	if ti.ExpiresIn != 3600 {
		t.Errorf("expires_in %d, want 3600", ti.ExpiresIn)
	}
	if ti.RefreshToken == "" || ti.RefreshToken == ti.AccessToken {
		t.Errorf("refresh_token %q: want a token distinct from the access token", ti.RefreshToken)
	}
	if ti.RefreshTokenExpiresIn != 604800 {
		t.Errorf("refresh_token_expires_in %d, want 604800", ti.RefreshTokenExpiresIn)
	}
	if ti.OwnerID != u.ExtensionID || ti.OwnerID != adaID {
		t.Errorf("owner_id %q, want %q", ti.OwnerID, adaID)
	}
	if !strings.Contains(" "+ti.Scope+" ", " ReadAccounts ") {
		t.Errorf("scope %q does not list ReadAccounts", ti.Scope)
	}
	if ti.EndpointID == "" {
		t.Error("endpoint_id is empty")
	}
	if ti.SessionID == "" {
		t.Error("session_id is empty")
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}

	acc := getAccount(a, ti.AccessToken)
	if acc.Status != 200 {
		t.Fatalf("GET account with the new token: %d %s", acc.Status, acc.Body)
	}
	if id := acc.Map(t)["id"]; id != float64(159048008) {
		t.Errorf("account id %v, want 159048008", id)
	}

	t.Run("EndpointIDEchoed", func(t *testing.T) {
		ti := mustToken(t, a.TokenRequest(jwtForm(u, "endpoint_id", "my-endpoint-1")))
		if ti.EndpointID != "my-endpoint-1" {
			t.Errorf("endpoint_id %q, want my-endpoint-1", ti.EndpointID)
		}
	})
	t.Run("EachLoginIsANewSession", func(t *testing.T) {
		ti2 := mustToken(t, a.TokenRequest(jwtForm(u)))
		if ti2.SessionID == ti.SessionID || ti2.AccessToken == ti.AccessToken {
			t.Errorf("second login reused session %q / access token", ti2.SessionID)
		}
	})
	t.Run("OtherAccountUser", func(t *testing.T) {
		m := a.User(1, "101")
		ti := mustToken(t, a.TokenRequest(jwtForm(m)))
		if ti.OwnerID != m.ExtensionID || ti.OwnerID != "271857008" {
			t.Errorf("owner_id %q, want 271857008", ti.OwnerID)
		}
	})
}

func TestTokenLifetimes(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	u := a.User(0, "101")
	cases := []struct {
		name                    string
		kv                      []string
		wantAccess, wantRefresh int64
	}{
		{"AccessTTLAboveDefaultClampedTo3600", []string{"access_token_ttl", "7200"}, 3600, 604800},
		{"AccessTTLBelowMinimumClampedTo600", []string{"access_token_ttl", "10"}, 600, 604800},
		{"AccessTTLInRangeHonoured", []string{"access_token_ttl", "1800"}, 1800, 604800},
		{"RefreshTTLHonoured", []string{"refresh_token_ttl", "1000"}, 3600, 1000},
		{"RefreshTTLAboveDefaultClampedTo604800", []string{"refresh_token_ttl", "9999999"}, 3600, 604800},
		{"BothHonoured", []string{"access_token_ttl", "900", "refresh_token_ttl", "5000"}, 900, 5000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ti := mustToken(t, a.TokenRequest(jwtForm(u, c.kv...)))
			if ti.ExpiresIn != c.wantAccess {
				t.Errorf("expires_in %d, want %d", ti.ExpiresIn, c.wantAccess)
			}
			if ti.RefreshTokenExpiresIn != c.wantRefresh {
				t.Errorf("refresh_token_expires_in %d, want %d", ti.RefreshTokenExpiresIn, c.wantRefresh)
			}
		})
	}
	for _, c := range []struct{ name, key, value string }{
		{"ErrAccessTTLNotANumber", "access_token_ttl", "soon"},
		{"ErrRefreshTTLNotANumber", "refresh_token_ttl", "week"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := wantOAuthError(t, a.TokenRequest(jwtForm(u, c.key, c.value)), 400, "invalid_request", "CMN-101")
			if e.Errors[0].ParameterName != c.key {
				t.Errorf("parameterName %q, want %q", e.Errors[0].ParameterName, c.key)
			}
		})
	}

	// The clamped lifetime is the one enforced: ttl 10 lives 600 s, not 10 s.
	t.Run("ClampedAccessTTLEnforced", func(t *testing.T) {
		ti := mustToken(t, a.TokenRequest(jwtForm(u, "access_token_ttl", "10")))
		a.Clock.Advance(30 * time.Second)
		wantAccountOK(t, a, ti.AccessToken)
		a.Clock.Advance(571 * time.Second) // 601 s after issue
		wantAPIError(t, getAccount(a, ti.AccessToken), 401, "OAU-128")
	})
	t.Run("RefreshTTLEnforced", func(t *testing.T) {
		ti := mustToken(t, a.TokenRequest(jwtForm(u, "refresh_token_ttl", "1000")))
		a.Clock.Advance(1001 * time.Second)
		wantOAuthError(t, refresh(a, ti.RefreshToken), 400, "invalid_grant", "")
	})
}

func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	pw101 := a.User(0, "101").Password
	pw102 := a.User(0, "102").Password
	if pw101 == "" || pw102 == "" {
		t.Fatal("seeded users have no password")
	}
	ok := []struct {
		name      string
		form      url.Values
		wantOwner string
	}{
		{"UsernameStarExtension", url.Values{"username": {"+16505550101*101"}, "password": {pw101}}, adaID},
		{"SeparateExtensionField", url.Values{"username": {"+16505550101"}, "extension": {"101"}, "password": {pw101}}, adaID},
		{"DirectNumberWithoutExtension", url.Values{"username": {"+16505550101"}, "password": {pw101}}, adaID},
		{"NumberWithoutPlus", url.Values{"username": {"16505550101"}, "password": {pw101}}, adaID},
		{"CompanyNumberSeparateExtension", url.Values{"username": {"+16505550100"}, "extension": {"102"}, "password": {pw102}}, graceID},
		{"CompanyNumberStarExtension", url.Values{"username": {"+16505550100*102"}, "password": {pw102}}, graceID},
		// grantPassword documents that an email works as a username too.
		{"EmailUsername", url.Values{"username": {"grace.hopper@example.com"}, "password": {pw102}}, graceID},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			c.form.Set("grant_type", "password")
			ti := mustToken(t, a.TokenRequest(c.form))
			if ti.OwnerID != c.wantOwner {
				t.Errorf("owner_id %q, want %q", ti.OwnerID, c.wantOwner)
			}
			if ti.TokenType != "bearer" || ti.ExpiresIn != 3600 || ti.RefreshToken == "" {
				t.Errorf("token_type %q expires_in %d refresh_token %q", ti.TokenType, ti.ExpiresIn, ti.RefreshToken)
			}
			wantAccountOK(t, a, ti.AccessToken)
		})
	}
	bad := []struct {
		name string
		form url.Values
	}{
		{"ErrWrongPassword", url.Values{"username": {"+16505550101*101"}, "password": {"wrong-password"}}},
		{"ErrOtherUsersPassword", url.Values{"username": {"+16505550101*101"}, "password": {pw102}}},
		{"ErrExtensionMismatch", url.Values{"username": {"+16505550101*102"}, "password": {pw101}}},
		{"ErrCompanyNumberWrongPassword", url.Values{"username": {"+16505550100"}, "extension": {"102"}, "password": {pw101}}},
		{"ErrCompanyNumberUnknownExtension", url.Values{"username": {"+16505550100"}, "extension": {"999"}, "password": {pw102}}},
		{"ErrUnknownUsername", url.Values{"username": {"+19995550000"}, "password": {pw101}}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			c.form.Set("grant_type", "password")
			wantOAuthError(t, a.TokenRequest(c.form), 401, "invalid_grant", "OAU-140")
		})
	}
	t.Run("ErrMissingPassword", func(t *testing.T) {
		e := wantOAuthError(t, a.TokenRequest(url.Values{"grant_type": {"password"}, "username": {"+16505550101"}}),
			400, "invalid_request", "CMN-100")
		if e.Errors[0].ParameterName != "password" {
			t.Errorf("parameterName %q, want password", e.Errors[0].ParameterName)
		}
	})
}

func TestClientAuthentication(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	u := a.User(0, "101")
	form := jwtForm(u)
	cases := []struct {
		name    string
		req     rctest.Req
		status  int
		errName string
		code    string
	}{
		{"ErrNoClientAuthentication", rctest.Req{Form: form}, 401, "invalid_client", "OAU-123"},
		{"ErrWrongSecret", rctest.Req{Form: form, Basic: [2]string{a.Creds.ClientID, "not-the-secret"}},
			401, "invalid_client", "OAU-146"},
		{"ErrUnknownClient", rctest.Req{Form: form, Basic: [2]string{"noSuchClientId", "x"}},
			401, "invalid_client", "OAU-146"},
		{"ErrConfidentialClientIDInBody", rctest.Req{Form: jwtForm(u, "client_id", a.Creds.ClientID)},
			401, "invalid_client", ""},
		{"ErrBearerSchemeOnTokenEndpoint", rctest.Req{Form: form, Header: http.Header{"Authorization": {"Bearer abc"}}},
			401, "invalid_client", "OAU-151"},
		{"ErrUndecodableBasic", rctest.Req{Form: form, Header: http.Header{"Authorization": {"Basic %%%"}}},
			401, "invalid_client", "OAU-123"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Method, c.req.Path = "POST", tokenPath
			wantOAuthError(t, a.Do(c.req), c.status, c.errName, c.code)
		})
	}
	t.Run("BasicWithCorrectSecret", func(t *testing.T) {
		mustToken(t, a.Do(rctest.Req{Method: "POST", Path: tokenPath, Form: form,
			Basic: [2]string{a.Creds.ClientID, a.Creds.ClientSecret}}))
	})
}

func TestTokenRequestErrors(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	u := a.User(0, "101")
	basic := [2]string{a.Creds.ClientID, a.Creds.ClientSecret}
	cases := []struct {
		name    string
		req     rctest.Req
		status  int
		errName string
		code    string
		param   string
	}{
		{"ErrDuplicateParameter", rctest.Req{Basic: basic,
			Form: url.Values{"grant_type": {grantJWT, grantJWT}, "assertion": {u.JWT}}}, 400, "invalid_request", "OAU-111", ""},
		{"ErrMissingGrantType", rctest.Req{Basic: basic, Form: url.Values{"assertion": {u.JWT}}},
			400, "invalid_request", "CMN-100", "grant_type"},
		{"ErrUnsupportedGrantType", rctest.Req{Basic: basic, Form: url.Values{"grant_type": {"client_credentials"}}},
			400, "unsupported_grant_type", "", ""},
		{"ErrGrantNotAllowedForApp", rctest.Req{Form: url.Values{"grant_type": {"password"}, "client_id": {publicClient},
			"username": {"+16505550101"}, "password": {u.Password}}}, 400, "unauthorized_client", "OAU-251", ""},
		{"ErrJWTGrantNotAllowedForPublicApp", rctest.Req{Form: url.Values{"grant_type": {grantJWT}, "client_id": {publicClient},
			"assertion": {u.JWT}}}, 400, "unauthorized_client", "OAU-251", ""},
		{"ErrMissingAssertion", rctest.Req{Basic: basic, Form: url.Values{"grant_type": {grantJWT}}},
			400, "invalid_request", "CMN-100", "assertion"},
		{"ErrMissingRefreshToken", rctest.Req{Basic: basic, Form: url.Values{"grant_type": {"refresh_token"}}},
			400, "invalid_request", "CMN-100", "refresh_token"},
		{"ErrJSONBody", rctest.Req{Basic: basic, JSON: map[string]string{"grant_type": grantJWT, "assertion": u.JWT}},
			415, "invalid_request", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Method, c.req.Path = "POST", tokenPath
			e := wantOAuthError(t, a.Do(c.req), c.status, c.errName, c.code)
			if c.param != "" && e.Errors[0].ParameterName != c.param {
				t.Errorf("errors[0].parameterName %q, want %q", e.Errors[0].ParameterName, c.param)
			}
		})
	}
}

func TestJWTAssertionRejected(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	u := a.User(0, "101")
	parts := strings.Split(u.JWT, ".")
	if len(parts) != 3 {
		t.Fatalf("seeded JWT %q is not three parts", u.JWT)
	}
	var claims jwt.MapClaims
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	otherKey, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("some-other-key"))
	if err != nil {
		t.Fatal(err)
	}
	claims["sub"] = graceID
	forged, _ := json.Marshal(claims)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	sig := []byte(parts[2])
	sig[3] ^= 1
	badSig := parts[0] + "." + parts[1] + "." + string(sig)

	for _, c := range []struct{ name, assertion string }{
		{"ErrSignedWithOtherKey", otherKey},
		{"ErrTamperedPayload", tampered},
		{"ErrAlteredSignature", badSig},
		{"ErrAlgNone", none},
		{"ErrNotAJWT", "not-a-jwt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := a.TokenRequest(url.Values{"grant_type": {grantJWT}, "assertion": {c.assertion}})
			wantOAuthError(t, res, 400, "invalid_grant", "")
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	first := a.Login(a.User(0, "101"))

	res := refresh(a, first.RefreshToken)
	second := mustToken(t, res)
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh returned the old pair")
	}
	if second.RefreshToken == "" || second.ExpiresIn != 3600 || second.RefreshTokenExpiresIn != 604800 {
		t.Errorf("refresh response: %s", res.Body)
	}
	if second.OwnerID != adaID {
		t.Errorf("owner_id %q, want %q", second.OwnerID, adaID)
	}

	t.Run("NewAccessTokenWorks", func(t *testing.T) { wantAccountOK(t, a, second.AccessToken) })
	t.Run("ErrOldAccessToken", func(t *testing.T) {
		wantAPIError(t, getAccount(a, first.AccessToken), 401, "OAU-213")
	})
	t.Run("RetryWithinGraceReturnsSamePair", func(t *testing.T) {
		a.Clock.Advance(30 * time.Second)
		again := mustToken(t, refresh(a, first.RefreshToken))
		if again.AccessToken != second.AccessToken || again.RefreshToken != second.RefreshToken {
			t.Errorf("retried refresh gave a different pair")
		}
		if again.SessionID != second.SessionID {
			t.Errorf("session_id %q, want %q", again.SessionID, second.SessionID)
		}
	})
	t.Run("ErrRetryAfterGrace", func(t *testing.T) {
		a.Clock.Advance(31 * time.Second) // 61 s after the refresh
		wantOAuthError(t, refresh(a, first.RefreshToken), 400, "invalid_grant", "")
	})
	t.Run("NewRefreshTokenStillWorks", func(t *testing.T) {
		third := mustToken(t, refresh(a, second.RefreshToken))
		wantAccountOK(t, a, third.AccessToken)
		wantAPIError(t, getAccount(a, second.AccessToken), 401, "OAU-213")
	})
	t.Run("ErrAccessTokenAsRefreshToken", func(t *testing.T) {
		fresh := a.Login(a.User(0, "102"))
		wantOAuthError(t, refresh(a, fresh.AccessToken), 400, "invalid_grant", "")
	})
	t.Run("ErrRefreshTokenAsBearer", func(t *testing.T) {
		fresh := a.Login(a.User(0, "102"))
		wantAPIError(t, getAccount(a, fresh.RefreshToken), 401, "OAU-213")
	})
	t.Run("ErrGarbageRefreshToken", func(t *testing.T) {
		wantOAuthError(t, refresh(a, "abc"), 400, "invalid_grant", "")
	})
	t.Run("ErrUnknownRefreshToken", func(t *testing.T) {
		fresh := a.Login(a.User(0, "102"))
		wantOAuthError(t, refresh(a, flip(fresh.RefreshToken, 5)), 400, "invalid_grant", "")
	})
}

func TestRefreshOfRevokedSession(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101"))
	if res := revoke(a, tok.RefreshToken); res.Status != 200 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	wantOAuthError(t, refresh(a, tok.RefreshToken), 400, "invalid_grant", "")
}

func TestRefreshOfRevokedSessionAfterRotation(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101"))
	next := mustToken(t, refresh(a, tok.RefreshToken))
	if res := revoke(a, next.AccessToken); res.Status != 200 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	// Neither the current nor the just-retired refresh token may bring the session back.
	wantOAuthError(t, refresh(a, next.RefreshToken), 400, "invalid_grant", "")
	wantOAuthError(t, refresh(a, tok.RefreshToken), 400, "invalid_grant", "")
}

func TestRefreshTokenExpired(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101"))
	a.Clock.Advance(604801 * time.Second)
	wantOAuthError(t, refresh(a, tok.RefreshToken), 400, "invalid_grant", "")
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	u := a.User(0, "101")

	t.Run("AccessTokenEndsSession", func(t *testing.T) {
		tok := a.Login(u)
		other := a.Login(u) // another session of the same user stays alive
		res := revoke(a, tok.AccessToken)
		if res.Status != 200 {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		wantAPIError(t, getAccount(a, tok.AccessToken), 401, "OAU-213")
		wantOAuthError(t, refresh(a, tok.RefreshToken), 400, "invalid_grant", "")
		wantAccountOK(t, a, other.AccessToken)
	})
	t.Run("RefreshTokenEndsSession", func(t *testing.T) {
		tok := a.Login(u)
		wantAccountOK(t, a, tok.AccessToken) // cached caller must be forgotten too
		if res := revoke(a, tok.RefreshToken); res.Status != 200 {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		wantAPIError(t, getAccount(a, tok.AccessToken), 401, "OAU-213")
		wantOAuthError(t, refresh(a, tok.RefreshToken), 400, "invalid_grant", "")
	})
	t.Run("TokenInQueryAccepted", func(t *testing.T) {
		tok := a.Login(u)
		res := a.Do(rctest.Req{Method: "POST", Path: revokePath + "?token=" + url.QueryEscape(tok.AccessToken),
			Basic: [2]string{a.Creds.ClientID, a.Creds.ClientSecret}})
		if res.Status != 200 {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		wantAPIError(t, getAccount(a, tok.AccessToken), 401, "OAU-213")
	})
	t.Run("RevokedTwiceIsOK", func(t *testing.T) {
		tok := a.Login(u)
		for i := 0; i < 2; i++ {
			if res := revoke(a, tok.AccessToken); res.Status != 200 {
				t.Fatalf("revoke #%d: %d %s", i+1, res.Status, res.Body)
			}
		}
	})
	for _, c := range []struct{ name, token string }{
		{"UnknownGarbageTokenIsOK", "abc"},
		{"UnknownWellFormedTokenIsOK", flip(a.Login(u).AccessToken, 5)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if res := revoke(a, c.token); res.Status != 200 {
				t.Fatalf("revoke of an unknown token: %d %s, want 200", res.Status, res.Body)
			}
		})
	}
	t.Run("ErrMissingToken", func(t *testing.T) {
		res := a.Do(rctest.Req{Method: "POST", Path: revokePath, Form: url.Values{},
			Basic: [2]string{a.Creds.ClientID, a.Creds.ClientSecret}})
		e := wantOAuthError(t, res, 400, "invalid_request", "CMN-100")
		if e.Errors[0].ParameterName != "token" {
			t.Errorf("parameterName %q, want token", e.Errors[0].ParameterName)
		}
	})
	t.Run("ErrNoClientAuthentication", func(t *testing.T) {
		tok := a.Login(u)
		res := a.Do(rctest.Req{Method: "POST", Path: revokePath, Form: url.Values{"token": {tok.AccessToken}}})
		wantOAuthError(t, res, 401, "invalid_client", "OAU-123")
		wantAccountOK(t, a, tok.AccessToken)
	})
}

func TestBearerChecks(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	tok := a.Login(a.User(0, "101"))
	cases := []struct {
		name   string
		req    rctest.Req
		status int
		code   string
	}{
		{"ErrMissingHeader", rctest.Req{Path: accountPath}, 401, "OAU-123"},
		{"ErrBasicScheme", rctest.Req{Path: accountPath, Header: http.Header{"Authorization": {"Basic xxx"}}}, 401, "OAU-151"},
		{"ErrEmptyBearer", rctest.Req{Path: accountPath, Header: http.Header{"Authorization": {"Bearer "}}}, 401, "OAU-134"},
		{"ErrGarbageToken", rctest.Req{Path: accountPath, Token: "abc"}, 401, "OAU-149"},
		{"ErrGarbageQueryToken", rctest.Req{Path: accountPath + "?access_token=abc"}, 401, "OAU-149"},
		{"ErrAlteredToken", rctest.Req{Path: accountPath, Token: flip(tok.AccessToken, 10)}, 401, "OAU-129"},
		{"LowerCaseBearerAccepted", rctest.Req{Path: accountPath,
			Header: http.Header{"Authorization": {"bearer " + tok.AccessToken}}}, 200, ""},
		{"QueryAccessTokenAccepted", rctest.Req{Path: accountPath + "?access_token=" + url.QueryEscape(tok.AccessToken)}, 200, ""},
		{"BearerHeaderAccepted", rctest.Req{Path: accountPath, Token: tok.AccessToken}, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := a.Do(c.req)
			if c.status == 200 {
				if res.Status != 200 {
					t.Fatalf("status %d, want 200: %s", res.Status, res.Body)
				}
				if id := res.Map(t)["id"]; id != float64(159048008) {
					t.Errorf("account id %v, want 159048008", id)
				}
				return
			}
			wantAPIError(t, res, c.status, c.code)
			var body map[string]any
			res.JSON(t, &body)
			if _, isOAuth := body["error"]; isOAuth {
				t.Errorf("API 401 has the OAuth body shape: %s", res.Body)
			}
			if body["message"] == nil || body["message"] == "" {
				t.Errorf("no top-level message: %s", res.Body)
			}
		})
	}
	t.Run("ErrExpired", func(t *testing.T) {
		wantAccountOK(t, a, tok.AccessToken) // cached caller must expire as well
		a.Clock.Advance(3601 * time.Second)
		wantAPIError(t, getAccount(a, tok.AccessToken), 401, "OAU-128")
	})
	t.Run("ErrExpiredUncached", func(t *testing.T) {
		fresh := a.Login(a.User(0, "102"))
		a.Clock.Advance(3601 * time.Second)
		wantAPIError(t, getAccount(a, fresh.AccessToken), 401, "OAU-128")
	})
}

func TestTokensSurviveRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rcemu.db")
	first := rctest.MustOpenApp(t, rctest.WithDB(path))
	tok := first.Login(first.User(0, "101"))
	wantAccountOK(t, first, tok.AccessToken)
	revoked := first.Login(first.User(0, "102"))
	if res := revoke(first, revoked.AccessToken); res.Status != 200 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := first.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}

	second := rctest.MustOpenApp(t, rctest.WithDB(path))
	t.Run("AccessTokenStillWorks", func(t *testing.T) { wantAccountOK(t, second, tok.AccessToken) })
	t.Run("ErrRevokedStaysRevoked", func(t *testing.T) {
		wantAPIError(t, getAccount(second, revoked.AccessToken), 401, "OAU-213")
	})
	t.Run("RefreshTokenStillWorks", func(t *testing.T) {
		next := mustToken(t, refresh(second, tok.RefreshToken))
		wantAccountOK(t, second, next.AccessToken)
	})
	t.Run("JWTCredentialUnchanged", func(t *testing.T) {
		if second.User(0, "101").JWT != first.User(0, "101").JWT {
			t.Error("the JWT credential changed across a restart")
		}
	})
}

// --- authorization code flow -------------------------------------------------------------------

func pkcePair(seed string) (verifier, challenge string) {
	verifier = "verifier-" + seed + "-0123456789abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func authorizeQuery(challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {publicClient}, "redirect_uri": {redirectURI},
		"state": {"xyz"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
}

// redirectParams checks a 302 to redirectURI and returns its query.
func redirectParams(t *testing.T, res *rctest.Response) url.Values {
	t.Helper()
	if res.Status != 302 {
		t.Fatalf("status %d, want 302: %s", res.Status, res.Body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v", res.Header.Get("Location"), err)
	}
	if base := loc.Scheme + "://" + loc.Host + loc.Path; base != redirectURI {
		t.Errorf("redirected to %q, want %q", base, redirectURI)
	}
	return loc.Query()
}

// issueCode logs a seeded user in on the authorize page and returns the code.
func issueCode(t *testing.T, a *rctest.App, challenge, loginAs string) string {
	t.Helper()
	f := authorizeQuery(challenge)
	f.Del("response_type")
	f.Set("login_as", loginAs)
	q := redirectParams(t, a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f}))
	code := q.Get("code")
	if code == "" {
		t.Fatalf("redirect without code: %v", q)
	}
	return code
}

func exchange(a *rctest.App, code, redirect, verifier string) *rctest.Response {
	f := url.Values{"grant_type": {"authorization_code"}, "client_id": {publicClient}, "code": {code},
		"redirect_uri": {redirect}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return a.Do(rctest.Req{Method: "POST", Path: tokenPath, Form: f})
}

func TestAuthorizationCodePKCE(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	verifier, challenge := pkcePair("main")

	t.Run("PageListsUsers", func(t *testing.T) {
		res := a.Do(rctest.Req{Path: authorizeURL + "?" + authorizeQuery(challenge).Encode()})
		if res.Status != 200 {
			t.Fatalf("status %d, want 200: %s", res.Status, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type %q, want text/html", ct)
		}
		body := string(res.Body)
		for _, u := range a.Creds.Users {
			if !strings.Contains(body, `value="`+u.ExtensionID+`"`) {
				t.Errorf("page does not offer user %s (%s)", u.ExtensionID, u.Name)
			}
			if !strings.Contains(body, u.Name) {
				t.Errorf("page does not name user %s", u.Name)
			}
		}
		for _, want := range []string{`name="state" value="xyz"`, `value="` + challenge + `"`, `value="S256"`,
			`value="` + redirectURI + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
	})

	var code string
	t.Run("SubmitRedirectsWithCode", func(t *testing.T) {
		f := authorizeQuery(challenge)
		f.Set("login_as", graceID)
		q := redirectParams(t, a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f}))
		code = q.Get("code")
		if code == "" {
			t.Fatalf("no code in %v", q)
		}
		if q.Get("state") != "xyz" {
			t.Errorf("state %q, want xyz", q.Get("state"))
		}
		if q.Get("expires_in") != "60" {
			t.Errorf("expires_in %q, want 60", q.Get("expires_in"))
		}
	})
	if code == "" {
		t.FailNow()
	}

	var first tokenInfo
	t.Run("ExchangeGivesTokens", func(t *testing.T) {
		first = mustToken(t, exchange(a, code, redirectURI, verifier))
		if first.OwnerID != graceID {
			t.Errorf("owner_id %q, want %q", first.OwnerID, graceID)
		}
		if first.TokenType != "bearer" || first.ExpiresIn != 3600 {
			t.Errorf("token_type %q expires_in %d", first.TokenType, first.ExpiresIn)
		}
		wantAccountOK(t, a, first.AccessToken)
	})
	t.Run("ErrCodeReused", func(t *testing.T) {
		wantOAuthError(t, exchange(a, code, redirectURI, verifier), 403, "invalid_grant", "OAU-106")
	})
	t.Run("PublicClientRefresh", func(t *testing.T) {
		if first.RefreshToken == "" {
			t.Fatal("no refresh token for the public app")
		}
		res := a.Do(rctest.Req{Method: "POST", Path: tokenPath, Form: url.Values{"grant_type": {"refresh_token"},
			"client_id": {publicClient}, "refresh_token": {first.RefreshToken}}})
		next := mustToken(t, res)
		if next.OwnerID != graceID {
			t.Errorf("owner_id %q, want %q", next.OwnerID, graceID)
		}
	})
	t.Run("ErrRefreshByOtherApp", func(t *testing.T) {
		c := issueCode(t, a, challenge, graceID)
		tok := mustToken(t, exchange(a, c, redirectURI, verifier))
		wantOAuthError(t, refresh(a, tok.RefreshToken), 400, "invalid_grant", "")
	})
	t.Run("ErrWrongVerifier", func(t *testing.T) {
		c := issueCode(t, a, challenge, graceID)
		wantOAuthError(t, exchange(a, c, redirectURI, "a-different-verifier-0123456789abcdefghijklmnop"), 400, "invalid_grant", "")
	})
	t.Run("ErrMissingVerifier", func(t *testing.T) {
		c := issueCode(t, a, challenge, graceID)
		e := wantOAuthError(t, exchange(a, c, redirectURI, ""), 400, "invalid_request", "CMN-100")
		if e.Errors[0].ParameterName != "code_verifier" {
			t.Errorf("parameterName %q, want code_verifier", e.Errors[0].ParameterName)
		}
	})
	t.Run("ErrWrongRedirectURI", func(t *testing.T) {
		c := issueCode(t, a, challenge, graceID)
		wantOAuthError(t, exchange(a, c, "http://localhost:3000/callback", verifier), 403, "invalid_grant", "OAU-109")
	})
	t.Run("ErrCodeOfOtherApp", func(t *testing.T) {
		c := issueCode(t, a, challenge, graceID)
		res := a.TokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirectURI},
			"code_verifier": {verifier}})
		wantOAuthError(t, res, 403, "invalid_grant", "OAU-110")
	})
	t.Run("ErrUnknownCode", func(t *testing.T) {
		wantOAuthError(t, exchange(a, "no-such-code", redirectURI, verifier), 403, "invalid_grant", "OAU-106")
	})
	t.Run("ErrCodeExpired", func(t *testing.T) {
		c := issueCode(t, a, challenge, graceID)
		a.Clock.Advance(61 * time.Second)
		wantOAuthError(t, exchange(a, c, redirectURI, verifier), 403, "invalid_grant", "OAU-108")
	})
	t.Run("CodeValidJustBeforeExpiry", func(t *testing.T) {
		c := issueCode(t, a, challenge, graceID)
		a.Clock.Advance(50 * time.Second)
		mustToken(t, exchange(a, c, redirectURI, verifier))
	})
	t.Run("PlainChallenge", func(t *testing.T) {
		f := authorizeQuery("plain-verifier-0123456789abcdefghijklmnopqrstuvwxyz")
		f.Set("code_challenge_method", "plain")
		f.Set("login_as", adaID)
		q := redirectParams(t, a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f}))
		tok := mustToken(t, exchange(a, q.Get("code"), redirectURI, "plain-verifier-0123456789abcdefghijklmnopqrstuvwxyz"))
		if tok.OwnerID != adaID {
			t.Errorf("owner_id %q, want %q", tok.OwnerID, adaID)
		}
	})
}

func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	_, challenge := pkcePair("errors")

	t.Run("ErrUnregisteredRedirectURI", func(t *testing.T) {
		q := authorizeQuery(challenge)
		q.Set("redirect_uri", "http://evil.example.com/cb")
		res := a.Do(rctest.Req{Path: authorizeURL + "?" + q.Encode()})
		if res.Status != 400 {
			t.Fatalf("status %d, want 400: %s", res.Status, res.Body)
		}
		if loc := res.Header.Get("Location"); loc != "" {
			t.Errorf("redirected to %q; a bad redirect URI must never be followed", loc)
		}
	})
	t.Run("StateIsEscapedInPage", func(t *testing.T) {
		q := authorizeQuery(challenge)
		q.Set("state", `"><script>alert(1)</script>`)
		res := a.Do(rctest.Req{Path: authorizeURL + "?" + q.Encode()})
		if res.Status != 200 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), "<script>alert(1)") {
			t.Error("the state parameter is rendered unescaped")
		}
	})
	t.Run("ErrUnknownClient", func(t *testing.T) {
		q := authorizeQuery(challenge)
		q.Set("client_id", "noSuchClient")
		res := a.Do(rctest.Req{Path: authorizeURL + "?" + q.Encode()})
		wantOAuthError(t, res, 401, "invalid_client", "OAU-120")
	})
	t.Run("ErrMissingClientID", func(t *testing.T) {
		q := authorizeQuery(challenge)
		q.Del("client_id")
		res := a.Do(rctest.Req{Path: authorizeURL + "?" + q.Encode()})
		wantOAuthError(t, res, 400, "invalid_request", "CMN-100")
	})
	t.Run("ErrPublicClientWithoutChallenge", func(t *testing.T) {
		q := authorizeQuery("")
		q.Del("code_challenge")
		q.Del("code_challenge_method")
		p := redirectParams(t, a.Do(rctest.Req{Path: authorizeURL + "?" + q.Encode()}))
		if p.Get("error") != "invalid_request" {
			t.Errorf("error %q, want invalid_request", p.Get("error"))
		}
		if p.Get("state") != "xyz" {
			t.Errorf("state %q, want xyz", p.Get("state"))
		}
		if p.Get("code") != "" {
			t.Errorf("a code was issued: %v", p)
		}
	})
	t.Run("ErrUnsupportedResponseType", func(t *testing.T) {
		q := authorizeQuery(challenge)
		q.Set("response_type", "token")
		p := redirectParams(t, a.Do(rctest.Req{Path: authorizeURL + "?" + q.Encode()}))
		if p.Get("error") != "unsupported_response_type" {
			t.Errorf("error %q, want unsupported_response_type", p.Get("error"))
		}
	})
	t.Run("ErrDenied", func(t *testing.T) {
		f := authorizeQuery(challenge)
		f.Set("deny", "1")
		p := redirectParams(t, a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f}))
		if p.Get("error") != "access_denied" || p.Get("state") != "xyz" || p.Get("code") != "" {
			t.Errorf("redirect params %v, want error=access_denied state=xyz and no code", p)
		}
	})
	t.Run("ErrUnknownLoginAs", func(t *testing.T) {
		f := authorizeQuery(challenge)
		f.Set("login_as", "999999")
		res := a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f})
		if res.Status != 400 || res.Header.Get("Location") != "" {
			t.Errorf("status %d Location %q, want 400 without redirect", res.Status, res.Header.Get("Location"))
		}
	})
}

func TestAuthorizePasswordForm(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	verifier, challenge := pkcePair("form")
	grace := a.User(0, "102")

	t.Run("ErrWrongPasswordRerenders", func(t *testing.T) {
		f := authorizeQuery(challenge)
		f.Set("username", grace.Username)
		f.Set("password", "wrong-password")
		res := a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f})
		if res.Status != 401 {
			t.Fatalf("status %d, want 401: %s", res.Status, res.Body)
		}
		if loc := res.Header.Get("Location"); loc != "" {
			t.Errorf("redirected to %q", loc)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type %q, want text/html", ct)
		}
		body := string(res.Body)
		for _, want := range []string{"Invalid username or password.", `name="state" value="xyz"`,
			`value="` + challenge + `"`, `<form`} {
			if !strings.Contains(body, want) {
				t.Errorf("re-rendered page lacks %q", want)
			}
		}
	})
	t.Run("RightPasswordRedirectsWithCode", func(t *testing.T) {
		f := authorizeQuery(challenge)
		f.Set("username", grace.Username)
		f.Set("password", grace.Password)
		q := redirectParams(t, a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f}))
		if q.Get("state") != "xyz" || q.Get("expires_in") != "60" {
			t.Errorf("redirect params %v", q)
		}
		tok := mustToken(t, exchange(a, q.Get("code"), redirectURI, verifier))
		if tok.OwnerID != grace.ExtensionID {
			t.Errorf("owner_id %q, want %q", tok.OwnerID, grace.ExtensionID)
		}
	})
}

func TestConfidentialAppAuthorizationCode(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	f := url.Values{"client_id": {a.Creds.ClientID}, "redirect_uri": {redirectURI}, "state": {"s1"},
		"login_as": {adaID}}
	q := redirectParams(t, a.Do(rctest.Req{Method: "POST", Path: authorizeURL, Form: f}))
	res := a.TokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
		"redirect_uri": {redirectURI}})
	tok := mustToken(t, res)
	if tok.OwnerID != adaID {
		t.Errorf("owner_id %q, want %q", tok.OwnerID, adaID)
	}
	if _, err := strconv.ParseInt(tok.OwnerID, 10, 64); err != nil {
		t.Errorf("owner_id %q is not a decimal id", tok.OwnerID)
	}
}

// SDKs that share a token between threads may refresh it concurrently; the platform answers a
// retried refresh with the same pair, so every caller must end up with a live access token.
func TestConcurrentRefreshGivesOneLivePair(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	const rounds, n = 30, 8
	// A client of its own, whose spare connections are closed at the end: connections dialled
	// for the burst but never used would otherwise hold up the server's graceful shutdown.
	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	for round := 0; round < rounds; round++ {
		tok := a.Login(a.User(0, "101"))
		results := make(chan refreshResult, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			go func() {
				<-start
				results <- postRefresh(client, a, tok.RefreshToken)
			}()
		}
		close(start)
		pairs := map[string]bool{}
		for i := 0; i < n; i++ {
			r := <-results
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.status != 200 {
				t.Fatalf("round %d: concurrent refresh: status %d: %s", round, r.status, r.body)
			}
			var ti tokenInfo
			if err := json.Unmarshal(r.body, &ti); err != nil {
				t.Fatal(err)
			}
			pairs[ti.AccessToken+" "+ti.RefreshToken] = true
		}
		if len(pairs) != 1 {
			t.Errorf("round %d: %d concurrent refreshes with one refresh token gave %d different pairs, want 1",
				round, n, len(pairs))
		}
		for p := range pairs {
			access, _, _ := strings.Cut(p, " ")
			if res := getAccount(a, access); res.Status != 200 {
				t.Errorf("round %d: access token from a concurrent refresh: %d %s", round, res.Status, res.Body)
			}
		}
	}
}

func TestRevokeByOtherAppIgnored(t *testing.T) {
	t.Parallel()
	a := rctest.MustOpenApp(t)
	verifier, challenge := pkcePair("other")
	code := issueCode(t, a, challenge, graceID)
	tok := mustToken(t, exchange(a, code, redirectURI, verifier))
	// The confidential app may not end the public app's session.
	if res := revoke(a, tok.AccessToken); res.Status != 200 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	wantAccountOK(t, a, tok.AccessToken)
	// The owning app may.
	res := a.Do(rctest.Req{Method: "POST", Path: revokePath,
		Form: url.Values{"token": {tok.AccessToken}, "client_id": {publicClient}}})
	if res.Status != 200 {
		t.Fatalf("revoke by the owning app: %d %s", res.Status, res.Body)
	}
	wantAPIError(t, getAccount(a, tok.AccessToken), 401, "OAU-213")
}

type refreshResult struct {
	status int
	body   []byte
	err    error
}

func postRefresh(c *http.Client, a *rctest.App, refreshToken string) refreshResult {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, err := http.NewRequest("POST", a.URL+tokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return refreshResult{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(a.Creds.ClientID, a.Creds.ClientSecret)
	res, err := c.Do(req)
	if err != nil {
		return refreshResult{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return refreshResult{status: res.StatusCode, body: body, err: err}
}
