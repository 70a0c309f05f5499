package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rcemu/rcemu/internal/rc"
)

// Opaque tokens are 24 random bytes and an 8-byte HMAC tag, base64url-encoded. The tag lets the
// emulator tell a token that was never issued by it (corrupted, OAU-129) from one it issued and
// no longer knows (OAU-213), as the platform distinguishes them.
const (
	tokenRandom = 24
	tokenTag    = 8
	tokenLen    = 43 // base64url, no padding, of 32 bytes
)

var b64 = base64.RawURLEncoding

func newToken(key []byte) string {
	var b [tokenRandom + tokenTag]byte
	_, _ = rand.Read(b[:tokenRandom])
	m := hmac.New(sha256.New, key)
	m.Write(b[:tokenRandom])
	copy(b[tokenRandom:], m.Sum(nil))
	return b64.EncodeToString(b[:])
}

// checkToken classifies a presented token's form: nil when it carries a valid tag.
func checkToken(key []byte, tok string) *rc.Error {
	if len(tok) != tokenLen {
		return rc.Unauthorized("OAU-149", "Unparsable access token")
	}
	b, err := b64.DecodeString(tok)
	if err != nil {
		return rc.Unauthorized("OAU-149", "Unparsable access token")
	}
	m := hmac.New(sha256.New, key)
	m.Write(b[:tokenRandom])
	if !hmac.Equal(m.Sum(nil)[:tokenTag], b[tokenRandom:]) {
		return rc.Unauthorized("OAU-129", "Access token corrupted.")
	}
	return nil
}

// jwtIssuer and jwtAudience mark the JWT credentials rcemu issues.
const (
	jwtIssuer   = "rcemu"
	jwtAudience = "rcemu/restapi/oauth/token"
)

// MintUserJWT makes a user's JWT credential, signed with the seed's key. It carries no expiry
// and a fixed issue time, like a platform credential created once in the developer console, so
// that the same seed always yields the same credential.
func MintUserJWT(key string, c rc.UserCredential, issuedAt int64) (string, error) {
	sub := strconv.FormatInt(c.ExtensionID, 10)
	claims := jwt.MapClaims{
		"iss": jwtIssuer,
		"aud": jwtAudience,
		"sub": sub,
		"iat": issuedAt,
		"jti": "rcemu-" + sub + "-" + strconv.FormatInt(c.AccountID, 10),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
}

var errBadAssertion = errors.New("invalid JWT assertion")

// parseUserJWT verifies a JWT credential and returns the extension id it names.
func parseUserJWT(key, assertion string) (int64, error) {
	tok, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return []byte(key), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(jwtIssuer), jwt.WithAudience(jwtAudience))
	if err != nil || !tok.Valid {
		return 0, errBadAssertion
	}
	sub, err := tok.Claims.GetSubject()
	if err != nil {
		return 0, errBadAssertion
	}
	id, err := strconv.ParseInt(sub, 10, 64)
	if err != nil {
		return 0, errBadAssertion
	}
	return id, nil
}
