package restapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi/apierror"
	"github.com/rcemu/rcemu/internal/restapi/query"
)

// Handler serves one operation. It writes its success response itself (JSON, Redirect, NoContent
// or anything else) and returns errors, which the conventions layer writes in RingCentral form.
type Handler func(w http.ResponseWriter, r *Request) error

// Request is an API request after the conventions layer has handled it: the effective method,
// the decoded query, the matched path parameters and the authenticated caller with `~` resolved.
type Request struct {
	*http.Request
	ID        string
	Query     query.Values
	Params    []Param
	Principal *rc.Principal
	// AccountID and ExtensionID are the resolved {accountId} and {extensionId}, when present.
	AccountID   int64
	ExtensionID int64
	// ClientID is the calling app, as authentication found it; OAuth handlers set it themselves.
	ClientID string
	// Grant is the OAuth grant type of a token request, which its handler notes for the report.
	Grant string
	// Now is the emulator's time when the request arrived; one request sees one instant.
	Now  time.Time
	base string
}

// Param returns the raw value of a path parameter.
func (r *Request) Param(name string) string {
	for _, p := range r.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Base is this server's absolute base URL as the client addressed it ("http://127.0.0.1:8080").
func (r *Request) Base() string { return r.base }

// URI makes an absolute URI on this server from a path.
func (r *Request) URI(path string) string { return r.base + path }

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && isJSONMediaType(mt)
}

// isJSONMediaType accepts application/json and any application type with the +json
// structured-syntax suffix (RFC 6839).
func isJSONMediaType(mt string) bool {
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// DecodeJSON reads a JSON body into v. Wrong media type → 415; too large → 413; unparsable →
// CMN-103; a field of the wrong type → CMN-101 naming it.
func (r *Request) DecodeJSON(v any) error {
	body, err := r.jsonBody()
	if err != nil {
		return err
	}
	return decodeJSONBytes(body, v)
}

// DecodeOptionalJSON is DecodeJSON for operations whose body may be left out: an empty body
// leaves v as it is and reports false.
func (r *Request) DecodeOptionalJSON(v any) (bool, error) {
	body, err := r.jsonBody()
	if err != nil || len(body) == 0 {
		return false, err
	}
	return true, decodeJSONBytes(body, v)
}

// jsonBody reads a body declared as JSON, or not declared at all, as SDKs send JSON by default.
func (r *Request) jsonBody() ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return nil, UnsupportedMediaType(ct)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, ReadError(err)
	}
	return bytes.TrimSpace(body), nil
}

// ReadError is the error for a request body that could not be read: 413 when it went over the
// limit the conventions layer set, CMN-104 for anything else.
func ReadError(err error) *rc.Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return TooLarge(mbe.Limit)
	}
	return rc.CannotParse()
}

// decodeJSONBytes maps JSON failures to the platform's errors: CMN-103 for unparsable JSON,
// CMN-101 naming the field for a value of the wrong type.
func decodeJSONBytes(body []byte, v any) error {
	if len(body) == 0 {
		return rc.BadJSON()
	}
	if err := CheckJSONShape(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return rc.Invalid(te.Field)
		}
		return rc.BadJSON()
	}
	return nil
}

// MaxJSONDepth bounds the nesting of a JSON body: no RingCentral body nests deeper than a dozen
// levels, and a hostile one ten thousand deep costs the decoder's stack and time.
const MaxJSONDepth = 64

// CheckJSONShape refuses, before decoding, a body whose top level is not an object or array (a
// bare `null` would decode into nothing and change a resource with no fields: 400 naming the
// body) and one nested deeper than MaxJSONDepth (CMN-103).
func CheckJSONShape(body []byte) error {
	switch body[0] {
	case '{', '[':
	default:
		if !json.Valid(body) {
			return rc.BadJSON()
		}
		e := rc.Invalid("body")
		e.Message = "Request body must be a JSON object"
		return e
	}
	depth := 0
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > MaxJSONDepth {
				e := rc.BadJSON()
				e.Message = "JSON can't be parsed: nested deeper than " + strconv.Itoa(MaxJSONDepth) + " levels"
				return e
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// UnsupportedMediaType is the 415 for a body of a type the operation does not take.
func UnsupportedMediaType(ct string) *rc.Error {
	return &rc.Error{Status: 415, Code: "AGW-415", TopCode: "AGW-415",
		Message: "Unsupported media type [" + ct + "]"}
}

// TooLarge is the 413 for a body over the limit.
func TooLarge(limit int64) *rc.Error {
	return &rc.Error{Status: 413, Code: "AGW-413", TopCode: "AGW-413",
		Message: "Request entity too large: the limit is " + strconv.FormatInt(limit, 10) + " bytes"}
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Marshal encodes v as JSON writes it, for a body kept and sent again with RawJSON.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil
}

// RawJSON writes an encoded JSON body.
func RawJSON(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h["Content-Type"] = []string{apierror.ContentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// JSON writes v with status and the platform's content type.
func JSON(w http.ResponseWriter, status int, v any) error {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<16 { // do not keep the buffers of rare large bodies
			buf.Reset()
			buffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // URIs keep their '&' as the platform sends them
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := buf.Bytes()
	b = b[:len(b)-1] // Encode's trailing newline
	h := w.Header()
	h["Content-Type"] = []string{apierror.ContentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// NoContent writes 204.
func NoContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
