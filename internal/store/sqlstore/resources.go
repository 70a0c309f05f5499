package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/rcemu/rcemu/internal/resources"
	"github.com/rcemu/rcemu/internal/store"
)

var _ resources.Store = (*DB)(nil)

func (db *DB) PutResource(ctx context.Context, r resources.Record) error {
	data := r.Raw
	if data == nil {
		var err error
		if data, err = json.Marshal(r.Data); err != nil {
			return err
		}
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO resources (collection, id, created_ms, modified_ms, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (collection, id) DO UPDATE SET modified_ms = excluded.modified_ms, data = excluded.data`,
		r.Collection, r.ID, r.Created.UnixMilli(), r.Modified.UnixMilli(), string(data))
	return err
}

func scanResource(collection string, id string, created, modified int64, data string) (resources.Record, error) {
	return resources.Record{Collection: collection, ID: id, Raw: json.RawMessage(data),
		Created: time.UnixMilli(created).UTC(), Modified: time.UnixMilli(modified).UTC()}, nil
}

func (db *DB) Resource(ctx context.Context, collection, id string) (resources.Record, error) {
	var created, modified int64
	var data string
	rows, err := db.query(ctx, `SELECT created_ms, modified_ms, data FROM resources WHERE collection = ? AND id = ?`, collection, id)
	if err != nil {
		return resources.Record{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return resources.Record{}, err
		}
		return resources.Record{}, store.ErrNotFound
	}
	if err := rows.Scan(&created, &modified, &data); err != nil {
		return resources.Record{}, err
	}
	return scanResource(collection, id, created, modified, data)
}

func (db *DB) ListResources(ctx context.Context, collection string, offset, limit int) ([]resources.Record, int, error) {
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM resources WHERE collection = ? AND id != ''`, collection).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, created_ms, modified_ms, data FROM resources WHERE collection = ? AND id != ''
		ORDER BY rowid LIMIT ? OFFSET ?`, collection, noLimit(limit), offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []resources.Record{}
	for rows.Next() {
		var id, data string
		var created, modified int64
		if err := rows.Scan(&id, &created, &modified, &data); err != nil {
			return nil, 0, err
		}
		r, err := scanResource(collection, id, created, modified, data)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

func (db *DB) DeleteResource(ctx context.Context, collection, id string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM resources WHERE collection = ? AND id = ?`, collection, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
