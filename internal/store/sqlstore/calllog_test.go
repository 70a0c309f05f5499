package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The call-log numbers migration fills its table from the records a database already holds:
// what it derives from the numbers column is what inserting the records writes.
func TestCallLogNumbersMigrationBackfills(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	seeded(t, path).Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows := func() []string {
		rs, err := raw.QueryContext(ctx, `SELECT key || ' ' || num || ' ' || account_id || ' ' || extension_id || ' ' || start_ms
			FROM call_log_numbers ORDER BY key, num`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			var s string
			if err := rs.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	inserted := rows()
	if len(inserted) < 8 { // the default seed's call history: two numbers or more per record
		t.Fatalf("call_log_numbers after the seed: %v", inserted)
	}
	body, err := os.ReadFile("migrations/0006_call_log_lookups.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `DROP TABLE call_log_numbers; DROP INDEX call_log_recorded_extension;
		DROP INDEX call_log_recorded_account;`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, string(body)); err != nil {
		t.Fatal(err)
	}
	if got := rows(); !slices.Equal(got, inserted) {
		t.Fatalf("backfilled:\n%v\ninserted:\n%v", got, inserted)
	}
}
