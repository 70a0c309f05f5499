package sqlstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
	"github.com/rcemu/rcemu/internal/store/pgtest"
	"github.com/rcemu/rcemu/internal/store/sqlstore"
)

func pending(ids ...int64) []rc.Delivery {
	var ds []rc.Delivery
	now := time.Now()
	for _, id := range ids {
		ds = append(ds, rc.Delivery{ID: id, SubscriptionID: "s1", Body: []byte(`{"n":1}`), Created: now, Next: now, State: "pending"})
	}
	return ds
}

func adoptedIDs(t *testing.T, db *sqlstore.DB) []int64 {
	t.Helper()
	ds, err := db.AdoptDeliveries(context.Background(), 100)
	if err != nil {
		t.Error(err) // not Fatal: also called from goroutines
		return nil
	}
	var ids []int64
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

// A SQLite file has one process at a time: what an earlier run left pending is adopted once by
// the next, and what the running one saves is never handed back to it.
func TestSQLiteAdoptsWhatAnEarlierRunLeft(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	first, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.SaveDeliveries(ctx, pending(3, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if got := adoptedIDs(t, first); len(got) != 0 {
		t.Fatalf("the running instance adopted its own deliveries %v", got)
	}
	first.Close()
	next := mustOpen(t, path)
	if got := adoptedIDs(t, next); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("adopted %v, want [1 2 3] in order", got)
	}
	if got := adoptedIDs(t, next); len(got) != 0 {
		t.Fatalf("adopted again %v", got)
	}
}

// Blocks of delivery ids never overlap, and a reset does not hand them out again: deliveries
// queued in memory before it still carry theirs.
func TestDeliveryIDBlocksAreDisjointAcrossReset(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "b.db"))
	a, err := db.ReserveDeliveryIDs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveDeliveries(ctx, pending(a+500)); err != nil { // an imported high id
		t.Fatal(err)
	}
	b, err := db.ReserveDeliveryIDs(ctx, 10)
	if err != nil || b <= a+500 {
		t.Fatalf("second block starts at %d (%v), want above %d", b, err, a+500)
	}
	if err := db.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := db.ReserveDeliveryIDs(ctx, 10)
	if err != nil || c < b+10 {
		t.Fatalf("block after a reset starts at %d (%v), want at least %d", c, err, b+10)
	}
}

// Two instances on one PostgreSQL database: deliveries belong to the instance that saved them
// while it runs, and to one other instance once it has gone; WebSocket notifications relayed to
// a session are taken once, in order; a WebSocket token handed out by one is read by the other.
func TestPostgresInstancesShareDeliveriesRelayAndTokens(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Database(t)
	a, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := mustOpen(t, dsn)
	c := mustOpen(t, dsn)

	ia, err := a.ReserveDeliveryIDs(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := b.ReserveDeliveryIDs(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if ib < ia+100 && ia < ib+100 {
		t.Fatalf("blocks [%d,%d) and [%d,%d) overlap", ia, ia+100, ib, ib+100)
	}
	if err := a.SaveDeliveries(ctx, pending(ia, ia+1)); err != nil {
		t.Fatal(err)
	}
	if got := adoptedIDs(t, b); len(got) != 0 {
		t.Fatalf("b adopted %v from a running instance", got)
	}
	a.Close()
	// b and c look at once, again and again until a's session has ended on the server (that
	// follows the close by a moment): each delivery goes to exactly one of them.
	seen := map[int64]int{}
	for deadline := time.Now().Add(5 * time.Second); len(seen) < 2 && time.Now().Before(deadline); {
		out := make(chan []int64, 2)
		for _, db := range []*sqlstore.DB{b, c} {
			go func() { out <- adoptedIDs(t, db) }()
		}
		for range 2 {
			for _, id := range <-out {
				seen[id]++
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(seen) != 2 || seen[ia] != 1 || seen[ia+1] != 1 {
		t.Fatalf("adopted after a stopped: %v, want %d and %d once each", seen, ia, ia+1)
	}

	if err := b.RelayWS(ctx, map[string][][]byte{"sess": {[]byte(`1`), []byte(`2`)}, "other": {[]byte(`x`)}}); err != nil {
		t.Fatal(err)
	}
	if err := c.RelayWS(ctx, map[string][][]byte{"sess": {[]byte(`3`)}, "third": {[]byte(`y`)}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.ClaimWS(ctx, []string{"sess", "nobody"})
	if err != nil || len(got) != 3 {
		t.Fatalf("claimed %v (%v), want sess's three", got, err)
	}
	for i, want := range []string{"1", "2", "3"} {
		if got[i].Session != "sess" || string(got[i].Body) != want {
			t.Fatalf("claimed %d: %s %q, want sess %s (in order)", i, got[i].Session, got[i].Body, want)
		}
	}
	if again, err := b.ClaimWS(ctx, []string{"sess"}); err != nil || len(again) != 0 {
		t.Fatalf("claimed again %v (%v)", again, err)
	}
	if others, err := b.ClaimWS(ctx, []string{"third", "other"}); err != nil || len(others) != 2 {
		t.Fatalf("the other sessions': %v (%v)", others, err)
	}

	now := time.Now()
	if err := b.PutWSToken(ctx, "wst", "access", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	access, exp, err := c.WSToken(ctx, "wst")
	if err != nil || access != "access" || exp.UnixMilli() != now.Add(time.Minute).UnixMilli() {
		t.Fatalf("token on c: %q %v %v", access, exp, err)
	}
	if _, _, err := c.WSToken(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
}
