// Package notify is the platform's notifications: subscriptions to event filters, matching the
// domain events services publish against them, and delivering the notifications — WebHook
// deliveries through a durable outbox (in order per subscription, retried with backoff, a
// receiver that keeps failing is blacklisted), WebSocket ones through the gateway's sessions.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/ring"
	"github.com/rcemu/rcemu/internal/store"
)

// Limits and lifetimes (the spec's CreateSubscriptionRequest and the guides).
const (
	MaxSubscriptions     = 30 // per extension and app
	DefaultWebHookTTL    = 604800
	MaxWebHookTTL        = 315360000
	WebSocketTTL         = 900 // WebSocket subscriptions live with their session; this is what they report
	ValidationTimeout    = 3 * time.Second
	MaxValidationReply   = 1024
	DeliveryTimeout      = 3 * time.Second
	MaxDeliveryAttempts  = 6
	firstRetry           = time.Second
	maxRetry             = 30 * time.Second
	deliveryQueueBacklog = 1 << 16
)

// WSSender hands a notification to a WebSocket session; it reports false if the session is gone.
type WSSender func(session string, notification []byte) bool

// Service holds the subscriptions and delivers their notifications.
type Service struct {
	Store   store.Store
	Clock   rc.Clock
	Bus     *events.Bus
	Log     *slog.Logger
	BaseURL func() string
	// StrictHTTPS refuses plain http:// WebHook addresses, as the platform does.
	StrictHTTPS bool
	// WS delivers to WebSocket sessions; set by the gateway.
	WS WSSender
	// FirstRetry and MaxRetry bound the backoff between delivery attempts.
	FirstRetry, MaxRetry time.Duration

	client *http.Client

	mu     sync.RWMutex
	byAcc  map[int64]map[string]*active // account → subscription id → subscription
	queues map[string]*subQueue

	attempts *ring.Ring[Attempt]
	record   chan rc.Delivery
	done     chan struct{} // closed when the recorder has written its last batch
}

type active struct {
	sub     rc.Subscription
	filters []Filter
}

// New builds a Service.
func New(s store.Store, clock rc.Clock, bus *events.Bus, log *slog.Logger, baseURL func() string) *Service {
	return &Service{Store: s, Clock: clock, Bus: bus, Log: log, BaseURL: baseURL, FirstRetry: firstRetry, MaxRetry: maxRetry,
		client: &http.Client{Timeout: DeliveryTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			// A fan-out sends to one receiver from many subscriptions at once: keep those
			// connections alive rather than opening new ones for every burst.
			Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 4096, IdleConnTimeout: 90 * time.Second}},
		byAcc: map[int64]map[string]*active{}, queues: map[string]*subQueue{}, attempts: ring.New[Attempt](2000),
		record: make(chan rc.Delivery, deliveryQueueBacklog)}
}

func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) // 20 characters: the spec's limit for subscription ids
}

// Reload rebuilds the in-memory index from the store (at start, after reset and import).
func (s *Service) Reload(ctx context.Context) error {
	subs, err := s.Store.AllSubscriptions(ctx)
	if err != nil {
		return err
	}
	idx := map[int64]map[string]*active{}
	for _, sub := range subs {
		a, err := s.activate(sub)
		if err != nil {
			s.Log.Warn("subscription with unreadable filters skipped", "subscription", sub.ID, "err", err)
			continue
		}
		if idx[sub.AccountID] == nil {
			idx[sub.AccountID] = map[string]*active{}
		}
		idx[sub.AccountID][sub.ID] = a
	}
	s.mu.Lock()
	s.byAcc = idx
	s.mu.Unlock()
	return nil
}

func (s *Service) activate(sub rc.Subscription) (*active, error) {
	caller := &rc.Principal{AccountID: sub.AccountID, ExtensionID: sub.ExtensionID, Admin: true}
	a := &active{sub: sub}
	for _, raw := range sub.EventFilters {
		f, err := ParseFilter(raw, caller)
		if err != nil {
			return nil, err
		}
		a.filters = append(a.filters, f)
	}
	return a, nil
}

func (s *Service) index(sub rc.Subscription, filters []Filter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byAcc[sub.AccountID] == nil {
		s.byAcc[sub.AccountID] = map[string]*active{}
	}
	s.byAcc[sub.AccountID][sub.ID] = &active{sub: sub, filters: filters}
}

func (s *Service) unindex(sub rc.Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byAcc[sub.AccountID], sub.ID)
}

// Notification is what a subscriber receives (event-filters/index.md).
type Notification struct {
	UUID           string `json:"uuid"`
	Event          string `json:"event"`
	Timestamp      string `json:"timestamp"`
	SubscriptionID string `json:"subscriptionId"`
	OwnerID        string `json:"ownerId"`
	Body           any    `json:"body"`
}

// Start subscribes to the event bus at once, so that no event published after it returns is
// missed, and delivers notifications in the background until ctx ends.
func (s *Service) Start(ctx context.Context) {
	sub := s.Bus.Subscribe(deliveryQueueBacklog)
	s.done = make(chan struct{})
	go s.run(ctx, sub)
}

// Wait returns when the background work Start began has stopped, or at the deadline.
func (s *Service) Wait(ctx context.Context) {
	if s.done == nil {
		return
	}
	select {
	case <-s.done:
	case <-ctx.Done():
	}
}

func (s *Service) run(ctx context.Context, sub *events.Subscription) {
	defer sub.Close()
	go s.recorder(ctx)
	go s.reminders(ctx)
	if err := s.recover(ctx); err != nil && ctx.Err() == nil {
		s.Log.Error("requeue pending deliveries", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sub.C:
			batch := []rc.Event{e}
		drain:
			for len(batch) < 500 {
				select {
				case e := <-sub.C:
					batch = append(batch, e)
				default:
					break drain
				}
			}
			if err := s.dispatch(ctx, batch); err != nil && ctx.Err() == nil {
				s.Log.Error("dispatch notifications", "err", err)
			}
		}
	}
}

// dispatch matches a batch of events against the subscriptions, stores the WebHook deliveries
// in one transaction and queues them, and hands WebSocket ones to their sessions.
func (s *Service) dispatch(ctx context.Context, batch []rc.Event) error {
	now := s.Clock.Now()
	base := s.BaseURL()
	var hooks []*rc.Delivery
	s.mu.RLock()
	type wsOut struct {
		session string
		body    []byte
	}
	var ws []wsOut
	for _, e := range batch {
		for _, a := range s.byAcc[e.AccountID] {
			if a.sub.Status != "Active" || (!a.sub.Expiration.IsZero() && now.After(a.sub.Expiration)) {
				continue
			}
			if e.Subscription != nil && e.Subscription.ID != a.sub.ID {
				continue // a renewal reminder goes to its own subscription only
			}
			for _, f := range a.filters {
				body, ok := match(f, e, base)
				if !ok {
					continue
				}
				n := Notification{UUID: newUUID(), Event: f.Raw, Timestamp: rc.FormatTime(e.Time), SubscriptionID: a.sub.ID,
					OwnerID: itoa(a.sub.ExtensionID), Body: body}
				b, err := json.Marshal(n)
				if err != nil {
					s.mu.RUnlock()
					return err
				}
				switch a.sub.DeliveryMode.TransportType {
				case "WebHook":
					hooks = append(hooks, &rc.Delivery{SubscriptionID: a.sub.ID, Body: b, Created: time.Now(),
						Next: time.Now(), State: "pending"})
				case "WebSocket":
					ws = append(ws, wsOut{a.sub.WSSession, b})
				}
			}
		}
	}
	s.mu.RUnlock()
	for _, w := range ws {
		if s.WS != nil {
			s.WS(w.session, w.body)
		}
	}
	if len(hooks) == 0 {
		return nil
	}
	if err := s.Store.EnqueueDeliveries(ctx, hooks); err != nil {
		return err
	}
	for _, d := range hooks {
		s.enqueue(*d)
	}
	return nil
}

// newUUID makes a notification uuid; the platform's are large decimal numbers in a string.
func newUUID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return itoa(int64(n >> 1))
}

// recover queues the deliveries a previous run left pending.
func (s *Service) recover(ctx context.Context) error {
	var after int64
	for {
		ds, err := s.Store.PendingDeliveries(ctx, after, 10000)
		if err != nil || len(ds) == 0 {
			return err
		}
		for _, d := range ds {
			d.Next = time.Now() // a restart is a good moment to try again
			s.enqueue(d)
			after = d.ID
		}
	}
}

var errNoSubscription = errors.New("subscription not found")

type wsSessionKey struct{}

// WithWSSession marks a request as made over a WebSocket session, so that the subscriptions it
// creates are delivered there.
func WithWSSession(ctx context.Context, session string) context.Context {
	return context.WithValue(ctx, wsSessionKey{}, session)
}

// WSSessionFrom returns the WebSocket session a request came over, or "".
func WSSessionFrom(ctx context.Context) string {
	s, _ := ctx.Value(wsSessionKey{}).(string)
	return s
}

// reminders publishes renewal reminders for subscriptions with a /subscription/~ filter: once
// the time left falls under the threshold, every interval, on the emulator's clock.
func (s *Service) reminders(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := map[string]time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.Clock.Now()
		var due []rc.Event
		s.mu.RLock()
		for _, subs := range s.byAcc {
			for _, a := range subs {
				for _, f := range a.filters {
					if f.Kind != KindReminder || a.sub.Status != "Active" {
						continue
					}
					left := a.sub.Expiration.Sub(now)
					if left <= 0 || left > time.Duration(f.Threshold)*time.Second {
						continue
					}
					if l, ok := last[a.sub.ID]; ok && now.Sub(l) < time.Duration(f.Interval)*time.Second {
						continue
					}
					last[a.sub.ID] = now
					cp := a.sub
					due = append(due, rc.Event{Kind: "subscription-reminder", AccountID: cp.AccountID, ExtensionID: cp.ExtensionID,
						Time: now, Subscription: &cp})
				}
			}
		}
		s.mu.RUnlock()
		if len(due) > 0 {
			if err := s.dispatch(ctx, due); err != nil && ctx.Err() == nil {
				s.Log.Error("renewal reminders", "err", err)
			}
		}
	}
}
