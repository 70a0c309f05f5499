package teammessaging

import (
	"context"

	"github.com/rcemu/rcemu/internal/rc"
)

// Webhook is an incoming webhook: outside apps post into its chat through its address.
type Webhook struct {
	Status string `json:"status"` // Active, Suspended
}

// CreateWebhook makes an incoming webhook for a chat the caller belongs to.
func (s *Service) CreateWebhook(ctx context.Context, caller *rc.Principal, chatID string) (Item, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return Item{}, err
	}
	it, err := s.newItem(ctx, caller, WebhookKind, c.ID)
	if err != nil {
		return Item{}, err
	}
	it.Webhook = &Webhook{Status: "Active"}
	return it, s.store.InsertItem(ctx, it)
}

// Webhooks lists the incoming webhooks of a chat the caller belongs to, or, with no chat, those
// the caller made.
func (s *Service) Webhooks(ctx context.Context, caller *rc.Principal, chatID string) ([]Item, error) {
	if chatID != "" {
		if _, err := s.memberChat(ctx, caller, chatID); err != nil {
			return nil, err
		}
		return s.store.ListItems(ctx, ItemFilter{Kind: WebhookKind, AccountID: caller.AccountID, ChatID: chatID})
	}
	all, err := s.store.ListItems(ctx, ItemFilter{Kind: WebhookKind, AccountID: caller.AccountID, CreatorID: caller.ExtensionID, AnyChat: true})
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, it := range all {
		if _, _, err := s.item(ctx, caller, WebhookKind, it.ID, "webhookId"); err == nil {
			out = append(out, it)
		}
	}
	return out, nil
}

// Webhook returns an incoming webhook of a chat the caller belongs to.
func (s *Service) Webhook(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, WebhookKind, id, "webhookId")
	return it, err
}

// SetWebhookStatus activates or suspends an incoming webhook.
func (s *Service) SetWebhookStatus(ctx context.Context, caller *rc.Principal, id string, active bool) error {
	it, _, err := s.item(ctx, caller, WebhookKind, id, "webhookId")
	if err != nil {
		return err
	}
	wh := *it.Webhook
	wh.Status = map[bool]string{true: "Active", false: "Suspended"}[active]
	it.Webhook, it.Modified = &wh, s.clock.Now()
	return s.saveItem(ctx, it)
}

// DeleteWebhook deletes an incoming webhook; its creator's.
func (s *Service) DeleteWebhook(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, WebhookKind, id, "webhookId")
}

// IncomingPost posts into a webhook's chat as the webhook's creator, as an outside app does
// through the webhook's address. A suspended or unknown webhook is 404.
func (s *Service) IncomingPost(ctx context.Context, id string, ch PostChange) (Post, error) {
	it, err := s.store.Item(ctx, id)
	if notFound(err) || (err == nil && (it.Kind != WebhookKind || it.Webhook.Status != "Active")) {
		return Post{}, rc.NotFound("webhookId")
	}
	if err != nil {
		return Post{}, err
	}
	as := &rc.Principal{AccountID: it.AccountID, ExtensionID: it.CreatorID}
	return s.CreatePost(ctx, as, it.ChatID, ch)
}
