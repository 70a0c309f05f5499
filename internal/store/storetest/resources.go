package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/resources"
	"github.com/rcemu/rcemu/internal/store"
)

// Generic resources, as resources.Store states it: Raw comes back byte for byte, put replaces
// in place (a list keeps its order), lists page oldest first and count the whole collection,
// a collection is its own (the same id elsewhere is another record), and a delete of nothing
// is ErrNotFound.
func testResources(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	var st resources.Store = db
	const (
		mine   = "/restapi/v1.0/account/159048008/extension/171858008/widgets"
		theirs = "/restapi/v1.0/account/159048008/extension/171859008/widgets"
		single = "/restapi/v1.0/account/159048008/extension/171858008/widget-settings"
	)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := func(collection, id, raw string, created time.Time) resources.Record {
		return resources.Record{Collection: collection, ID: id, Raw: json.RawMessage(raw), Created: created, Modified: created}
	}
	// Keys out of order, odd spacing and a number past float64's integers: a store that
	// re-encodes Raw changes at least one of them.
	a := rec(mine, "a", `{"z": 1,"id":"a", "big":12345678901234567890}`, t0)
	b := rec(mine, "b", `{"id":"b"}`, t0.Add(time.Second))
	c := rec(mine, "c", `{"id":"c"}`, t0.Add(2*time.Second))
	elsewhere := rec(theirs, "a", `{"id":"a","owner":"alan"}`, t0)
	setting := rec(single, "", `{"enabled":true}`, t0)
	for _, r := range []resources.Record{a, b, c, elsewhere, setting} {
		if err := st.PutResource(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	same := func(got, want resources.Record) bool {
		return got.Collection == want.Collection && got.ID == want.ID && string(got.Raw) == string(want.Raw) &&
			got.Created.Equal(want.Created) && got.Modified.Equal(want.Modified)
	}
	if got, err := st.Resource(ctx, mine, "a"); err != nil || !same(got, a) {
		t.Fatalf("resource a: %+v (raw %s) %v", got, got.Raw, err)
	}
	if got, err := st.Resource(ctx, theirs, "a"); err != nil || !same(got, elsewhere) {
		t.Fatalf("the other collection's a: %+v (raw %s) %v", got, got.Raw, err)
	}
	if got, err := st.Resource(ctx, single, ""); err != nil || !same(got, setting) {
		t.Fatalf("the singleton: %+v (raw %s) %v", got, got.Raw, err)
	}

	ids := func(collection string, offset, limit int) (string, int) {
		t.Helper()
		rs, total, err := st.ListResources(ctx, collection, offset, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			if r.Collection != collection || len(r.Raw) == 0 {
				t.Fatalf("listed %+v from %s", r, collection)
			}
			out = append(out, r.ID)
		}
		return strings.Join(out, ","), total
	}
	list := []struct {
		collection    string
		offset, limit int
		want          string
		total         int
	}{
		{mine, 0, -1, "a,b,c", 3},
		{mine, 0, 2, "a,b", 3},
		{mine, 1, 1, "b", 3},
		{mine, 2, -1, "c", 3},
		{mine, 3, 10, "", 3},
		{theirs, 0, -1, "a", 1},
		{single, 0, -1, "", 0}, // a singleton is no member of a collection
		{mine + "/a", 0, -1, "", 0},
	}
	for _, l := range list {
		if got, total := ids(l.collection, l.offset, l.limit); got != l.want || total != l.total {
			t.Errorf("list %s from %d, %d = %q (%d), want %q (%d)", l.collection, l.offset, l.limit, got, total, l.want, l.total)
		}
	}

	b2 := b
	b2.Raw, b2.Modified = json.RawMessage(`{"id":"b","name":"renamed"}`), t0.Add(time.Minute)
	if err := st.PutResource(ctx, b2); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Resource(ctx, mine, "b"); err != nil || !same(got, b2) {
		t.Fatalf("b after its replacement: %+v (raw %s) %v", got, got.Raw, err)
	}
	rs, total, err := st.ListResources(ctx, mine, 0, -1)
	if err != nil || total != 3 || len(rs) != 3 || rs[1].ID != "b" || !same(rs[1], b2) {
		t.Fatalf("a replacement must stay where it was, as it is now: %+v %d %v", rs, total, err)
	}

	if err := st.DeleteResource(ctx, mine, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Resource(ctx, mine, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted resource: %v", err)
	}
	if err := st.DeleteResource(ctx, mine, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	if err := st.DeleteResource(ctx, mine, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting what never was: %v", err)
	}
	if _, err := st.Resource(ctx, mine, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reading what never was: %v", err)
	}
	if got, err := st.Resource(ctx, theirs, "a"); err != nil || !same(got, elsewhere) {
		t.Fatalf("a delete in one collection took the other's a: %+v %v", got, err)
	}
	// Created again, it is the newest.
	a3 := rec(mine, "a", `{"id":"a","again":true}`, t0.Add(time.Hour))
	if err := st.PutResource(ctx, a3); err != nil {
		t.Fatal(err)
	}
	if got, total := ids(mine, 0, -1); got != "b,c,a" || total != 3 {
		t.Fatalf("after a was deleted and created again: %q (%d)", got, total)
	}
	if got, err := st.Resource(ctx, mine, "a"); err != nil || !same(got, a3) {
		t.Fatalf("a created again: %+v (raw %s) %v", got, got.Raw, err)
	}
	if err := st.DeleteResource(ctx, single, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Resource(ctx, single, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted singleton: %v", err)
	}
}
