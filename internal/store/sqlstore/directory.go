package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

func getJSON[T any](ctx context.Context, q *sql.DB, query string, args ...any) (T, error) {
	var v T
	var data string
	if err := q.QueryRowContext(ctx, query, args...).Scan(&data); err != nil {
		return v, notFound(err)
	}
	err := json.Unmarshal([]byte(data), &v)
	return v, err
}

// listJSON runs a query whose first column is a JSON document and whose second is the total
// count of matching rows (COUNT(*) OVER ()), so one round trip returns a page and its total.
func listJSON[T any](ctx context.Context, q *sql.DB, query string, args ...any) ([]T, int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []T{}
	total := 0
	for rows.Next() {
		var data string
		if err := rows.Scan(&data, &total); err != nil {
			return nil, 0, err
		}
		var v T
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}

func (db *DB) Account(ctx context.Context, id int64) (rc.Account, error) {
	return through(db.cache, db.cache.acc, id, func() (rc.Account, error) {
		return getJSON[rc.Account](ctx, db.r, `SELECT data FROM accounts WHERE id = ?`, id)
	})
}

func (db *DB) Accounts(ctx context.Context) ([]rc.Account, error) {
	out, _, err := listJSON[rc.Account](ctx, db.r, `SELECT data, COUNT(*) OVER () FROM accounts ORDER BY rowid`)
	return out, err
}

func (db *DB) Extension(ctx context.Context, accountID, id int64) (rc.Extension, error) {
	e, err := through(db.cache, db.cache.ext, id, func() (rc.Extension, error) {
		return getJSON[rc.Extension](ctx, db.r, `SELECT data FROM extensions WHERE id = ?`, id)
	})
	if err != nil {
		return e, err
	}
	if e.AccountID != accountID {
		return rc.Extension{}, store.ErrNotFound
	}
	return e, nil
}

func (db *DB) ExtensionByNumber(ctx context.Context, accountID int64, number string) (rc.Extension, error) {
	return getJSON[rc.Extension](ctx, db.r, `SELECT data FROM extensions WHERE account_id = ? AND extension_number = ?`, accountID, number)
}

func (db *DB) FindPhoneNumber(ctx context.Context, number string) (rc.PhoneNumber, error) {
	return through(db.cache, db.cache.numbers, number, func() (rc.PhoneNumber, error) {
		return getJSON[rc.PhoneNumber](ctx, db.r, `SELECT data FROM phone_numbers WHERE phone_number = ?`, number)
	})
}

func limitClause(offset, limit int, args *[]any) string {
	if limit <= 0 {
		return ""
	}
	*args = append(*args, limit, offset)
	return " LIMIT ? OFFSET ?"
}

func (db *DB) ListExtensions(ctx context.Context, f store.ExtensionFilter) ([]rc.Extension, int, error) {
	args := []any{f.AccountID}
	where := []string{"account_id = ?"}
	if len(f.ExtensionNumbers) > 0 {
		where = append(where, inList("extension_number", f.ExtensionNumbers, &args))
	}
	if len(f.Types) > 0 {
		where = append(where, inList("type", f.Types, &args))
	}
	if len(f.Statuses) > 0 {
		where = append(where, inList("status", f.Statuses, &args))
	}
	if len(f.Emails) > 0 {
		lower := make([]string, len(f.Emails))
		for i, e := range f.Emails {
			lower[i] = strings.ToLower(e)
		}
		where = append(where, inList("lower(email)", lower, &args))
	}
	// Extension numbers sort numerically where they are numbers, as the platform lists them.
	q := `SELECT data, COUNT(*) OVER () FROM extensions WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY length(extension_number), extension_number, id` + limitClause(f.Offset, f.Limit, &args)
	items, total, err := listJSON[rc.Extension](ctx, db.r, q, args...)
	if err == nil && len(items) == 0 && f.Offset > 0 {
		total, err = db.count(ctx, `SELECT COUNT(*) FROM extensions WHERE `+strings.Join(where, " AND "), args[:len(args)-2]...)
	}
	return items, total, err
}

func (db *DB) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

func (db *DB) UpdateExtension(ctx context.Context, e rc.Extension) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	res, err := db.exec1(ctx, ChangeExtension, strconv.FormatInt(e.ID, 10), `UPDATE extensions SET extension_number = ?, type = ?, status = ?, email = ?, data = ?
		WHERE id = ? AND account_id = ?`, e.ExtensionNumber, e.Type, e.Status, e.Contact.Email, string(data), e.ID, e.AccountID)
	if isUnique(err) {
		return store.ErrConflict
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	db.cache.dropExtension(e.ID)
	return nil
}

func (db *DB) PhoneNumber(ctx context.Context, accountID, id int64) (rc.PhoneNumber, error) {
	return getJSON[rc.PhoneNumber](ctx, db.r, `SELECT data FROM phone_numbers WHERE id = ? AND account_id = ?`, id, accountID)
}

func (db *DB) ListPhoneNumbers(ctx context.Context, f store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error) {
	// An extension's own numbers, unfiltered, are what sending a text checks: keep them.
	plain := f.ExtensionID != 0 && len(f.UsageTypes)+len(f.Types)+len(f.Statuses)+len(f.PaymentTypes) == 0 &&
		f.ExtensionStatus == "" && f.Offset == 0 && f.Limit == 0
	if plain {
		// Cached by extension: another account's caller must not be answered from it.
		if ps, ok := get(db.cache, db.cache.byExt, f.ExtensionID); ok && (len(ps) == 0 || ps[0].AccountID == f.AccountID) {
			return ps, len(ps), nil
		}
		gen := db.cache.generation()
		ps, n, err := db.listPhoneNumbers(ctx, f)
		if err == nil {
			put(db.cache, gen, db.cache.byExt, f.ExtensionID, ps)
		}
		return ps, n, err
	}
	return db.listPhoneNumbers(ctx, f)
}

func (db *DB) listPhoneNumbers(ctx context.Context, f store.PhoneNumberFilter) ([]rc.PhoneNumber, int, error) {
	args := []any{f.AccountID}
	where := []string{"account_id = ?"}
	if f.ExtensionID != 0 {
		where = append(where, "extension_id = ?")
		args = append(args, f.ExtensionID)
	}
	for _, c := range []struct {
		col  string
		vals []string
	}{{"usage_type", f.UsageTypes}, {"type", f.Types}, {"status", f.Statuses}, {"payment_type", f.PaymentTypes}} {
		if len(c.vals) > 0 {
			where = append(where, inList(c.col, c.vals, &args))
		}
	}
	if f.ExtensionStatus != "" {
		where = append(where, "extension_id IN (SELECT id FROM extensions WHERE status = ?)")
		args = append(args, f.ExtensionStatus)
	}
	q := `SELECT data, COUNT(*) OVER () FROM phone_numbers WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY id` + limitClause(f.Offset, f.Limit, &args)
	items, total, err := listJSON[rc.PhoneNumber](ctx, db.r, q, args...)
	if err == nil && len(items) == 0 && f.Offset > 0 {
		total, err = db.count(ctx, `SELECT COUNT(*) FROM phone_numbers WHERE `+strings.Join(where, " AND "), args[:len(args)-2]...)
	}
	return items, total, err
}
