package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
)

// The voice tests share this kit: an app on a frozen clock, the seeded users' tokens and
// devices, and short helpers for the call-control, call-log and control-plane requests.

const (
	v1Base     = "/restapi/v1.0/account/~"
	adaID      = "171857008" // account 1, ext 101, administrator
	graceID    = "171858008" // account 1, ext 102
	alanID     = "171859008" // account 1, ext 103
	marieID    = "271857008" // account 2, ext 101, administrator
	adaNumber  = "+16505550101"
	graceNum   = "+16505550102"
	alanNumber = "+16505550103"
	outsider   = "+13125550188" // an outside number that answers after the ring time
)

// Device ids derive from extension ids (voice.deviceIDOf); the tests read them from the API
// once to be sure, then use these.
func deviceOf(extID string) string { return extID + "804" }

type rcResp = rctest.Response

type vapp struct {
	*rctest.App
	t                       *testing.T
	ada, grace, alan, marie string // access tokens
}

// openVoice starts an app with its clock frozen, so that nothing moves unless the test says so.
func openVoice(t *testing.T) *vapp {
	t.Helper()
	a := rctest.MustOpenApp(t)
	a.Clock.Set(a.Clock.Now().Truncate(time.Second), true)
	v := &vapp{App: a, t: t}
	v.ada = a.Login(a.User(0, "101")).AccessToken
	v.grace = a.Login(a.User(0, "102")).AccessToken
	v.alan = a.Login(a.User(0, "103")).AccessToken
	v.marie = a.Login(a.User(1, "101")).AccessToken
	return v
}

// with is the kit for a subtest (whose failures must not stop the parent).
func (v *vapp) with(t *testing.T) *vapp {
	c := *v
	c.t = t
	return &c
}

// advance moves the frozen clock and applies the steps it made due, as POST /_rcemu/clock does.
func (v *vapp) advance(d time.Duration) {
	v.t.Helper()
	v.Clock.Advance(d)
	if _, err := v.Voice.ApplyDue(v.t.Context()); err != nil {
		v.t.Fatalf("apply due: %v", err)
	}
}

func (v *vapp) now() time.Time { return v.Clock.Now() }

func (v *vapp) do(method, path, tok string, body any) *rctest.Response {
	v.t.Helper()
	return v.Do(rctest.Req{Method: method, Path: path, Token: tok, JSON: body})
}

// must fails the test unless r has the status.
func (v *vapp) must(r *rctest.Response, status int, what string) *rctest.Response {
	v.t.Helper()
	if r.Status != status {
		v.t.Fatalf("%s: %d, want %d: %s", what, r.Status, status, r.Body)
	}
	return r
}

// wantError fails the test unless r is the error with the status and (each if not "") the code
// and parameter name.
func (v *vapp) wantError(r *rctest.Response, status int, code, param, what string) {
	v.t.Helper()
	var body struct {
		ErrorCode string `json:"errorCode"`
		Errors    []struct {
			ErrorCode     string `json:"errorCode"`
			Message       string `json:"message"`
			ParameterName string `json:"parameterName"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Errors) == 0 {
		v.t.Fatalf("%s: %d, not an error body: %s", what, r.Status, r.Body)
	}
	e := body.Errors[0]
	if r.Status != status || (code != "" && e.ErrorCode != code) || (param != "" && e.ParameterName != param) {
		v.t.Fatalf("%s: %d %s [%s], want %d %s [%s]: %s", what, r.Status, e.ErrorCode, e.ParameterName, status, code, param, r.Body)
	}
}

// callOut places a call from the caller's softphone; it returns the session id and the caller's
// party id.
func (v *vapp) callOut(tok, extID string, to map[string]any) (string, string) {
	v.t.Helper()
	r := v.must(v.do("POST", v1Base+"/telephony/call-out", tok, map[string]any{"from": map[string]any{"deviceId": deviceOf(extID)}, "to": to}),
		201, "call-out")
	s := r.Map(v.t)["session"].(map[string]any)
	ps := s["parties"].([]any)
	if len(ps) != 1 {
		v.t.Fatalf("call-out answer has %d parties, want the caller's only: %s", len(ps), r.Body)
	}
	return s["id"].(string), ps[0].(map[string]any)["id"].(string)
}

// simulate places a scripted inbound call through the control plane and returns the engine's
// view of it.
func (v *vapp) simulate(body map[string]any) map[string]any {
	v.t.Helper()
	r := v.must(v.do("POST", "/_rcemu/calls", "", body), 201, "simulate")
	return r.Map(v.t)
}

// session reads a session; a nil map when it is gone (404).
func (v *vapp) session(tok, sid string) map[string]any {
	v.t.Helper()
	r := v.do("GET", v1Base+"/telephony/sessions/"+sid, tok, nil)
	if r.Status == 404 {
		return nil
	}
	return v.must(r, 200, "session "+sid).Map(v.t)
}

func vparties(s map[string]any) []map[string]any {
	var out []map[string]any
	for _, p := range s["parties"].([]any) {
		out = append(out, p.(map[string]any))
	}
	return out
}

func code(p map[string]any) string { return p["status"].(map[string]any)["code"].(string) }

func reason(p map[string]any) string {
	r, _ := p["status"].(map[string]any)["reason"].(string)
	return r
}

// partyOf finds the party of an extension (by owner) in a session.
func partyOf(s map[string]any, extID string) map[string]any {
	var found map[string]any
	for _, p := range vparties(s) {
		if p["extensionId"] == extID {
			found = p // the last one: a call that came back to an extension has its newest party last
		}
	}
	return found
}

// outsideParty finds the party of no extension.
func outsideParty(s map[string]any) map[string]any {
	for _, p := range vparties(s) {
		if p["extensionId"] == nil {
			return p
		}
	}
	return nil
}

// codes lists the parties' status codes in order, for messages and comparisons.
func codes(s map[string]any) string {
	var out []string
	for _, p := range vparties(s) {
		out = append(out, code(p))
	}
	return strings.Join(out, ",")
}

func partyPath(sid, pid string) string {
	return v1Base + "/telephony/sessions/" + sid + "/parties/" + pid
}

// op posts a party operation.
func (v *vapp) op(tok, sid, pid, name string, body any) *rctest.Response {
	v.t.Helper()
	return v.do("POST", partyPath(sid, pid)+"/"+name, tok, body)
}

// inbound simulates a call from an outside number to ext 102 that rings until someone acts, and
// returns the session id and 102's party id.
func (v *vapp) inbound(from, to string) (string, string) {
	v.t.Helper()
	c := v.simulate(map[string]any{"from": from, "to": to})
	sid := c["telephonySessionId"].(string)
	s := v.session(v.ada, sid)
	var pid string
	for _, p := range vparties(s) {
		if p["direction"] == "Inbound" && p["extensionId"] != nil {
			pid = p["id"].(string)
		}
	}
	if pid == "" {
		v.t.Fatalf("no hosted inbound party: %v", s)
	}
	return sid, pid
}

// callLog lists an extension's (or with account, the account's) call log; query is appended.
func (v *vapp) callLog(tok string, account bool, query string) (map[string]any, []map[string]any) {
	v.t.Helper()
	path := v1Base + "/extension/~/call-log"
	if account {
		path = v1Base + "/call-log"
	}
	r := v.must(v.do("GET", path+query, tok, nil), 200, "call log "+query)
	m := r.Map(v.t)
	var recs []map[string]any
	for _, x := range m["records"].([]any) {
		recs = append(recs, x.(map[string]any))
	}
	return m, recs
}

// since is a dateFrom query value that leaves the seeded history out.
func since(t time.Time) string { return url.QueryEscape(t.UTC().Format("2006-01-02T15:04:05.000Z")) }

// recordOf returns the record of a telephony session in a list, or nil.
func recordOf(recs []map[string]any, sid string) map[string]any {
	for _, r := range recs {
		if r["telephonySessionId"] == sid {
			return r
		}
	}
	return nil
}

// sessionRecords lists the records one extension's log (or the account's) has of a session.
func (v *vapp) sessionRecords(tok string, account bool, sid string) []map[string]any {
	v.t.Helper()
	_, recs := v.callLog(tok, account, "?view=Detailed&perPage=max&telephonySessionId="+sid)
	return recs
}

// liveCalls lists the control plane's live sessions.
func (v *vapp) liveCalls() []map[string]any {
	v.t.Helper()
	m := v.must(v.do("GET", "/_rcemu/calls", "", nil), 200, "live calls").Map(v.t)
	var out []map[string]any
	for _, x := range m["records"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// dump is for failure messages.
func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// idString renders a JSON id (number or string) as a string.
func idString(x any) string {
	if f, ok := x.(float64); ok {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprint(x)
}
