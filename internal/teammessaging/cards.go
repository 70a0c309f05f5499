package teammessaging

import (
	"context"
	"encoding/json"

	"github.com/rcemu/rcemu/internal/rc"
)

// cardDoc checks an adaptive card: a JSON object of type AdaptiveCard with a version.
func cardDoc(raw json.RawMessage) (json.RawMessage, error) {
	var head struct {
		Type    *string `json:"type"`
		Version *string `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, rc.BadJSON()
	}
	if head.Type == nil {
		return nil, rc.Missing("type")
	}
	if *head.Type != "AdaptiveCard" {
		return nil, rc.Invalid("type")
	}
	if head.Version == nil {
		return nil, rc.Missing("version")
	}
	return raw, nil
}

// CreateCard posts an adaptive card into a chat the caller belongs to: the card, and a post
// that attaches it.
func (s *Service) CreateCard(ctx context.Context, caller *rc.Principal, chatID string, raw json.RawMessage) (Item, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return Item{}, err
	}
	if err := writable(c); err != nil {
		return Item{}, err
	}
	doc, err := cardDoc(raw)
	if err != nil {
		return Item{}, err
	}
	it, err := s.newItem(ctx, caller, CardKind, c.ID)
	if err != nil {
		return Item{}, err
	}
	it.Card = doc
	if err := s.store.InsertItem(ctx, it); err != nil {
		return Item{}, err
	}
	p := Post{ChatID: c.ID, AccountID: c.AccountID, Type: "TextMessage", CreatorID: caller.ExtensionID,
		Attachments: []Attachment{{ID: it.ID, Type: "Card"}}, Created: it.Created, Modified: it.Created}
	if err := s.store.InsertPost(ctx, &p); err != nil {
		return Item{}, err
	}
	s.publishPost(PostAdded, c, p)
	return it, nil
}

// Card returns an adaptive card of a chat the caller belongs to.
func (s *Service) Card(ctx context.Context, caller *rc.Principal, id string) (Item, error) {
	it, _, err := s.item(ctx, caller, CardKind, id, "cardId")
	return it, err
}

// ReplaceCard replaces an adaptive card; its creator's.
func (s *Service) ReplaceCard(ctx context.Context, caller *rc.Principal, id string, raw json.RawMessage) (Item, error) {
	it, _, err := s.item(ctx, caller, CardKind, id, "cardId")
	if err != nil {
		return Item{}, err
	}
	if it.CreatorID != caller.ExtensionID {
		return Item{}, forbidden("cardId")
	}
	doc, err := cardDoc(raw)
	if err != nil {
		return Item{}, err
	}
	it.Card, it.Modified = doc, s.clock.Now()
	return it, s.saveItem(ctx, it)
}

// DeleteCard deletes an adaptive card; its creator's.
func (s *Service) DeleteCard(ctx context.Context, caller *rc.Principal, id string) error {
	return s.deleteOwn(ctx, caller, CardKind, id, "cardId")
}
