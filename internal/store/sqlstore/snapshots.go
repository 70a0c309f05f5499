package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/store"
)

// SaveSnapshot keeps the state under a name, replacing a snapshot of that name.
func (db *DB) SaveSnapshot(ctx context.Context, name string, at time.Time, snap store.Snapshot) error {
	data, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO snapshots (name, created_ms, data) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET created_ms = excluded.created_ms, data = excluded.data`, name, at.UnixMilli(), string(data))
	return err
}

// Snapshot reads a named snapshot.
func (db *DB) Snapshot(ctx context.Context, name string) (store.Snapshot, error) {
	var data string
	if err := db.r.QueryRowContext(ctx, `SELECT data FROM snapshots WHERE name = ?`, name).Scan(&data); err != nil {
		return store.Snapshot{}, notFound(err)
	}
	var snap store.Snapshot
	d := json.NewDecoder(strings.NewReader(data))
	d.UseNumber()
	return snap, d.Decode(&snap)
}

// Snapshots lists the named snapshots, oldest first.
func (db *DB) Snapshots(ctx context.Context) ([]store.SnapshotInfo, error) {
	size := `length(CAST(data AS BLOB))` // length() of text counts characters; Size is bytes
	if db.dialect == postgres {
		size = `octet_length(data)`
	}
	rows, err := db.r.QueryContext(ctx, `SELECT name, created_ms, `+size+` FROM snapshots ORDER BY created_ms, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.SnapshotInfo{}
	for rows.Next() {
		var s store.SnapshotInfo
		var ms int64
		if err := rows.Scan(&s.Name, &ms, &s.Size); err != nil {
			return nil, err
		}
		s.Created = time.UnixMilli(ms).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSnapshot removes a named snapshot.
func (db *DB) DeleteSnapshot(ctx context.Context, name string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM snapshots WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
