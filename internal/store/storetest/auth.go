package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// Sessions and tokens: a refresh rotates once (a second use of the same refresh token is a
// conflict), and a revoke retires every token of the session.
func testSessionsAndTokens(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	apps, err := db.Apps(ctx)
	if err != nil || len(apps) == 0 {
		t.Fatalf("apps: %v %v", apps, err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sess := rc.Session{ID: "s1", ClientID: apps[0].ClientID, AccountID: messageAccount, ExtensionID: grace, Scope: "SMS", CreatedAt: at}
	tok := func(tk, kind string) rc.Token {
		return rc.Token{Token: tk, Kind: kind, SessionID: sess.ID, ExpiresAt: at.Add(time.Hour)}
	}
	if err := db.CreateSession(ctx, sess, tok("a1", "access"), tok("r1", "refresh")); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Token(ctx, "a1"); err != nil || got.SessionID != "s1" || got.Retired {
		t.Fatalf("token a1: %+v %v", got, err)
	}
	if err := db.RotateTokens(ctx, "s1", "r1", at.Add(time.Minute), tok("a2", "access"), tok("r2", "refresh")); err != nil {
		t.Fatal(err)
	}
	if err := db.RotateTokens(ctx, "s1", "r1", at.Add(2*time.Minute), tok("a3", "access"), tok("r3", "refresh")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a refresh token used twice: %v", err)
	}
	if _, err := db.Token(ctx, "a3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused rotation left a token: %v", err)
	}
	old, _ := db.Token(ctx, "a1")
	used, _ := db.Token(ctx, "r1")
	if !old.Retired || !used.Retired || used.Successor != "a2 r2" {
		t.Fatalf("after the rotation: a1 %+v, r1 %+v", old, used)
	}
	if err := db.RevokeSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(ctx, "s1")
	a2, _ := db.Token(ctx, "a2")
	if err != nil || !s.Revoked || !a2.Retired {
		t.Fatalf("after the revoke: session %+v (%v), a2 %+v", s, err, a2)
	}
	if err := db.RevokeSession(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke of an unknown session: %v", err)
	}
}

// Subscriptions: put is an upsert, update refuses a deleted one, delete takes its pending
// deliveries with it.
func testSubscriptions(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sub := rc.Subscription{ID: "sub1", AccountID: messageAccount, ExtensionID: grace, ClientID: "app",
		EventFilters: []string{"/restapi/v1.0/account/159048008/extension/171858008/message-store"},
		DeliveryMode: rc.DeliveryMode{TransportType: "WebHook", Address: "http://127.0.0.1:1/hook"},
		Status:       "Active", CreationTime: at, ExpiresIn: 900, Expiration: at.Add(15 * time.Minute)}
	if err := db.PutSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	sub.ExpiresIn = 60
	if err := db.PutSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	other := sub
	other.ID, other.ExtensionID = "sub2", alan
	if err := db.PutSubscription(ctx, other); err != nil {
		t.Fatal(err)
	}
	mine, err := db.Subscriptions(ctx, grace, "app")
	if err != nil || len(mine) != 1 || mine[0].ExpiresIn != 60 {
		t.Fatalf("grace's subscriptions: %+v %v", mine, err)
	}
	if all, err := db.AllSubscriptions(ctx); err != nil || len(all) != 2 || all[0].ID != "sub1" {
		t.Fatalf("all subscriptions: %+v %v", all, err)
	}
	first, err := db.ReserveDeliveryIDs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	last := first - 1
	d := rc.Delivery{ID: first, SubscriptionID: "sub1", Body: []byte(`{"a":1}`), Created: at, Next: at, State: "pending"}
	if err := db.SaveDeliveries(ctx, []rc.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	if ds, err := db.PendingDeliveries(ctx, last, 10); err != nil || len(ds) != 1 || ds[0].SubscriptionID != "sub1" {
		t.Fatalf("pending: %+v %v", ds, err)
	}
	if err := db.DeleteSubscription(ctx, "sub1"); err != nil {
		t.Fatal(err)
	}
	if ds, err := db.PendingDeliveries(ctx, last, 10); err != nil || len(ds) != 0 {
		t.Fatalf("a deleted subscription's deliveries stayed: %+v %v", ds, err)
	}
	if err := db.UpdateSubscription(ctx, sub); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a deleted subscription: %v", err)
	}
	if _, err := db.Subscription(ctx, "sub1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted subscription: %v", err)
	}
}
