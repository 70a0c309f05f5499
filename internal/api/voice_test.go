package api_test

import (
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
)

func TestCallOutHoldMuteDrop(t *testing.T) {
	a := rctest.MustOpenApp(t)
	a.Clock.Set(a.Clock.Now(), true)
	tok := a.Login(a.User(0, "101")).AccessToken
	devs := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/device", Token: tok})
	if devs.Status != 200 {
		t.Fatalf("devices: %d %s", devs.Status, devs.Body)
	}
	dev := devs.Map(t)["records"].([]any)[0].(map[string]any)["id"].(string)
	out := a.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/account/~/telephony/call-out", Token: tok,
		JSON: map[string]any{"from": map[string]any{"deviceId": dev}, "to": map[string]any{"phoneNumber": "+14155550123"}}})
	if out.Status != 201 {
		t.Fatalf("call-out: %d %s", out.Status, out.Body)
	}
	sess := out.Map(t)["session"].(map[string]any)
	sid := sess["id"].(string)
	pid := sess["parties"].([]any)[0].(map[string]any)["id"].(string)
	base := "/restapi/v1.0/account/~/telephony/sessions/" + sid
	get := func() map[string]any {
		r := a.Do(rctest.Req{Path: base, Token: tok})
		if r.Status != 200 {
			t.Fatalf("session: %d %s", r.Status, r.Body)
		}
		return r.Map(t)
	}
	status := func(m map[string]any, i int) string {
		return m["parties"].([]any)[i].(map[string]any)["status"].(map[string]any)["code"].(string)
	}
	if s := get(); status(s, 0) != "Proceeding" || status(s, 1) != "Proceeding" {
		t.Fatalf("ringing: %v", s)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: base + "/parties/" + pid + "/hold", Token: tok}); r.Status != 409 || r.ErrorCode(t) != "TAS-102" {
		t.Fatalf("hold while ringing: %d %s", r.Status, r.Body)
	}
	a.Clock.Advance(3 * time.Second)
	if _, err := a.Voice.ApplyDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := get(); status(s, 0) != "Answered" || status(s, 1) != "Answered" {
		t.Fatalf("answered: %v", s)
	}
	hold := a.Do(rctest.Req{Method: "POST", Path: base + "/parties/" + pid + "/hold", Token: tok, Header: map[string][]string{"Content-Type": {"application/json"}}})
	if hold.Status != 200 || hold.Map(t)["status"].(map[string]any)["code"] != "Hold" {
		t.Fatalf("hold: %d %s", hold.Status, hold.Body)
	}
	unhold := a.Do(rctest.Req{Method: "POST", Path: base + "/parties/" + pid + "/unhold", Token: tok})
	if unhold.Status != 200 || unhold.Map(t)["status"].(map[string]any)["code"] != "Answered" {
		t.Fatalf("unhold: %d %s", unhold.Status, unhold.Body)
	}
	mute := a.Do(rctest.Req{Method: "PATCH", Path: base + "/parties/" + pid, Token: tok, JSON: map[string]any{"muted": true}})
	if mute.Status != 200 || mute.Map(t)["muted"] != true {
		t.Fatalf("mute: %d %s", mute.Status, mute.Body)
	}
	a.Clock.Advance(60 * time.Second)
	if r := a.Do(rctest.Req{Method: "DELETE", Path: base, Token: tok}); r.Status != 204 {
		t.Fatalf("drop: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: base, Token: tok}); r.Status != 404 || r.ErrorCode(t) != "CMN-102" {
		t.Fatalf("after drop: %d %s", r.Status, r.Body)
	}
	log := a.Do(rctest.Req{Path: "/restapi/v1.0/account/~/extension/~/call-log?view=Detailed", Token: tok})
	if log.Status != 200 {
		t.Fatalf("call log: %d %s", log.Status, log.Body)
	}
	recs := log.Map(t)["records"].([]any)
	if len(recs) == 0 {
		t.Fatalf("no record: %s", log.Body)
	}
	rec := recs[0].(map[string]any)
	if rec["telephonySessionId"] != sid || rec["result"] != "Call connected" || rec["direction"] != "Outbound" || rec["duration"] != 63.0 {
		t.Fatalf("record: %v", rec)
	}
}
