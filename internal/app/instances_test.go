package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
)

// Two instances on one PostgreSQL database behave as one platform: a token from either works
// on both, a write on one is read on the other, a WebHook subscribed through one hears once of
// a text sent through the other, and a revoke on one refuses the token on the other.
func TestPostgresTwoInstancesAreOnePlatform(t *testing.T) {
	a, b := rctest.TwoInstances(t)
	ada := a.Login(a.User(0, "101")) // the token from A
	grace := b.Login(b.User(0, "102"))

	me := b.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: ada.AccessToken})
	if me.Status != 200 || !strings.Contains(string(me.Body), `"extensionNumber":"101"`) {
		t.Fatalf("A's token on B: %d %s", me.Status, me.Body)
	}

	c := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/address-book/contact", Token: ada.AccessToken,
		JSON: map[string]any{"firstName": "Shared", "lastName": "Contact", "mobilePhone": "+14155550177"}})
	if c.Status != 200 {
		t.Fatalf("contact on A: %d %s", c.Status, c.Body)
	}
	id := rctest.JSONInt(c.Body, "id")
	got := b.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/address-book/contact/" + strconv.FormatInt(id, 10), Token: ada.AccessToken})
	if got.Status != 200 || !strings.Contains(string(got.Body), `"firstName":"Shared"`) {
		t.Fatalf("A's contact read on B: %d %s", got.Status, got.Body)
	}

	// A change on A that B caches: the extension's name, read on B right after.
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/restapi/v1.0/account/~/extension/~", Token: ada.AccessToken,
		JSON: map[string]any{"contact": map[string]any{"firstName": "Augusta"}}}); r.Status != 200 {
		t.Fatalf("rename on A: %d %s", r.Status, r.Body)
	}
	eventually(t, "B to see A's rename", func() bool {
		r := b.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: ada.AccessToken})
		return strings.Contains(string(r.Body), `"firstName":"Augusta"`)
	})

	const text = "across instances"
	var mu sync.Mutex
	heard := 0
	hook := webhookReceiver(t, func(body []byte) {
		if strings.Contains(string(body), text) {
			mu.Lock()
			heard++
			mu.Unlock()
		}
	})
	sub := b.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: grace.AccessToken, JSON: map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"},
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": hook.URL + "/hook"}}})
	if sub.Status != 200 {
		t.Fatalf("subscribe on B: %d %s", sub.Status, sub.Body)
	}
	eventually(t, "A to index the subscription made on B", func() bool { return a.Notify.Indexed() == b.Notify.Indexed() })
	sms := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/sms", Token: ada.AccessToken, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550101"}, "to": []map[string]any{{"phoneNumber": "+16505550102"}}, "text": text}})
	if sms.Status != 200 {
		t.Fatalf("sms on A: %d %s", sms.Status, sms.Body)
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return heard }
	eventually(t, "the WebHook subscribed on B to hear of the text sent on A", func() bool { return count() > 0 })
	time.Sleep(time.Second)
	if n := count(); n != 1 {
		t.Fatalf("the WebHook heard of the text %d times, want once", n)
	}

	// A text to an outside number sent through B, which is not the leader (A opened first):
	// its scheduled status changes are applied by A, once.
	if r := b.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/messaging", JSON: map[string]any{
		"sendDelaySeconds": 0.1, "deliveryDelaySeconds": 0.1}}); r.Status != 200 {
		t.Fatalf("delays on B: %d %s", r.Status, r.Body)
	}
	out := b.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/sms", Token: grace.AccessToken, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550102"}, "to": []map[string]any{{"phoneNumber": "+14155550123"}}, "text": "outside"}})
	if out.Status != 200 || !strings.Contains(string(out.Body), `"messageStatus":"Queued"`) {
		t.Fatalf("sms on B: %d %s", out.Status, out.Body)
	}
	msg := "/restapi/v1.0/account/~/extension/~/message-store/" + strconv.FormatInt(rctest.JSONInt(out.Body, "id"), 10)
	eventually(t, "the text sent on B to be Delivered", func() bool {
		r := b.Do(rctest.Req{Path: msg, Token: grace.AccessToken})
		return strings.Contains(string(r.Body), `"messageStatus":"Delivered"`)
	})

	revoke := b.Do(rctest.Req{Method: "POST", Path: "/restapi/oauth/revoke", Basic: [2]string{b.Creds.ClientID, b.Creds.ClientSecret},
		Form: url.Values{"token": {ada.AccessToken}}})
	if revoke.Status != 200 {
		t.Fatalf("revoke on B: %d %s", revoke.Status, revoke.Body)
	}
	eventually(t, "A to refuse the token revoked on B", func() bool {
		r := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: ada.AccessToken})
		return r.Status == 401
	})
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// What the control plane sets on one instance holds on the other: the clock, outbound delays,
// and faults, a fault for the next call failing one call whichever instance takes it; a reset
// on one puts the other's clock back too.
func TestPostgresControlPlaneIsShared(t *testing.T) {
	a, b := rctest.TwoInstances(t)
	ada := a.Login(a.User(0, "101"))

	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/clock", JSON: map[string]any{"freeze": true, "advance": "10m"}}); r.Status != 200 {
		t.Fatalf("clock on A: %d %s", r.Status, r.Body)
	}
	eventually(t, "B's clock to be A's", func() bool { return b.Clock.IsFrozen() && b.Clock.Now().Equal(a.Clock.Now()) })
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/messaging", JSON: map[string]any{"sendDelaySeconds": 7}}); r.Status != 200 {
		t.Fatalf("delays on A: %d %s", r.Status, r.Body)
	}
	eventually(t, "B's delays to be A's", func() bool { return b.Msgs.Delays().Send == 7*time.Second })

	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/faults", JSON: map[string]any{
		"method": "GET", "path": "/restapi/v1.0/account/*/extension/*", "status": 503, "times": 1}}); r.Status != 201 {
		t.Fatalf("fault on A: %d %s", r.Status, r.Body)
	}
	eventually(t, "B to have A's fault", func() bool { rules, _ := b.Faults.Rules(); return len(rules) == 1 })
	ext := rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: ada.AccessToken}
	if r := b.Do(ext); r.Status != 503 {
		t.Fatalf("the next call, on B: %d, want the fault's 503", r.Status)
	}
	if r := a.Do(ext); r.Status != 200 {
		t.Fatalf("the call after, on A: %d, want 200 (the fault was for one call)", r.Status)
	}
	if r := b.Do(ext); r.Status != 200 {
		t.Fatalf("the call after, on B: %d, want 200", r.Status)
	}

	if r := b.Do(rctest.Req{Method: "POST", Path: "/_rcemu/reset"}); r.Status != 200 {
		t.Fatalf("reset on B: %d %s", r.Status, r.Body)
	}
	eventually(t, "A's clock to run again after B's reset", func() bool {
		return !a.Clock.IsFrozen() && time.Since(a.Clock.Now()).Abs() < time.Minute && a.Msgs.Delays().Send == 0
	})
}

// Rate limits count an app's and user's requests on every instance together: what A admitted
// counts against the window B enforces.
func TestPostgresRateLimitsCountAcrossInstances(t *testing.T) {
	a, b := rctest.TwoInstances(t, withSpec(t)) // throttling groups come from the spec
	ada := a.Login(a.User(0, "101"))
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/rate-limits", JSON: map[string]any{"mode": "enforce"}}); r.Status != 200 {
		t.Fatalf("enforce on A: %d %s", r.Status, r.Body)
	}
	eventually(t, "B to enforce", func() bool { return b.Limits.Mode().String() == "enforce" })
	ext := rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: ada.AccessToken} // Light: 50 a minute
	for i := range 30 {
		if r := a.Do(ext); r.Status != 200 {
			t.Fatalf("request %d on A: %d", i+1, r.Status)
		}
	}
	eventually(t, "B to count A's 30 requests", func() bool {
		counts, _ := b.Limits.Counts()
		for _, c := range counts {
			if c.Group == "Light" && c.Requests >= 30 {
				return true
			}
		}
		return false
	})
	admitted := 0
	for range 30 {
		r := b.Do(ext)
		if r.Status == 429 {
			break
		}
		if r.Status != 200 {
			t.Fatalf("on B: %d %s", r.Status, r.Body)
		}
		admitted++
	}
	if admitted != 20 {
		t.Fatalf("B admitted %d after A's 30, want 20 (50 a minute in all)", admitted)
	}
	eventually(t, "A to refuse too (B's 429 started the penalty)", func() bool { return a.Do(ext).Status == 429 })
}

// A trip set on one instance ("the second next call answers 429") fires once, on whichever
// instance that call reaches.
func TestPostgresTripFiresOnceAcrossInstances(t *testing.T) {
	a, b := rctest.TwoInstances(t, withSpec(t))
	ada := a.Login(a.User(0, "101"))
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/rate-limits", JSON: map[string]any{"trip": map[string]any{"group": "Light", "after": 1}}}); r.Status != 200 {
		t.Fatalf("trip on A: %d %s", r.Status, r.Body)
	}
	eventually(t, "B to have A's trip", func() bool { _, trips := b.Limits.Counts(); return len(trips) == 1 })
	ext := rctest.Req{Path: "/restapi/v1.0/account/~/extension/~", Token: ada.AccessToken}
	var got []int
	for _, via := range []*rctest.App{b, a, b, a} {
		got = append(got, via.Do(ext).Status)
	}
	if got[0] != 200 || got[1] != 429 || got[2] != 200 || got[3] != 200 {
		t.Fatalf("B, A, B, A answered %v, want 200 429 200 200", got)
	}
}

// A WebHook delivery still pending when its instance stops is taken over by another instance
// and delivered once, after the receiver comes back.
func TestPostgresPendingDeliveriesOutliveTheirInstance(t *testing.T) {
	a, b := rctest.TwoInstances(t)
	ada := a.Login(a.User(0, "101"))
	grace := b.Login(b.User(0, "102"))
	const text = "outlives its instance"
	var accept atomic.Bool
	var refused, delivered atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get("Validation-Token"); v != "" && r.ContentLength == 0 {
			w.Header().Set("Validation-Token", v)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), text) {
			return
		}
		if !accept.Load() {
			refused.Add(1)
			w.WriteHeader(503)
			return
		}
		delivered.Add(1)
	}))
	defer hook.Close()
	if sub := b.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: grace.AccessToken, JSON: map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"},
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": hook.URL + "/hook"}}}); sub.Status != 200 {
		t.Fatalf("subscribe on B: %d %s", sub.Status, sub.Body)
	}
	eventually(t, "A to index the subscription made on B", func() bool { return a.Notify.Indexed() == b.Notify.Indexed() })
	if sms := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/sms", Token: ada.AccessToken, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550101"}, "to": []map[string]any{{"phoneNumber": "+16505550102"}}, "text": text}}); sms.Status != 200 {
		t.Fatalf("sms on A: %d %s", sms.Status, sms.Body)
	}
	eventually(t, "A's first attempt to be refused", func() bool { return refused.Load() > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Close(ctx); err != nil { // the pending delivery stays in the outbox, A's
		t.Fatal(err)
	}
	accept.Store(true)
	deadline := time.Now().Add(10 * time.Second) // B looks for orphans every 5 s
	for delivered.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the delivery A left pending was not delivered by B within 10 s (%d refused)", refused.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if n := delivered.Load(); n != 1 {
		t.Fatalf("delivered %d times, want once", n)
	}
}
