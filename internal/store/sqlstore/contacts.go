package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
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

// fold is the case-insensitive key of a name: lower case, as Go folds Unicode.
func fold(s string) string { return strings.ToLower(s) }

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
		if _, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, account_id, extension_id, first_name, last_name, company, deleted, seq, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.AccountID, c.ExtensionID, fold(c.FirstName), fold(c.LastName), fold(c.Company),
			deleted, c.Seq, string(data)); err != nil {
			return false, err
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE contacts SET first_name = ?, last_name = ?, company = ?, deleted = ?, seq = ?, data = ?
			WHERE id = ? AND extension_id = ? AND deleted = 0`, fold(c.FirstName), fold(c.LastName), fold(c.Company), deleted, c.Seq,
			string(data), c.ID, c.ExtensionID)
		if err != nil {
			return false, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contact_phones WHERE contact_id = ?`, c.ID); err != nil {
			return false, err
		}
	}
	if deleted == 0 {
		for _, p := range c.Phones() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO contact_phones (extension_id, phone, contact_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				c.ExtensionID, p, c.ID); err != nil {
				return false, err
			}
		}
	}
	return true, nil
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
	defer db.msgGen.Add(1)
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := insertContacts(ctx, tx, cs); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeMessages, "")
	})
}

func (db *DB) UpdateContacts(ctx context.Context, cs ...*rc.PersonalContact) error {
	defer db.msgGen.Add(1)
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
		return db.announce(ctx, tx, ChangeMessages, "")
	})
}

func (db *DB) Contact(ctx context.Context, extensionID, id int64) (rc.PersonalContact, error) {
	return getJSON[rc.PersonalContact](ctx, db.r, `SELECT data FROM contacts WHERE id = ? AND extension_id = ? AND deleted = 0`, id, extensionID)
}

func (db *DB) ListContacts(ctx context.Context, f addressbook.ContactFilter) ([]rc.PersonalContact, int, error) {
	where := []string{"extension_id = ?", "deleted = 0"}
	args := []any{f.ExtensionID}
	if f.StartsWith != "" {
		// A prefix as a range of the folded columns, so that the name indexes serve it (LIKE
		// with an escape would scan the address book, and folds ASCII only).
		lo := fold(f.StartsWith)
		hi := lo + "\U0010FFFF"
		where = append(where, `((first_name >= ? AND first_name < ?) OR (last_name >= ? AND last_name < ?))`)
		args = append(args, lo, hi, lo, hi)
	}
	if len(f.Phones) > 0 {
		args = append(args, f.ExtensionID)
		where = append(where, "id IN (SELECT contact_id FROM contact_phones WHERE extension_id = ? AND "+inList("phone", f.Phones, &args)+")")
	}
	cond := strings.Join(where, " AND ")
	gen := db.msgGen.Load()
	countArgs := slices.Clone(args)
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
	if f.StartsWith != "" {
		// "+id" keeps the planner from walking the address book in id order to spare a sort:
		// a prefix selects few contacts, which the name indexes find directly.
		order = append(order, "+id")
	} else {
		order = append(order, "id")
	}
	// The page's ids come from the indexes alone; only its own rows are read and decoded, so a
	// deep page does not read the documents it skips.
	q := `SELECT id FROM contacts WHERE ` + cond + ` ORDER BY ` + strings.Join(order, ", ")
	if f.Limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	out, err := db.contactsByID(ctx, q, args)
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.AfterID != 0 || (len(out) < f.Limit && (len(out) > 0 || f.Offset == 0)) {
		// The page tells the total (sync pages need none).
		return out, f.Offset + len(out), nil
	}
	// Counting a large address book costs more than its page; clients page through the same
	// list, so the count is remembered until the next write.
	total, err := db.countMessages(ctx, gen, `SELECT COUNT(*) FROM contacts WHERE `+cond, countArgs)
	return out, total, err
}

func (db *DB) contactsByID(ctx context.Context, q string, args []any) ([]rc.PersonalContact, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var ids []string
	at := map[int64]int{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		at[id] = len(ids)
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return []rc.PersonalContact{}, err
	}
	var iargs []any
	cs, err := queryContacts(ctx, db.r, `SELECT data FROM contacts WHERE `+inList("id", ids, &iargs), iargs...)
	if err != nil {
		return nil, err
	}
	out := make([]rc.PersonalContact, len(ids))
	for _, c := range cs {
		out[at[c.ID]] = c
	}
	return out, nil
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

func (db *DB) ContactFavorites(ctx context.Context, extensionID int64) ([]rc.FavoriteContact, error) {
	fs, err := getJSON[[]rc.FavoriteContact](ctx, db.r, `SELECT data FROM favorites WHERE extension_id = ?`, extensionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && fs == nil) {
		return []rc.FavoriteContact{}, nil
	}
	return fs, err
}

func (db *DB) PutContactFavorites(ctx context.Context, extensionID int64, fs []rc.FavoriteContact) error {
	data, err := json.Marshal(fs)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO favorites (extension_id, data) VALUES (?, ?)
		ON CONFLICT (extension_id) DO UPDATE SET data = excluded.data`, extensionID, string(data))
	return err
}
