package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/rcemu/rcemu/internal/addressbook"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

var _ addressbook.Store = (*DB)(nil)

// Contact ids follow the platform's look (a serial, then a three-digit partition suffix).
const (
	firstContactID = 401000008
	contactIDStep  = 1000
)

// contactOrder maps the address book's sort keys to columns.
var contactOrder = map[string]string{"FirstName": "first_name", "LastName": "last_name", "Company": "company"}

func contactPhones(c *rc.PersonalContact) string {
	ps := c.Phones()
	if len(ps) == 0 {
		return ""
	}
	return "," + strings.Join(ps, ",") + ","
}

func writeContact(ctx context.Context, tx *sql.Tx, c *rc.PersonalContact, insert bool) (bool, error) {
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM contacts`).Scan(&c.Seq); err != nil {
		return false, err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return false, err
	}
	deleted := 0
	if c.Availability == "Deleted" {
		deleted = 1
	}
	if insert {
		_, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, account_id, extension_id, first_name, last_name, company, phones, deleted, seq, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.AccountID, c.ExtensionID, c.FirstName, c.LastName, c.Company,
			contactPhones(c), deleted, c.Seq, string(data))
		return true, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE contacts SET first_name = ?, last_name = ?, company = ?, phones = ?, deleted = ?, seq = ?, data = ?
		WHERE id = ? AND extension_id = ? AND deleted = 0`, c.FirstName, c.LastName, c.Company, contactPhones(c), deleted, c.Seq,
		string(data), c.ID, c.ExtensionID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func insertContacts(ctx context.Context, tx *sql.Tx, cs []*rc.PersonalContact) error {
	if len(cs) == 0 {
		return nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), ?) FROM contacts`, firstContactID-contactIDStep).Scan(&last); err != nil {
		return err
	}
	for _, c := range cs {
		if c.ID == 0 {
			last += contactIDStep
			c.ID = last
		} else {
			last = max(last, c.ID)
		}
		if _, err := writeContact(ctx, tx, c, true); err != nil {
			if isUnique(err) {
				return store.ErrConflict
			}
			return err
		}
	}
	return nil
}

func (db *DB) InsertContacts(ctx context.Context, cs ...*rc.PersonalContact) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return insertContacts(ctx, tx, cs) })
}

func (db *DB) UpdateContacts(ctx context.Context, cs ...*rc.PersonalContact) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, c := range cs {
			ok, err := writeContact(ctx, tx, c, false)
			if err != nil {
				return err
			}
			if !ok {
				return store.ErrNotFound
			}
		}
		return nil
	})
}

func (db *DB) Contact(ctx context.Context, extensionID, id int64) (rc.PersonalContact, error) {
	return getJSON[rc.PersonalContact](ctx, db.r, `SELECT data FROM contacts WHERE id = ? AND extension_id = ? AND deleted = 0`, id, extensionID)
}

func (db *DB) ListContacts(ctx context.Context, f addressbook.ContactFilter) ([]rc.PersonalContact, int, error) {
	where := []string{"extension_id = ?", "deleted = 0"}
	args := []any{f.ExtensionID}
	if f.StartsWith != "" {
		// LIKE is case-insensitive for ASCII; the escape keeps % and _ literal.
		p := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.StartsWith) + "%"
		where = append(where, `(first_name LIKE ? ESCAPE '\' OR last_name LIKE ? ESCAPE '\')`)
		args = append(args, p, p)
	}
	if len(f.Phones) > 0 {
		ors := make([]string, len(f.Phones))
		for i, p := range f.Phones {
			ors[i] = "instr(phones, ?) > 0"
			args = append(args, ","+p+",")
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.AfterID != 0 {
		cond += " AND id > ?"
		args = append(args, f.AfterID)
	}
	order := []string{}
	for _, k := range f.SortBy {
		if col, ok := contactOrder[k]; ok {
			order = append(order, col)
		}
	}
	order = append(order, "id")
	q := `SELECT data FROM contacts WHERE ` + cond + ` ORDER BY ` + strings.Join(order, ", ")
	if f.Limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	out, err := queryContacts(ctx, db.r, q, args...)
	return out, total, err
}

func queryContacts(ctx context.Context, q *sql.DB, query string, args ...any) ([]rc.PersonalContact, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []rc.PersonalContact{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var c rc.PersonalContact
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (db *DB) ContactsChangedSince(ctx context.Context, extensionID, seq int64, limit int) ([]rc.PersonalContact, error) {
	return queryContacts(ctx, db.r, `SELECT data FROM contacts WHERE extension_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		extensionID, seq, limit)
}

func (db *DB) LastContactSeq(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM contacts`).Scan(&n)
	return n, err
}

func (db *DB) Favorites(ctx context.Context, extensionID int64) ([]rc.FavoriteContact, error) {
	fs, err := getJSON[[]rc.FavoriteContact](ctx, db.r, `SELECT data FROM favorites WHERE extension_id = ?`, extensionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && fs == nil) {
		return []rc.FavoriteContact{}, nil
	}
	return fs, err
}

func (db *DB) PutFavorites(ctx context.Context, extensionID int64, fs []rc.FavoriteContact) error {
	data, err := json.Marshal(fs)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO favorites (extension_id, data) VALUES (?, ?)
		ON CONFLICT (extension_id) DO UPDATE SET data = excluded.data`, extensionID, string(data))
	return err
}
