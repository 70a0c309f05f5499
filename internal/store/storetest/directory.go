package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/rcemu/rcemu/internal/store"
)

func testListExtensionsFiltersAndPages(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	all, total, err := db.ListExtensions(ctx, store.ExtensionFilter{AccountID: 159048008})
	if err != nil || total != 4 || len(all) != 4 || all[0].ExtensionNumber != "101" || all[3].ExtensionNumber != "200" {
		t.Fatalf("all = %d/%d %v", len(all), total, err)
	}
	users, total, _ := db.ListExtensions(ctx, store.ExtensionFilter{AccountID: 159048008, Types: []string{"User", "Department"}})
	if total != 4 || len(users) != 4 {
		t.Fatalf("union of types = %d", total)
	}
	page, total, _ := db.ListExtensions(ctx, store.ExtensionFilter{AccountID: 159048008, Offset: 2, Limit: 1})
	if total != 4 || len(page) != 1 || page[0].ExtensionNumber != "103" {
		t.Fatalf("page = %+v total %d", page, total)
	}
	past, total, _ := db.ListExtensions(ctx, store.ExtensionFilter{AccountID: 159048008, Offset: 40, Limit: 10})
	if total != 4 || len(past) != 0 {
		t.Fatalf("past the end: %d records, total %d", len(past), total)
	}
	byEmail, _, _ := db.ListExtensions(ctx, store.ExtensionFilter{AccountID: 159048008, Emails: []string{"GRACE.HOPPER@example.com"}})
	if len(byEmail) != 1 || byEmail[0].ExtensionNumber != "102" {
		t.Fatalf("by email = %+v", byEmail)
	}
}

func testUpdateExtensionConflict(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	e, _ := db.Extension(ctx, 159048008, 171858008)
	e.ExtensionNumber = "101"
	if err := db.UpdateExtension(ctx, e); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	e.ID = 999
	e.ExtensionNumber = "999"
	if err := db.UpdateExtension(ctx, e); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func testExportImportRoundTripAndBadSnapshotChangesNothing(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	snap, err := db.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Tables["extensions"]) != 6 || snap.Version == 0 {
		t.Fatalf("snapshot has %d extensions, version %d", len(snap.Tables["extensions"]), snap.Version)
	}
	if err := db.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Import(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if e, err := db.Extension(ctx, 159048008, 171857008); err != nil || e.Name != "Ada Lovelace" {
		t.Fatalf("after import: %+v %v", e, err)
	}

	for name, mutate := range map[string]func(*store.Snapshot){
		"format":  func(s *store.Snapshot) { s.Format = "other" },
		"version": func(s *store.Snapshot) { s.Version = 99 },
		"table":   func(s *store.Snapshot) { s.Tables["evil; DROP TABLE accounts"] = nil },
		"column":  func(s *store.Snapshot) { s.Tables["accounts"] = []map[string]any{{"id": int64(1), "nope": "x"}} },
		"orphan": func(s *store.Snapshot) {
			s.Tables["extensions"] = append(s.Tables["extensions"], map[string]any{"id": int64(5), "account_id": int64(424242),
				"extension_number": "9", "type": "User", "status": "Enabled", "email": "", "data": "{}"})
		},
		"value": func(s *store.Snapshot) {
			s.Tables["meta"] = append(s.Tables["meta"], map[string]any{"key": "k", "value": []any{1}})
		},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			bad, _ := db.Export(ctx)
			mutate(&bad)
			if err := db.Import(ctx, bad); !errors.Is(err, store.ErrBadSnapshot) {
				t.Fatalf("err = %v, want ErrBadSnapshot", err)
			}
			if e, err := db.Extension(ctx, 159048008, 171857008); err != nil || e.Name != "Ada Lovelace" {
				t.Fatalf("state changed by a refused import: %v", err)
			}
		})
	}
}
