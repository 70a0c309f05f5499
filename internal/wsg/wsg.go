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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/store"
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
	// Tokens, when set, keeps the tokens handed out where other instances sharing the store
	// find them, so that a socket may open on any of them; Authenticate then says who a
	// token's access token stands for.
	Tokens       TokenStore
	Authenticate func(ctx context.Context, accessToken string) (*rc.Principal, error)
	// Takeover, when set, asks the instances sharing the store for a session this one does not
	// hold, for the OAuth session owner (see Release); ok is false when none gave it.
	Takeover func(ctx context.Context, id, owner string) (h Handoff, ok bool)
	// TookOver hears of a session taken over, so that what was relayed to it meanwhile is
	// claimed.
	TookOver func(id string)

	mu       sync.Mutex
	tokens   map[string]wsToken
	sessions map[string]*session // wsc token → session
	links    map[*link]*session  // every open socket, attached or not, for Close
	closed   bool
	quit     chan struct{} // closed by Close
	// wg counts the socket handlers, their writers and the recovery timers, so that Close
	// returns only when none is left.
	wg sync.WaitGroup
}

// TokenStore keeps WebSocket tokens for instances sharing a store.
type TokenStore interface {
	PutWSToken(ctx context.Context, token, accessToken string, now, expires time.Time) error
	// WSToken returns the access token and expiry of a token, store.ErrNotFound if unknown.
	WSToken(ctx context.Context, token string) (accessToken string, expires time.Time, err error)
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
	conn     *link // the socket notifications go to; nil while there is none
	sequence int
	missed   []out     // notifications no socket took, by sequence, up to RecoveryBufferSize
	lost     time.Time // when the socket went away; zero while connected
	// replaying holds new notifications back behind the missed ones being replayed.
	replaying bool
	// inflight counts notifications being written; settled is signalled as each one is done,
	// so that a socket taking the session over waits until a failed one is back in missed.
	inflight int
	settled  *sync.Cond
	closed   chan struct{}
}

// New builds a gateway and connects it to the notification service.
func New(n *notify.Service, clock rc.Clock, log *slog.Logger) *Gateway {
	g := &Gateway{Notify: n, Clock: clock, Log: log, tokens: map[string]wsToken{}, sessions: map[string]*session{},
		links: map[*link]*session{}, quit: make(chan struct{})}
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
	t := wsToken{principal: r.Principal, accessToken: strings.TrimSpace(access), expires: now.Add(TokenTTL)}
	g.tokens[tok] = t
	g.mu.Unlock()
	if g.Tokens != nil {
		if err := g.Tokens.PutWSToken(r.Context(), tok, t.accessToken, now, t.expires); err != nil {
			return err
		}
	}
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
	if !ok {
		tok, ok = g.sharedToken(ctx, r.Query.Get("access_token"))
	}
	if !ok || g.Clock.Now().After(tok.expires) {
		reject(c, errorFrame("WSG-401", "Invalid or expired WebSocket access token"), websocket.StatusPolicyViolation, "invalid token")
		return nil
	}
	s, details, err := g.open(ctx, r.Query.Get("wsc"), tok, r.Base())
	if err != nil {
		reject(c, errorFrame("WSG-400", "Malformed WebSocket session context token"), websocket.StatusPolicyViolation, "malformed wsc")
		return nil
	}
	l := newLink(c)
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		reject(c, nil, websocket.StatusGoingAway, "server shutting down")
		return nil
	}
	g.links[l] = s
	g.wg.Add(2)
	g.mu.Unlock()
	defer g.wg.Done()
	go g.write(s, l)
	g.attach(s, l, func(seq int) []byte {
		return frame(meta{Type: "ConnectionDetails", MessageID: restapi.NewRequestID(), Status: 200,
			WSC: &wsc{Token: s.id, Sequence: seq}, Headers: map[string]string{"RCRequestId": restapi.NewRequestID()}}, details)
	})
	g.serve(ctx, s, l)
	return nil
}

// sharedToken looks a token up among those other instances handed out.
func (g *Gateway) sharedToken(ctx context.Context, token string) (wsToken, bool) {
	if g.Tokens == nil || g.Authenticate == nil || token == "" {
		return wsToken{}, false
	}
	access, exp, err := g.Tokens.WSToken(ctx, token)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			g.Log.Error("read WebSocket token", "err", err)
		}
		return wsToken{}, false
	}
	p, err := g.Authenticate(ctx, access)
	if err != nil {
		return wsToken{}, false // revoked, or expired, since
	}
	return wsToken{principal: p, accessToken: access, expires: exp}, true
}

// reject answers a socket that gets no session; nothing else writes to it.
func reject(c *websocket.Conn, f []byte, code websocket.StatusCode, reason string) {
	if f != nil {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		_ = c.Write(ctx, websocket.MessageText, f)
		cancel()
	}
	c.Close(code, reason)
}

// open starts a session, or resumes the one a wsc token names.
func (g *Gateway) open(ctx context.Context, wscToken string, tok wsToken, base string) (*session, map[string]any, error) {
	details := map[string]any{"creationTime": rc.FormatTime(g.Clock.Now()), "maxConnectionsPerSession": 50,
		"recoveryBufferSize": RecoveryBufferSize, "recoveryTimeout": int(RecoveryTimeout.Seconds()),
		"idleTimeout": int(IdleTimeout.Seconds()), "absoluteTimeout": int(AbsoluteTimeout.Seconds()),
		"maxActiveRequests": MaxActiveRequests}
	newSession := func() *session {
		s := &session{id: randomToken(24), principal: tok.principal, accessToken: tok.accessToken, created: g.Clock.Now(),
			base: base, closed: make(chan struct{})}
		s.settled = sync.NewCond(&s.mu)
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
		taken, code := g.takeover(ctx, wscToken, tok, base)
		if taken != nil {
			details["recoveryState"] = "Successful"
			return taken, details, nil
		}
		details["recoveryState"], details["recoveryErrorCode"] = "Failed", code
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

// attach makes l the session's socket and queues its ConnectionDetails frame first.
func (g *Gateway) attach(s *session, l *link, details func(seq int) []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.conn; old != nil {
		// The session moves to the new socket; the old one still answers its own requests.
		s.release(old, g.Clock.Now())
	}
	for s.inflight > 0 {
		s.settled.Wait() // bounded by writeTimeout
	}
	s.conn, s.lost = l, time.Time{}
	s.replaying = len(s.missed) > 0
	l.replay = s.replaying
	s.sequence++
	l.push(out{data: details(s.sequence)})
}

// finish is the end of a socket: the writer stops, and the session waits for a recovery.
func (g *Gateway) finish(s *session, l *link) {
	// Whatever ended Read, the socket is done; a write under way should fail now, not at its timeout.
	l.c.CloseNow()
	s.mu.Lock()
	s.release(l, g.Clock.Now())
	l.finished, l.closing = true, true
	clear(l.queue)
	l.queue, l.bytes = nil, 0
	l.signal()
	s.mu.Unlock()
	<-l.done
	g.mu.Lock()
	delete(g.links, l)
	g.mu.Unlock()
	g.wg.Add(1) // safe during Close's Wait: this handler is still counted
	go g.expireLater(s)
}

// expireLater ends a session whose socket did not come back within the recovery window.
func (g *Gateway) expireLater(s *session) {
	defer g.wg.Done()
	t := time.NewTimer(RecoveryTimeout)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closed:
		return
	case <-g.quit:
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

// Held lists the ids of the gateway's sessions, connected or waiting for a recovery.
func (g *Gateway) Held() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ids := make([]string, 0, len(g.sessions))
	for id := range g.sessions {
		ids = append(ids, id)
	}
	return ids
}

// deliver is the notification service's way into a session. It only queues: the notification
// service calls it for every session in turn and must not wait on any client's network.
func (g *Gateway) deliver(id string, notification []byte) bool {
	g.mu.Lock()
	s := g.sessions[id]
	g.mu.Unlock()
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sequence++
	o := out{seq: s.sequence, data: notificationFrame(s.id, s.sequence, notification)}
	if l := s.conn; l != nil && !s.replaying {
		s.send(l, o, g.Clock.Now())
	} else {
		s.keep(o)
	}
	return true
}

// notificationFrame is frame() for a ServerNotification, written out by hand: it is made once per
// notification and socket, and encoding/json was most of the gateway's own cost in the fan-out.
func notificationFrame(token string, seq int, notification []byte) []byte {
	return appendNotification(make([]byte, 0, 160+len(token)+len(notification)),
		restapi.NewRequestID(), restapi.NewRequestID(), token, seq, notification)
}

// appendNotification needs no escaping: ids are hex UUIDs, the token is base64url, and the
// notification service's encoding/json output is compact.
func appendNotification(b []byte, messageID, requestID, token string, seq int, notification []byte) []byte {
	b = append(b, `[{"type":"ServerNotification","messageId":"`...)
	b = append(b, messageID...)
	b = append(b, `","status":200,"headers":{"RCRequestId":"`...)
	b = append(b, requestID...)
	b = append(b, `"},"wsc":{"token":"`...)
	b = append(b, token...)
	b = append(b, `","sequence":`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, "}},"...)
	b = append(b, notification...)
	return append(b, ']')
}

// idleTimeout is IdleTimeout, shortened by tests.
var idleTimeout = IdleTimeout

// serve reads the client's frames until the socket closes.
func (g *Gateway) serve(ctx context.Context, s *session, l *link) {
	// Not a read deadline: coder/websocket closes the socket when a read's context expires, and
	// WSG-902 must still go out.
	idle := time.AfterFunc(idleTimeout, func() {
		s.mu.Lock()
		s.cut(l, g.Clock.Now(), errorFrame("WSG-902", "Idle timeout expired"), websocket.StatusNormalClosure, "idle")
		s.mu.Unlock()
	})
	defer g.finish(s, l)
	defer idle.Stop()
	reply := func(f []byte) {
		s.mu.Lock()
		s.send(l, out{data: f}, g.Clock.Now())
		s.mu.Unlock()
	}
	for {
		_, data, err := l.c.Read(ctx)
		if err != nil {
			return
		}
		idle.Reset(idleTimeout)
		var parts []json.RawMessage
		if json.Unmarshal(data, &parts) != nil || len(parts) == 0 {
			reply(errorFrame("WSG-400", "Malformed message"))
			continue
		}
		var m meta
		if json.Unmarshal(parts[0], &m) != nil {
			reply(errorFrame("WSG-400", "Malformed message"))
			continue
		}
		switch m.Type {
		case "Heartbeat":
			reply(frame(meta{Type: "Heartbeat", MessageID: m.MessageID}, nil))
		case "ClientRequest":
			var body json.RawMessage
			if len(parts) > 1 {
				body = parts[1]
			}
			reply(g.request(ctx, s, m, body))
		default:
			reply(errorFrame("WSG-400", "Unknown message type ["+m.Type+"]"))
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
	rec := restapi.NewRecorder()
	g.Handler.ServeHTTP(rec, req)
	hdr := map[string]string{}
	for k := range rec.Header() {
		hdr[k] = rec.Header().Get(k)
	}
	if v := rec.Header()["RCRequestId"]; len(v) > 0 {
		hdr["RCRequestId"] = v[0]
	}
	var out any
	if rec.Body.Len() > 0 {
		out = json.RawMessage(rec.Body.Bytes())
		if !json.Valid(rec.Body.Bytes()) {
			out = rec.Body.String()
		}
	}
	return frame(meta{Type: "ClientRequest", MessageID: m.MessageID, Status: rec.Status(), Headers: hdr}, out)
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

// Close closes every socket (at shutdown) and returns when their goroutines have.
func (g *Gateway) Close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.quit)
	}
	links := make(map[*link]*session, len(g.links))
	for l, s := range g.links {
		links[l] = s
	}
	g.mu.Unlock()
	for l, s := range links {
		s.mu.Lock()
		s.cut(l, g.Clock.Now(), nil, websocket.StatusGoingAway, "server shutting down")
		s.mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	// Clients that do not answer the close handshake do not hold shutdown up.
	var closing sync.WaitGroup
	for l := range links {
		closing.Go(func() { l.c.CloseNow() })
	}
	closing.Wait()
	<-done
}

// Disconnect drops the sockets of an app's sessions (every app's for ""), abruptly, as a
// network failure does: no close frame, the sessions stay resumable with their wsc token for
// RecoveryTimeout. It returns how many sockets it dropped.
func (g *Gateway) Disconnect(clientID string) int {
	g.mu.Lock()
	var drop []*link
	for l, s := range g.links {
		if s != nil && (clientID == "" || (s.principal != nil && s.principal.ClientID == clientID)) {
			drop = append(drop, l)
		}
	}
	g.mu.Unlock()
	for _, l := range drop {
		_ = l.c.CloseNow()
	}
	return len(drop)
}

// SessionInfo is a gateway session as the console shows it.
type SessionInfo struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"clientId,omitempty"`
	AccountID   int64     `json:"accountId,omitempty"`
	ExtensionID int64     `json:"extensionId,omitempty"`
	Created     time.Time `json:"creationTime"`
	Connected   bool      `json:"connected"`
	Sequence    int       `json:"sequence"`
	Missed      int       `json:"missed"`
}

// Sessions lists the gateway's sessions, connected or waiting for recovery.
func (g *Gateway) Sessions() []SessionInfo {
	g.mu.Lock()
	all := make([]*session, 0, len(g.sessions))
	for _, s := range g.sessions {
		all = append(all, s)
	}
	g.mu.Unlock()
	out := make([]SessionInfo, 0, len(all))
	for _, s := range all {
		si := SessionInfo{ID: s.id, Created: s.created}
		if p := s.principal; p != nil {
			si.ClientID, si.AccountID, si.ExtensionID = p.ClientID, p.AccountID, p.ExtensionID
		}
		s.mu.Lock()
		si.Connected, si.Sequence, si.Missed = s.conn != nil, s.sequence, len(s.missed)
		s.mu.Unlock()
		out = append(out, si)
	}
	return out
}
