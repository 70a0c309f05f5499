package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/hookhttp"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// DeliveryModeRequest is the deliveryMode of a create request.
type DeliveryModeRequest struct {
	TransportType     string `json:"transportType"`
	Address           string `json:"address"`
	VerificationToken string `json:"verificationToken"`
	// ValidationToken is the field's name before verificationToken; older SDKs still send it.
	ValidationToken string `json:"validationToken"`
	Encryption      *bool  `json:"encryption"`
}

// CreateRequest is CreateSubscriptionRequest.
type CreateRequest struct {
	EventFilters []string             `json:"eventFilters"`
	ExpiresIn    *int                 `json:"expiresIn"`
	DeliveryMode *DeliveryModeRequest `json:"deliveryMode"`
}

// UpdateRequest is UpdateSubscriptionRequest; an empty one just renews.
type UpdateRequest struct {
	EventFilters []string `json:"eventFilters"`
	ExpiresIn    *int     `json:"expiresIn"`
}

// Owner is who manages a subscription: an extension through one app and OAuth session, and,
// for WebSocket subscriptions, the gateway session they live in.
type Owner struct {
	Principal *rc.Principal
	WSSession string
}

func ttl(req *int, transport string) (int, error) {
	if transport == "WebSocket" {
		return WebSocketTTL, nil
	}
	if req == nil {
		return DefaultWebHookTTL, nil
	}
	if *req < 1 {
		return 0, rc.Invalid("expiresIn")
	}
	return min(*req, MaxWebHookTTL), nil
}

// Create checks and creates a subscription. A WebHook's address must pass the validation
// handshake first; nothing is stored if it does not.
func (s *Service) Create(ctx context.Context, o Owner, req CreateRequest) (rc.Subscription, error) {
	p := o.Principal
	if req.DeliveryMode == nil {
		return rc.Subscription{}, rc.Missing("deliveryMode")
	}
	dm := rc.DeliveryMode{TransportType: req.DeliveryMode.TransportType, Address: strings.TrimSpace(req.DeliveryMode.Address),
		VerificationToken: req.DeliveryMode.VerificationToken}
	if dm.VerificationToken == "" {
		dm.VerificationToken = req.DeliveryMode.ValidationToken
	}
	if strings.ContainsFunc(dm.VerificationToken, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return rc.Subscription{}, rc.Invalid("deliveryMode.verificationToken") // it is sent as a header
	}
	switch {
	case strings.EqualFold(dm.TransportType, "WebHook"):
		dm.TransportType = "WebHook"
	case strings.EqualFold(dm.TransportType, "WebSocket"):
		dm.TransportType = "WebSocket"
		if o.WSSession == "" {
			e := rc.Invalid("deliveryMode.transportType")
			e.Message = "WebSocket subscriptions are created over the WebSocket connection"
			return rc.Subscription{}, e
		}
		dm.Address = ""
	case dm.TransportType == "":
		return rc.Subscription{}, rc.Missing("deliveryMode.transportType")
	default:
		return rc.Subscription{}, rc.Invalid("deliveryMode.transportType")
	}
	filters, err := ParseFilters(ctx, s.store, req.EventFilters, p)
	if err != nil {
		return rc.Subscription{}, err
	}
	life, err := ttl(req.ExpiresIn, dm.TransportType)
	if err != nil {
		return rc.Subscription{}, err
	}
	if err := checkReminders(filters, life); err != nil {
		return rc.Subscription{}, err
	}
	existing, err := s.store.Subscriptions(ctx, p.ExtensionID, p.ClientID)
	if err != nil {
		return rc.Subscription{}, err
	}
	now := s.Clock.Now()
	live := 0
	for _, e := range existing {
		if e.Expiration.After(now) {
			live++
		}
		if dm.TransportType == "WebSocket" && e.WSSession == o.WSSession {
			// One subscription per WebSocket session: a new one replaces the old.
			if err := s.Delete(ctx, p, e.ID); err != nil && !rc.IsNotFound(err) {
				return rc.Subscription{}, err
			}
			live--
		}
	}
	if live >= MaxSubscriptions {
		return rc.Subscription{}, subError(403, "SUB-505", "Subscriptions limit exceeded")
	}
	if dm.TransportType == "WebHook" {
		if err := s.validate(ctx, dm); err != nil {
			return rc.Subscription{}, err
		}
	}
	sub := rc.Subscription{ID: newID(), AccountID: p.AccountID, ExtensionID: p.ExtensionID, ClientID: p.ClientID,
		SessionID: p.SessionID, DeliveryMode: dm, Status: "Active", CreationTime: now, ExpiresIn: life,
		Expiration: now.Add(time.Duration(life) * time.Second), WSSession: o.WSSession}
	sub.EventFilters = raws(filters)
	if err := s.store.PutSubscription(ctx, sub); err != nil {
		return rc.Subscription{}, err
	}
	s.index(sub, filters)
	return sub, nil
}

// validate performs the WebHook handshake: a POST with a Validation-Token header that the
// receiver must echo, with a 200, within 3 s, in a reply of at most 1024 bytes.
func (s *Service) validate(ctx context.Context, dm rc.DeliveryMode) error {
	u, err := url.Parse(dm.Address)
	if dm.Address == "" {
		return rc.Missing("deliveryMode.address")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return rc.Invalid("deliveryMode.address")
	}
	if s.StrictHTTPS && u.Scheme != "https" {
		return subError(400, "SUB-523", "HTTPS is required")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(ctx, ValidationTimeout)
	defer cancel()
	headers := []hookhttp.Header{{Name: "Validation-Token", Value: token}, {Name: "User-Agent", Value: "RingCentral-Webhook/8.3"},
		{Name: "Accept", Value: "application/json"}}
	start := time.Now()
	a := Attempt{Time: s.Clock.Now(), Address: dm.Address, Validation: true, Attempt: 1}
	res, echoed, err := s.Poster.Post(ctx, dm.Address, headers, nil, 1<<16, "Validation-Token")
	a.LatencyMs = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		a.Error, a.Rules = err.Error(), []string{RuleUnreachable}
		s.attempts.Add(a)
		return subError(400, "SUB-521", "WebHook is not reachable")
	}
	a.Status, a.ResponseBytes = res.Status, int(res.BodyBytes)+res.HeaderBytes
	fail := func(rule, code, msg string) error {
		a.Rules = append(a.Rules, rule)
		s.attempts.Add(a)
		return subError(400, code, msg)
	}
	if res.Status != 200 {
		return fail(RuleNon2xx, "SUB-525", "WebHook server response is invalid")
	}
	if a.ResponseBytes > MaxValidationReply {
		return fail(RuleOversized, "SUB-525", "WebHook server response is invalid")
	}
	if echoed != token {
		return fail(RuleNoEcho, "SUB-520", "Validation Token is not returned")
	}
	s.attempts.Add(a)
	return nil
}

// raws are the filters as they are echoed back: with `~` expanded.
func raws(filters []Filter) []string {
	out := make([]string, len(filters))
	for i, f := range filters {
		out[i] = f.Raw
	}
	return out
}

// checkReminders enforces the renewal-reminder limits: threshold at most half the TTL, interval
// at most half the threshold (SUB-516).
func checkReminders(filters []Filter, life int) error {
	for _, f := range filters {
		if f.Kind == KindReminder && (f.Threshold > life/2 || f.Interval > f.Threshold/2) {
			return subError(400, "SUB-516", "Invalid reminder parameters")
		}
	}
	return nil
}

// Get returns one of the caller's subscriptions; an expired one is gone (404 SUB-507).
func (s *Service) Get(ctx context.Context, p *rc.Principal, id string) (rc.Subscription, error) {
	sub, err := s.owned(ctx, p, id)
	if err != nil {
		return sub, err
	}
	if !s.Clock.Now().Before(sub.Expiration) {
		return sub, subError(404, "SUB-507", "Subscription with key ["+id+"] and assigned session ["+sub.SessionID+"] was expired")
	}
	return sub, nil
}

// owned reads a subscription of the caller's, made through the calling app; anyone else's is
// not found.
func (s *Service) owned(ctx context.Context, p *rc.Principal, id string) (rc.Subscription, error) {
	sub, err := s.store.Subscription(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (sub.ExtensionID != p.ExtensionID || sub.ClientID != p.ClientID)) {
		return rc.Subscription{}, rc.NotFound("subscriptionId")
	}
	return sub, err
}

// List returns the caller's live subscriptions made by the calling app.
func (s *Service) List(ctx context.Context, p *rc.Principal) ([]rc.Subscription, error) {
	subs, err := s.store.Subscriptions(ctx, p.ExtensionID, p.ClientID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	out := []rc.Subscription{}
	for _, sub := range subs {
		if now.Before(sub.Expiration) {
			out = append(out, sub)
		}
	}
	return out, nil
}

// Update replaces the filters (when given) and renews the subscription.
func (s *Service) Update(ctx context.Context, o Owner, id string, req UpdateRequest) (rc.Subscription, error) {
	sub, err := s.Get(ctx, o.Principal, id)
	if err != nil {
		return sub, err
	}
	if sub.DeliveryMode.TransportType == "WebSocket" && o.WSSession == "" {
		e := rc.Invalid("subscriptionId")
		e.Message = "WebSocket subscriptions are managed over the WebSocket connection"
		return sub, e
	}
	filters, err := s.filtersOf(sub)
	if err != nil {
		return sub, err
	}
	if len(req.EventFilters) > 0 {
		if filters, err = ParseFilters(ctx, s.store, req.EventFilters, o.Principal); err != nil {
			return sub, err
		}
		sub.EventFilters = raws(filters)
	}
	if req.ExpiresIn != nil {
		if sub.ExpiresIn, err = ttl(req.ExpiresIn, sub.DeliveryMode.TransportType); err != nil {
			return sub, err
		}
	}
	if err := checkReminders(filters, sub.ExpiresIn); err != nil {
		return sub, err
	}
	if o.WSSession != "" {
		sub.WSSession = o.WSSession
	}
	sub.Expiration = s.Clock.Now().Add(time.Duration(sub.ExpiresIn) * time.Second)
	if err := s.store.UpdateSubscription(ctx, sub); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return sub, rc.NotFound("subscriptionId") // deleted meanwhile
		}
		return sub, err
	}
	s.index(sub, filters)
	return sub, nil
}

func (s *Service) filtersOf(sub rc.Subscription) ([]Filter, error) {
	a, err := s.activate(sub)
	if err != nil {
		return nil, err
	}
	return a.filters, nil
}

// Renew extends a subscription by its expiresIn.
func (s *Service) Renew(ctx context.Context, o Owner, id string) (rc.Subscription, error) {
	return s.Update(ctx, o, id, UpdateRequest{})
}

// Delete removes a subscription and drops its undelivered notifications.
func (s *Service) Delete(ctx context.Context, p *rc.Principal, id string) error {
	sub, err := s.owned(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSubscription(ctx, id); err != nil {
		return err
	}
	s.unindex(sub)
	return nil
}

// DropSession removes the WebSocket subscriptions of a gateway session that ended for good.
func (s *Service) DropSession(ctx context.Context, session string) {
	s.mu.RLock()
	var gone []rc.Subscription
	for _, subs := range s.byAcc {
		for _, a := range subs {
			if a.sub.WSSession == session {
				gone = append(gone, a.sub)
			}
		}
	}
	s.mu.RUnlock()
	for _, sub := range gone {
		if err := s.store.DeleteSubscription(ctx, sub.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Log.Error("drop WebSocket subscription", "subscription", sub.ID, "err", err)
		}
		s.unindex(sub)
	}
}

// ClearAttempts forgets the attempt log (reset).
func (s *Service) ClearAttempts() { s.attempts.Clear() }

// Indexed counts the subscriptions this instance matches events against.
func (s *Service) Indexed() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, subs := range s.byAcc {
		n += len(subs)
	}
	return n
}
