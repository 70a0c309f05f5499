// Package wsg is the WebSocket gateway as the platform's SDKs (@rc-ex/ws, @ringcentral/
// subscriptions) speak to it: POST /restapi/oauth/wstoken hands out a single-use token and a
// ws:// URI on this server; the socket opens with a ConnectionDetails frame; clients send REST
// requests as ClientRequest frames (subscriptions made that way are delivered on the socket as
// ServerNotification frames); Heartbeat frames are answered; a session dropped within the
// recovery window can be resumed with its wsc token, missed notifications replayed.
package wsg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
)

// Settings the ConnectionDetails frame announces.
const (
	TokenTTL           = 60 * time.Second
	RecoveryTimeout    = 180 * time.Second
	RecoveryBufferSize = 100
	IdleTimeout        = 1800 * time.Second
	AbsoluteTimeout    = 86400 * time.Second
	MaxActiveRequests  = 10
)

// Gateway holds WebSocket sessions.
type Gateway struct {
	Notify  *notify.Service
	Clock   rc.Clock
	Log     *slog.Logger
	Handler http.Handler // the REST API, for ClientRequest frames

	mu       sync.Mutex
	tokens   map[string]wsToken
	sessions map[string]*session // wsc token → session
}

type wsToken struct {
	principal   *rc.Principal
	accessToken string
	expires     time.Time
}

type session struct {
	id          string // also the wsc token
	principal   *rc.Principal
	accessToken string
	base        string // the server's URL as the client reached it, for the uris of REST answers
	created     time.Time

	mu       sync.Mutex
	conn     *websocket.Conn
	sequence int
	missed   [][]byte  // frames sent while disconnected, up to RecoveryBufferSize
	lost     time.Time // when the socket went away; zero while connected
	// replaying holds new notifications back behind the missed ones being replayed.
	replaying bool
	closed    chan struct{}
}

// New builds a gateway and connects it to the notification service.
func New(n *notify.Service, clock rc.Clock, log *slog.Logger) *Gateway {
	g := &Gateway{Notify: n, Clock: clock, Log: log, tokens: map[string]wsToken{}, sessions: map[string]*session{}}
	n.WS = g.deliver
	return g
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Register adds POST /restapi/oauth/wstoken and GET /ws.
func (g *Gateway) Register(rt *restapi.Router) {
	rt.Handle("POST", "/restapi/oauth/wstoken", g.handleToken, restapi.Options{})
	rt.Handle("GET", "/ws", g.handleSocket, restapi.Options{Public: true})
}

func (g *Gateway) handleToken(w http.ResponseWriter, r *restapi.Request) error {
	_, access, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if access == "" {
		access = r.Query.Get("access_token")
	}
	tok := randomToken(32)
	g.mu.Lock()
	now := g.Clock.Now()
	for k, t := range g.tokens {
		if now.After(t.expires) {
			delete(g.tokens, k)
		}
	}
	g.tokens[tok] = wsToken{principal: r.Principal, accessToken: strings.TrimSpace(access), expires: now.Add(TokenTTL)}
	g.mu.Unlock()
	scheme := "ws"
	if strings.HasPrefix(r.Base(), "https:") {
		scheme = "wss"
	}
	host := strings.TrimPrefix(strings.TrimPrefix(r.Base(), "https://"), "http://")
	return restapi.JSON(w, 200, map[string]any{"ws_access_token": tok, "uri": scheme + "://" + host + "/ws",
		"expires_in": int(TokenTTL.Seconds())})
}

type meta struct {
	Type      string            `json:"type"`
	MessageID string            `json:"messageId,omitempty"`
	Status    int               `json:"status,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	WSC       *wsc              `json:"wsc,omitempty"`
	Method    string            `json:"method,omitempty"`
	Path      string            `json:"path,omitempty"`
	Query     map[string]any    `json:"query,omitempty"`
}

type wsc struct {
	Token    string `json:"token"`
	Sequence int    `json:"sequence"`
}

func frame(m meta, body any) []byte {
	parts := []any{m}
	if body != nil {
		parts = append(parts, body)
	}
	b, _ := json.Marshal(parts)
	return b
}

func errorFrame(code, msg string) []byte {
	return frame(meta{Type: "Error", MessageID: restapi.NewRequestID(), Status: 400,
		Headers: map[string]string{"RCRequestId": restapi.NewRequestID()}},
		map[string]string{"errorCode": code, "message": msg})
}

func (g *Gateway) handleSocket(w http.ResponseWriter, r *restapi.Request) error {
	c, err := websocket.Accept(w, r.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil // Accept has answered
	}
	c.SetReadLimit(1 << 20)
	ctx := context.WithoutCancel(r.Context())
	// A token opens sockets until it expires: @rc-ex/ws keeps it to reconnect after a drop.
	g.mu.Lock()
	tok, ok := g.tokens[r.Query.Get("access_token")]
	g.mu.Unlock()
	if !ok || g.Clock.Now().After(tok.expires) {
		_ = c.Write(ctx, websocket.MessageText, errorFrame("WSG-401", "Invalid or expired WebSocket access token"))
		c.Close(websocket.StatusPolicyViolation, "invalid token")
		return nil
	}
	s, details, err := g.open(r.Query.Get("wsc"), tok, r.Base())
	if err != nil {
		_ = c.Write(ctx, websocket.MessageText, errorFrame("WSG-400", "Malformed WebSocket session context token"))
		c.Close(websocket.StatusPolicyViolation, "malformed wsc")
		return nil
	}
	s.attach(c)
	connected := frame(meta{Type: "ConnectionDetails", MessageID: restapi.NewRequestID(), Status: 200,
		WSC: &wsc{Token: s.id, Sequence: s.next()}, Headers: map[string]string{"RCRequestId": restapi.NewRequestID()}}, details)
	if err := c.Write(ctx, websocket.MessageText, connected); err != nil {
		g.detach(s, c)
		return nil
	}
	s.replay(ctx)
	g.serve(ctx, s, c)
	return nil
}

// open starts a session, or resumes the one a wsc token names.
func (g *Gateway) open(wscToken string, tok wsToken, base string) (*session, map[string]any, error) {
	details := map[string]any{"creationTime": rc.FormatTime(g.Clock.Now()), "maxConnectionsPerSession": 50,
		"recoveryBufferSize": RecoveryBufferSize, "recoveryTimeout": int(RecoveryTimeout.Seconds()),
		"idleTimeout": int(IdleTimeout.Seconds()), "absoluteTimeout": int(AbsoluteTimeout.Seconds()),
		"maxActiveRequests": MaxActiveRequests}
	newSession := func() *session {
		s := &session{id: randomToken(24), principal: tok.principal, accessToken: tok.accessToken, created: g.Clock.Now(),
			base: base, closed: make(chan struct{})}
		g.mu.Lock()
		g.sessions[s.id] = s
		g.mu.Unlock()
		return s
	}
	if wscToken == "" {
		return newSession(), details, nil
	}
	g.mu.Lock()
	old, ok := g.sessions[wscToken]
	g.mu.Unlock()
	if !ok {
		if len(wscToken) != 32 {
			return nil, nil, errors.New("malformed wsc")
		}
		details["recoveryState"], details["recoveryErrorCode"] = "Failed", "WSG-1005"
		return newSession(), details, nil
	}
	if old.principal.SessionID != tok.principal.SessionID {
		details["recoveryState"], details["recoveryErrorCode"] = "Failed", "WSG-1003"
		return newSession(), details, nil
	}
	old.mu.Lock()
	expired := !old.lost.IsZero() && g.Clock.Now().Sub(old.lost) > RecoveryTimeout
	old.mu.Unlock()
	if expired {
		g.end(old)
		details["recoveryState"], details["recoveryErrorCode"] = "Failed", "WSG-1005"
		return newSession(), details, nil
	}
	old.mu.Lock()
	old.accessToken, old.base = tok.accessToken, base
	old.mu.Unlock()
	details["recoveryState"] = "Successful"
	return old, details, nil
}

func (s *session) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sequence++
	return s.sequence
}

func (s *session) attach(c *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn, s.lost = c, time.Time{}
	s.replaying = len(s.missed) > 0
}

func (g *Gateway) detach(s *session, c *websocket.Conn) {
	s.mu.Lock()
	if s.conn == c {
		s.conn, s.lost = nil, g.Clock.Now()
	}
	s.mu.Unlock()
	go g.expireLater(s)
}

// expireLater ends a session whose socket did not come back within the recovery window.
func (g *Gateway) expireLater(s *session) {
	t := time.NewTimer(RecoveryTimeout)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closed:
		return
	}
	s.mu.Lock()
	gone := s.conn == nil
	s.mu.Unlock()
	if gone {
		g.end(s)
	}
}

func (g *Gateway) end(s *session) {
	g.mu.Lock()
	if g.sessions[s.id] != s {
		g.mu.Unlock()
		return
	}
	delete(g.sessions, s.id)
	g.mu.Unlock()
	close(s.closed)
	g.Notify.DropSession(context.Background(), s.id)
}

// replayDelay lets a client attach its listeners after ConnectionDetails before the missed
// notifications come (@rc-ex/ws re-attaches its subscription's listener only then).
const replayDelay = 250 * time.Millisecond

// replay sends, in order, what was missed while the socket was away, and anything that arrives
// meanwhile.
func (s *session) replay(ctx context.Context) {
	s.mu.Lock()
	pending := s.replaying
	s.mu.Unlock()
	if !pending {
		return
	}
	go func() {
		time.Sleep(replayDelay)
		for {
			s.mu.Lock()
			missed, c := s.missed, s.conn
			s.missed = nil
			if len(missed) == 0 || c == nil {
				s.replaying = false
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			for _, f := range missed {
				if c.Write(ctx, websocket.MessageText, f) != nil {
					return
				}
			}
		}
	}()
}

// deliver is the notification service's way into a session.
func (g *Gateway) deliver(id string, notification []byte) bool {
	g.mu.Lock()
	s := g.sessions[id]
	g.mu.Unlock()
	if s == nil {
		return false
	}
	f := frame(meta{Type: "ServerNotification", MessageID: restapi.NewRequestID(), Status: 200,
		Headers: map[string]string{"RCRequestId": restapi.NewRequestID()}, WSC: &wsc{Token: s.id, Sequence: s.next()}},
		json.RawMessage(notification))
	s.mu.Lock()
	c := s.conn
	if c == nil || s.replaying {
		if len(s.missed) < RecoveryBufferSize {
			s.missed = append(s.missed, f)
		}
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, f); err != nil {
		s.mu.Lock()
		if len(s.missed) < RecoveryBufferSize {
			s.missed = append(s.missed, f)
		}
		s.mu.Unlock()
	}
	return true
}

// serve reads the client's frames until the socket closes.
func (g *Gateway) serve(ctx context.Context, s *session, c *websocket.Conn) {
	defer g.detach(s, c)
	for {
		readCtx, cancel := context.WithTimeout(ctx, IdleTimeout)
		_, data, err := c.Read(readCtx)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				_ = c.Write(ctx, websocket.MessageText, errorFrame("WSG-902", "Idle timeout expired"))
				c.Close(websocket.StatusNormalClosure, "idle")
			}
			return
		}
		var parts []json.RawMessage
		if json.Unmarshal(data, &parts) != nil || len(parts) == 0 {
			_ = c.Write(ctx, websocket.MessageText, errorFrame("WSG-400", "Malformed message"))
			continue
		}
		var m meta
		if json.Unmarshal(parts[0], &m) != nil {
			_ = c.Write(ctx, websocket.MessageText, errorFrame("WSG-400", "Malformed message"))
			continue
		}
		switch m.Type {
		case "Heartbeat":
			_ = c.Write(ctx, websocket.MessageText, frame(meta{Type: "Heartbeat", MessageID: m.MessageID}, nil))
		case "ClientRequest":
			var body json.RawMessage
			if len(parts) > 1 {
				body = parts[1]
			}
			_ = c.Write(ctx, websocket.MessageText, g.request(ctx, s, m, body))
		default:
			_ = c.Write(ctx, websocket.MessageText, errorFrame("WSG-400", "Unknown message type ["+m.Type+"]"))
		}
	}
}

// request runs a ClientRequest through the REST API as the session's user.
func (g *Gateway) request(ctx context.Context, s *session, m meta, body json.RawMessage) []byte {
	path := m.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if len(m.Query) > 0 {
		q := make([]string, 0, len(m.Query))
		for k, v := range m.Query {
			switch vv := v.(type) {
			case []any:
				for _, x := range vv {
					q = append(q, encodePair(k, x))
				}
			default:
				q = append(q, encodePair(k, vv))
			}
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + strings.Join(q, "&")
	}
	method := strings.ToUpper(m.Method)
	if method == "" {
		method = "GET"
	}
	var rdr io.Reader
	if len(body) > 0 && string(body) != "null" {
		rdr = bytes.NewReader(body)
	}
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	req, err := http.NewRequestWithContext(notify.WithWSSession(ctx, s.id), method, base+path, rdr)
	if err != nil {
		return frame(meta{Type: "ClientRequest", MessageID: m.MessageID, Status: 400}, map[string]string{"errorCode": "WSG-400", "message": "Malformed request"})
	}
	for k, v := range m.Headers {
		req.Header.Set(k, v)
	}
	s.mu.Lock()
	req.Header.Set("Authorization", "Bearer "+s.accessToken)
	s.mu.Unlock()
	if rdr != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	g.Handler.ServeHTTP(rec, req)
	hdr := map[string]string{}
	for k := range rec.header {
		hdr[k] = rec.header.Get(k)
	}
	if v := rec.header["RCRequestId"]; len(v) > 0 {
		hdr["RCRequestId"] = v[0]
	}
	status := rec.status
	if status == 0 {
		status = 200
	}
	var out any
	if rec.body.Len() > 0 {
		out = json.RawMessage(rec.body.Bytes())
		if !json.Valid(rec.body.Bytes()) {
			out = rec.body.String()
		}
	}
	return frame(meta{Type: "ClientRequest", MessageID: m.MessageID, Status: status, Headers: hdr}, out)
}

func encodePair(k string, v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	return url.QueryEscape(k) + "=" + url.QueryEscape(s)
}

// recorder captures the REST API's answer to a ClientRequest.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(b)
}

// Close ends every session (at shutdown).
func (g *Gateway) Close() {
	g.mu.Lock()
	sessions := make([]*session, 0, len(g.sessions))
	for _, s := range g.sessions {
		sessions = append(sessions, s)
	}
	g.mu.Unlock()
	for _, s := range sessions {
		s.mu.Lock()
		c := s.conn
		s.mu.Unlock()
		if c != nil {
			c.Close(websocket.StatusGoingAway, "server shutting down")
		}
	}
}
