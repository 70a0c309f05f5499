package rc

import "time"

// Grant types the token endpoint knows.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
	GrantJWT               = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantPartnerJWT        = "partner_jwt"
)

// App is a registered client application.
type App struct {
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret,omitempty"` // empty for a public client
	Name         string   `json:"name"`
	Grants       []string `json:"grants"`
	RedirectURIs []string `json:"redirectUris"`
	Scopes       []string `json:"scopes"`
}

// Public reports whether the app authenticates without a secret (PKCE).
func (a App) Public() bool { return a.ClientSecret == "" }

// Allows reports whether grant is enabled for the app.
func (a App) Allows(grant string) bool {
	for _, g := range a.Grants {
		if g == grant {
			return true
		}
	}
	return false
}

// UserCredential is how a seeded user logs in: a password and a JWT credential.
type UserCredential struct {
	ExtensionID int64  `json:"extensionId"`
	AccountID   int64  `json:"accountId"`
	Username    string `json:"username"` // E.164 number or email
	Password    string `json:"password"`
	JWT         string `json:"jwt"`
}

// Session is one OAuth session: the tokens a login and its refreshes issue. Revoking it ends all.
type Session struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"clientId"`
	AccountID   int64     `json:"accountId"`
	ExtensionID int64     `json:"extensionId"`
	Scope       string    `json:"scope"`
	CreatedAt   time.Time `json:"createdAt"`
	Revoked     bool      `json:"revoked"`
}

// Token is an access or refresh token of a session.
type Token struct {
	Token     string    `json:"token"`
	Kind      string    `json:"kind"` // "access" or "refresh"
	SessionID string    `json:"sessionId"`
	ExpiresAt time.Time `json:"expiresAt"`
	Retired   bool      `json:"retired"`
	RetiredAt time.Time `json:"retiredAt"`
	// Successor is "access refresh": the pair a refresh with this refresh token issued, so that a
	// retried refresh returns the same pair for a short while, as the platform does.
	Successor string `json:"successor,omitempty"`
}

// AuthCode is an authorization code issued by the authorize page.
type AuthCode struct {
	Code          string    `json:"code"`
	ClientID      string    `json:"clientId"`
	AccountID     int64     `json:"accountId"`
	ExtensionID   int64     `json:"extensionId"`
	RedirectURI   string    `json:"redirectUri"`
	Challenge     string    `json:"challenge,omitempty"`
	ChallengeMeth string    `json:"challengeMethod,omitempty"`
	ExpiresAt     time.Time `json:"expiresAt"`
	Used          bool      `json:"used"`
}

// Principal is the authenticated caller of an API request.
type Principal struct {
	AccountID   int64
	ExtensionID int64
	ClientID    string
	SessionID   string
	Admin       bool
	// Role is the user's role, which decides the operations' user permissions.
	Role   Role
	Scopes []string
	// AllPermissions is true for a token of an app that lists no permissions: it may call
	// every operation, as rcemu's seeded apps do.
	AllPermissions bool
	ExpiresAt      time.Time
}

// UserPermitted says the caller's role grants permission (x-user-permission).
func (p *Principal) UserPermitted(permission string) bool { return p.Role.Allows(permission) }

// Permitted says the caller's app may call an operation that needs permission.
func (p *Principal) Permitted(permission string) bool {
	if permission == "" || p.AllPermissions {
		return true
	}
	for _, s := range p.Scopes {
		if s == permission {
			return true
		}
	}
	return false
}
