package wsg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/wsg"
)

type conn struct {
	t *testing.T
	c *websocket.Conn
}

func dial(t *testing.T, a *rctest.App, access, wsc string) (*conn, []json.RawMessage) {
	t.Helper()
	r := a.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/wstoken", Token: access})
	if r.Status != 200 {
		t.Fatalf("wstoken: %d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	if m["expires_in"] == nil || m["ws_access_token"] == "" {
		t.Fatalf("wstoken = %v", m)
	}
	u := m["uri"].(string) + "?access_token=" + url.QueryEscape(m["ws_access_token"].(string))
	if wsc != "" {
		u += "&wsc=" + url.QueryEscape(wsc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c.SetReadLimit(1 << 20)
	cn := &conn{t: t, c: c}
	t.Cleanup(func() { c.CloseNow() })
	return cn, cn.read()
}

func (c *conn) read() []json.RawMessage {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.c.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		c.t.Fatalf("frame is not a JSON array: %s", data)
	}
	return parts
}

func (c *conn) write(parts ...any) {
	c.t.Helper()
	b, _ := json.Marshal(parts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return m
}

func TestWebSocketSubscriptionNotificationsAndRecovery(t *testing.T) {
	a := rctest.MustOpenApp(t)
	grace := a.Login(a.User(0, "102")).AccessToken
	ada := a.Login(a.User(0, "101")).AccessToken

	c, first := dial(t, a, grace, "")
	meta, body := decode(t, first[0]), decode(t, first[1])
	if meta["type"] != "ConnectionDetails" || meta["status"] != 200.0 || body["recoveryTimeout"] != 180.0 || body["recoveryState"] != nil {
		t.Fatalf("first frame = %v %v", meta, body)
	}
	wsc := meta["wsc"].(map[string]any)["token"].(string)

	c.write(map[string]any{"type": "ClientRequest", "messageId": "m-1", "method": "POST", "path": "/restapi/v1.0/subscription/"},
		map[string]any{"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"},
			"deliveryMode": map[string]any{"transportType": "WebSocket"}})
	resp := c.read()
	rm, rb := decode(t, resp[0]), decode(t, resp[1])
	if rm["type"] != "ClientRequest" || rm["messageId"] != "m-1" || rm["status"] != 200.0 ||
		rb["deliveryMode"].(map[string]any)["transportType"] != "WebSocket" {
		t.Fatalf("subscribe reply = %v %v", rm, rb)
	}
	subID := rb["id"].(string)

	// A REST call over the socket works too.
	c.write(map[string]any{"type": "ClientRequest", "messageId": "m-2", "method": "GET", "path": "/restapi/v1.0/account/~/extension/~"})
	if r := c.read(); decode(t, r[0])["status"] != 200.0 || decode(t, r[1])["id"] != 171858008.0 ||
		decode(t, r[1])["uri"] != a.URL+"/restapi/v1.0/account/159048008/extension/171858008" {
		t.Fatalf("REST over WS = %s", r[1])
	}

	a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/sms", Token: ada, JSON: map[string]any{
		"from": map[string]string{"phoneNumber": "+16505550101"}, "to": []any{map[string]string{"phoneNumber": "+16505550102"}}, "text": "over the socket"}})
	n := c.read()
	nm, nb := decode(t, n[0]), decode(t, n[1])
	if nm["type"] != "ServerNotification" || nb["subscriptionId"] != subID || nb["body"].(map[string]any)["subject"] != "over the socket" {
		t.Fatalf("notification = %v %v", nm, nb)
	}

	c.write(map[string]any{"type": "Heartbeat", "messageId": "hb-1"})
	if hb := decode(t, c.read()[0]); hb["type"] != "Heartbeat" || hb["messageId"] != "hb-1" {
		t.Fatalf("heartbeat = %v", hb)
	}

	// Drop the socket, miss a notification, come back with the wsc token.
	c.c.Close(websocket.StatusNormalClosure, "bye")
	time.Sleep(50 * time.Millisecond)
	a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/sms", Token: ada, JSON: map[string]any{
		"from": map[string]string{"phoneNumber": "+16505550101"}, "to": []any{map[string]string{"phoneNumber": "+16505550102"}}, "text": "while away"}})
	time.Sleep(100 * time.Millisecond)
	c2, again := dial(t, a, grace, wsc)
	if d := decode(t, again[1]); d["recoveryState"] != "Successful" {
		t.Fatalf("recovery = %v", d)
	}
	missed := c2.read()
	if b := decode(t, missed[1]); b["body"].(map[string]any)["subject"] != "while away" {
		t.Fatalf("replayed = %v", b)
	}

	// Another OAuth session cannot take the session over.
	other := a.Login(a.User(0, "102")).AccessToken
	_, failed := dial(t, a, other, wsc)
	if d := decode(t, failed[1]); d["recoveryState"] != "Failed" || d["recoveryErrorCode"] != "WSG-1003" {
		t.Fatalf("foreign recovery = %v", d)
	}
	// A made-up wsc is refused.
	_, bad := dial(t, a, grace, "not-a-token")
	if m := decode(t, bad[0]); m["type"] != "Error" || decode(t, bad[1])["errorCode"] != "WSG-400" {
		t.Fatalf("fake wsc = %s %s", bad[0], bad[1])
	}
	// WebSocket subscriptions cannot be made over plain HTTP.
	r := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: grace, JSON: map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/message-store"}, "deliveryMode": map[string]any{"transportType": "WebSocket"}}})
	if r.Status != 400 {
		t.Fatalf("WebSocket subscription over HTTP: %d %s", r.Status, r.Body)
	}
}

func TestWebSocketTokenExpires(t *testing.T) {
	a := rctest.MustOpenApp(t)
	grace := a.Login(a.User(0, "102")).AccessToken
	m := a.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/wstoken", Token: grace}).Map(t)
	u := m["uri"].(string) + "?access_token=" + url.QueryEscape(m["ws_access_token"].(string))
	if m["uri"] != "ws"+strings.TrimPrefix(a.URL, "http")+"/ws" {
		t.Fatalf("uri = %v", m["uri"])
	}
	ctx := context.Background()
	first := func() map[string]any {
		c, _, err := websocket.Dial(ctx, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var parts []map[string]any
		if err := json.Unmarshal(data, &parts); err != nil {
			t.Fatalf("%s", data)
		}
		return parts[0]
	}
	// The token opens sockets until it expires (@rc-ex/ws reconnects with the one it has).
	for i := 0; i < 2; i++ {
		if f := first(); f["type"] != "ConnectionDetails" {
			t.Fatalf("use %d: %v", i+1, f)
		}
	}
	a.Clock.Advance(61 * time.Second)
	if f := first(); f["type"] != "Error" {
		t.Fatalf("after expiry: %v", f)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/wstoken"}); r.Status != 401 {
		t.Fatalf("wstoken without a bearer: %d", r.Status)
	}
}

// subscribe makes a WebSocket subscription over c and returns its id.
func (c *conn) subscribe(filters ...string) string {
	c.t.Helper()
	c.write(map[string]any{"type": "ClientRequest", "messageId": "sub", "method": "POST", "path": "/restapi/v1.0/subscription"},
		map[string]any{"eventFilters": filters, "deliveryMode": map[string]any{"transportType": "WebSocket"}})
	r := c.read()
	if m := decode(c.t, r[0]); m["status"] != 200.0 {
		c.t.Fatalf("subscribe: %s %s", r[0], r[1])
	}
	return decode(c.t, r[1])["id"].(string)
}

// note is a ServerNotification as a test sees it.
type note struct {
	seq  int    // the frame's wsc sequence
	data []byte // the whole frame
}

// parseNote reads a frame's meta only, so that a reader keeps up with large frames even under
// the race detector; ok is false for frames other than notifications.
func parseNote(data []byte) (n note, ok bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var m struct {
		Type string `json:"type"`
		WSC  struct {
			Sequence int `json:"sequence"`
		} `json:"wsc"`
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return note{}, false, fmt.Errorf("frame: %.200s", data)
	}
	if err := dec.Decode(&m); err != nil {
		return note{}, false, fmt.Errorf("frame: %.200s: %v", data, err)
	}
	return note{seq: m.WSC.Sequence, data: data}, m.Type == "ServerNotification", nil
}

func mustNote(t *testing.T, data []byte) note {
	t.Helper()
	n, ok, err := parseNote(data)
	if err != nil || !ok {
		t.Fatalf("not a notification (%v): %.200s", err, data)
	}
	return n
}

func ids(t *testing.T, u credentials.User) (account, extension int64) {
	t.Helper()
	account, err1 := strconv.ParseInt(u.AccountID, 10, 64)
	extension, err2 := strconv.ParseInt(u.ExtensionID, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("user ids %q %q", u.AccountID, u.ExtensionID)
	}
	return account, extension
}

// smsEvent is an inbound SMS to the extension whose text says its index and when it was published,
// padded to size.
func smsEvent(account, extension int64, i, size int) rc.Event {
	now := time.Now()
	text := fmt.Sprintf("i=%d t=%d ", i, now.UnixNano())
	text += strings.Repeat("x", max(0, size-len(text)))
	return rc.Event{Kind: "instant-message", AccountID: account, ExtensionID: extension, Time: now,
		Message: &rc.Message{ID: int64(1000 + i), AccountID: account, ExtensionID: extension, Type: "SMS", Direction: "Inbound",
			Availability: "Alive", ReadStatus: "Unread", MessageStatus: "Received", Priority: "Normal", Subject: text,
			From: rc.Party{PhoneNumber: "+16505550199"}, To: []rc.Party{{PhoneNumber: "+16505550102"}},
			CreationTime: now, LastModifiedTime: now}}
}

// smsIndex reads back what smsEvent put in the text.
func smsIndex(data []byte) (i int, published time.Time, err error) {
	const key = `"subject":"`
	k := bytes.Index(data, []byte(key))
	if k < 0 {
		return 0, time.Time{}, fmt.Errorf("no subject: %.200s", data)
	}
	var ns int64
	if _, err := fmt.Sscanf(string(data[k+len(key):k+len(key)+64]), "i=%d t=%d ", &i, &ns); err != nil {
		return 0, time.Time{}, fmt.Errorf("subject %.80q: %v", data[k:], err)
	}
	return i, time.Unix(0, ns), nil
}

func mustIndex(t *testing.T, data []byte) int {
	t.Helper()
	i, _, err := smsIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// A client that stops reading must not hold up anyone else's notifications; once it falls too
// far behind it is cut off, and recovering its session gives back, in order and without a gap,
// the notifications it had not been sent.
func TestWebSocketStalledClientDoesNotDelayOthers(t *testing.T) {
	const (
		// More than the stalled socket's kernel buffers (about 4 MB on Linux loopback) and the
		// gateway's queue for it take, in large notifications so that there are few of them.
		events = 160
		size   = 64 << 10
		bound  = 2 * time.Second // a blocked write to the stalled client took up to 5 s
	)
	a := rctest.MustOpenApp(t)
	u := a.User(0, "102")
	account, extension := ids(t, u)
	grace := a.Login(u).AccessToken
	const filter = "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"

	stalled, first := dial(t, a, grace, "")
	wscToken := decode(t, first[0])["wsc"].(map[string]any)["token"].(string)
	stalled.subscribe(filter)
	healthy, _ := dial(t, a, grace, "")
	healthy.subscribe(filter)

	type arrival struct {
		n       note
		latency time.Duration
		err     error
	}
	arrivals := make(chan arrival, events)
	go func() {
		for range events {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_, data, err := healthy.c.Read(ctx)
			cancel()
			at := time.Now()
			var n note
			var ok bool
			if err == nil {
				n, ok, err = parseNote(data)
			}
			if err == nil && !ok {
				err = fmt.Errorf("not a notification: %.200s", data)
			}
			var published time.Time
			if err == nil {
				_, published, err = smsIndex(data)
			}
			arrivals <- arrival{n: n, latency: at.Sub(published), err: err}
			if err != nil {
				return
			}
		}
	}()
	for i := range events {
		a.Bus.Publish(smsEvent(account, extension, i, size))
		time.Sleep(2 * time.Millisecond) // a steady stream (32 MB/s), so that latency is not one burst's backlog
	}
	var worst time.Duration
	prev := 0
	for i := range events {
		r := <-arrivals
		if r.err != nil {
			t.Fatalf("healthy client, notification %d: %v", i, r.err)
		}
		if got := mustIndex(t, r.n.data); got != i || (prev != 0 && r.n.seq != prev+1) {
			t.Fatalf("healthy client: notification %d (wsc sequence %d after %d), want %d", got, r.n.seq, prev, i)
		}
		prev = r.n.seq
		worst = max(worst, r.latency)
	}
	if worst > bound {
		t.Errorf("healthy client: slowest notification took %v beside a stalled client, want < %v", worst, bound)
	}

	// The stalled client reads at last: what the gateway had sent, then a "too slow" close.
	var got []int
	seq := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, data, err := stalled.c.Read(ctx)
		cancel()
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusPolicyViolation {
				t.Fatalf("stalled client: after %d notifications: %v (close status %d), want a policy violation close", len(got), err, s)
			}
			break
		}
		n := mustNote(t, data)
		i := mustIndex(t, data)
		if i != len(got) || (seq != 0 && n.seq != seq+1) {
			t.Fatalf("stalled client: notification %d (wsc sequence %d after %d), want %d", i, n.seq, seq, len(got))
		}
		got, seq = append(got, i), n.seq
	}
	if len(got) == events {
		t.Fatalf("the stalled client got all %d notifications before the close: it never was too slow", events)
	}

	// Recovery replays from the first notification it did not get, in order, as many as the
	// recovery buffer holds.
	again, details := dial(t, a, grace, wscToken)
	if d := decode(t, details[1]); d["recoveryState"] != "Successful" {
		t.Fatalf("recovery = %v", d)
	}
	replayed := 0
	for len(got) < events && replayed < wsg.RecoveryBufferSize {
		data := mustRead(t, again)
		n, i := mustNote(t, data), mustIndex(t, data)
		if i != len(got) || n.seq != seq+1 {
			t.Fatalf("replayed: notification %d (wsc sequence %d after %d), want %d", i, n.seq, seq, len(got))
		}
		got, seq = append(got, i), n.seq
		replayed++
	}
	t.Logf("healthy client: slowest notification %v; stalled client: %d notifications before the close, %d replayed on recovery",
		worst, len(got)-replayed, replayed)
}

func mustRead(t *testing.T, c *conn) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return data
}

// Notifications reach a session in the order they were published, with consecutive wsc sequence
// numbers, while the client's own requests are answered on the same socket; after a recovery the
// missed ones come first and those published during the replay follow them.
func TestWebSocketNotificationOrder(t *testing.T) {
	a := rctest.MustOpenApp(t)
	u := a.User(0, "102")
	account, extension := ids(t, u)
	grace := a.Login(u).AccessToken
	c, first := dial(t, a, grace, "")
	wscToken := decode(t, first[0])["wsc"].(map[string]any)["token"].(string)
	c.subscribe("/restapi/v1.0/account/~/presence")

	next := int64(0)
	publish := func(n int) {
		for range n {
			next++
			a.Bus.Publish(rc.Event{Kind: "presence", AccountID: account, ExtensionID: extension, Time: time.Now(),
				Presence: &rc.Presence{ExtensionID: extension, UserStatus: "Available", DndStatus: "TakeAllCalls", Sequence: next}})
		}
	}
	presence := func(frame []byte) int64 {
		var parts []struct {
			Body struct {
				Sequence int64 `json:"sequence"`
			} `json:"body"`
		}
		if json.Unmarshal(frame, &parts) != nil || len(parts) != 2 {
			t.Fatalf("frame: %s", frame)
		}
		return parts[1].Body.Sequence
	}

	const burst = 600 // more than one batch of the notification service
	publish(burst)
	c.write(map[string]any{"type": "Heartbeat", "messageId": "hb"})
	c.write(map[string]any{"type": "ClientRequest", "messageId": "get", "method": "GET", "path": "/restapi/v1.0/account/~/extension/~"})
	want, seq, replies := int64(1), 0, map[string]bool{}
	for want <= burst || len(replies) < 2 {
		data := mustRead(t, c)
		n, ok, err := parseNote(data)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			var parts []map[string]any
			_ = json.Unmarshal(data, &parts)
			replies[fmt.Sprint(parts[0]["messageId"])] = true
			continue
		}
		if p := presence(n.data); p != want || (seq != 0 && n.seq != seq+1) {
			t.Fatalf("notification %d (wsc sequence %d after %d), want %d", p, n.seq, seq, want)
		}
		want, seq = want+1, n.seq
	}
	if !replies["hb"] || !replies["get"] {
		t.Fatalf("replies = %v", replies)
	}

	// Away: five are missed; back: five more come while the missed ones wait for replayDelay.
	c.c.Close(websocket.StatusNormalClosure, "bye")
	time.Sleep(50 * time.Millisecond)
	publish(5)
	time.Sleep(100 * time.Millisecond)
	c2, again := dial(t, a, grace, wscToken)
	if d := decode(t, again[1]); d["recoveryState"] != "Successful" {
		t.Fatalf("recovery = %v", d)
	}
	publish(5)
	for range 10 {
		n := mustNote(t, mustRead(t, c2))
		if p := presence(n.data); p != want || n.seq <= seq {
			t.Fatalf("after recovery: notification %d (wsc sequence %d after %d), want %d", p, n.seq, seq, want)
		}
		want, seq = want+1, n.seq
	}
}

// An idle socket gets WSG-902 and a normal close; a frame from the client puts that off.
func TestWebSocketIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	t.Cleanup(wsg.SetIdleTimeout(idle)) // restored after the app (opened below) has closed
	a := rctest.MustOpenApp(t)
	grace := a.Login(a.User(0, "102")).AccessToken
	c, first := dial(t, a, grace, "")
	wscToken := decode(t, first[0])["wsc"].(map[string]any)["token"].(string)
	time.Sleep(idle / 2)
	c.write(map[string]any{"type": "Heartbeat", "messageId": "hb"})
	last := time.Now()
	if hb := decode(t, c.read()[0]); hb["type"] != "Heartbeat" {
		t.Fatalf("heartbeat = %v", hb)
	}
	f := c.read()
	if m, b := decode(t, f[0]), decode(t, f[1]); m["type"] != "Error" || b["errorCode"] != "WSG-902" {
		t.Fatalf("idle frame = %s %s", f[0], f[1])
	}
	if d := time.Since(last); d < idle {
		t.Errorf("WSG-902 came %v after the last frame, want ≥ %v", d, idle)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after WSG-902: %v", err)
	}
	// The session can still be recovered.
	_, again := dial(t, a, grace, wscToken)
	if d := decode(t, again[1]); d["recoveryState"] != "Successful" {
		t.Fatalf("recovery after idle close = %v", d)
	}
}

// wsgGoroutines counts the goroutines running gateway code, by the innermost gateway function.
func wsgGoroutines() map[string]int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	counts := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			if _, fn, ok := strings.Cut(line, "rcemu/internal/wsg."); ok {
				fn, _, _ = strings.Cut(fn, "(0x")
				fn = strings.TrimSuffix(fn, "()")
				counts[fn]++
				break
			}
		}
	}
	return counts
}

// waitGoroutines polls until the gateway's goroutines are as want says.
func waitGoroutines(t *testing.T, want func(map[string]int) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := wsgGoroutines()
		if want(got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway goroutines: %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A closed socket leaves only its session's recovery timer behind, and Close leaves nothing.
func TestWebSocketGoroutinesEnd(t *testing.T) {
	a := rctest.MustOpenApp(t)
	grace := a.Login(a.User(0, "102")).AccessToken
	var clients []*conn
	for range 3 {
		c, _ := dial(t, a, grace, "")
		c.subscribe("/restapi/v1.0/account/~/presence")
		clients = append(clients, c)
	}
	writers := func(n int) func(map[string]int) bool {
		return func(g map[string]int) bool { return g["(*Gateway).write"] == n }
	}
	waitGoroutines(t, writers(3))

	clients[0].c.Close(websocket.StatusNormalClosure, "bye")
	waitGoroutines(t, func(g map[string]int) bool {
		return g["(*Gateway).write"] == 2 && g["(*Gateway).expireLater"] == 1
	})

	// The others read, as clients do, so they answer the close handshake.
	closed := make(chan websocket.StatusCode, 2)
	for _, c := range clients[1:] {
		go func() {
			for {
				if _, _, err := c.c.Read(context.Background()); err != nil {
					closed <- websocket.CloseStatus(err)
					return
				}
			}
		}()
	}
	start := time.Now()
	a.WSG.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	for range 2 {
		if s := <-closed; s != websocket.StatusGoingAway {
			t.Errorf("close status %d, want going away", s)
		}
	}
	waitGoroutines(t, func(g map[string]int) bool { return len(g) == 0 })
}
