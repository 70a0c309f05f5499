package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
)

// TestRateLimitHeadersAndEnforcement: in report mode every throttled answer carries the
// X-Rate-Limit headers of its group and nothing is refused; in enforce mode the 11th Heavy call
// within a minute is 429 CMN-301 with Retry-After, the penalty moves with the clock, and a
// refused write stores nothing; a trip refuses the N-th call of an operation.
func TestRateLimitHeadersAndEnforcement(t *testing.T) {
	a := specApp(t)
	a.Clock.Set(a.Clock.Now(), true)
	tok := a.Login(a.User(0, "101")).AccessToken
	ext := "/restapi/v1.0/account/~/extension/~"
	for i := range 60 {
		r := a.Do(rctest.Req{Path: ext, Token: tok})
		if r.Status != 200 {
			t.Fatalf("report mode refused call %d: %d %s", i+1, r.Status, r.Body)
		}
		if i == 0 {
			h := r.Header
			if h.Get("X-Rate-Limit-Group") != "light" || h.Get("X-Rate-Limit-Limit") != "50" || h.Get("X-Rate-Limit-Remaining") != "49" ||
				h.Get("X-Rate-Limit-Window") != "60" {
				t.Fatalf("headers: %v", h)
			}
		}
	}
	if r := a.Do(rctest.Req{Path: "/restapi"}); r.Header.Get("X-Rate-Limit-Group") != "" {
		t.Fatalf("NoThrottling discovery has rate-limit headers: %v", r.Header)
	}

	// The 60 Light calls are still in the window: enforced now, the next one would be refused.
	a.Clock.Advance(61 * time.Second)
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/rate-limits", JSON: map[string]any{"mode": "enforce"}}); r.Status != 200 {
		t.Fatalf("enforce: %d %s", r.Status, r.Body)
	}
	log := ext + "/call-log"
	for i := range 10 {
		if r := a.Do(rctest.Req{Path: log, Token: tok}); r.Status != 200 {
			t.Fatalf("call-log %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := a.Do(rctest.Req{Path: log, Token: tok})
	if r.Status != 429 || r.ErrorCode(t) != "CMN-301" || r.Header.Get("Retry-After") != "60" || r.Header.Get("X-Rate-Limit-Window") != "60" {
		t.Fatalf("11th Heavy call: %d %v %s", r.Status, r.Header, r.Body)
	}
	// Light calls are their own group.
	if r := a.Do(rctest.Req{Path: ext, Token: tok}); r.Status != 200 {
		t.Fatalf("a Light call while Heavy is limited: %d %s", r.Status, r.Body)
	}
	a.Clock.Advance(61 * time.Second)
	if r := a.Do(rctest.Req{Path: log, Token: tok}); r.Status != 200 {
		t.Fatalf("after the penalty: %d %s", r.Status, r.Body)
	}

	// A refused SMS stores nothing.
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/rate-limits", JSON: map[string]any{"trip": map[string]any{"operation": "createSMSMessage"}}}); r.Status != 200 {
		t.Fatalf("trip: %d %s", r.Status, r.Body)
	}
	count := func() int {
		r := a.Do(rctest.Req{Path: ext + "/message-store?messageType=SMS&perPage=1000", Token: tok})
		if r.Status != 200 {
			t.Fatalf("message store: %d %s", r.Status, r.Body)
		}
		return strings.Count(string(r.Body), `"messageType":"SMS"`)
	}
	before := count()
	sms := rctest.Req{Method: "POST", Path: ext + "/sms", Token: tok, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550101"}, "to": []any{map[string]any{"phoneNumber": "+16505550102"}}, "text": "hi"}}
	if r := a.Do(sms); r.Status != 429 || r.ErrorCode(t) != "CMN-301" {
		t.Fatalf("tripped SMS: %d %s", r.Status, r.Body)
	}
	if n := count(); n != before {
		t.Fatalf("a refused SMS was stored: %d → %d", before, n)
	}
	if r := a.Do(sms); r.Status != 200 {
		t.Fatalf("the SMS after the trip: %d %s", r.Status, r.Body)
	}

	st := a.Do(rctest.Req{Path: "/_rcemu/rate-limits"})
	if st.Status != 200 || !strings.Contains(string(st.Body), `"mode":"enforce"`) || !strings.Contains(string(st.Body), `"group":"Heavy"`) {
		t.Fatalf("state: %s", st.Body)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/rate-limits", JSON: map[string]any{"mode": "always"}}); r.Status != 400 {
		t.Fatalf("bad mode: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/rate-limits"}); r.Status != 204 {
		t.Fatalf("reset: %d", r.Status)
	}
}
