package wsg_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rcemu/rcemu/internal/rctest"
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
