package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
)

// TestFaults: each kind of fault the control plane injects — a status with its RingCentral
// body on the next N calls of an operation, a path pattern for one method, latency, a dropped
// connection, an app's calls only, a WebSocket drop — and a refused write stores nothing.
func TestFaults(t *testing.T) {
	a := specApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	ext := "/restapi/v1.0/account/~/extension/~"
	add := func(rule map[string]any) string {
		t.Helper()
		r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/faults", JSON: rule})
		if r.Status != 201 {
			t.Fatalf("add %v: %d %s", rule, r.Status, r.Body)
		}
		return r.Map(t)["id"].(string)
	}

	add(map[string]any{"operation": "readExtension", "status": 503, "times": 2})
	for k, want := range []int{503, 503, 200} {
		r := a.Do(rctest.Req{Path: ext, Token: tok})
		if r.Status != want {
			t.Fatalf("readExtension call %d: %d %s", k+1, r.Status, r.Body)
		}
		if want == 503 && (r.ErrorCode(t) != "CMN-201" || r.Header.Get("Retry-After") != "60") {
			t.Fatalf("503 fault: %v %s", r.Header, r.Body)
		}
	}

	count := func() int {
		r := a.Do(rctest.Req{Path: ext + "/message-store?messageType=SMS&perPage=1000", Token: tok})
		return strings.Count(string(r.Body), `"messageType":"SMS"`)
	}
	before := count()
	add(map[string]any{"method": "POST", "path": "/restapi/v1.0/account/*/extension/*/sms", "status": 500, "errorCode": "CMN-203"})
	sms := rctest.Req{Method: "POST", Path: ext + "/sms", Token: tok, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550101"}, "to": []any{map[string]any{"phoneNumber": "+16505550102"}}, "text": "hi"}}
	if r := a.Do(sms); r.Status != 500 || r.ErrorCode(t) != "CMN-203" {
		t.Fatalf("SMS fault: %d %s", r.Status, r.Body)
	}
	if n := count(); n != before {
		t.Fatalf("a failed SMS was stored: %d → %d", before, n)
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/faults"}); r.Status != 204 {
		t.Fatalf("clear: %d", r.Status)
	}
	if r := a.Do(sms); r.Status != 200 {
		t.Fatalf("SMS after clear: %d %s", r.Status, r.Body)
	}

	id := add(map[string]any{"operation": "readExtension", "latencyMs": 150})
	start := time.Now()
	if r := a.Do(rctest.Req{Path: ext, Token: tok}); r.Status != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("latency fault: %d after %v", r.Status, time.Since(start))
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/faults/" + id}); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/faults/" + id}); r.Status != 404 {
		t.Fatalf("delete again: %d", r.Status)
	}

	add(map[string]any{"operation": "readExtension", "drop": true, "times": 1})
	req, _ := http.NewRequest("GET", a.URL+ext, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("a dropped call got an answer: %d", res.StatusCode)
	}

	add(map[string]any{"clientId": "someOtherApp", "status": 500})
	if r := a.Do(rctest.Req{Path: ext, Token: tok}); r.Status != 200 {
		t.Fatalf("another app's fault hit this one: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/faults", JSON: map[string]any{"status": 200}}); r.Status != 400 {
		t.Fatalf("a fault with status 200: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: "/_rcemu/faults"}); r.Status != 200 || !strings.Contains(string(r.Body), `"clientId":"someOtherApp"`) {
		t.Fatalf("list: %s", r.Body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := rctest.OpenWSSession(ctx, a.URL, tok, "/restapi/v1.0/account/~/extension/~/presence")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/faults/websocket-disconnect"})
	if r.Status != 200 || r.Map(t)["disconnected"] != 1.0 {
		t.Fatalf("disconnect: %d %s", r.Status, r.Body)
	}
	if _, _, err := c.Read(ctx); err == nil {
		t.Fatal("the socket still reads after the disconnect")
	}
}

// TestWebhookTimeoutFault: a WebHook fault makes the next delivery to the address time out
// without reaching the receiver (recorded as a slow, unreachable attempt); later ones arrive.
func TestWebhookTimeoutFault(t *testing.T) {
	a := specApp(t)
	tok := a.Login(a.User(0, "101")).AccessToken
	var mu sync.Mutex
	got := 0
	hook := webhookReceiver(t, func([]byte) {
		mu.Lock()
		got++
		mu.Unlock()
	})
	received := func() int { mu.Lock(); defer mu.Unlock(); return got }
	sub := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: tok, JSON: map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/presence"},
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": hook.URL + "/hook"}}})
	if sub.Status != 200 {
		t.Fatalf("subscribe: %d %s", sub.Status, sub.Body)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/faults", JSON: map[string]any{"webhook": hook.URL + "/hook", "times": 1}}); r.Status != 201 {
		t.Fatalf("fault: %d %s", r.Status, r.Body)
	}
	presence := func(status string) {
		if r := a.Do(rctest.Req{Method: "PUT", Path: "/restapi/v1.0/account/~/extension/~/presence", Token: tok,
			JSON: map[string]any{"userStatus": status}}); r.Status != 200 {
			t.Fatalf("presence: %d %s", r.Status, r.Body)
		}
	}
	presence("Busy")
	deadline := time.Now().Add(5 * time.Second)
	for {
		d := a.Do(rctest.Req{Path: "/_rcemu/deliveries"})
		if strings.Contains(string(d.Body), "a fault injected by rcemu") {
			if !strings.Contains(string(d.Body), `"slow"`) {
				t.Fatalf("the injected timeout is not recorded as slow: %s", d.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no injected timeout among the attempts: %s", d.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := received(); n != 0 {
		t.Fatalf("the timed-out delivery reached the receiver (%d)", n)
	}
	presence("Available")
	for received() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no delivery after the fault was used up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/faults", JSON: map[string]any{"webhook": "*", "status": 500}}); r.Status != 400 {
		t.Fatalf("a webhook fault with a status: %d %s", r.Status, r.Body)
	}
}

// webhookReceiver answers the validation handshake and hands every notification's body to got;
// it is closed when the test ends.
func webhookReceiver(t *testing.T, got func(body []byte)) *httptest.Server {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get("Validation-Token"); v != "" && r.ContentLength == 0 {
			w.Header().Set("Validation-Token", v)
			return
		}
		body, _ := io.ReadAll(r.Body)
		got(body)
	}))
	t.Cleanup(hook.Close)
	return hook
}
