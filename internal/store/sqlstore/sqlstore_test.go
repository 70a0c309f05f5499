package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

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
