package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/store"
)

//go:embed authorize.html
var authorizeHTML string

var authorizeTmpl = template.Must(template.New("authorize").Parse(authorizeHTML))

func pkceMatches(method, challenge, verifier string) bool {
	var got string
	switch method {
	case "S256":
		sum := sha256.Sum256([]byte(verifier))
		got = b64.EncodeToString(sum[:])
	case "", "plain":
		got = verifier
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// authRequest is a checked authorize request.
type authRequest struct {
	App                 rc.App
	RedirectURI         string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

type pageUser struct {
	ExtensionID     int64
	Name            string
	ExtensionNumber string
	Username        string
	Company         string
}

type pageData struct {
	Req   authRequest
	Users []pageUser
	Error string
}

// checkAuthorize validates what must be right before the browser can be sent back: the app and
// the redirect URI (a bad one is answered here, never redirected to). Errors the redirect can
// carry come back as a non-empty oauthErr.
func (s *Service) checkAuthorize(ctx context.Context, q url.Values) (authRequest, string, error) {
	id := q.Get("client_id")
	if id == "" {
		return authRequest{}, "", oauthMissing("client_id")
	}
	app, err := s.store.App(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return authRequest{}, "", rc.OAuthError(401, "invalid_client", "OAU-120", "Wrong Application ID")
	}
	if err != nil {
		return authRequest{}, "", err
	}
	ar := authRequest{App: app, State: q.Get("state"), CodeChallenge: q.Get("code_challenge"),
		CodeChallengeMethod: q.Get("code_challenge_method")}
	switch ru := q.Get("redirect_uri"); {
	case ru != "" && slices.Contains(app.RedirectURIs, ru):
		ar.RedirectURI = ru
	case ru != "":
		return ar, "", rc.OAuthError(400, "invalid_request", "OAU-109", "Redirect URIs do not match")
	case len(app.RedirectURIs) == 1:
		ar.RedirectURI = app.RedirectURIs[0]
	case len(app.RedirectURIs) == 0:
		return ar, "", rc.OAuthError(400, "invalid_request", "OAU-113", "No redirect uri is registered for the client")
	default:
		return ar, "", oauthMissing("redirect_uri")
	}
	if q.Get("response_type") != "code" {
		return ar, "unsupported_response_type", nil
	}
	if !app.Allows(rc.GrantAuthorizationCode) {
		return ar, "unauthorized_client", nil
	}
	switch ar.CodeChallengeMethod {
	case "", "plain", "S256":
	default:
		return ar, "invalid_request", nil
	}
	if app.Public() && ar.CodeChallenge == "" {
		return ar, "invalid_request", nil // a public client must use PKCE
	}
	return ar, "", nil
}

func redirectWith(w http.ResponseWriter, r *restapi.Request, target string, params url.Values) error {
	u, err := url.Parse(target)
	if err != nil {
		return rc.OAuthError(400, "invalid_request", "OAU-109", "Redirect URIs do not match")
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r.Request, u.String(), http.StatusFound)
	return nil
}

func (s *Service) users(ctx context.Context) ([]pageUser, error) {
	creds, err := s.store.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	var out []pageUser
	for _, c := range creds {
		ext, err := s.store.Extension(ctx, c.AccountID, c.ExtensionID)
		if err != nil {
			continue
		}
		out = append(out, pageUser{ExtensionID: ext.ID, Name: ext.Name, ExtensionNumber: ext.ExtensionNumber,
			Username: c.Username, Company: ext.Contact.Company})
	}
	return out, nil
}

func (s *Service) renderPage(w http.ResponseWriter, r *restapi.Request, status int, ar authRequest, msg string) error {
	users, err := s.users(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return authorizeTmpl.Execute(w, pageData{Req: ar, Users: users, Error: msg})
}

func queryValues(r *restapi.Request) url.Values {
	v := url.Values{}
	for _, k := range r.Query.Keys() {
		v[k] = r.Query.All(k)
	}
	return v
}

// formValues is the query with the parsed body form over it, for clients that put some
// parameters in the URL; r.ParseForm must have run.
func formValues(r *restapi.Request) url.Values {
	f := queryValues(r)
	for k, vs := range r.PostForm {
		f[k] = vs
	}
	return f
}

func (s *Service) handleAuthorizePage(w http.ResponseWriter, r *restapi.Request) error {
	ar, oauthErr, err := s.checkAuthorize(r.Context(), queryValues(r))
	if err != nil {
		return err
	}
	if oauthErr != "" {
		return redirectWith(w, r, ar.RedirectURI, url.Values{"error": {oauthErr}, "state": {ar.State}})
	}
	return s.renderPage(w, r, 200, ar, "")
}

// handleAuthorizeSubmit takes the login form: a seeded user picked from the list, or a username
// and password; "deny" sends the browser back with access_denied.
func (s *Service) handleAuthorizeSubmit(w http.ResponseWriter, r *restapi.Request) error {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		return rc.OAuthError(400, "invalid_request", "CMN-104", "Cannot parse request")
	}
	f := formValues(r)
	f.Set("response_type", "code")
	ar, oauthErr, err := s.checkAuthorize(ctx, f)
	if err != nil {
		return err
	}
	if oauthErr != "" {
		return redirectWith(w, r, ar.RedirectURI, url.Values{"error": {oauthErr}, "state": {ar.State}})
	}
	if f.Get("deny") != "" {
		return redirectWith(w, r, ar.RedirectURI, url.Values{"error": {"access_denied"}, "state": {ar.State}})
	}
	var cred rc.UserCredential
	if as := f.Get("login_as"); as != "" {
		id, err := strconv.ParseInt(as, 10, 64)
		if err == nil {
			cred, err = s.store.Credential(ctx, id)
		}
		if err != nil {
			return s.renderPage(w, r, 400, ar, "Unknown user.")
		}
	} else {
		creds, err := s.store.CredentialsByUsername(ctx, f.Get("username"))
		if err != nil {
			return err
		}
		ok := false
		for _, c := range creds {
			if c.Password != "" && subtle.ConstantTimeCompare([]byte(c.Password), []byte(f.Get("password"))) == 1 {
				cred, ok = c, true
				break
			}
		}
		if !ok {
			return s.renderPage(w, r, 401, ar, "Invalid username or password.")
		}
	}
	code := newToken(s.key().Token)
	c := rc.AuthCode{Code: code, ClientID: ar.App.ClientID, AccountID: cred.AccountID, ExtensionID: cred.ExtensionID,
		RedirectURI: f.Get("redirect_uri"), Challenge: ar.CodeChallenge, ChallengeMeth: ar.CodeChallengeMethod,
		ExpiresAt: s.clock.Now().Add(AuthCodeTTL)}
	if err := s.store.PutAuthCode(ctx, c); err != nil {
		return err
	}
	params := url.Values{"code": {code}, "expires_in": {strconv.Itoa(int(AuthCodeTTL.Seconds()))}}
	if ar.State != "" {
		params.Set("state", ar.State)
	}
	return redirectWith(w, r, ar.RedirectURI, params)
}
