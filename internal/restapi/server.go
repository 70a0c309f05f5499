// Package restapi is the RingCentral conventions layer every operation goes through: request ids,
// method tunnelling, query decoding, bearer authentication, `~` resolution and access to other
// accounts and extensions, version discovery, error bodies, 404/405/413/415, panic recovery and
// request observation. Resource handlers sit behind it and never repeat any of it.
package restapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi/apierror"
	"github.com/rcemu/rcemu/internal/restapi/faults"
	"github.com/rcemu/rcemu/internal/restapi/query"
	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
)

// Authenticator turns a bearer token into the caller, or returns the 401 that fits the token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*rc.Principal, error)
}

// Entry is what the conventions layer observed of one finished request.
type Entry struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"requestId"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query,omitempty"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"errorCode,omitempty"`
	ClientID  string    `json:"clientId,omitempty"`
	SessionID string    `json:"sessionId,omitempty"`
	UserAgent string    `json:"userAgent"`
	// UserAgentHeader says where UserAgent came from: "X-User-Agent", "User-Agent" or "".
	UserAgentHeader string        `json:"userAgentHeader,omitempty"`
	Duration        time.Duration `json:"durationNs"`
	// What the graduation report reads: the operation and its throttling group and app
	// permission, the extension, the OAuth grant of a token request, a 429's Retry-After.
	Operation     string `json:"operationId,omitempty"`
	Group         string `json:"throttlingGroup,omitempty"`
	AppPermission string `json:"-"`
	ExtensionID   int64  `json:"-"`
	Grant         string `json:"grantType,omitempty"`
	RetryAfter    int    `json:"-"`
}

// Server applies the conventions to every request and dispatches to the router.
type Server struct {
	Router  *Router
	Auth    Authenticator
	Log     *slog.Logger
	Clock   rc.Clock
	MaxBody int64 // bytes; 0 means DefaultMaxBody
	// Observe, when set, is called after every non-internal request.
	Observe func(Entry)
	// Limits counts requests per throttling group; nil counts nothing.
	Limits *ratelimit.Limiter
	// Faults fails the calls its rules match; nil fails none.
	Faults *faults.Injector
}

// errDrop asks ServeHTTP to close the connection without an answer.
var errDrop = errors.New("restapi: fault: drop the connection")

// DefaultMaxBody is the platform's most common x-request-max-body-size (SMS: 10 MB).
const DefaultMaxBody = 10 << 20

type statusWriter struct {
	http.ResponseWriter
	status int
	code   string
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (WebSocket upgrades).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// NewRequestID makes an RCRequestId: a random UUID, as the platform sends.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

func (s *Server) ServeHTTP(hw http.ResponseWriter, hr *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: hw}
	req := &Request{Request: hr, ID: NewRequestID(), base: baseURL(hr), Now: s.Clock.Now()}
	h := w.Header()
	// Set directly, not through Header.Set, to keep the platform's spelling "RCRequestId".
	h["RCRequestId"] = []string{req.ID}
	h["Content-Language"] = []string{"en-US"}
	if origin := hr.Header.Get("Origin"); origin != "" {
		if cors(w, hr, origin) {
			return
		}
	}

	route, err := s.serve(w, req)
	if errors.Is(err, errDrop) {
		if conn, _, herr := http.NewResponseController(hw).Hijack(); herr == nil {
			conn.Close()
			w.status, err = 499, nil // for the request log: the client got no answer
		} else {
			// Not a connection of our own (a request over the WebSocket): the nearest failure.
			err = &rc.Error{Status: 503, Code: "CMN-201", TopCode: "CMN-201", Message: "Service Temporary Unavailable"}
		}
	}
	if err != nil {
		e := rc.AsError(err)
		if e.Status >= 500 {
			s.Log.Error("request failed", "requestId", req.ID, "method", hr.Method, "path", hr.URL.Path, "err", err)
		}
		if w.status == 0 {
			apierror.Write(w, e)
		}
		w.code = e.Code
	}
	status := w.status
	if status == 0 {
		status = 200
	}
	lvl := slog.LevelDebug
	if status >= 500 {
		lvl = slog.LevelError
	} else if status >= 400 {
		lvl = slog.LevelInfo
	}
	if s.Log.Enabled(hr.Context(), lvl) {
		s.Log.Log(hr.Context(), lvl, "request", "requestId", req.ID, "method", req.Method, "path", hr.URL.Path,
			"status", status, "errorCode", w.code, "durationMs", float64(time.Since(start).Microseconds())/1000)
	}
	if s.Observe != nil && (route == nil || !route.Internal) {
		ua, uaHeader := UserAgent(hr.Header)
		e := Entry{Time: s.Clock.Now(), RequestID: req.ID, Method: req.Method, Path: hr.URL.Path,
			Query: hr.URL.RawQuery, Status: status, ErrorCode: w.code, ClientID: req.ClientID,
			UserAgent: ua, UserAgentHeader: uaHeader, Duration: time.Since(start)}
		if req.Principal != nil {
			e.SessionID, e.ExtensionID = req.Principal.SessionID, req.Principal.ExtensionID
		}
		if route != nil {
			e.Operation, e.Group, e.AppPermission = route.Operation, route.Group, route.AppPermission
		}
		e.Grant = req.Grant
		if status == http.StatusTooManyRequests {
			e.RetryAfter, _ = strconv.Atoi(w.Header().Get("Retry-After"))
		}
		s.Observe(e)
	}
}

// cors lets browser apps call rcemu as they call the platform: any origin, the headers the SDKs
// send, and the response headers they read. It answers a preflight itself (true).
func cors(w http.ResponseWriter, r *http.Request, origin string) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "RCRequestId, Content-Language, Retry-After, X-Rate-Limit-Group, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Window")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	} else {
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-User-Agent, X-HTTP-Method-Override, Client-Id, Accept, Accept-Language")
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// UserAgent returns the agent string a client identifies itself with: X-User-Agent first (what
// browser apps and the SDKs send), then User-Agent.
func UserAgent(h http.Header) (string, string) {
	if v := h.Get("X-User-Agent"); v != "" {
		return v, "X-User-Agent"
	}
	if v := h.Get("User-Agent"); v != "" {
		return v, "User-Agent"
	}
	return "", ""
}

func (s *Server) serve(w *statusWriter, r *Request) (route *Route, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.Log.Error("handler panic", "requestId", r.ID, "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = rc.Internal()
		}
	}()

	q, err := query.Parse(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	r.Query = q
	if err := tunnel(r); err != nil {
		return nil, err
	}

	route, params, allowed := s.Router.Lookup(r.Method, r.URL.Path)
	if route == nil {
		if allowed != nil {
			e := &rc.Error{Status: 405, Code: "AGW-405", TopCode: "AGW-405",
				Message: "Method [" + r.Method + "] is not allowed for this resource",
				Header:  map[string][]string{"Allow": {strings.Join(allowed, ", ")}}}
			return nil, e
		}
		return nil, rc.PathNotFound()
	}
	r.Params = params

	max := s.MaxBody
	if max == 0 {
		max = DefaultMaxBody
	}
	if route.MaxBody > 0 {
		max = route.MaxBody
	}
	if r.ContentLength > max {
		return route, TooLarge(max)
	}
	r.Body = http.MaxBytesReader(w, r.Body, max)

	if !route.Public {
		if err := s.authenticate(r); err != nil {
			return route, err
		}
		if !r.Principal.Permitted(route.AppPermission) {
			return route, rc.AppPermission(route.AppPermission)
		}
		if err := resolve(r, route); err != nil {
			return route, err
		}
		if !r.Principal.UserPermitted(route.UserPermission) {
			return route, userPermission(route.UserPermission)
		}
	}
	if err := s.throttle(w, r, route); err != nil {
		return route, err
	}
	if err := s.fault(r, route); err != nil {
		return route, err
	}
	return route, route.Handler(w, r)
}

// fault applies the first fault rule that matches the call: a delay, then an error answer or a
// dropped connection (or, after a delay alone, the call as usual).
func (s *Server) fault(r *Request, route *Route) error {
	if s.Faults == nil || route.Internal || s.Faults.Empty() {
		return nil
	}
	app, _ := caller(r)
	f, ok := s.Faults.Match(r.Method, r.URL.Path, route.Operation, app)
	if !ok {
		return nil
	}
	if d := f.Latency(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return r.Context().Err()
		}
	}
	switch {
	case f.Drop:
		return errDrop
	case f.Status != 0:
		e := &rc.Error{Status: f.Status, Code: f.ErrorCode, TopCode: f.ErrorCode, Message: f.Message}
		if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
			e.Header = map[string][]string{"Retry-After": {"60"}}
		}
		return e
	}
	return nil
}

// caller is the app and extension a request counts for: the token's, or for the OAuth
// endpoints (before a user is known) the app of the Basic credentials or the form's client_id.
func caller(r *Request) (string, int64) {
	if p := r.Principal; p != nil {
		return p.ClientID, p.ExtensionID
	}
	if id, _, ok := r.BasicAuth(); ok {
		return id, 0
	}
	return r.Form.Get("client_id"), 0
}

// throttle counts the request in its operation's throttling group, per app and user (per app
// for the OAuth endpoints, which come before a user is known), sets the X-Rate-Limit headers and
// refuses it with 429 CMN-301 when the limiter says so.
func (s *Server) throttle(w http.ResponseWriter, r *Request, route *Route) error {
	if s.Limits == nil || route.Group == "" {
		return nil
	}
	app, ext := caller(r)
	d, ok := s.Limits.Take(app, ext, route.Operation, route.Group)
	if !ok {
		return nil
	}
	h := w.Header()
	if d.Refuse {
		h = http.Header{}
	}
	g := d.Group
	h["X-Rate-Limit-Group"] = []string{g.Header}
	h["X-Rate-Limit-Limit"] = []string{g.LimitHeader}
	h["X-Rate-Limit-Remaining"] = []string{strconv.Itoa(d.Remaining)}
	h["X-Rate-Limit-Window"] = []string{g.WindowHeader}
	if !d.Refuse {
		return nil
	}
	h["Retry-After"] = []string{strconv.Itoa(int(d.RetryAfter / time.Second))}
	return &rc.Error{Status: http.StatusTooManyRequests, Code: "CMN-301", TopCode: "CMN-301",
		Message: "Request rate exceeded", Header: map[string][]string(h)}
}

// tunnel applies X-HTTP-Method-Override or ?_method= to a POST. Both present and different is
// a 400, as the platform documents.
func tunnel(r *Request) error {
	if r.Method != http.MethodPost {
		return nil
	}
	hdrs := r.Header.Values("X-HTTP-Method-Override")
	hdr := ""
	for _, v := range hdrs {
		// Repeated headers, or one with a comma-joined list, must agree: which one a proxy on the
		// way honours is not known.
		for _, m := range strings.Split(v, ",") {
			m = strings.ToUpper(strings.TrimSpace(m))
			if hdr != "" && m != hdr {
				e := rc.Invalid("X-HTTP-Method-Override")
				e.Message = "Header X-HTTP-Method-Override has conflicting values [" + hdr + ", " + m + "]"
				return e
			}
			hdr = m
		}
	}
	qm := strings.ToUpper(strings.TrimSpace(r.Query.Get("_method")))
	if hdr != "" && qm != "" && hdr != qm {
		e := rc.Invalid("_method")
		e.Message = "Parameter [_method] value [" + qm + "] conflicts with header X-HTTP-Method-Override [" + hdr + "]"
		return e
	}
	m := hdr
	param := "X-HTTP-Method-Override"
	if m == "" {
		m, param = qm, "_method"
	}
	if m == "" {
		return nil
	}
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		r.Method = m
		r.Query.Del("_method")
		return nil
	}
	return rc.Invalid(param)
}

func (s *Server) authenticate(r *Request) error {
	var token string
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(auth), " ")
		if !strings.EqualFold(scheme, "bearer") {
			return rc.Unauthorized("OAU-151", "Authorization method not supported")
		}
		token = strings.TrimSpace(rest)
		if token == "" {
			return rc.Unauthorized("OAU-134", "Invalid Authorization header.")
		}
	} else if t := r.Query.Get("access_token"); t != "" {
		token = t
	} else {
		return rc.Unauthorized("OAU-123", "Authorization header is not specified")
	}
	p, err := s.Auth.Authenticate(r.Context(), token)
	if err != nil {
		return err
	}
	r.Principal = p
	r.ClientID = p.ClientID
	return nil
}

// resolve turns {accountId} and {extensionId} into ids, `~` meaning the caller's own, and applies
// the platform's access rules: another account's resources do not exist for the caller (404),
// another extension's are for administrators only (403 CMN-419).
func resolve(r *Request, route *Route) error {
	p := r.Principal
	for _, prm := range r.Params {
		switch prm.Name {
		case "accountId":
			id, err := pathID(prm.Value, p.AccountID, "accountId")
			if err != nil {
				return err
			}
			if id != p.AccountID {
				return rc.NotFound("accountId")
			}
			r.AccountID = id
		case "extensionId":
			id, err := pathID(prm.Value, p.ExtensionID, "extensionId")
			if err != nil {
				return err
			}
			if id != p.ExtensionID && !p.Admin && !route.OtherExtensionAllowed {
				perm := route.Permission
				if perm == "" {
					perm = "ReadExtensions"
				}
				return rc.OtherExtension(perm)
			}
			r.ExtensionID = id
		}
	}
	return nil
}

// userPermission is the refusal of a role that lacks what an operation needs, naming the first
// of its alternatives.
func userPermission(need string) error {
	first, _, _ := strings.Cut(need, " OR ")
	if first == "AccountAdministration" {
		return rc.AdminRequired()
	}
	return rc.UserPermission(first)
}

func pathID(v string, own int64, name string) (int64, error) {
	if v == "~" {
		return own, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, rc.Invalid(name)
	}
	return id, nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}
