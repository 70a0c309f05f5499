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
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/hookhttp"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/ring"
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
	deliveryQueueBacklog = 1 << 16 // events waiting for the dispatcher (allocated as they come)
	recordBacklog        = 1 << 12 // outcomes waiting for the recorder; more wait their turn
)

// WSSender hands a notification to a WebSocket session; it reports false if the session is not
// this instance's (gone, or held by another instance).
type WSSender func(session string, notification []byte) bool

// Poster POSTs body to address with headers and reads up to maxBody of the answer; echo, when
// not "", names an answer header whose value it returns too.
type Poster interface {
	Post(ctx context.Context, address string, headers []hookhttp.Header, body []byte, maxBody int64, echo string) (hookhttp.Response, string, error)
}

// WSRelay carries notifications for WebSocket sessions this instance does not hold (session →
// notifications, in order) to the instances sharing its store that do, if any.
type WSRelay func(ctx context.Context, notifications map[string][][]byte) error

// SubscriptionStore holds subscriptions and the WebHook outbox, and answers what filters ask
// about the extensions they name.
type SubscriptionStore interface {
	// PutSubscription inserts or replaces a subscription.
	PutSubscription(ctx context.Context, s rc.Subscription) error
	// UpdateSubscription replaces a subscription that exists (store.ErrNotFound otherwise), so
	// that a late change cannot bring back one deleted meanwhile.
	UpdateSubscription(ctx context.Context, s rc.Subscription) error
	Subscription(ctx context.Context, id string) (rc.Subscription, error)
	// Subscriptions lists an owner's subscriptions made by one app, oldest first.
	Subscriptions(ctx context.Context, extensionID int64, clientID string) ([]rc.Subscription, error)
	AllSubscriptions(ctx context.Context) ([]rc.Subscription, error)
	// DeleteSubscription removes a subscription and its undelivered notifications.
	DeleteSubscription(ctx context.Context, id string) error
	// ReserveDeliveryIDs hands out n consecutive delivery ids that no instance sharing the
	// store has had or will have.
	ReserveDeliveryIDs(ctx context.Context, n int) (first int64, err error)
	// SaveDeliveries writes deliveries as they now stand, in one transaction. New ones are this
	// instance's to deliver.
	SaveDeliveries(ctx context.Context, ds []rc.Delivery) error
	// AdoptDeliveries makes up to limit pending deliveries whose instance is no longer running
	// this instance's, and returns them in order of id.
	AdoptDeliveries(ctx context.Context, limit int) ([]rc.Delivery, error)
	FilterTargets
}

// Service holds the subscriptions and delivers their notifications.
type Service struct {
	store   SubscriptionStore
	Clock   rc.Clock
	Bus     *events.Bus
	Log     *slog.Logger
	BaseURL func() string
	// StrictHTTPS refuses plain http:// WebHook addresses, as the platform does.
	StrictHTTPS bool
	// TimeoutFault, when set, says a delivery to an address is to time out without being sent
	// (the control plane's WebHook faults).
	TimeoutFault func(address string) bool
	// WS delivers to WebSocket sessions; set by the gateway.
	WS WSSender
	// Poster makes validation handshakes and deliveries to https:// receivers (net/http's
	// job); the app sets it.
	Poster Poster
	// Relay, when set, takes what WS refused (instances sharing a store).
	Relay WSRelay
	// AdoptEvery is how often deliveries left pending by a stopped instance are looked for,
	// after the first look at Start.
	AdoptEvery time.Duration
	// FirstRetry and MaxRetry bound the backoff between delivery attempts.
	FirstRetry, MaxRetry time.Duration

	hooks   *hookhttp.Client // http:// receivers
	targets sync.Map         // address → *hookhttp.Target, or nil for net/http

	mu     sync.RWMutex
	byAcc  map[int64]map[string]*active // account → subscription id → subscription
	qmu    sync.Mutex                   // over queues, taken before a queue's own
	queues map[string]*subQueue

	attempts    *ring.Ring[Attempt]
	ids         idBlock // of deliveries
	work        chan *subQueue
	record      chan outcome
	dispatchers sync.WaitGroup // goroutines that make deliveries; the recorder outlives them
	inFlight    sync.RWMutex   // held for reading by each attempt until its outcome is recorded
	stopping    <-chan struct{}
	done        chan struct{} // closed when the recorder has written its last batch
}

type active struct {
	sub     rc.Subscription
	filters []Filter
}

// New builds a Service.
func New(s SubscriptionStore, clock rc.Clock, bus *events.Bus, log *slog.Logger, baseURL func() string) *Service {
	return &Service{store: s, Clock: clock, Bus: bus, Log: log, BaseURL: baseURL, FirstRetry: firstRetry, MaxRetry: maxRetry,
		AdoptEvery: 5 * time.Second,
		hooks:      hookhttp.New(DeliveryTimeout),
		byAcc:      map[int64]map[string]*active{}, queues: map[string]*subQueue{}, attempts: ring.New[Attempt](2000),
		work: make(chan *subQueue), record: make(chan outcome, recordBacklog)}
}

func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) // 20 characters: the spec's limit for subscription ids
}

// Reload rebuilds the in-memory index from the store (at start, after reset and import).
func (s *Service) Reload(ctx context.Context) error {
	subs, err := s.store.AllSubscriptions(ctx)
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
	s.stopping = ctx.Done()
	s.dispatchers.Add(3)
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
	defer s.dispatchers.Done()
	defer sub.Close()
	go s.recorder(ctx)
	go s.reminders(ctx)
	// Before any new notification: what an earlier run left is older.
	if err := s.adopt(ctx); err != nil && ctx.Err() == nil {
		s.Log.Error("requeue pending deliveries", "err", err)
	}
	go s.adopter(ctx)
	var batch []rc.Event
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Ready():
			batch = sub.Take(batch[:0], 500)
			if len(batch) == 0 {
				continue
			}
			if err := s.dispatch(ctx, batch); err != nil && ctx.Err() == nil {
				s.Log.Error("dispatch notifications", "err", err)
			}
			clear(batch)
		}
	}
}

// dispatch matches a batch of events against the subscriptions, queues the WebHook deliveries
// (the recorder stores them behind), and hands WebSocket ones to their sessions.
func (s *Service) dispatch(ctx context.Context, batch []rc.Event) error {
	now := s.Clock.Now()
	base := s.BaseURL()
	type wsOut struct {
		session string
		body    []byte
	}
	var ws []wsOut
	var hooks []rc.Delivery
	cache := map[partsKey]parts{}
	created := time.Now()
	s.mu.RLock()
	for i, e := range batch {
		for _, a := range s.byAcc[e.AccountID] {
			if a.sub.Status != "Active" || (!a.sub.Expiration.IsZero() && now.After(a.sub.Expiration)) {
				continue
			}
			if e.Subscription != nil && e.Subscription.ID != a.sub.ID {
				continue // a renewal reminder goes to its own subscription only
			}
			if e.Audience != nil && !e.Audience[a.sub.ExtensionID] {
				continue // a chat's events go to its members only
			}
			for _, f := range a.filters {
				enc, err := partsOf(cache, i, e, f, base)
				if err != nil {
					s.mu.RUnlock()
					return err
				}
				if enc.body == nil {
					continue // no match
				}
				b := envelope(enc.mid, enc.body, a.sub)
				switch a.sub.DeliveryMode.TransportType {
				case "WebHook":
					hooks = append(hooks, rc.Delivery{SubscriptionID: a.sub.ID, Body: b, Created: created,
						Next: created, State: "pending"})
				case "WebSocket":
					ws = append(ws, wsOut{a.sub.WSSession, b})
				}
			}
		}
	}
	s.mu.RUnlock()
	var away map[string][][]byte // session → notifications for another instance
	for _, w := range ws {
		if s.WS != nil && !s.WS(w.session, w.body) && s.Relay != nil {
			if away == nil {
				away = map[string][][]byte{}
			}
			away[w.session] = append(away[w.session], w.body)
		}
	}
	if len(away) > 0 {
		if err := s.Relay(ctx, away); err != nil && ctx.Err() == nil {
			s.Log.Error("relay WebSocket notifications", "sessions", len(away), "err", err)
		}
	}
	if len(hooks) == 0 {
		return nil
	}
	first, err := s.ids.take(ctx, s.store, len(hooks))
	if err != nil {
		return err
	}
	for i := range hooks {
		hooks[i].ID = first + int64(i)
	}
	// To the recorder first, all at once: the outcome of an attempt must reach it after its
	// delivery.
	select {
	case s.record <- outcome{fresh: hooks}:
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, d := range hooks {
		s.enqueue(d)
	}
	return nil
}

// parts is what the notifications of one event matched by one filter share: the envelope from
// the event to the subscription id, and the body.
type parts struct{ mid, body []byte }

// partsKey names an event of a dispatch batch and a filter's expansion.
type partsKey struct {
	event int
	raw   string
}

// partsOf returns the shared parts of the notification of event i of a batch for filter f, with
// a nil body if it does not match. One event matches many subscriptions' filters with the same
// expansion and their bodies are the same, so they are encoded once per event (but for renewal
// reminders, whose body is their own subscription's).
func partsOf(cache map[partsKey]parts, i int, e rc.Event, f Filter, base string) (parts, error) {
	k := partsKey{i, f.Raw}
	if enc, seen := cache[k]; seen && f.Kind != KindReminder {
		return enc, nil
	}
	var enc parts
	if body, ok := match(f, e, base); ok {
		var err error
		if enc, err = encodeParts(f.Raw, e.Time, body); err != nil {
			return parts{}, err
		}
	}
	if f.Kind != KindReminder {
		cache[k] = enc
	}
	return enc, nil
}

func encodeParts(event string, at time.Time, body any) (parts, error) {
	var out parts
	ev, err := json.Marshal(event)
	if err != nil {
		return out, err
	}
	ts, err := json.Marshal(rc.FormatTime(at))
	if err != nil {
		return out, err
	}
	if out.body, err = json.Marshal(body); err != nil {
		return out, err
	}
	out.mid = append(append(append(append([]byte(`","event":`), ev...), `,"timestamp":`...), ts...), `,"subscriptionId":"`...)
	return out, nil
}

// envelope writes a notification as json.Marshal(Notification{...}) would, from its parts.
func envelope(mid, body []byte, sub rc.Subscription) []byte {
	uuid := newUUID()
	owner := itoa(sub.ExtensionID)
	b := make([]byte, 0, 10+len(uuid)+len(mid)+len(sub.ID)+13+len(owner)+10+len(body)+1)
	b = append(b, `{"uuid":"`...)
	b = append(b, uuid...)
	b = append(b, mid...)
	if safeJSON(sub.ID) {
		b = append(b, sub.ID...)
	} else { // not one rcemu made: an imported state's
		id, _ := json.Marshal(sub.ID)
		b = append(b, id[1:len(id)-1]...)
	}
	b = append(b, `","ownerId":"`...)
	b = append(b, owner...)
	b = append(b, `","body":`...)
	b = append(b, body...)
	return append(b, '}')
}

// safeJSON reports whether s needs no escaping in a JSON string (json.Marshal also escapes <, >
// and &).
func safeJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// newUUID makes a notification uuid; the platform's are large decimal numbers in a string. They
// need to be unique, not secret: math/rand/v2 makes them without a system call each.
func newUUID() string {
	return itoa(mrand.Int64())
}

// adopt queues the deliveries that an earlier run, or another instance that has stopped, left
// pending.
func (s *Service) adopt(ctx context.Context) error {
	const batch = 10000
	for {
		ds, err := s.store.AdoptDeliveries(ctx, batch)
		if err != nil {
			return err
		}
		for _, d := range ds {
			d.Next = time.Now() // a restart is a good moment to try again
			s.enqueue(d)
		}
		if len(ds) < batch {
			return nil
		}
	}
}

// adopter looks for orphaned deliveries every AdoptEvery: an instance sharing the store may
// stop, or be killed, with deliveries pending.
func (s *Service) adopter(ctx context.Context) {
	defer s.dispatchers.Done()
	if s.AdoptEvery <= 0 {
		return
	}
	t := time.NewTicker(s.AdoptEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.adopt(ctx); err != nil && ctx.Err() == nil {
				s.Log.Error("adopt pending deliveries", "err", err)
			}
		}
	}
}

// idBlock hands out delivery ids from blocks the store reserves, so that instances sharing it
// number their deliveries apart without asking it for each one.
type idBlock struct {
	mu        sync.Mutex
	next, end int64 // next is free up to end (exclusive)
}

const idBlockSize = 4096

// take returns the first of n consecutive ids.
func (b *idBlock) take(ctx context.Context, st SubscriptionStore, n int) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.end-b.next < int64(n) {
		size := max(n, idBlockSize)
		first, err := st.ReserveDeliveryIDs(ctx, size)
		if err != nil {
			return 0, err
		}
		b.next, b.end = first, first+int64(size)
	}
	first := b.next
	b.next += int64(n)
	return first, nil
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
	defer s.dispatchers.Done()
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
