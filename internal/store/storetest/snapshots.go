package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/store"
)

// namedSnapshots is what the control plane's /_rcemu/snapshots needs of an engine, beyond
// store.Store.
type namedSnapshots interface {
	SaveSnapshot(ctx context.Context, name string, at time.Time, snap store.Snapshot) error
	Snapshot(ctx context.Context, name string) (store.Snapshot, error)
	Snapshots(ctx context.Context) ([]store.SnapshotInfo, error)
	DeleteSnapshot(ctx context.Context, name string) error
}

func snapshotsOf(t *testing.T, db Store) namedSnapshots {
	t.Helper()
	sn, ok := db.(namedSnapshots)
	if !ok {
		t.Fatalf("%T keeps no named snapshots", db)
	}
	return sn
}

func docSize(t *testing.T, s store.Snapshot) int {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func snapshotList(t *testing.T, sn namedSnapshots) []store.SnapshotInfo {
	t.Helper()
	list, err := sn.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func snapshotNames(list []store.SnapshotInfo) string {
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
	}
	return strings.Join(names, ",")
}

// Named snapshots: a saved one reads back as the document it was and restores the state it
// held; saving under a taken name replaces it; the list describes each (oldest first); they
// outlive a reset and an import, which is what they are for; a missing name is ErrNotFound.
func testSnapshots(t *testing.T, open Opener) {
	ctx := context.Background()
	db := seeded(t, open)
	sn := snapshotsOf(t, db)
	if list := snapshotList(t, sn); len(list) != 0 {
		t.Fatalf("a new store holds snapshots: %+v", list)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	full, err := db.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sn.SaveSnapshot(ctx, "seeded", t0, full); err != nil {
		t.Fatal(err)
	}
	if err := db.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	empty, err := db.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sn.SaveSnapshot(ctx, "empty", t0.Add(time.Minute), empty); err != nil {
		t.Fatal(err)
	}
	list := snapshotList(t, sn)
	if snapshotNames(list) != "seeded,empty" || !list[0].Created.Equal(t0) || !list[1].Created.Equal(t0.Add(time.Minute)) ||
		list[0].Size != docSize(t, full) || list[1].Size != docSize(t, empty) {
		t.Fatalf("snapshots = %+v, want seeded (%d bytes) then empty (%d bytes)", list, docSize(t, full), docSize(t, empty))
	}
	got, err := sn.Snapshot(ctx, "seeded")
	if err != nil || got.Format != store.SnapshotFormat || got.Version != full.Version || !sameJSON(t, got, full) {
		t.Fatalf("snapshot seeded reads back otherwise: format %q version %d, %v", got.Format, got.Version, err)
	}
	// Restoring is importing what was read back: it must bring the saved state back.
	if err := db.Import(ctx, got); err != nil {
		t.Fatal(err)
	}
	if e, err := db.Extension(ctx, messageAccount, 171857008); err != nil || e.Name != "Ada Lovelace" {
		t.Fatalf("after restoring seeded: %+v %v", e, err)
	}
	if names := snapshotNames(snapshotList(t, sn)); names != "seeded,empty" {
		t.Fatalf("an import took snapshots with it: %s", names)
	}

	if err := sn.SaveSnapshot(ctx, "seeded", t0.Add(2*time.Minute), empty); err != nil {
		t.Fatal(err)
	}
	list = snapshotList(t, sn)
	if snapshotNames(list) != "empty,seeded" || !list[1].Created.Equal(t0.Add(2*time.Minute)) || list[1].Size != docSize(t, empty) {
		t.Fatalf("after seeded was saved again: %+v", list)
	}
	if got, err := sn.Snapshot(ctx, "seeded"); err != nil || !sameJSON(t, got, empty) {
		t.Fatalf("seeded after its replacement still reads as before: %v", err)
	}

	if err := db.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if names := snapshotNames(snapshotList(t, sn)); names != "empty,seeded" {
		t.Fatalf("a reset took snapshots with it: %s", names)
	}
	if err := sn.DeleteSnapshot(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
	if _, err := sn.Snapshot(ctx, "empty"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted snapshot: %v", err)
	}
	if err := sn.DeleteSnapshot(ctx, "empty"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	if _, err := sn.Snapshot(ctx, "never"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a snapshot never saved: %v", err)
	}
	if names := snapshotNames(snapshotList(t, sn)); names != "seeded" {
		t.Fatalf("after the delete: %s", names)
	}
}

// A snapshot is kept as a document, whatever its values: integers past float64's, text
// beyond ASCII and the characters JSON escapes, nulls, booleans and encoded blobs come back
// as they went.
func testSnapshotDocumentRoundTrip(t *testing.T, open Opener) {
	ctx := context.Background()
	sn := snapshotsOf(t, open(t))
	doc := store.Snapshot{Format: store.SnapshotFormat, Version: 3, Tables: map[string][]map[string]any{
		"meta":        {{"key": "note", "value": `Zoë says "hi" <&> ✓`}},
		"accounts":    {{"id": int64(9007199254740993), "data": `{"name":"Ünïcode"}`}},
		"attachments": {{"id": int64(-1), "content": map[string]any{"base64": "AAEC/w=="}, "flag": true, "gone": nil}},
		"empty":       {},
	}}
	if err := sn.SaveSnapshot(ctx, "odd values", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), doc); err != nil {
		t.Fatal(err)
	}
	got, err := sn.Snapshot(ctx, "odd values")
	if err != nil || !sameJSON(t, got, doc) {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(doc)
		t.Fatalf("read back:\n%s\nsaved:\n%s\n%v", a, b, err)
	}
}

// The size a snapshot's entry reports is the byte length of its JSON document, text beyond
// ASCII included.
func testSnapshotSizeCountsBytes(t *testing.T, open Opener) {
	ctx := context.Background()
	sn := snapshotsOf(t, open(t))
	doc := store.Snapshot{Format: store.SnapshotFormat, Version: 3, Tables: map[string][]map[string]any{
		"meta": {{"key": "greeting", "value": "Grüße aus Zürich ✓"}},
	}}
	if err := sn.SaveSnapshot(ctx, "umlauts", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), doc); err != nil {
		t.Fatal(err)
	}
	list := snapshotList(t, sn)
	if len(list) != 1 || list[0].Size != docSize(t, doc) {
		t.Fatalf("snapshots = %+v, want one of %d bytes", list, docSize(t, doc))
	}
}
