package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/hookhttp"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// subQueue holds one subscription's undelivered notifications. One worker drains it at a time,
// so a subscription's notifications arrive in order, and a slow or failing receiver holds up
// only its own.
type subQueue struct {
	id      string
	mu      sync.Mutex
	pending []rc.Delivery
	running bool
}

// enqueue adds a delivery to its subscription's queue and has a worker drain it if none does.
func (s *Service) enqueue(d rc.Delivery) {
	s.qmu.Lock()
	q := s.queues[d.SubscriptionID]
	if q == nil {
		q = &subQueue{id: d.SubscriptionID}
		s.queues[d.SubscriptionID] = q
	}
	q.mu.Lock()
	q.pending = append(q.pending, d)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	s.qmu.Unlock()
	if start {
		// An idle worker takes the queue; without one, a new worker starts. Workers outlive
		// their queue for a while: a fan-out to a thousand subscriptions then reuses a thousand
		// goroutines whose stacks have already grown instead of growing new ones each time.
		select {
		case s.work <- q:
		default:
			go s.worker(q)
		}
	}
}

const workerIdle = 2 * time.Second

func (s *Service) worker(q *subQueue) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		s.drain(q)
		idle.Reset(workerIdle)
		select {
		case q = <-s.work:
		case <-idle.C:
			return
		}
	}
}

func (s *Service) subscription(id string) (rc.Subscription, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a := s.lookup(id); a != nil {
		return a.sub, true
	}
	return rc.Subscription{}, false
}

// lookup finds an indexed subscription by id; the caller holds s.mu.
func (s *Service) lookup(id string) *active {
	for _, subs := range s.byAcc {
		if a, ok := subs[id]; ok {
			return a
		}
	}
	return nil
}

func (s *Service) drain(q *subQueue) {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.mu.Unlock()
			if s.retire(q) {
				return
			}
			continue
		}
		d := q.pending[0]
		q.mu.Unlock()

		sub, ok := s.subscription(q.id)
		if !ok || sub.Status != "Active" {
			// Deleted or blacklisted: what is left is not delivered. A deleted subscription's
			// outbox went with it.
			d.State = "failed"
			if !ok {
				d.State = "dropped"
			}
			s.record <- outcome{d: d}
			s.pop(q)
			continue
		}
		if wait := time.Until(d.Next); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.stopping:
				t.Stop()
				return
			}
			continue // the subscription may have changed meanwhile: look again
		}
		if !s.attemptAndRecord(q, sub, d) {
			return
		}
	}
}

// attemptAndRecord makes one attempt and hands its outcome to the recorder, unless the service
// is stopping. A shutdown waits for the attempts in flight, so that none is made without its
// outcome being stored (which would repeat a delivery, or forget a refusal, after a restart).
func (s *Service) attemptAndRecord(q *subQueue, sub rc.Subscription, d rc.Delivery) bool {
	s.inFlight.RLock()
	defer s.inFlight.RUnlock()
	select {
	case <-s.stopping:
		return false
	default:
	}
	ok, reason, made := s.attempt(sub, &d)
	if !made {
		return false // stopping: the delivery stays as it was
	}
	d.Attempts++
	switch {
	case ok:
		d.State = "delivered"
	case d.Attempts >= MaxDeliveryAttempts:
		d.State = "failed"
		s.blacklist(sub.ID, reason)
	default:
		backoff := s.FirstRetry << (d.Attempts - 1)
		if backoff > s.MaxRetry {
			backoff = s.MaxRetry
		}
		d.Next = time.Now().Add(backoff)
		s.record <- outcome{d: d}
		q.mu.Lock()
		q.pending[0] = d
		q.mu.Unlock()
		return true
	}
	s.record <- outcome{d: d}
	s.pop(q)
	return true
}

// retire removes an empty queue, so that subscriptions that come and go leave nothing behind;
// it reports false if a delivery came in meanwhile.
func (s *Service) retire(q *subQueue) bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) > 0 {
		return false
	}
	q.running = false
	delete(s.queues, q.id)
	return true
}

func (s *Service) pop(q *subQueue) {
	q.mu.Lock()
	q.pending[0] = rc.Delivery{}
	q.pending = q.pending[1:]
	q.mu.Unlock()
}

// target is the parsed address of a plain-HTTP receiver, or nil for one net/http must serve.
func (s *Service) target(address string) *hookhttp.Target {
	if t, ok := s.targets.Load(address); ok {
		return t.(*hookhttp.Target)
	}
	t, err := hookhttp.ParseTarget(address)
	if err != nil {
		t = nil
	}
	s.targets.Store(address, t)
	return t
}

// errInjectedTimeout is a delivery the control plane made time out.
var errInjectedTimeout = errors.New("read: i/o timeout (a fault injected by rcemu: the receiver did not answer)")

// attempt POSTs one notification as the platform does and logs the attempt; made is false if
// the service stopped before the request could go out.
func (s *Service) attempt(sub rc.Subscription, d *rc.Delivery) (ok bool, reason string, made bool) {
	var res hookhttp.Response
	var err error
	start := time.Now()
	var buf [6]hookhttp.Header
	hs := deliveryHeaders(&buf, sub.DeliveryMode.VerificationToken)
	if s.TimeoutFault != nil && s.TimeoutFault(sub.DeliveryMode.Address) {
		err = errInjectedTimeout
		start = start.Add(-DeliveryTimeout) // it counts as the timeout it stands for
	} else if t := s.target(sub.DeliveryMode.Address); t != nil {
		res, err = s.hooks.Post(t, hs, d.Body)
	} else {
		res, err = s.post(sub.DeliveryMode.Address, hs, d.Body)
	}
	a := Attempt{Time: s.Clock.Now(), SubscriptionID: sub.ID, DeliveryID: d.ID, Attempt: d.Attempts + 1,
		Address: sub.DeliveryMode.Address, EventLatencyMs: float64(time.Since(d.Created).Microseconds()) / 1000,
		LatencyMs: float64(time.Since(start).Microseconds()) / 1000}
	if errors.Is(err, hookhttp.ErrClosed) {
		return false, "", false
	}
	if err != nil {
		a.Error = err.Error()
		a.Rules = append(a.Rules, RuleUnreachable)
		if time.Since(start) >= DeliveryTimeout {
			a.Rules = append(a.Rules, RuleSlow)
		}
		s.attempts.Add(a)
		return false, fmt.Sprintf("I/O operation is failed. Details: [%v]", err), true
	}
	a.Status = res.Status
	a.ResponseBytes = int(res.BodyBytes) + res.HeaderBytes
	if a.LatencyMs > 1000 {
		a.Rules = append(a.Rules, RuleSlow)
	}
	if a.ResponseBytes > MaxValidationReply {
		a.Rules = append(a.Rules, RuleOversized)
	}
	ok = res.Status >= 200 && res.Status < 300
	if !ok {
		a.Rules = append(a.Rules, RuleNon2xx)
	}
	s.attempts.Add(a)
	if !ok {
		return false, fmt.Sprintf("HTTP status [%d]", res.Status), true
	}
	return true, "", true
}

// deliveryHeaders are the headers of a notification POST, in buf.
func deliveryHeaders(buf *[6]hookhttp.Header, token string) []hookhttp.Header {
	*buf = [6]hookhttp.Header{
		{Name: "Content-Type", Value: "application/json; charset=UTF-8"},
		{Name: "Accept", Value: "application/json"},
		{Name: "Accept-Encoding", Value: "UTF-8"},
		{Name: "User-Agent", Value: "RingCentral-Webhook/8.3"},
	}
	if token == "" {
		return buf[:4]
	}
	// Sources disagree on the header's name; the platform's docs show both.
	buf[4], buf[5] = hookhttp.Header{Name: "Verification-Token", Value: token}, hookhttp.Header{Name: "Validation-Token", Value: token}
	return buf[:]
}

// post delivers to an https:// receiver (or anything hookhttp's own client does not speak).
func (s *Service) post(address string, headers []hookhttp.Header, body []byte) (hookhttp.Response, error) {
	res, _, err := s.Poster.Post(context.Background(), address, headers, body, 1<<20, "")
	return res, err
}

// blacklist marks a subscription whose receiver kept failing, as the platform does; only
// deleting and re-creating it brings it back. It starts from the subscription as it is now (it
// may have been renewed or deleted while its deliveries were retried).
func (s *Service) blacklist(id, reason string) {
	now := s.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.lookup(id)
	if a == nil {
		return
	}
	sub := a.sub
	sub.Status, sub.BlacklistedAt, sub.BlacklistReason = "Blacklisted", &now, reason
	if err := s.store.UpdateSubscription(context.Background(), sub); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.Log.Error("blacklist subscription", "subscription", id, "err", err)
		}
		return
	}
	a.sub = sub
}

// outcome is a delivery as it now stands, or the deliveries a dispatch just made (not stored
// yet).
type outcome struct {
	d     rc.Delivery
	fresh []rc.Delivery
}

// Write-behind of the outbox: a new delivery is attempted at once and stored only if it is
// still undelivered after unsavedFor (or at shutdown), so a healthy receiver costs no writes at
// all; outcomes are written in batches. A crash (not a shutdown) can lose the notifications of
// the last unsavedFor+flushEvery — as it loses the events still on the bus. unsavedFor is about
// what a fan-out of one event to a thousand receivers on loopback takes.
const (
	flushEvery = 20 * time.Millisecond
	unsavedFor = 50 * time.Millisecond
)

// recorder writes the outbox to the store.
func (s *Service) recorder(ctx context.Context) {
	defer close(s.done)
	// The timer runs only while something waits to be written: an idle emulator sleeps.
	t := time.NewTimer(flushEvery)
	defer t.Stop()
	var tick <-chan time.Time
	arm := func() {
		if tick == nil {
			t.Reset(flushEvery)
			tick = t.C
		}
	}
	unsaved := map[int64]rc.Delivery{} // fresh deliveries not yet stored
	var batch []rc.Delivery
	take := func(o outcome) {
		if o.fresh != nil {
			for _, d := range o.fresh {
				unsaved[d.ID] = d
			}
			return
		}
		switch _, ok := unsaved[o.d.ID]; {
		case ok && (o.d.State == "delivered" || o.d.State == "dropped"):
			delete(unsaved, o.d.ID) // never stored, nothing to remove
		case ok && o.d.State == "pending":
			unsaved[o.d.ID] = o.d // keeps its place; stored when due
		default:
			delete(unsaved, o.d.ID)
			batch = append(batch, o.d)
		}
	}
	flush := func(all bool) {
		due := time.Now().Add(-unsavedFor)
		for id, d := range unsaved {
			if all || d.Created.Before(due) || d.Attempts > 0 {
				batch = append(batch, d)
				delete(unsaved, id)
			}
		}
		if len(batch) == 0 {
			return
		}
		if err := s.store.SaveDeliveries(context.Background(), batch); err != nil {
			s.Log.Error("record deliveries", "err", err)
		}
		clear(batch)
		batch = batch[:0]
	}
	for {
		select {
		case <-ctx.Done():
			s.dispatchers.Wait() // nothing makes deliveries any more
			s.hooks.Close()      // attempts waiting for a connection give up; the others finish
			// Nor attempts them once the attempts in flight are over (Start closed stopping
			// with ctx); their outcomes keep coming in meanwhile.
			quiet := make(chan struct{})
			go func() {
				s.inFlight.Lock()
				close(quiet)
			}()
			for {
				select {
				case o := <-s.record:
					take(o)
				case <-quiet:
					for {
						select {
						case o := <-s.record:
							take(o)
						default:
							flush(true)
							s.inFlight.Unlock()
							return
						}
					}
				}
			}
		case o := <-s.record:
			take(o)
			if len(batch) >= 500 {
				flush(false)
			}
			if len(batch) > 0 || len(unsaved) > 0 {
				arm()
			}
		case <-tick:
			tick = nil
			flush(false)
			if len(unsaved) > 0 {
				arm()
			}
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
