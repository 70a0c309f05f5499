package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rcemu/rcemu/internal/rctest"
)

const instantSMS = "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"

// wsClient is a raw WebSocket client of the gateway, reading frames in the background.
type wsClient struct {
	t      *testing.T
	c      *websocket.Conn
	frames chan string
}

// dialWS gets a WebSocket token from from, with the bearer token, and opens the socket on to
// (another instance, as behind a load balancer), resuming wsc if given.
func dialWS(t *testing.T, from, to *rctest.App, bearer, wsc string) *wsClient {
	t.Helper()
	tok := from.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/wstoken", Token: bearer})
	var wst struct {
		Token string `json:"ws_access_token"`
	}
	if err := json.Unmarshal(tok.Body, &wst); tok.Status != 200 || err != nil || wst.Token == "" {
		t.Fatalf("wstoken: %d %s", tok.Status, tok.Body)
	}
	u := "ws" + strings.TrimPrefix(to.URL, "http") + "/ws?access_token=" + url.QueryEscape(wst.Token)
	if wsc != "" {
		u += "&wsc=" + url.QueryEscape(wsc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	w := &wsClient{t: t, c: c, frames: make(chan string, 256)}
	t.Cleanup(func() { c.CloseNow() })
	go func() {
		defer close(w.frames)
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			w.frames <- string(data)
		}
	}()
	return w
}

func (w *wsClient) next(what string) string {
	w.t.Helper()
	select {
	case f, ok := <-w.frames:
		if !ok {
			w.t.Fatalf("socket closed waiting for %s", what)
		}
		return f
	case <-time.After(5 * time.Second):
		w.t.Fatalf("waited 5 s for %s", what)
	}
	return ""
}

// quiet fails if a frame comes within d.
func (w *wsClient) quiet(d time.Duration, why string) {
	w.t.Helper()
	select {
	case f, ok := <-w.frames:
		if ok {
			w.t.Fatalf("%s: %s", why, f)
		}
	case <-time.After(d):
	}
}

// details reads ConnectionDetails and returns its wsc token and its recovery state and code.
func (w *wsClient) details() (wsc, state, code string) {
	w.t.Helper()
	f := w.next("ConnectionDetails")
	var parts []json.RawMessage
	var m struct {
		Type string `json:"type"`
		WSC  struct {
			Token string `json:"token"`
		} `json:"wsc"`
	}
	var body struct {
		State string `json:"recoveryState"`
		Code  string `json:"recoveryErrorCode"`
	}
	if err := json.Unmarshal([]byte(f), &parts); err != nil || len(parts) != 2 || json.Unmarshal(parts[0], &m) != nil ||
		json.Unmarshal(parts[1], &body) != nil || m.Type != "ConnectionDetails" {
		w.t.Fatalf("not ConnectionDetails: %s", f)
	}
	return m.WSC.Token, body.State, body.Code
}

func (w *wsClient) subscribe(filter string) {
	w.t.Helper()
	req, _ := json.Marshal([]any{map[string]any{"type": "ClientRequest", "messageId": "sub", "method": "POST", "path": "/restapi/v1.0/subscription"},
		map[string]any{"eventFilters": []string{filter}, "deliveryMode": map[string]any{"transportType": "WebSocket"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, req); err != nil {
		w.t.Fatal(err)
	}
	if f := w.next("the subscription's answer"); !strings.Contains(f, `"status":200`) {
		w.t.Fatalf("subscribe over the socket: %s", f)
	}
}

// notified reads the next frame and checks that it is the notification of text.
func (w *wsClient) notified(text string) {
	w.t.Helper()
	if f := w.next("the notification of " + text); !strings.Contains(f, `"type":"ServerNotification"`) || !strings.Contains(f, text) {
		w.t.Fatalf("notification of %q: %s", text, f)
	}
}

// notifiedAll reads as many frames as texts and checks that they are the notifications of all
// of them, in any order.
func (w *wsClient) notifiedAll(texts ...string) {
	w.t.Helper()
	left := map[string]bool{}
	for _, text := range texts {
		left[text] = true
	}
	for range texts {
		f := w.next("the notifications of " + strings.Join(texts, ", "))
		found := false
		for text := range left {
			if strings.Contains(f, `"type":"ServerNotification"`) && strings.Contains(f, text) {
				delete(left, text)
				found = true
				break
			}
		}
		if !found {
			w.t.Fatalf("not a notification of any of %v: %s", texts, f)
		}
	}
}

func textVia(t *testing.T, via *rctest.App, bearer, text string) {
	t.Helper()
	sms := via.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/sms", Token: bearer, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550101"}, "to": []map[string]any{{"phoneNumber": "+16505550102"}}, "text": text}})
	if sms.Status != 200 {
		t.Fatalf("sms %q: %d %s", text, sms.Status, sms.Body)
	}
}

// A WebSocket token handed out by A opens a socket on B (instances behind one load balancer),
// and a WebSocket subscription made over that socket hears exactly once of a text sent through
// A, as of one sent through B.
func TestPostgresWebSocketAcrossInstances(t *testing.T) {
	a, b := rctest.TwoInstances(t)
	grace := a.Login(a.User(0, "102"))
	ada := a.Login(a.User(0, "101"))

	w := dialWS(t, a, b, grace.AccessToken, "")
	w.details()
	w.subscribe(instantSMS)
	eventually(t, "A to index the subscription made on B", func() bool { return a.Notify.Indexed() == b.Notify.Indexed() })
	for i, via := range []*rctest.App{a, b} {
		text := "over the socket " + strconv.Itoa(i)
		textVia(t, via, ada.AccessToken, text)
		w.notified(text)
	}
	w.quiet(time.Second, "a frame more than one notification per text")
}

// A client whose socket to B dropped recovers its session on A with its wsc token: B gives the
// session up with what it kept for the client, which A replays, and the notifications of later
// texts, wherever they are sent, come on the new socket. Another user's recovery of that
// session is refused (WSG-1003) and leaves it where it is.
func TestPostgresWebSocketSessionRecoversOnAnotherInstance(t *testing.T) {
	a, b := rctest.TwoInstances(t)
	grace := b.Login(b.User(0, "102"))
	ada := a.Login(a.User(0, "101"))

	first := dialWS(t, b, b, grace.AccessToken, "")
	wsc, _, _ := first.details()
	first.subscribe(instantSMS)
	eventually(t, "A to index the subscription made on B", func() bool { return a.Notify.Indexed() == b.Notify.Indexed() })
	textVia(t, a, ada.AccessToken, "before the drop")
	first.notified("before the drop")
	first.c.CloseNow()
	time.Sleep(200 * time.Millisecond) // B sees the socket gone

	textVia(t, a, ada.AccessToken, "missed 1 (sent on A)")
	textVia(t, b, ada.AccessToken, "missed 2 (sent on B)")
	time.Sleep(300 * time.Millisecond) // both are kept for the client on B

	again := dialWS(t, a, a, grace.AccessToken, wsc)
	token, state, code := again.details()
	if state != "Successful" || token != wsc {
		t.Fatalf("recovery on A: state %q code %q token %q, want Successful with %q", state, code, token, wsc)
	}
	// Both replayed; in either order, since texts taken by two instances have no order between
	// them (the one sent on A reaches B's buffer through the relay, possibly after B's own).
	again.notifiedAll("missed 1 (sent on A)", "missed 2 (sent on B)")
	for _, via := range []*rctest.App{b, a} {
		text := "after the recovery, sent on " + via.URL
		textVia(t, via, ada.AccessToken, text)
		again.notified(text)
	}

	other := dialWS(t, b, b, ada.AccessToken, wsc)
	if _, state, code := other.details(); state != "Failed" || code != "WSG-1003" {
		t.Fatalf("another user's recovery: %q %q, want Failed WSG-1003", state, code)
	}
	textVia(t, b, ada.AccessToken, "still on A")
	again.notified("still on A")
	again.quiet(time.Second, "a frame more than one notification per text")
}
