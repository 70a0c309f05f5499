package rc

import (
	"encoding/base64"
	"encoding/json"
)

// maxToken bounds a decoded token: a client's garbage is refused before it is parsed.
const maxToken = 4096

// EncodeToken makes an opaque token (sync tokens, page tokens) of a small state: its JSON,
// base64url without padding.
func EncodeToken(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeToken reads a token EncodeToken made into v; false for anything else.
func DecodeToken(tok string, v any) bool {
	if len(tok) > maxToken*4/3+4 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil && json.Unmarshal(b, v) == nil
}
