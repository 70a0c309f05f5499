// Package faults holds the failures the control plane asks for: for the calls a rule matches (an
// operation, a method and path pattern, an app), a status with its RingCentral error body, added
// latency, or a dropped connection; on the next N calls or with a probability drawn from a
// seeded source, so that a run is repeatable. The conventions layer applies what Match returns.
package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Rule is one fault.
type Rule struct {
	ID string `json:"id"`
	// What it matches; every field given must match. Path is a pattern of segments where *
	// matches one segment and a trailing /** the rest ("/restapi/v1.0/account/*/extension/*/sms").
	Operation string `json:"operation,omitempty"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	ClientID  string `json:"clientId,omitempty"`
	// What it does: Status answers with an error body (ErrorCode and Message default to the
	// platform's for the status); LatencyMS delays the call (and then serves it, unless Status
	// or Drop); Drop closes the connection without an answer.
	Status    int    `json:"status,omitempty"`
	ErrorCode string `json:"errorCode,omitempty"`
	Message   string `json:"message,omitempty"`
	LatencyMS int    `json:"latencyMs,omitempty"`
	Drop      bool   `json:"drop,omitempty"`
	// Webhook makes the rule one of WebHook deliveries instead: a delivery to this address ("*":
	// any) times out without reaching the receiver, and is retried as a timeout is.
	Webhook string `json:"webhook,omitempty"`
	// When: the next Times matching calls (0: every one), each with Probability (0: always).
	Times       int     `json:"times,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	// Hits counts the calls it failed; Left the calls it still will (-1: no limit).
	Hits int `json:"hits"`
	Left int `json:"left"`
}

// Latency is the rule's delay.
func (r Rule) Latency() time.Duration { return time.Duration(r.LatencyMS) * time.Millisecond }

// defaults are the platform's code and message for a status.
var defaults = map[int][2]string{
	400: {"CMN-101", "Parameter value is invalid."},
	401: {"OAU-213", "Token not found"},
	403: {"CMN-401", "In order to call this API endpoint, application needs to have [ReadAccounts] permission"},
	404: {"CMN-102", "Resource for parameter [id] is not found"},
	409: {"CMN-406", "Duplicate value"},
	429: {"CMN-301", "Request rate exceeded"},
	500: {"CMN-203", "Internal Server Error"},
	501: {"CMN-202", "Operation is not supported"},
	502: {"CMN-201", "Service Temporary Unavailable"},
	503: {"CMN-201", "Service Temporary Unavailable"},
	504: {"CMN-201", "Service Temporary Unavailable"},
}

// Check validates a rule and fills its defaults.
func (r *Rule) Check() error {
	if r.Webhook != "" && (r.Status != 0 || r.Drop || r.LatencyMS != 0 || r.Operation != "" || r.Method != "" || r.Path != "" || r.ClientID != "") {
		return errors.New("a webhook fault takes an address, times and probability only")
	}
	if r.Webhook == "" && r.Status == 0 && r.LatencyMS == 0 && !r.Drop {
		return errors.New("a fault needs a status, latencyMs or drop")
	}
	if r.Status != 0 && (r.Status < 400 || r.Status > 599) {
		return fmt.Errorf("status %d is not an error status (400-599)", r.Status)
	}
	if r.Status != 0 && r.Drop {
		return errors.New("a fault answers a status or drops the connection, not both")
	}
	if r.LatencyMS < 0 || r.LatencyMS > 120_000 {
		return errors.New("latencyMs must be between 0 and 120000")
	}
	if r.Times < 0 || r.Probability < 0 || r.Probability > 1 {
		return errors.New("times must not be negative, probability must be within [0, 1]")
	}
	if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
		return errors.New("path must start with /")
	}
	if r.Status != 0 {
		d, ok := defaults[r.Status]
		if !ok {
			d = [2]string{"CMN-203", "Internal Server Error"}
			if r.Status < 500 {
				d = [2]string{"CMN-101", "Parameter value is invalid."}
			}
		}
		if r.ErrorCode == "" {
			r.ErrorCode = d[0]
		}
		if r.Message == "" {
			r.Message = d[1]
		}
	}
	r.Method = strings.ToUpper(r.Method)
	r.Left = -1
	if r.Times > 0 {
		r.Left = r.Times
	}
	return nil
}

// Injector holds the rules.
type Injector struct {
	// Claim, when set, must grant each call a rule with a limited number of calls fails
	// (instances sharing one set of rules count its calls together); a rule refused a call has
	// none left and is removed.
	Claim func(id string) bool

	mu    sync.Mutex
	count atomic.Int32 // len(rules), read without the lock on every call
	rules []*Rule
	seed  uint64
	rng   *rand.Rand
	next  int
}

// New builds an Injector drawing from seed.
func New(seed uint64) *Injector {
	i := &Injector{}
	i.Seed(seed)
	return i
}

// Seed restarts the random source, so that the same calls fail again.
func (i *Injector) Seed(seed uint64) {
	i.mu.Lock()
	i.seed, i.rng = seed, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	i.mu.Unlock()
}

// Add adds a checked rule and returns it with its id.
func (i *Injector) Add(r Rule) (Rule, error) {
	if err := r.Check(); err != nil {
		return Rule{}, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.next++
	r.ID = fmt.Sprintf("fault-%d", i.next)
	i.rules = append(i.rules, &r)
	i.count.Store(int32(len(i.rules)))
	return r, nil
}

// Rules lists the rules, with their counts, and the seed.
func (i *Injector) Rules() ([]Rule, uint64) {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]Rule, 0, len(i.rules))
	for _, r := range i.rules {
		out = append(out, *r)
	}
	return out, i.seed
}

// Remove deletes a rule; false if there is none of that id.
func (i *Injector) Remove(id string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	for k, r := range i.rules {
		if r.ID == id {
			i.rules = append(i.rules[:k], i.rules[k+1:]...)
			i.count.Store(int32(len(i.rules)))
			return true
		}
	}
	return false
}

// Clear deletes every rule.
func (i *Injector) Clear() {
	i.mu.Lock()
	i.rules = nil
	i.count.Store(0)
	i.mu.Unlock()
}

// Empty says there is no rule: the conventions layer skips Match then.
func (i *Injector) Empty() bool { return i.count.Load() == 0 }

// Match returns the first rule that fails this call, counting it. A rule whose calls are used
// up is removed.
func (i *Injector) Match(method, urlPath, operation, clientID string) (Rule, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for k, r := range i.rules {
		if r.Webhook != "" || (r.Operation != "" && r.Operation != operation) || (r.Method != "" && r.Method != method) ||
			(r.ClientID != "" && r.ClientID != clientID) || (r.Path != "" && !Matches(r.Path, urlPath)) {
			continue
		}
		if i.fire(k, r) {
			return *r, true
		}
	}
	return Rule{}, false
}

// fire draws the rule's probability and counts a hit. The caller holds i.mu.
func (i *Injector) fire(k int, r *Rule) bool {
	if r.Probability > 0 && r.Probability < 1 && i.rng.Float64() >= r.Probability {
		return false
	}
	if r.Left > 0 && i.Claim != nil && !i.Claim(r.ID) {
		i.rules = append(i.rules[:k], i.rules[k+1:]...)
		i.count.Store(int32(len(i.rules)))
		return false
	}
	r.Hits++
	if r.Left > 0 {
		r.Left--
		if r.Left == 0 {
			i.rules = append(i.rules[:k], i.rules[k+1:]...)
			i.count.Store(int32(len(i.rules)))
		}
	}
	return true
}

// Replace puts another injector's rules and seed in place of these (instances sharing them).
// Ids go on from the largest given.
func (i *Injector) Replace(rules []Rule, seed uint64) {
	i.Seed(seed)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rules = i.rules[:0]
	for _, r := range rules {
		r := r
		i.rules = append(i.rules, &r)
		var n int
		if _, err := fmt.Sscanf(r.ID, "fault-%d", &n); err == nil && n > i.next {
			i.next = n
		}
	}
	i.count.Store(int32(len(i.rules)))
}

// WebhookTimeout says a delivery to address is to time out.
func (i *Injector) WebhookTimeout(address string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	for k, r := range i.rules {
		if (r.Webhook == "*" || r.Webhook == address) && i.fire(k, r) {
			return true
		}
	}
	return false
}

// Matches says a path fits a pattern: segments equal, * for any one segment (or path.Match
// wildcards within one), and a final ** for any rest.
func Matches(pattern, p string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	ss := strings.Split(strings.Trim(p, "/"), "/")
	for k, seg := range ps {
		if seg == "**" && k == len(ps)-1 {
			return true
		}
		if k >= len(ss) {
			return false
		}
		if ok, err := path.Match(seg, ss[k]); err != nil || !ok {
			return false
		}
	}
	return len(ps) == len(ss)
}
