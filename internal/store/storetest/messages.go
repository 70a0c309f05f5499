package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// The default seed's account and two of its users.
const (
	messageAccount = 159048008
	grace, alan    = 171858008, 171859008
)

func textMessage(ext int64, text string, at time.Time) *rc.Message {
	return &rc.Message{AccountID: messageAccount, ExtensionID: ext, Type: "SMS", Direction: "Inbound",
		Availability: "Alive", ReadStatus: "Unread", MessageStatus: "Received", Subject: text,
		From: rc.Party{PhoneNumber: "+14155550100"}, To: []rc.Party{{PhoneNumber: "+16505550101"}},
		CreationTime: at, LastModifiedTime: at,
		Attachments: []rc.Attachment{{Type: "Text", ContentType: "text/plain", Content: []byte(text)}}}
}

// messageCount is how many messages an extension's store holds.
func messageCount(t *testing.T, db Store, ext int64) int {
	t.Helper()
	_, n, err := db.ListMessages(context.Background(), store.MessageFilter{ExtensionID: ext})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The message store's contract: ids and sequence numbers, updates, the change feed.
func testMessageStore(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seededCount := messageCount(t, db, grace)
	a, b := textMessage(grace, "one", at), textMessage(grace, "two", at.Add(time.Second))
	if err := db.InsertMessages(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || b.ID <= a.ID || b.Seq != a.Seq+1 || a.Attachments[0].ID != a.ID {
		t.Fatalf("ids %d %d, seqs %d %d, text attachment %d", a.ID, b.ID, a.Seq, b.Seq, a.Attachments[0].ID)
	}
	if got, err := db.AttachmentContent(ctx, a.ID, a.Attachments[0].ID); err != nil || string(got) != "one" {
		t.Fatalf("attachment %q %v", got, err)
	}
	if _, err := db.Message(ctx, alan, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another store's message: %v", err)
	}
	dup := textMessage(grace, "dup", at)
	dup.ID = a.ID
	if err := db.InsertMessages(ctx, textMessage(grace, "kept?", at), dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a taken id: %v", err)
	}
	if n := messageCount(t, db, grace); n != seededCount+2 {
		t.Fatalf("a refused insert kept part of its batch: %d messages, want %d", n, seededCount+2)
	}
	m, _ := db.Message(ctx, grace, a.ID)
	m.ReadStatus = "Read"
	if err := db.UpdateMessages(ctx, m); err != nil {
		t.Fatal(err)
	}
	changed, err := db.ChangedSince(ctx, grace, b.Seq, 10)
	if err != nil || len(changed) != 1 || changed[0].ID != a.ID || changed[0].ReadStatus != "Read" {
		t.Fatalf("changed since %d: %+v %v", b.Seq, changed, err)
	}
	gone := m
	gone.ID = a.ID + 1 // no such message
	if err := db.UpdateMessages(ctx, gone); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing message: %v", err)
	}
	list, n, err := db.ListMessages(ctx, store.MessageFilter{ExtensionID: grace, ReadStatuses: []string{"Unread"}, DateFrom: at})
	if err != nil || n != 1 || list[0].ID != b.ID {
		t.Fatalf("unread: %d %+v %v", n, list, err)
	}
}

// Writes arriving together may share a commit; each caller must still get its own answer, and
// a failing or abandoned write must take nothing of the others with it, nor leave anything.
func testConcurrentWritesEachGetTheirOwnAnswer(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seededCount := messageCount(t, db, alan)
	first := textMessage(alan, "first", at)
	if err := db.InsertMessages(ctx, first); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 40
	type result struct {
		m   *rc.Message
		err error
		bad bool // meant to fail
	}
	results := make([][]result, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := textMessage(alan, fmt.Sprintf("w%d-%d", w, i), at.Add(time.Duration(i)*time.Millisecond))
				r := result{m: m}
				switch i % 10 {
				case 3: // an id already taken
					m.ID, r.bad = first.ID, true
					r.err = db.InsertMessages(ctx, m)
				case 7: // a caller that has gone
					c, cancel := context.WithCancel(ctx)
					cancel()
					r.bad = true
					r.err = db.InsertMessages(c, m)
				default:
					r.err = db.InsertMessages(ctx, m)
				}
				results[w] = append(results[w], r)
			}
		}()
	}
	wg.Wait()
	ids, seqs := map[int64]string{}, map[int64]bool{}
	stored := 0
	for _, rs := range results {
		for _, r := range rs {
			if r.bad {
				if r.err == nil {
					t.Errorf("%s: a write meant to fail succeeded", r.m.Subject)
				}
				continue
			}
			if r.err != nil {
				t.Errorf("%s: %v", r.m.Subject, r.err)
				continue
			}
			stored++
			if prev, ok := ids[r.m.ID]; ok {
				t.Errorf("%s and %s were both given id %d", prev, r.m.Subject, r.m.ID)
			}
			ids[r.m.ID] = r.m.Subject
			if seqs[r.m.Seq] {
				t.Errorf("seq %d given twice", r.m.Seq)
			}
			seqs[r.m.Seq] = true
			got, err := db.Message(ctx, alan, r.m.ID)
			if err != nil || got.Subject != r.m.Subject || got.Seq != r.m.Seq {
				t.Errorf("%s: stored as %q seq %d (want %d): %v", r.m.Subject, got.Subject, got.Seq, r.m.Seq, err)
			}
		}
	}
	if n := messageCount(t, db, alan); n != seededCount+stored+1 {
		t.Fatalf("%d messages stored, want %d", n, seededCount+stored+1)
	}
}
