package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// subQueue holds one subscription's undelivered notifications. One goroutine drains it at a
// time, so a subscription's notifications arrive in order, and a slow or failing receiver holds
// up only its own.
type subQueue struct {
	mu      sync.Mutex
	pending []rc.Delivery
	running bool
}

// enqueue adds a delivery to its subscription's queue and starts the drainer if needed.
func (s *Service) enqueue(d rc.Delivery) bool {
	s.mu.Lock()
	q := s.queues[d.SubscriptionID]
	if q == nil {
		q = &subQueue{}
		s.queues[d.SubscriptionID] = q
	}
	s.mu.Unlock()
	q.mu.Lock()
	q.pending = append(q.pending, d)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go s.drain(d.SubscriptionID, q)
	}
	return true
}

func (s *Service) subscription(id string) (rc.Subscription, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, subs := range s.byAcc {
		if a, ok := subs[id]; ok {
			return a.sub, true
		}
	}
	return rc.Subscription{}, false
}

func (s *Service) drain(id string, q *subQueue) {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		d := q.pending[0]
		q.mu.Unlock()

		sub, ok := s.subscription(id)
		if !ok || sub.Status != "Active" {
			// Deleted or blacklisted: what is left is not delivered.
			d.State = "failed"
			s.record <- d
			s.pop(q)
			continue
		}
		if wait := time.Until(d.Next); wait > 0 {
			time.Sleep(wait)
		}
		ok, reason := s.attempt(sub, &d)
		d.Attempts++
		switch {
		case ok:
			d.State = "delivered"
		case d.Attempts >= MaxDeliveryAttempts:
			d.State = "failed"
			s.blacklist(sub, reason)
		default:
			backoff := s.FirstRetry << (d.Attempts - 1)
			if backoff > s.MaxRetry {
				backoff = s.MaxRetry
			}
			d.Next = time.Now().Add(backoff)
			s.record <- d
			q.mu.Lock()
			q.pending[0] = d
			q.mu.Unlock()
			continue
		}
		s.record <- d
		s.pop(q)
	}
}

func (s *Service) pop(q *subQueue) {
	q.mu.Lock()
	q.pending = q.pending[1:]
	q.mu.Unlock()
}

// attempt POSTs one notification as the platform does and logs the attempt.
func (s *Service) attempt(sub rc.Subscription, d *rc.Delivery) (bool, string) {
	req, err := http.NewRequest("POST", sub.DeliveryMode.Address, bytes.NewReader(d.Body))
	if err != nil {
		return false, err.Error()
	}
	h := req.Header
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Accept", "application/json")
	h.Set("Accept-Encoding", "UTF-8")
	h.Set("User-Agent", "RingCentral-Webhook/8.3")
	if tok := sub.DeliveryMode.VerificationToken; tok != "" {
		// Sources disagree on the header's name; the platform's docs show both.
		h.Set("Verification-Token", tok)
		h.Set("Validation-Token", tok)
	}
	start := time.Now()
	res, err := s.client.Do(req)
	a := Attempt{Time: s.Clock.Now(), SubscriptionID: sub.ID, DeliveryID: d.ID, Attempt: d.Attempts + 1,
		Address: sub.DeliveryMode.Address, EventLatencyMs: float64(time.Since(d.Created).Microseconds()) / 1000}
	if err != nil {
		a.LatencyMs = float64(time.Since(start).Microseconds()) / 1000
		a.Error = err.Error()
		a.Rules = append(a.Rules, RuleUnreachable)
		if time.Since(start) >= DeliveryTimeout {
			a.Rules = append(a.Rules, RuleSlow)
		}
		s.attempts.Add(a)
		return false, fmt.Sprintf("I/O operation is failed. Details: [%v]", err)
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	a.LatencyMs = float64(time.Since(start).Microseconds()) / 1000
	a.Status = res.StatusCode
	a.ResponseBytes = int(n) + headerSize(res.Header)
	if a.LatencyMs > 1000 {
		a.Rules = append(a.Rules, RuleSlow)
	}
	if a.ResponseBytes > MaxValidationReply {
		a.Rules = append(a.Rules, RuleOversized)
	}
	ok := res.StatusCode >= 200 && res.StatusCode < 300
	if !ok {
		a.Rules = append(a.Rules, RuleNon2xx)
	}
	s.attempts.Add(a)
	if !ok {
		return false, fmt.Sprintf("HTTP status [%d]", res.StatusCode)
	}
	return true, ""
}

func headerSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// blacklist marks a subscription whose receiver kept failing, as the platform does; only
// deleting and re-creating it brings it back.
func (s *Service) blacklist(sub rc.Subscription, reason string) {
	now := s.Clock.Now()
	sub.Status, sub.BlacklistedAt, sub.BlacklistReason = "Blacklisted", &now, reason
	if err := s.Store.PutSubscription(context.Background(), sub); err != nil {
		s.Log.Error("blacklist subscription", "subscription", sub.ID, "err", err)
	}
	s.mu.Lock()
	if a := s.byAcc[sub.AccountID][sub.ID]; a != nil {
		a.sub = sub
	}
	s.mu.Unlock()
}

// recorder writes delivery outcomes to the store in batches.
func (s *Service) recorder(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var batch []rc.Delivery
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := s.Store.UpdateDeliveries(context.Background(), batch); err != nil {
			s.Log.Error("record deliveries", "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case d := <-s.record:
					batch = append(batch, d)
				default:
					flush()
					return
				}
			}
		case d := <-s.record:
			batch = append(batch, d)
			if len(batch) >= 500 {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// Rules a receiver can break.
const (
	RuleSlow        = "slow"            // answered after more than a second (the platform gives up after a few)
	RuleNon2xx      = "non-2xx"         // answered with a status other than 2xx
	RuleOversized   = "oversized-reply" // headers and body over 1024 bytes
	RuleNoEcho      = "no-echo"         // did not echo Validation-Token when the subscription was created
	RuleUnreachable = "unreachable"     // connection refused, reset or timed out
)

// Attempt is one delivery attempt, as the control plane lists it.
type Attempt struct {
	Time           time.Time `json:"time"`
	SubscriptionID string    `json:"subscriptionId"`
	DeliveryID     int64     `json:"deliveryId,omitempty"`
	Attempt        int       `json:"attempt"`
	Address        string    `json:"address"`
	Status         int       `json:"status,omitempty"`
	Error          string    `json:"error,omitempty"`
	LatencyMs      float64   `json:"latencyMs"`
	EventLatencyMs float64   `json:"eventToDeliveryMs,omitempty"`
	ResponseBytes  int       `json:"responseBytes"`
	Validation     bool      `json:"validation,omitempty"`
	Rules          []string  `json:"brokenRules,omitempty"`
}

// Attempts lists recent delivery attempts, newest first.
func (s *Service) Attempts(limit int) []Attempt { return s.attempts.Recent(limit) }

// ReceiverReport is, per subscription, the rules its receiver broke and how often.
type ReceiverReport struct {
	SubscriptionID string         `json:"subscriptionId"`
	Address        string         `json:"address"`
	Attempts       int            `json:"attempts"`
	Failures       int            `json:"failures"`
	Rules          map[string]int `json:"brokenRules"`
}

// Receivers summarises the attempt log per subscription.
func (s *Service) Receivers() []ReceiverReport {
	idx := map[string]*ReceiverReport{}
	var order []string
	for _, a := range s.attempts.Recent(0) {
		r := idx[a.SubscriptionID]
		if r == nil {
			r = &ReceiverReport{SubscriptionID: a.SubscriptionID, Address: a.Address, Rules: map[string]int{}}
			idx[a.SubscriptionID] = r
			order = append(order, a.SubscriptionID)
		}
		r.Attempts++
		if a.Error != "" || a.Status < 200 || a.Status >= 300 {
			r.Failures++
		}
		for _, rule := range a.Rules {
			r.Rules[rule]++
		}
	}
	out := make([]ReceiverReport, 0, len(order))
	for _, id := range order {
		out = append(out, *idx[id])
	}
	return out
}
