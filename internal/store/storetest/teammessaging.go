package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	tm "github.com/rcemu/rcemu/internal/teammessaging"
)

// TestTeamMessagingStore runs the team-messaging store contract: what the domain relies on of
// any engine.
func testTeamMessagingStore(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st tm.Store = db
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	first, err := st.ReserveChatIDs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if next, _ := st.ReserveChatIDs(ctx, 10); next != first+10 {
		t.Fatalf("reserved %d then %d", first, next)
	}

	conv := tm.Chat{ID: "c1", AccountID: 159048008, Type: tm.Direct, Key: "1,2", Created: now, Modified: now, Members: []int64{2, 1}}
	if err := st.InsertChat(ctx, conv); err != nil {
		t.Fatal(err)
	}
	dup := conv
	dup.ID = "c2"
	if err := st.InsertChat(ctx, dup); !errors.Is(err, tm.ErrConflict) {
		t.Fatalf("same member set: %v", err)
	}
	got, err := st.ConversationByKey(ctx, 159048008, "1,2")
	if err != nil || got.ID != "c1" || !slices.Equal(got.Members, []int64{2, 1}) {
		t.Fatalf("by key: %+v %v", got, err)
	}
	team := tm.Chat{ID: "t1", AccountID: 159048008, Type: tm.Team, Public: true, Name: "T", Created: now, Modified: now, Members: []int64{1}}
	if err := st.InsertChat(ctx, team); err != nil {
		t.Fatal(err)
	}
	// Person 3 sees the public team only; person 2 the conversation and the team.
	for person, want := range map[int64][]string{3: {"t1"}, 2: {"c1", "t1"}} {
		cs, err := st.ChatsOf(ctx, 159048008, person)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			t.Fatalf("chats of %d: %v, want %v", person, ids, want)
		}
	}
	if err := st.AddMembers(ctx, "gone", []int64{1}); !errors.Is(err, tm.ErrNotFound) {
		t.Fatalf("add to a missing chat: %v", err)
	}

	var nums []int64
	for i := range 5 {
		p := &tm.Post{ChatID: "t1", AccountID: 159048008, Type: "TextMessage", Text: string(rune('a' + i)), CreatorID: 1, Created: now, Modified: now}
		if err := st.InsertPost(ctx, p); err != nil {
			t.Fatal(err)
		}
		nums = append(nums, p.Num)
	}
	page, err := st.ListPosts(ctx, tm.PostFilter{ChatID: "t1", Before: nums[3], Limit: 2})
	if err != nil || len(page) != 2 || page[0].Num != nums[2] || page[1].Num != nums[1] {
		t.Fatalf("before: %+v %v", page, err)
	}
	page, err = st.ListPosts(ctx, tm.PostFilter{ChatID: "t1", After: nums[1], Limit: 2})
	if err != nil || len(page) != 2 || page[0].Num != nums[2] || page[1].Num != nums[3] {
		t.Fatalf("after: %+v %v", page, err)
	}
	// A change is seen by the next list, whatever it decoded before.
	p, err := st.Post(ctx, "t1", page[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	p.Text = "changed"
	if err := st.UpdatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	if page, _ = st.ListPosts(ctx, tm.PostFilter{ChatID: "t1", After: nums[1], Limit: 1}); page[0].Text != "changed" {
		t.Fatalf("stale post: %+v", page[0])
	}
	if _, err := st.Post(ctx, "c1", p.ID); !errors.Is(err, tm.ErrNotFound) {
		t.Fatalf("a post read through another chat: %v", err)
	}
	if err := st.DeletePost(ctx, "t1", p.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DeletePost(ctx, "t1", p.ID); !errors.Is(err, tm.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	last, err := st.LastPostNums(ctx, []string{"t1", "c1"})
	if err != nil || last["t1"] != nums[4] || len(last) != 1 {
		t.Fatalf("last posts: %v %v", last, err)
	}

	for _, id := range []string{"t1", "c1", "t1"} {
		if err := st.AddFavorite(ctx, 1, id); err != nil {
			t.Fatal(err)
		}
	}
	if favs, _ := st.Favorites(ctx, 1); !slices.Equal(favs, []string{"t1", "c1"}) {
		t.Fatalf("favorites: %v", favs)
	}

	for _, it := range []tm.Item{
		{ID: "i1", Kind: tm.EventKind, AccountID: 159048008, CreatorID: 1, Event: &tm.CalendarEvent{Title: "mine"}},
		{ID: "i2", Kind: tm.EventKind, AccountID: 159048008, ChatID: "t1", CreatorID: 1, Event: &tm.CalendarEvent{Title: "team's"}},
		{ID: "i3", Kind: tm.WebhookKind, AccountID: 159048008, ChatID: "t1", CreatorID: 1, Webhook: &tm.Webhook{Status: "Active"}},
	} {
		if err := st.InsertItem(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	own, _ := st.ListItems(ctx, tm.ItemFilter{Kind: tm.EventKind, AccountID: 159048008, CreatorID: 1})
	anyChat, _ := st.ListItems(ctx, tm.ItemFilter{Kind: tm.EventKind, AccountID: 159048008, CreatorID: 1, AnyChat: true})
	if len(own) != 1 || own[0].ID != "i1" || len(anyChat) != 2 {
		t.Fatalf("own %v, any chat %v", own, anyChat)
	}

	// Deleting a chat takes its members, posts, favorites and items with it.
	if err := st.DeleteChat(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if ps, _ := st.ListPosts(ctx, tm.PostFilter{ChatID: "t1", Limit: 10}); len(ps) != 0 {
		t.Fatalf("posts of a deleted chat: %v", ps)
	}
	if favs, _ := st.Favorites(ctx, 1); !slices.Equal(favs, []string{"c1"}) {
		t.Fatalf("favorites after delete: %v", favs)
	}
	if _, err := st.Item(ctx, "i3"); !errors.Is(err, tm.ErrNotFound) {
		t.Fatalf("item of a deleted chat: %v", err)
	}
	if err := st.DeleteChat(ctx, "t1"); !errors.Is(err, tm.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if ids, err := st.UserIDs(ctx, 159048008); err != nil || !slices.Equal(ids, []int64{171857008, 171858008, 171859008}) {
		t.Fatalf("users: %v %v", ids, err)
	}
	if e, err := st.ExtensionByEmail(ctx, 159048008, "GRACE.hopper@example.com"); err != nil || e.ID != 171858008 {
		t.Fatalf("by email: %v %v", e.ID, err)
	}
}
