package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/seed"
	"github.com/rcemu/rcemu/internal/store/pgtest"
	"github.com/rcemu/rcemu/internal/store/sqlstore"
	"github.com/rcemu/rcemu/internal/store/storetest"
)

func TestMigrationsAreNumberedWithoutGaps(t *testing.T) {
	names, err := sqlstore.Migrations()
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	for i, n := range names {
		base := filepath.Base(n)
		want := []byte("0000")
		num := i + 1
		for j := 3; j >= 0; j-- {
			want[j] = byte('0' + num%10)
			num /= 10
		}
		if !strings.HasPrefix(base, string(want)+"_") {
			t.Errorf("migration %d is %s, want prefix %s_", i+1, base, want)
		}
	}
}

func mustOpen(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func seeded(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db := mustOpen(t, path)
	res, err := seed.Parse(seed.Default())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Load(context.Background(), res.Dataset); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestReopenKeepsDataAndSkipsApplied(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db := seeded(t, path)
	db.Close()
	db = mustOpen(t, path)
	a, err := db.Account(ctx, 159048008)
	if err != nil || a.MainNumber != "+16505550100" {
		t.Fatalf("account after reopen: %+v %v", a, err)
	}
}

func TestMemoryDatabaseIsThrowaway(t *testing.T) {
	db := seeded(t, ":memory:")
	if _, err := db.Account(context.Background(), 159048008); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresSeedExportImport(t *testing.T) {
	ctx := context.Background()
	db := seeded(t, pgtest.Database(t))
	snap, err := db.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Import(ctx, snap); err != nil {
		t.Fatal(err)
	}
}

func TestContractSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "x.db"))
	})
}

// On PostgreSQL each test gets a database of its own.
func TestContractPostgres(t *testing.T) {
	if pgtest.DSN() == "" {
		t.Skip(pgtest.Env + " is not set: the storage contract was not run on PostgreSQL (scripts/postgres.sh start)")
	}
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return mustOpen(t, pgtest.Database(t))
	})
}

// A database that goes away mid-run gives errors, not a hang; a server that is not there ends
// Open with an error within its connect timeout.
func TestPostgresGoneGivesErrors(t *testing.T) {
	if pgtest.DSN() == "" {
		t.Skip(pgtest.Env + " is not set: PostgreSQL tests skipped (scripts/postgres.sh start)")
	}
	dsn, drop, err := pgtest.Create(pgtest.DSN())
	if err != nil {
		t.Fatal(err)
	}
	db := seeded(t, dsn)
	drop() // WITH (FORCE) cuts the store's connections too
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := db.Meta(ctx, "seed"); err == nil || ctx.Err() != nil {
		t.Fatalf("after the database went away: err %v, ctx %v", err, ctx.Err())
	}
	start := time.Now()
	if _, err := sqlstore.Open(context.Background(), "postgres://nobody@127.0.0.1:1/x?sslmode=disable"); err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("open of an absent server: %v after %v", err, time.Since(start))
	}
}

// Instances that start together on a new database migrate it once between them.
func TestPostgresConcurrentOpen(t *testing.T) {
	dsn := pgtest.Database(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := sqlstore.Open(context.Background(), dsn)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
