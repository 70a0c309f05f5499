// Package reqlog keeps what the control plane shows of past traffic: a bounded log of recent
// requests and, per app, the User-Agent strings it sent checked against the platform's three
// rules (send one; the same string for every request of an app instance; "Name/Version (details)").
package reqlog

import (
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/ring"
)

// Log is safe for concurrent use.
type Log struct {
	mu     sync.Mutex
	recent *ring.Ring[restapi.Entry]
	apps   map[string]*app
	// added counts requests ever recorded, so a watcher can tell how many are new since it
	// last looked without being called on the hot path.
	added atomic.Int64
}

type app struct {
	requests  int
	agents    map[string]int // agent → requests; whether it conforms is worked out in Report
	missing   int
	instances map[string]map[string]bool // session → agents seen, for the last maxSessions sessions
	mixed     int                        // sessions that sent more than one agent
	usage     Usage
	// waitUntil is, per extension and group, when a 429's Retry-After allows the next call.
	waitUntil map[waitKey]time.Time
}

type waitKey struct {
	ext   int64
	group string
}

// Usage is what an app did, for the graduation report.
type Usage struct {
	ClientID   string            `json:"clientId"`
	Requests   int               `json:"requests"`
	Operations map[string]*OpUse `json:"operations"`
	// Logins are token requests with a password, JWT or authorization code; Refreshes with a
	// refresh token.
	Logins    int `json:"logins"`
	Refreshes int `json:"refreshes"`
	// Subscriptions counts subscriptions created.
	Subscriptions int `json:"subscriptions"`
	// Refused429 counts 429 answers; Early the calls of the same user and group made before the
	// Retry-After of one had passed; Honoured those made after.
	Refused429 int `json:"rateLimited"`
	Early      int `json:"earlyRetries"`
	Honoured   int `json:"honouredRetries"`
}

// OpUse is one operation's calls by an app.
type OpUse struct {
	Operation     string `json:"operationId"`
	Group         string `json:"throttlingGroup,omitempty"`
	AppPermission string `json:"appPermission,omitempty"`
	Calls         int    `json:"calls"`
	ClientErrors  int    `json:"clientErrors"` // 4xx other than 429
	ServerErrors  int    `json:"serverErrors"`
	Refused       int    `json:"refusedPermission"` // 403 CMN-401: the app lacks the permission
}

// maxSessions bounds the sessions an app's User-Agent consistency is followed for.
const maxSessions = 1024

// New keeps the last size requests.
func New(size int) *Log {
	return &Log{recent: ring.New[restapi.Entry](size), apps: make(map[string]*app)}
}

// productRE is RFC 1945's product token "Name/Version" followed by optional comments or further
// products, as the platform's guide recommends.
var productRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*/[0-9][A-Za-z0-9._+-]*(\s+\S.*)?$`)

// Conforms reports whether ua follows the guide's "Name/Version (details)" form.
func Conforms(ua string) bool { return productRE.MatchString(ua) }

// Added counts the requests recorded since the log was made (Clear does not reset it).
func (l *Log) Added() int64 { return l.added.Load() }

// Add records one request.
func (l *Log) Add(e restapi.Entry) {
	l.recent.Add(e)
	l.added.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.apps[e.ClientID]
	if a == nil {
		a = &app{agents: map[string]int{}, instances: map[string]map[string]bool{}, waitUntil: map[waitKey]time.Time{},
			usage: Usage{ClientID: e.ClientID, Operations: map[string]*OpUse{}}}
		l.apps[e.ClientID] = a
	}
	a.requests++
	a.use(e)
	if e.UserAgent == "" {
		a.missing++
		return
	}
	// The format rule is checked when the report is made, once per distinct agent, not here on
	// every request.
	a.agents[e.UserAgent]++
	if e.SessionID != "" {
		seen := a.instances[e.SessionID]
		if seen == nil {
			if len(a.instances) >= maxSessions {
				// An app that logs in for every call makes a session each time: remember the
				// recent ones only (the count of mixed sessions stays).
				a.instances = map[string]map[string]bool{}
			}
			seen = map[string]bool{}
			a.instances[e.SessionID] = seen
		}
		if !seen[e.UserAgent] {
			seen[e.UserAgent] = true
			if len(seen) == 2 {
				a.mixed++
			}
		}
	}
}

// use counts a request in the app's usage.
func (a *app) use(e restapi.Entry) {
	u := &a.usage
	u.Requests++
	if e.Operation != "" {
		op := u.Operations[e.Operation]
		if op == nil {
			op = &OpUse{Operation: e.Operation, Group: e.Group, AppPermission: e.AppPermission}
			u.Operations[e.Operation] = op
		}
		op.Calls++
		switch {
		case e.Status == 403 && e.ErrorCode == "CMN-401":
			op.Refused++
		case e.Status >= 500:
			op.ServerErrors++
		case e.Status >= 400 && e.Status != 429:
			op.ClientErrors++
		}
	}
	switch e.Grant {
	case "":
	case "refresh_token":
		u.Refreshes++
	default:
		if e.Status == 200 {
			u.Logins++
		}
	}
	if e.Operation == "createSubscription" && e.Status == 200 {
		u.Subscriptions++
	}
	if e.Group == "" {
		return
	}
	k := waitKey{e.ExtensionID, e.Group}
	if until, ok := a.waitUntil[k]; ok {
		if e.Time.Before(until) {
			u.Early++
		} else {
			u.Honoured++
			delete(a.waitUntil, k)
		}
	}
	if e.Status == 429 {
		u.Refused429++
		wait := time.Duration(e.RetryAfter) * time.Second
		if wait <= 0 {
			wait = 30 * time.Second // what the platform's guide tells clients to assume
		}
		a.waitUntil[k] = e.Time.Add(wait)
	}
}

// Usages returns every app's usage, in client-id order.
func (l *Log) Usages() []Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Usage, 0, len(l.apps))
	for _, a := range l.apps {
		u := a.usage
		u.Operations = make(map[string]*OpUse, len(a.usage.Operations))
		for k, v := range a.usage.Operations {
			c := *v
			u.Operations[k] = &c
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	return out
}

// Recent returns up to limit entries, newest first.
func (l *Log) Recent(limit int) []restapi.Entry { return l.recent.Recent(limit) }

// Clear forgets everything.
func (l *Log) Clear() {
	l.recent.Clear()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.apps = make(map[string]*app)
}

// AgentUse is one User-Agent string an app sent.
type AgentUse struct {
	Value      string `json:"value"`
	Requests   int    `json:"requests"`
	Conforming bool   `json:"conforming"`
}

// Violation is one broken rule with how often it was broken.
type Violation struct {
	Rule    string `json:"rule"` // "sent", "consistent" or "format"
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// AppReport is the User-Agent report of one app ("" for requests no app could be tied to).
type AppReport struct {
	ClientID   string      `json:"clientId"`
	Requests   int         `json:"requests"`
	UserAgents []AgentUse  `json:"userAgents"`
	Violations []Violation `json:"violations"`
}

// Report returns the per-app User-Agent report, apps in client-id order.
func (l *Log) Report() []AppReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]AppReport, 0, len(l.apps))
	for id, a := range l.apps {
		r := AppReport{ClientID: id, Requests: a.requests, UserAgents: []AgentUse{}, Violations: []Violation{}}
		for ua, n := range a.agents {
			r.UserAgents = append(r.UserAgents, AgentUse{Value: ua, Requests: n, Conforming: Conforms(ua)})
		}
		sort.Slice(r.UserAgents, func(i, j int) bool { return r.UserAgents[i].Value < r.UserAgents[j].Value })
		if a.missing > 0 {
			r.Violations = append(r.Violations, Violation{Rule: "sent", Count: a.missing,
				Message: "requests carried neither User-Agent nor X-User-Agent"})
		}
		if mixed := a.mixed; mixed > 0 {
			r.Violations = append(r.Violations, Violation{Rule: "consistent", Count: mixed,
				Message: "sessions of this app sent more than one User-Agent string"})
		}
		bad := 0
		for _, u := range r.UserAgents {
			if !u.Conforming {
				bad += u.Requests
			}
		}
		if bad > 0 {
			r.Violations = append(r.Violations, Violation{Rule: "format", Count: bad,
				Message: `User-Agent does not start with "Name/Version", e.g. "MyApp/1.2.0 (details)"`})
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	return out
}
