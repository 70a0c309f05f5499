package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/rctest"
)

// receiver is a real WebHook receiver: it echoes Validation-Token (unless told not to) and
// records the notifications it gets.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []map[string]any
	header []http.Header
	status int  // answer to notifications
	noEcho bool // do not echo the validation token
	ch     chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	rv := &receiver{status: 200, ch: make(chan struct{}, 1000)}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.Header.Get("Validation-Token"); tok != "" && r.ContentLength == 0 {
			if !rv.noEcho {
				w.Header().Set("Validation-Token", tok)
			}
			w.WriteHeader(200)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		rv.mu.Lock()
		st := rv.status
		if st == 200 {
			rv.got = append(rv.got, m)
			rv.header = append(rv.header, r.Header.Clone())
		}
		rv.mu.Unlock()
		w.WriteHeader(st)
		if st == 200 {
			rv.ch <- struct{}{}
		}
	}))
	t.Cleanup(rv.Close)
	return rv
}

func (rv *receiver) wait(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		rv.mu.Lock()
		if len(rv.got) >= n {
			out := append([]map[string]any(nil), rv.got...)
			rv.mu.Unlock()
			return out
		}
		rv.mu.Unlock()
		select {
		case <-rv.ch:
		case <-deadline:
			t.Fatalf("received %d notifications, want %d", len(rv.got), n)
		}
	}
}

func subscribe(a *rctest.App, tok, address string, filters ...string) *rctest.Response {
	return a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: tok, JSON: map[string]any{
		"eventFilters": filters,
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": address, "verificationToken": "secret-123"}}})
}

func sms(a *rctest.App, tok, from, to, text string) *rctest.Response {
	return a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/extension/~/sms", Token: tok, JSON: map[string]any{
		"from": map[string]string{"phoneNumber": from}, "to": []any{map[string]string{"phoneNumber": to}}, "text": text}})
}

func TestWebHookSubscriptionReceivesMessageEvents(t *testing.T) {
	a := rctest.MustOpenApp(t)
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	rv := newReceiver(t)
	r := subscribe(a, grace, rv.URL+"/hook", "/restapi/v1.0/account/~/extension/~/message-store",
		"/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS")
	if r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	sub := r.Map(t)
	filters := fmt.Sprint(sub["eventFilters"])
	if sub["status"] != "Active" || !strings.Contains(filters, "/restapi/v1.0/account/159048008/extension/171858008/message-store") ||
		strings.Contains(filters, "~") || sub["expiresIn"].(float64) < 604000 || len(sub["id"].(string)) > 20 ||
		sub["deliveryMode"].(map[string]any)["transportType"] != "WebHook" || sub["uri"] != a.URL+"/restapi/v1.0/subscription/"+sub["id"].(string) {
		t.Fatalf("subscription = %v", sub)
	}
	if r := sms(a, ada, "+16505550101", "+16505550102", "ping"); r.Status != 200 {
		t.Fatalf("sms: %d %s", r.Status, r.Body)
	}
	got := rv.wait(t, 2)
	var store, instant map[string]any
	for _, n := range got {
		if strings.HasSuffix(n["event"].(string), "/message-store") {
			store = n
		} else {
			instant = n
		}
	}
	if store == nil || instant == nil {
		t.Fatalf("notifications = %v", got)
	}
	for _, n := range got {
		if n["subscriptionId"] != sub["id"] || n["ownerId"] != "171858008" || n["uuid"] == "" || n["timestamp"] == "" {
			t.Fatalf("envelope = %v", n)
		}
	}
	body := store["body"].(map[string]any)
	ch := body["changes"].([]any)[0].(map[string]any)
	if body["extensionId"] != 171858008.0 || ch["type"] != "SMS" || ch["newCount"] != 1.0 {
		t.Fatalf("message-store body = %v", body)
	}
	ib := instant["body"].(map[string]any)
	if ib["subject"] != "ping" || ib["direction"] != "Inbound" || ib["from"].(map[string]any)["phoneNumber"] != "+16505550101" {
		t.Fatalf("instant body = %v", ib)
	}
	h := rv.header[0]
	if h.Get("Verification-Token") != "secret-123" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") ||
		!strings.HasPrefix(h.Get("User-Agent"), "RingCentral-Webhook") {
		t.Fatalf("notification headers = %v", h)
	}
	// The validation and two deliveries; the last attempt is logged just after its answer.
	var att []any
	for i := 0; i < 100 && len(att) < 3; i++ {
		att = a.Do(rctest.Req{Path: "/_rcemu/deliveries"}).Map(t)["records"].([]any)
		time.Sleep(5 * time.Millisecond)
	}
	if len(att) != 3 {
		t.Fatalf("attempts = %v", att)
	}
}

func TestSubscriptionErrorsCreateNothing(t *testing.T) {
	a := rctest.MustOpenApp(t)
	grace := a.Login(a.User(0, "102")).AccessToken
	rv := newReceiver(t)
	silent := newReceiver(t)
	silent.noEcho = true
	for _, tc := range []struct {
		name    string
		address string
		filters []string
		status  int
		code    string
	}{
		{"ErrUnknownFilter", rv.URL, []string{"/restapi/v1.0/account/~/extension/~/weather"}, 400, "SUB-508"},
		{"ErrOtherAccount", rv.URL, []string{"/restapi/v1.0/account/259048008/extension/271857008/message-store"}, 403, "SUB-406"},
		{"ErrOtherExtensionMessages", rv.URL, []string{"/restapi/v1.0/account/~/extension/171857008/message-store"}, 403, "SUB-405"},
		{"ErrUnknownExtension", rv.URL, []string{"/restapi/v1.0/account/~/extension/999/presence"}, 403, "SUB-408"},
		{"ErrNoEcho", silent.URL, []string{"/restapi/v1.0/account/~/extension/~/message-store"}, 400, "SUB-520"},
		{"ErrUnreachable", "http://127.0.0.1:1/hook", []string{"/restapi/v1.0/account/~/extension/~/message-store"}, 400, "SUB-521"},
		{"ErrBadAddress", "ftp://example", []string{"/restapi/v1.0/account/~/extension/~/message-store"}, 400, "CMN-101"},
		{"ErrNoFilters", rv.URL, nil, 400, "CMN-100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := subscribe(a, grace, tc.address, tc.filters...)
			if r.Status != tc.status || r.ErrorCode(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	// The token travels as a header line: a line break in it would forge other headers.
	r := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: grace, JSON: map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/presence"},
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": rv.URL, "verificationToken": "a\r\nX-Forged: 1"}}})
	if r.Status != 400 || r.ErrorCode(t) != "CMN-101" || !strings.Contains(string(r.Body), "deliveryMode.verificationToken") {
		t.Fatalf("token with a line break: %d %s", r.Status, r.Body)
	}
	list := a.Do(rctest.Req{Path: "/restapi/v1.0/subscription", Token: grace}).Map(t)
	if len(list["records"].([]any)) != 0 {
		t.Fatalf("refused subscriptions were stored: %v", list)
	}
	// Another user's presence is allowed.
	if r := subscribe(a, grace, rv.URL, "/restapi/v1.0/account/~/extension/171857008/presence"); r.Status != 200 {
		t.Fatalf("presence of another user: %d %s", r.Status, r.Body)
	}
}

func TestRenewUpdateDeleteExpire(t *testing.T) {
	a := rctest.MustOpenApp(t)
	grace := a.Login(a.User(0, "102")).AccessToken
	rv := newReceiver(t)
	r := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: grace, JSON: map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/presence"}, "expiresIn": 600,
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": rv.URL}}})
	sub := r.Map(t)
	id := sub["id"].(string)
	path := "/restapi/v1.0/subscription/" + id
	if sub["expiresIn"] != 600.0 {
		t.Fatalf("expiresIn = %v", sub["expiresIn"])
	}
	a.Clock.Advance(300 * time.Second)
	if got := a.Do(rctest.Req{Method: "POST", Path: path + "/renew", Token: grace}).Map(t); got["expiresIn"] != 600.0 {
		t.Fatalf("renew = %v", got)
	}
	up := a.Do(rctest.Req{Method: "PUT", Path: path, Token: grace, JSON: map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/message-store?type=SMS"}}}).Map(t)
	if fmt.Sprint(up["eventFilters"]) != "[/restapi/v1.0/account/159048008/extension/171858008/message-store?type=SMS]" {
		t.Fatalf("update = %v", up)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: path, Token: grace}); r.Status != 200 {
		t.Fatalf("empty PUT renews: %d %s", r.Status, r.Body)
	}
	other := a.Login(a.User(0, "103")).AccessToken
	if r := a.Do(rctest.Req{Path: path, Token: other}); r.Status != 404 {
		t.Fatalf("another user's subscription: %d", r.Status)
	}
	a.Clock.Advance(601 * time.Second)
	if r := a.Do(rctest.Req{Path: path, Token: grace}); r.Status != 404 || r.ErrorCode(t) != "SUB-507" {
		t.Fatalf("expired: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: path, Token: grace}); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: path, Token: grace}); r.Status != 404 {
		t.Fatalf("delete again: %d", r.Status)
	}
}

func TestPresenceNotificationsAndAPI(t *testing.T) {
	a := rctest.MustOpenApp(t)
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	rv := newReceiver(t)
	if r := subscribe(a, ada, rv.URL, "/restapi/v1.0/account/~/extension/171858008/presence?detailedTelephonyState=true"); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := a.Do(rctest.Req{Method: "PUT", Path: "/restapi/v1.0/account/~/extension/~/presence", Token: grace,
		JSON: map[string]any{"userStatus": "Busy", "dndStatus": "DoNotAcceptAnyCalls", "message": "In a meeting"}})
	if r.Status != 200 || r.Map(t)["presenceStatus"] != "Busy" {
		t.Fatalf("update presence: %d %s", r.Status, r.Body)
	}
	n := rv.wait(t, 1)[0]
	b := n["body"].(map[string]any)
	if b["userStatus"] != "Busy" || b["dndStatus"] != "DoNotAcceptAnyCalls" || b["extensionId"] != "171858008" ||
		b["telephonyStatus"] != "NoCall" || b["activeCalls"] == nil {
		t.Fatalf("presence body = %v", b)
	}
	p := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/171858008/presence", Token: ada}).Map(t)
	if p["message"] != "In a meeting" || p["extension"].(map[string]any)["extensionNumber"] != "102" {
		t.Fatalf("presence = %v", p)
	}
	list := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/presence", Token: ada}).Map(t)
	if len(list["records"].([]any)) != 4 {
		t.Fatalf("account presence = %v", list)
	}
	for _, bad := range []map[string]any{{"userStatus": "Sleepy"}, {"dndStatus": "Maybe"}} {
		if r := a.Do(rctest.Req{Method: "PUT", Path: "/restapi/v1.0/account/~/extension/~/presence", Token: grace, JSON: bad}); r.Status != 400 {
			t.Errorf("%v: %d", bad, r.Status)
		}
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/restapi/v1.0/account/~/extension/171857008/presence", Token: grace, JSON: map[string]any{"userStatus": "Busy"}}); r.Status != 403 {
		t.Errorf("changing another's presence: %d", r.Status)
	}
}

func TestFailingReceiverIsRetriedInOrderThenBlacklisted(t *testing.T) {
	a := rctest.MustOpenApp(t)
	a.Notify.FirstRetry, a.Notify.MaxRetry = 5*time.Millisecond, 20*time.Millisecond
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	rv := newReceiver(t)
	r := subscribe(a, grace, rv.URL, "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS")
	id := r.Map(t)["id"].(string)
	rv.mu.Lock()
	rv.status = 503
	rv.mu.Unlock()
	sms(a, ada, "+16505550101", "+16505550102", "one")
	sms(a, ada, "+16505550101", "+16505550102", "two")
	time.Sleep(30 * time.Millisecond)
	rv.mu.Lock()
	rv.status = 200
	rv.mu.Unlock()
	got := rv.wait(t, 2)
	if got[0]["body"].(map[string]any)["subject"] != "one" || got[1]["body"].(map[string]any)["subject"] != "two" {
		t.Fatalf("out of order: %v", got)
	}
	rep := a.Do(rctest.Req{Path: "/_rcemu/receivers"}).Map(t)["records"].([]any)
	found := false
	for _, x := range rep {
		m := x.(map[string]any)
		if m["subscriptionId"] == id && m["brokenRules"].(map[string]any)["non-2xx"].(float64) >= 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("receiver report = %v", rep)
	}
	// A receiver that never recovers ends Blacklisted.
	rv.mu.Lock()
	rv.status = 500
	rv.mu.Unlock()
	sms(a, ada, "+16505550101", "+16505550102", "three")
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := a.Do(rctest.Req{Path: "/restapi/v1.0/subscription/" + id, Token: grace}).Map(t)
		if s["status"] == "Blacklisted" {
			if s["blacklistedData"].(map[string]any)["reason"] == "" {
				t.Fatalf("no reason: %v", s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not blacklisted: %v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPendingDeliveriesSurviveARestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rcemu.db")
	rv := newReceiver(t)
	rv.mu.Lock()
	rv.status = 503
	rv.mu.Unlock()
	a := rctest.MustOpenApp(t, rctest.WithDB(db))
	a.Notify.FirstRetry, a.Notify.MaxRetry = time.Hour, time.Hour // no retry before the restart
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	if r := subscribe(a, grace, rv.URL, "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"); r.Status != 200 {
		t.Fatal(r.Status)
	}
	for i := 0; i < 3; i++ {
		sms(a, ada, "+16505550101", "+16505550102", fmt.Sprint("msg ", i))
	}
	time.Sleep(200 * time.Millisecond)
	a.CloseNow(t)
	rv.mu.Lock()
	rv.status = 200
	rv.mu.Unlock()
	b := rctest.MustOpenApp(t, rctest.WithDB(db))
	b.Notify.FirstRetry = 5 * time.Millisecond
	got := rv.wait(t, 3)
	for i, n := range got {
		if n["body"].(map[string]any)["subject"] != fmt.Sprint("msg ", i) {
			t.Fatalf("after restart: %v", got)
		}
	}
}

func TestRenewalRemindersAndExtensionEvents(t *testing.T) {
	a := rctest.MustOpenApp(t)
	grace := a.Login(a.User(0, "102")).AccessToken
	rv := newReceiver(t)
	mk := func(expires int, filters ...string) *rctest.Response {
		return a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: grace, JSON: map[string]any{
			"eventFilters": filters, "expiresIn": expires,
			"deliveryMode": map[string]any{"transportType": "WebHook", "address": rv.URL}}})
	}
	if r := mk(100, "/restapi/v1.0/subscription/~?threshold=60&interval=20"); r.Status != 400 || r.ErrorCode(t) != "SUB-516" {
		t.Fatalf("threshold above TTL/2: %d %s", r.Status, r.Body)
	}
	r := mk(100, "/restapi/v1.0/subscription/~?threshold=50&interval=20", "/restapi/v1.0/account/~/extension/~")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	id := r.Map(t)["id"].(string)
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/restapi/v1.0/account/~/extension/~", Token: grace,
		JSON: map[string]any{"contact": map[string]any{"jobTitle": "Rear Admiral"}}}); r.Status != 200 {
		t.Fatal(r.Status)
	}
	n := rv.wait(t, 1)[0]
	if b := n["body"].(map[string]any); b["extensionId"] != "171858008" || b["eventType"] != "Update" {
		t.Fatalf("extension event = %v", n)
	}
	a.Clock.Advance(60 * time.Second)
	got := rv.wait(t, 2)
	rem := got[1]
	if rem["subscriptionId"] != id || !strings.HasPrefix(rem["event"].(string), "/restapi/v1.0/subscription/~") ||
		rem["body"].(map[string]any)["expiresIn"].(float64) > 40 {
		t.Fatalf("reminder = %v", rem)
	}
}

// The outbox is written behind the deliveries: what a receiver took at once is never stored,
// what it refused is stored within a few flushes — without waiting for a shutdown.
func TestOutboxKeepsOnlyWhatIsUndelivered(t *testing.T) {
	a := rctest.MustOpenApp(t)
	a.Notify.FirstRetry, a.Notify.MaxRetry = time.Hour, time.Hour
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	ok, refusing := newReceiver(t), newReceiver(t)
	refusing.mu.Lock()
	refusing.status = 500
	refusing.mu.Unlock()
	for _, rv := range []*receiver{ok, refusing} {
		if r := subscribe(a, grace, rv.URL, "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"); r.Status != 200 {
			t.Fatal(r.Status)
		}
	}
	for i := 0; i < 3; i++ {
		sms(a, ada, "+16505550101", "+16505550102", fmt.Sprint("msg ", i))
	}
	ok.wait(t, 3)
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds, err := a.Store.PendingDeliveries(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 3 { // the refused receiver's: the first tried once, the others behind it
			for i, d := range ds {
				if want := max(0, 1-i); d.Attempts != want || !strings.Contains(string(d.Body), fmt.Sprintf(`"msg %d"`, i)) {
					t.Fatalf("stored %d: %+v", i, d)
				}
			}
			break
		}
		if len(ds) > 3 || time.Now().After(deadline) {
			t.Fatalf("%d deliveries stored, want the 3 that were refused", len(ds))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A shutdown waits for the attempts in flight and stores their outcomes: an answer that comes
// while rcemu is stopping is not asked for again after the restart, and a refusal counts.
func TestShutdownWaitsForAttemptsInFlight(t *testing.T) {
	for _, status := range []int{200, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "rcemu.db")
			var mu sync.Mutex
			var got []string
			arrived := make(chan struct{}, 10)
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tok := r.Header.Get("Validation-Token"); tok != "" && r.ContentLength == 0 {
					w.Header().Set("Validation-Token", tok)
					return
				}
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, string(b))
				mu.Unlock()
				arrived <- struct{}{}
				time.Sleep(300 * time.Millisecond)
				w.WriteHeader(status)
			}))
			defer slow.Close()
			a := rctest.MustOpenApp(t, rctest.WithDB(db))
			a.Notify.FirstRetry, a.Notify.MaxRetry = time.Hour, time.Hour
			ada := a.Login(a.User(0, "101")).AccessToken
			grace := a.Login(a.User(0, "102")).AccessToken
			if r := subscribe(a, grace, slow.URL, "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"); r.Status != 200 {
				t.Fatal(r.Status)
			}
			sms(a, ada, "+16505550101", "+16505550102", "in flight")
			<-arrived
			a.CloseNow(t) // while the receiver is still answering
			b := rctest.MustOpenApp(t, rctest.WithDB(db))
			ds, err := b.Store.PendingDeliveries(context.Background(), 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case status == 200 && len(ds) != 0:
				t.Fatalf("delivered, yet %d pending after the restart", len(ds))
			case status == 503 && (len(ds) != 1 || ds[0].Attempts != 1):
				attempts := []int{}
				for _, d := range ds {
					attempts = append(attempts, d.Attempts)
				}
				t.Fatalf("refused: pending after the restart with attempts %v, want [1]", attempts)
			}
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if status == 200 && len(got) != 1 {
				t.Fatalf("received %d times", len(got))
			}
		})
	}
}

// Receivers that break the platform's rules are flagged with the rule, whichever way the
// answer comes (the lean client reads it, so its sizes and timings are checked here).
func TestReceiverRulesAreFlagged(t *testing.T) {
	a := rctest.MustOpenApp(t)
	a.Notify.FirstRetry, a.Notify.MaxRetry = time.Hour, time.Hour
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	hook := func(answer func(w http.ResponseWriter)) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tok := r.Header.Get("Validation-Token"); tok != "" && r.ContentLength == 0 {
				w.Header().Set("Validation-Token", tok)
				return
			}
			io.Copy(io.Discard, r.Body)
			answer(w)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	slow := hook(func(w http.ResponseWriter) { time.Sleep(1100 * time.Millisecond) })
	chatty := hook(func(w http.ResponseWriter) {
		w.Header().Set("Set-Cookie", "c="+strings.Repeat("x", 600))
		w.Write([]byte(strings.Repeat("thanks ", 100)))
	})
	gone := hook(func(w http.ResponseWriter) {})
	ids := map[string]string{}
	for name, srv := range map[string]*httptest.Server{"slow": slow, "chatty": chatty, "gone": gone} {
		r := subscribe(a, grace, srv.URL, "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS")
		if r.Status != 200 {
			t.Fatalf("%s: %d", name, r.Status)
		}
		ids[r.Map(t)["id"].(string)] = name
	}
	gone.Close()
	sms(a, ada, "+16505550101", "+16505550102", "rules")
	want := map[string]string{"slow": notify.RuleSlow, "chatty": notify.RuleOversized, "gone": notify.RuleUnreachable}
	deadline := time.Now().Add(5 * time.Second)
	for {
		flagged := map[string]bool{}
		for _, x := range a.Do(rctest.Req{Path: "/_rcemu/receivers"}).Map(t)["records"].([]any) {
			m := x.(map[string]any)
			name := ids[m["subscriptionId"].(string)]
			if name == "" {
				continue
			}
			rules := m["brokenRules"].(map[string]any)
			if rules[want[name]] != nil {
				flagged[name] = true
			}
			if name == "chatty" && rules[notify.RuleNon2xx] != nil {
				t.Fatalf("a 200 with a long answer is not a failure: %v", m)
			}
		}
		if len(flagged) == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flagged %v, want all of %v", flagged, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A subscription deleted while its delivery waits to be retried gets no more attempts, and
// stays deleted.
func TestDeletedWhileRetryingIsNotTriedAgain(t *testing.T) {
	a := rctest.MustOpenApp(t)
	a.Notify.FirstRetry, a.Notify.MaxRetry = 200*time.Millisecond, 200*time.Millisecond
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.Header.Get("Validation-Token"); tok != "" && r.ContentLength == 0 {
			w.Header().Set("Validation-Token", tok)
			return
		}
		posts.Add(1)
		w.WriteHeader(500)
	}))
	defer srv.Close()
	id := subscribe(a, grace, srv.URL, "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS").Map(t)["id"].(string)
	sms(a, ada, "+16505550101", "+16505550102", "retry me")
	for deadline := time.Now().Add(5 * time.Second); posts.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no first attempt")
		}
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: "/restapi/v1.0/subscription/" + id, Token: grace}); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	time.Sleep(500 * time.Millisecond)
	if n := posts.Load(); n != 1 {
		t.Fatalf("%d attempts, want 1 (none after the delete)", n)
	}
	if r := a.Do(rctest.Req{Path: "/restapi/v1.0/subscription/" + id, Token: grace}); r.Status != 404 {
		t.Fatalf("deleted subscription reads %d", r.Status)
	}
}
