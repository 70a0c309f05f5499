package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/rcemu/rcemu/internal/addressbook"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// The address book's storage contract, as addressbook.Store states it.
func testContactStore(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st addressbook.Store = db
	const ext, other = 171859008, 171858008 // Alan has no seeded contacts; Grace has two
	mk := func(first, last, phone string) *rc.PersonalContact {
		return &rc.PersonalContact{AccountID: 159048008, ExtensionID: ext, Availability: "Alive",
			ContactAttributes: rc.ContactAttributes{FirstName: first, LastName: last, MobilePhone: phone}}
	}
	a, b, c := mk("Ann", "Zed", "+14155550001"), mk("bob", "Young", "+14155550002"), mk("Cid", "Annan", "+14155550001")
	if err := st.InsertContacts(ctx, a, b, c); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || b.ID != a.ID+1000 || c.ID != b.ID+1000 || !(a.Seq < b.Seq && b.Seq < c.Seq) {
		t.Fatalf("ids %d %d %d, seqs %d %d %d", a.ID, b.ID, c.ID, a.Seq, b.Seq, c.Seq)
	}
	if _, err := st.Contact(ctx, other, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another book's contact: %v", err)
	}
	names := func(f addressbook.ContactFilter) (out []string, total int) {
		t.Helper()
		f.ExtensionID = ext
		cs, n, err := st.ListContacts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			out = append(out, c.FirstName)
		}
		return out, n
	}
	for _, tc := range []struct {
		f     addressbook.ContactFilter
		want  string
		total int
	}{
		{addressbook.ContactFilter{}, "Ann,bob,Cid", 3},
		{addressbook.ContactFilter{StartsWith: "ann"}, "Ann,Cid", 2},
		{addressbook.ContactFilter{StartsWith: "B"}, "bob", 1},
		{addressbook.ContactFilter{StartsWith: "%"}, "", 0},
		{addressbook.ContactFilter{Phones: []string{"+14155550001"}}, "Ann,Cid", 2},
		{addressbook.ContactFilter{SortBy: []string{"LastName"}}, "Cid,bob,Ann", 3},
		{addressbook.ContactFilter{SortBy: []string{"FirstName"}, Offset: 1, Limit: 1}, "bob", 3},
		{addressbook.ContactFilter{AfterID: a.ID, Limit: 10}, "bob,Cid", 2},
	} {
		got, total := names(tc.f)
		if s := join(got); s != tc.want || total != tc.total {
			t.Errorf("%+v = %s (%d), want %s (%d)", tc.f, s, total, tc.want, tc.total)
		}
	}

	last, _ := st.LastContactSeq(ctx)
	// An update of a contact that is not there (or not in that book) changes nothing at all.
	moved := *b
	moved.FirstName = "Bobby"
	ghost := *c
	ghost.ExtensionID = other
	if err := st.UpdateContacts(ctx, &moved, &ghost); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update with a missing contact: %v", err)
	}
	if got, _ := st.Contact(ctx, ext, b.ID); got.FirstName != "bob" {
		t.Fatalf("a failed update changed %v", got)
	}
	if n, _ := st.LastContactSeq(ctx); n != last {
		t.Fatalf("a failed update moved the sequence %d → %d", last, n)
	}
	// A deletion leaves a tombstone that only the change feed shows, and frees its numbers.
	del := *a
	del.Availability = "Deleted"
	if err := st.UpdateContacts(ctx, &moved, &del); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Contact(ctx, ext, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted contact still readable: %v", err)
	}
	if got, _ := names(addressbook.ContactFilter{Phones: []string{"+14155550001"}}); join(got) != "Cid" {
		t.Fatalf("deleted contact still found by number: %v", got)
	}
	changed, err := st.ContactsChangedSince(ctx, ext, last, 10)
	if err != nil || len(changed) != 2 || changed[0].FirstName != "Bobby" || changed[1].Availability != "Deleted" {
		t.Fatalf("changes since %d = %+v, %v", last, changed, err)
	}
	if err := st.UpdateContacts(ctx, &del); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	if cs, _ := st.ContactsChangedSince(ctx, other, 0, 10); len(cs) != 2 {
		t.Fatalf("grace's feed has %d contacts, want her two seeded ones", len(cs))
	}

	if fs, err := st.ContactFavorites(ctx, ext); err != nil || len(fs) != 0 {
		t.Fatalf("no favorites yet: %v %v", fs, err)
	}
	want := []rc.FavoriteContact{{ID: 1, ContactID: c.ID}, {ID: 2, AccountID: 159048008, ExtensionID: other}}
	if err := st.PutContactFavorites(ctx, ext, want); err != nil {
		t.Fatal(err)
	}
	if fs, err := st.ContactFavorites(ctx, ext); err != nil || len(fs) != 2 || fs[0] != want[0] || fs[1] != want[1] {
		t.Fatalf("favorites = %v %v", fs, err)
	}
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

func testContactPrefixIgnoresCaseBeyondASCII(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	for _, n := range []string{"Émile", "éric", "Eva", "Øyvind"} {
		if err := db.InsertContacts(ctx, &rc.PersonalContact{AccountID: 159048008, ExtensionID: 171859008, Availability: "Alive",
			ContactAttributes: rc.ContactAttributes{FirstName: n}}); err != nil {
			t.Fatal(err)
		}
	}
	for prefix, want := range map[string]string{"É": "Émile,éric", "é": "Émile,éric", "ø": "Øyvind", "e": "Eva"} {
		cs, _, err := db.ListContacts(ctx, addressbook.ContactFilter{ExtensionID: 171859008, StartsWith: prefix, SortBy: []string{"FirstName"}})
		var got []string
		for _, c := range cs {
			got = append(got, c.FirstName)
		}
		if err != nil || join(got) != want {
			t.Errorf("startsWith %q = %v %v, want %s", prefix, got, err, want)
		}
	}
}
