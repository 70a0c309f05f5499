// Package report grades each app the way the platform's production review looks at it: calls
// per operation and throttling group against the limits, 429s and whether Retry-After was
// honoured, polling where a subscription would serve, logins instead of refreshes, the
// User-Agent rules, error rates, and the permissions it uses against those it lists. Each rule
// passes, warns or fails with its reason. It reads what the request log and the rate limiter
// counted; it knows no HTTP.
package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rcemu/rcemu/internal/reqlog"
	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
)

// Results of a rule, worst last.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
)

// Check is one rule's verdict.
type Check struct {
	Rule   string `json:"rule"`
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// Op is one operation's line in the report.
type Op struct {
	reqlog.OpUse
	Limit int `json:"limitPerMinute,omitempty"`
}

// App is one app's grade.
type App struct {
	ClientID    string   `json:"clientId"`
	Name        string   `json:"name,omitempty"`
	Result      string   `json:"result"`
	Requests    int      `json:"requests"`
	Checks      []Check  `json:"checks"`
	Operations  []Op     `json:"operations"`
	Permissions []string `json:"permissions"` // listed in the seed; empty: all
}

// Report is every app's grade.
type Report struct {
	Mode string `json:"rateLimitMode"`
	Apps []App  `json:"apps"`
}

// Input is what the report is made of.
type Input struct {
	Mode       string
	Usages     []reqlog.Usage
	UserAgents []reqlog.AppReport
	Counts     []ratelimit.Count
	// Apps gives each app's name and listed permissions, by client id.
	Apps map[string]AppInfo
}

// AppInfo is what the store knows of an app.
type AppInfo struct {
	Name        string
	Permissions []string
}

// Polled are the reads an app repeats when it polls for what a subscription would push, with
// the event filter that would serve it.
var Polled = map[string]string{
	"listMessages":             "/restapi/v1.0/account/~/extension/~/message-store",
	"syncMessages":             "/restapi/v1.0/account/~/extension/~/message-store",
	"readUserCallLog":          "/restapi/v1.0/account/~/extension/~/telephony/sessions",
	"syncUserCallLog":          "/restapi/v1.0/account/~/extension/~/telephony/sessions",
	"listExtensionActiveCalls": "/restapi/v1.0/account/~/extension/~/telephony/sessions",
	"readUserPresenceStatus":   "/restapi/v1.0/account/~/extension/~/presence",
	"readCompanyCallLog":       "/restapi/v1.0/account/~/telephony/sessions",
	"readGlipPostsNew":         "/team-messaging/v1/posts",
	"listGlipChatsNew":         "/team-messaging/v1/chats",
	"readAccountPresence":      "/restapi/v1.0/account/~/presence?detailedTelephonyState=true",
	"readCallSessionStatus":    "/restapi/v1.0/account/~/telephony/sessions",
	"listCompanyActiveCalls":   "/restapi/v1.0/account/~/telephony/sessions",
}

// Thresholds of the rules.
const (
	pollCalls     = 20   // repeated reads of one kind without a subscription
	loginsWarn    = 5    // logins without a refresh
	loginsFail    = 20   // logins, refreshes or not, that a token's lifetime would have spared
	errorRateWarn = 0.10 // share of 4xx answers
	errorRateFail = 0.25
	nearLimit     = 0.8 // of a group's limit within one window
)

// Build grades every app that made a request.
func Build(in Input) Report {
	ua := map[string]reqlog.AppReport{}
	for _, r := range in.UserAgents {
		ua[r.ClientID] = r
	}
	counts := map[string][]ratelimit.Count{}
	for _, c := range in.Counts {
		counts[c.App] = append(counts[c.App], c)
	}
	rep := Report{Mode: in.Mode, Apps: []App{}}
	for _, u := range in.Usages {
		if u.ClientID == "" {
			continue // requests no app could be tied to (discovery, a bad token)
		}
		info := in.Apps[u.ClientID]
		a := App{ClientID: u.ClientID, Name: info.Name, Requests: u.Requests, Permissions: info.Permissions}
		if a.Permissions == nil {
			a.Permissions = []string{}
		}
		for _, op := range u.Operations {
			a.Operations = append(a.Operations, Op{OpUse: *op, Limit: ratelimit.Groups[op.Group].Limit})
		}
		sort.Slice(a.Operations, func(i, j int) bool {
			if a.Operations[i].Calls != a.Operations[j].Calls {
				return a.Operations[i].Calls > a.Operations[j].Calls
			}
			return a.Operations[i].Operation < a.Operations[j].Operation
		})
		a.Checks = []Check{
			rateLimits(counts[u.ClientID], in.Mode),
			retryAfter(u),
			polling(u),
			logins(u),
			userAgent(ua[u.ClientID]),
			errorRate(u),
			permissions(u, info),
		}
		a.Result = Pass
		for _, c := range a.Checks {
			a.Result = worse(a.Result, c.Result)
		}
		rep.Apps = append(rep.Apps, a)
	}
	return rep
}

func worse(a, b string) string {
	rank := map[string]int{Pass: 0, Warn: 1, Fail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func rateLimits(cs []ratelimit.Count, mode string) Check {
	c := Check{Rule: "rate-limits", Result: Pass, Reason: "every user stayed within every throttling group's limit"}
	if len(cs) == 0 {
		c.Reason = "no throttled calls counted"
		if mode == "off" {
			c.Reason = "rate limits are off (--rate-limits report or enforce counts them)"
		}
		return c
	}
	var over, near []string
	for _, k := range cs {
		g := ratelimit.Groups[k.Group]
		switch {
		case k.Limited > 0:
			over = append(over, fmt.Sprintf("extension %d: %d %s calls over %d a minute", k.Extension, k.Limited, k.Group, g.Limit))
		case float64(k.Peak) >= nearLimit*float64(g.Limit):
			near = append(near, fmt.Sprintf("extension %d: %d of %d %s calls in a minute", k.Extension, k.Peak, g.Limit, k.Group))
		}
	}
	sort.Strings(over)
	sort.Strings(near)
	switch {
	case len(over) > 0:
		c.Result, c.Reason = Fail, "over the limit, which the platform answers with 429: "+strings.Join(over, "; ")
	case len(near) > 0:
		c.Result, c.Reason = Warn, "close to the limit: "+strings.Join(near, "; ")
	}
	return c
}

func retryAfter(u reqlog.Usage) Check {
	switch {
	case u.Refused429 == 0:
		return Check{Rule: "retry-after", Result: Pass, Reason: "no 429 was received"}
	case u.Early > 0:
		return Check{Rule: "retry-after", Result: Fail, Reason: fmt.Sprintf("%d calls came before Retry-After had passed (of %d 429s); each restarts the penalty", u.Early, u.Refused429)}
	}
	return Check{Rule: "retry-after", Result: Pass, Reason: fmt.Sprintf("Retry-After was honoured after %d 429s", u.Refused429)}
}

func polling(u reqlog.Usage) Check {
	c := Check{Rule: "polling", Result: Pass, Reason: "no repeated reads a subscription would serve"}
	if u.Subscriptions > 0 {
		c.Reason = fmt.Sprintf("%d subscriptions created", u.Subscriptions)
		return c
	}
	var polled []string
	for id, filter := range Polled {
		if op := u.Operations[id]; op != nil && op.Calls >= pollCalls {
			s := fmt.Sprintf("%s ×%d", id, op.Calls)
			if filter != "" {
				s += " (subscribe to " + filter + ")"
			}
			polled = append(polled, s)
		}
	}
	if len(polled) > 0 {
		sort.Strings(polled)
		c.Result, c.Reason = Warn, "polling without a subscription: "+strings.Join(polled, "; ")
	}
	return c
}

func logins(u reqlog.Usage) Check {
	c := Check{Rule: "logins", Result: Pass, Reason: fmt.Sprintf("%d logins, %d refreshes", u.Logins, u.Refreshes)}
	switch {
	case u.Logins >= loginsFail:
		c.Result, c.Reason = Fail, fmt.Sprintf("%d logins: keep the tokens and refresh them instead of logging in again", u.Logins)
	case u.Logins >= loginsWarn && u.Refreshes == 0:
		c.Result, c.Reason = Warn, fmt.Sprintf("%d logins and no refresh: refresh the access token instead of logging in again", u.Logins)
	}
	return c
}

func userAgent(r reqlog.AppReport) Check {
	if len(r.Violations) == 0 {
		return Check{Rule: "user-agent", Result: Pass, Reason: "every request carried a conforming, consistent User-Agent"}
	}
	var parts []string
	for _, v := range r.Violations {
		parts = append(parts, fmt.Sprintf("%s (%d)", v.Message, v.Count))
	}
	return Check{Rule: "user-agent", Result: Fail, Reason: strings.Join(parts, "; ")}
}

func errorRate(u reqlog.Usage) Check {
	calls, errs := 0, 0
	for _, op := range u.Operations {
		calls += op.Calls
		errs += op.ClientErrors + op.Refused
	}
	c := Check{Rule: "errors", Result: Pass, Reason: fmt.Sprintf("%d client errors in %d calls", errs, calls)}
	if calls == 0 {
		return c
	}
	rate := float64(errs) / float64(calls)
	switch {
	case rate >= errorRateFail:
		c.Result = Fail
	case rate >= errorRateWarn:
		c.Result = Warn
	}
	if c.Result != Pass {
		c.Reason = fmt.Sprintf("%.0f %% of the calls were refused as client errors (%d of %d)", rate*100, errs, calls)
	}
	return c
}

func permissions(u reqlog.Usage, info AppInfo) Check {
	used := map[string]bool{}
	var refused []string
	for _, op := range u.Operations {
		if op.AppPermission == "" {
			continue
		}
		if op.Refused > 0 {
			refused = append(refused, fmt.Sprintf("%s (%s)", op.AppPermission, op.Operation))
		}
		if op.Calls > op.Refused {
			used[op.AppPermission] = true
		}
	}
	sort.Strings(refused)
	if len(refused) > 0 {
		return Check{Rule: "permissions", Result: Fail, Reason: "called without the permission: " + strings.Join(refused, ", ")}
	}
	if len(info.Permissions) == 0 {
		names := make([]string, 0, len(used))
		for p := range used {
			names = append(names, p)
		}
		sort.Strings(names)
		return Check{Rule: "permissions", Result: Warn, Reason: "the app lists no permissions (every one is allowed here); it uses " +
			orNone(names) + ": list exactly these"}
	}
	var unused []string
	for _, p := range info.Permissions {
		if !used[p] {
			unused = append(unused, p)
		}
	}
	if len(unused) > 0 {
		return Check{Rule: "permissions", Result: Warn, Reason: "listed but not used: " + strings.Join(unused, ", ") + " (ask only for what the app needs)"}
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for p := range used {
			if !yield(p) {
				return
			}
		}
	})
	return Check{Rule: "permissions", Result: Pass, Reason: "uses every permission it lists: " + orNone(keys)}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Markdown renders the report for people.
func (r Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# rcemu graduation report\n\n")
	fmt.Fprintf(&b, "Rate limits: %s. One section per app that called rcemu.\n", r.Mode)
	if len(r.Apps) == 0 {
		b.WriteString("\nNo app has called rcemu yet.\n")
	}
	for _, a := range r.Apps {
		name := a.ClientID
		if a.Name != "" {
			name = a.Name + " (" + a.ClientID + ")"
		}
		fmt.Fprintf(&b, "\n## %s: %s\n\n%d requests.\n\n| rule | result | reason |\n| --- | --- | --- |\n", name, strings.ToUpper(a.Result), a.Requests)
		for _, c := range a.Checks {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Rule, c.Result, strings.ReplaceAll(c.Reason, "|", "\\|"))
		}
		if len(a.Operations) > 0 {
			b.WriteString("\n| operation | group | limit/min | calls | client errors | server errors | refused (permission) |\n| --- | --- | --- | --- | --- | --- | --- |\n")
			for _, op := range a.Operations {
				limit := "-"
				if op.Limit > 0 {
					limit = fmt.Sprint(op.Limit)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d |\n", op.Operation, dash(op.Group), limit, op.Calls, op.ClientErrors, op.ServerErrors, op.Refused)
			}
		}
	}
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
