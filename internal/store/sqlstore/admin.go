package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// dataTables lists the tables that hold state, parents before children so that inserts in this
// order and deletes in reverse order respect the foreign keys.
var dataTables = []string{"accounts", "extensions", "phone_numbers", "apps", "credentials", "sessions", "tokens", "auth_codes",
	"messages", "attachments", "subscriptions", "deliveries", "presence",
	"counters", "calls", "call_parties", "call_log", "call_log_numbers", "ringouts", "recordings",
	"resources", "tm_chats", "tm_members", "tm_posts", "tm_favorites", "tm_items",
	"contacts", "contact_phones", "favorites"}

func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	return v, notFound(err)
}

func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

func (db *DB) Load(ctx context.Context, d store.Dataset) error {
	defer db.cache.reset()
	defer db.msgGen.Add(1)
	defer db.decoded.clear()
	defer db.posts.clear()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := load(ctx, tx, d); err != nil {
			return err
		}
		if err := insertCallRecords(ctx, tx, d.CallRecords); err != nil {
			return err
		}
		if err := insertRecordings(ctx, tx, d.CallRecordings); err != nil {
			return err
		}
		if err := insertContacts(ctx, tx, d.Contacts); err != nil {
			return err
		}
		if err := db.insertMessages(ctx, tx, d.Messages); err != nil {
			return err
		}
		if db.dialect == postgres {
			if err := syncIdentities(ctx, tx); err != nil {
				return err
			}
		}
		return db.announce(ctx, tx, ChangeAll, "")
	})
}

func load(ctx context.Context, tx *sql.Tx, d store.Dataset) error {
	ins := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		if isUnique(err) {
			return fmt.Errorf("%w: %v", store.ErrConflict, err)
		}
		return err
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, a := range d.Accounts {
		if err := ins(`INSERT INTO accounts (id, data) VALUES (?, ?)`, a.ID, js(a)); err != nil {
			return fmt.Errorf("account %d: %w", a.ID, err)
		}
	}
	for _, e := range d.Extensions {
		if err := ins(`INSERT INTO extensions (id, account_id, extension_number, type, status, email, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.AccountID, e.ExtensionNumber, e.Type, e.Status, e.Contact.Email, js(e)); err != nil {
			return fmt.Errorf("extension %d: %w", e.ID, err)
		}
	}
	for _, p := range d.PhoneNumbers {
		var ext any
		if p.ExtensionID != 0 {
			ext = p.ExtensionID
		}
		if err := ins(`INSERT INTO phone_numbers (id, account_id, extension_id, phone_number, usage_type, type, status, payment_type, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.AccountID, ext, p.PhoneNumber, p.UsageType, p.Type, p.Status, p.PaymentType, js(p)); err != nil {
			return fmt.Errorf("phone number %s: %w", p.PhoneNumber, err)
		}
	}
	for _, a := range d.Apps {
		if err := ins(`INSERT INTO apps (client_id, data) VALUES (?, ?)`, a.ClientID, js(a)); err != nil {
			return fmt.Errorf("app %s: %w", a.ClientID, err)
		}
	}
	for _, c := range d.Credentials {
		if err := ins(`INSERT INTO credentials (extension_id, username, data) VALUES (?, ?, ?)`, c.ExtensionID, c.Username, js(c)); err != nil {
			return fmt.Errorf("credential of extension %d: %w", c.ExtensionID, err)
		}
	}
	return nil
}

func clearTables(ctx context.Context, tx *sql.Tx) error {
	for i := len(dataTables) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+dataTables[i]); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) Clear(ctx context.Context) error {
	defer db.cache.reset()
	defer db.msgGen.Add(1)
	defer db.decoded.clear()
	defer db.posts.clear()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := clearTables(ctx, tx); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeAll, "")
	})
}

// Export reads every state table in one read transaction, so the snapshot is consistent.
func (db *DB) Export(ctx context.Context) (store.Snapshot, error) {
	snap := store.Snapshot{Format: store.SnapshotFormat, Version: SchemaVersion(), Tables: map[string][]map[string]any{}}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == postgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for every table, as SQLite's read transaction
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return snap, err
	}
	defer tx.Rollback()
	for _, t := range append([]string{"meta"}, dataTables...) {
		sel := "*"
		if db.dialect == postgres {
			// Not the rowid the PostgreSQL schema adds: the snapshot is the same on both engines.
			cols, err := db.columnList(ctx, t)
			if err != nil {
				return snap, err
			}
			sel = strings.Join(cols, ", ")
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+sel+` FROM `+t+` ORDER BY rowid`)
		if err != nil {
			return snap, err
		}
		cols, _ := rows.Columns()
		list := []map[string]any{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return snap, err
			}
			row := make(map[string]any, len(cols))
			for i, c := range cols {
				if b, ok := vals[i].([]byte); ok {
					// BLOBs (attachment contents) travel base64-encoded, so the document stays JSON.
					vals[i] = map[string]any{"base64": base64.StdEncoding.EncodeToString(b)}
				}
				row[c] = vals[i]
			}
			list = append(list, row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return snap, err
		}
		snap.Tables[t] = list
	}
	return snap, nil
}

// Import validates the snapshot against the live schema (known tables and columns only) and
// replaces the state in one transaction.
func (db *DB) Import(ctx context.Context, s store.Snapshot) error {
	if s.Format != store.SnapshotFormat {
		return fmt.Errorf("%w: format must be %q", store.ErrBadSnapshot, store.SnapshotFormat)
	}
	if s.Version != SchemaVersion() {
		return fmt.Errorf("%w: schema version %d, this rcemu has %d", store.ErrBadSnapshot, s.Version, SchemaVersion())
	}
	known := map[string]map[string]bool{}
	for _, t := range append([]string{"meta"}, dataTables...) {
		cols, err := db.columns(ctx, t)
		if err != nil {
			return err
		}
		known[t] = cols
	}
	for t, rows := range s.Tables {
		cols, ok := known[t]
		if !ok {
			return fmt.Errorf("%w: unknown table %q", store.ErrBadSnapshot, t)
		}
		for _, row := range rows {
			for c := range row {
				if !cols[c] {
					return fmt.Errorf("%w: unknown column %q in table %q", store.ErrBadSnapshot, c, t)
				}
			}
		}
	}
	defer db.cache.reset()
	defer db.msgGen.Add(1)
	defer db.decoded.clear()
	defer db.posts.clear()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := clearTables(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM meta`); err != nil {
			return err
		}
		for _, t := range append([]string{"meta"}, dataTables...) {
			for _, row := range s.Tables[t] {
				names := make([]string, 0, len(row))
				ph := make([]string, 0, len(row))
				args := make([]any, 0, len(row))
				for c, v := range row {
					if f, ok := v.(float64); ok && f == float64(int64(f)) {
						v = int64(f) // JSON numbers come back as float64; ids must stay exact
					}
					if n, ok := v.(json.Number); ok {
						if i, err := n.Int64(); err == nil {
							v = i
						} else {
							v = n.String()
						}
					}
					if m, ok := v.(map[string]any); ok && len(m) == 1 {
						if enc, ok := m["base64"].(string); ok {
							b, err := base64.StdEncoding.DecodeString(enc)
							if err != nil {
								return fmt.Errorf("%w: %s.%s is not valid base64", store.ErrBadSnapshot, t, c)
							}
							v = b
						}
					}
					switch v.(type) {
					case nil, string, int64, bool, []byte:
					default:
						return fmt.Errorf("%w: value of %s.%s must be a string, number, boolean or null", store.ErrBadSnapshot, t, c)
					}
					names = append(names, c)
					ph = append(ph, "?")
					args = append(args, v)
				}
				q := `INSERT INTO ` + t + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(ph, ", ") + `)`
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return fmt.Errorf("%w: table %s: %v", store.ErrBadSnapshot, t, err)
				}
			}
		}
		if db.dialect == postgres {
			// PostgreSQL checked each reference as the rows went in (the inserts above
			// failed otherwise); its sequences must learn the ids the rows brought.
			if err := syncIdentities(ctx, tx); err != nil {
				return err
			}
			return db.announce(ctx, tx, ChangeAll, "")
		}
		// A snapshot whose rows break a reference must not land half-checked.
		rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return err
		}
		bad := rows.Next()
		rows.Close()
		if bad {
			return fmt.Errorf("%w: rows reference missing parents", store.ErrBadSnapshot)
		}
		return nil
	})
}

func (db *DB) columns(ctx context.Context, table string) (map[string]bool, error) {
	list, err := db.columnList(ctx, table)
	cols := map[string]bool{}
	for _, c := range list {
		cols[c] = true
	}
	return cols, err
}

// columnList reads a table's columns from the live schema, in their order.
func (db *DB) columnList(ctx context.Context, table string) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, db.dialect.columnsQuery(), table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		cols = append(cols, n)
	}
	return cols, rows.Err()
}

func insertRecordings(ctx context.Context, tx *sql.Tx, recs []rc.CallRecording) error {
	for _, r := range recs {
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO recordings (id, account_id, data) VALUES (?, ?, ?)`, r.ID, r.AccountID, string(data)); err != nil {
			return err
		}
	}
	return nil
}
