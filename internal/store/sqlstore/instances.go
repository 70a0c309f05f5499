package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// What instances sharing one database coordinate through it besides the state: WebHook
// delivery ids handed out in blocks, which instance delivers each pending notification,
// WebSocket notifications relayed to the instance that holds the session, and WebSocket
// tokens. On SQLite one process owns the file, and these degrade to their lone-instance
// meaning (every delivery left by an earlier run is an orphan; nothing is relayed).

// Shared reports whether other instances may be using the database (PostgreSQL).
func (db *DB) Shared() bool { return db.changes != nil }

// ReserveDeliveryIDs hands out n consecutive delivery ids no instance has had, even across a
// reset or an import (the serials table is not state), and above every id stored.
func (db *DB) ReserveDeliveryIDs(ctx context.Context, n int) (int64, error) {
	var end int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// AUTOINCREMENT (SQLite) and the identity sequence (PostgreSQL) remember ids whose rows
		// are gone: delivered notifications are deleted.
		floorQ := `SELECT MAX(v) FROM (SELECT COALESCE(MAX(id), 0) AS v FROM deliveries
			UNION ALL SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'), 0)) AS f`
		bump := `INSERT INTO serials (name, value) VALUES ('delivery', ?)
			ON CONFLICT (name) DO UPDATE SET value = max(serials.value, ?) + ? RETURNING value`
		if db.dialect == postgres {
			floorQ = `SELECT GREATEST(COALESCE(MAX(id), 0),
				COALESCE(pg_sequence_last_value(pg_get_serial_sequence('deliveries', 'id')::regclass), 0)) FROM deliveries`
			bump = `INSERT INTO serials (name, value) VALUES ('delivery', ?)
				ON CONFLICT (name) DO UPDATE SET value = GREATEST(serials.value, ?) + ? RETURNING value`
		}
		var floor int64
		if err := tx.QueryRowContext(ctx, floorQ).Scan(&floor); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, bump, floor+int64(n), floor, n).Scan(&end)
	})
	return end - int64(n) + 1, err
}

// liveOwners is the SQL set of the keys of running instances: on PostgreSQL those whose
// listening session holds its advisory lock, on SQLite this one alone.
func (db *DB) liveOwners() string {
	if db.dialect == postgres {
		return `SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l
			WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`
	}
	return `SELECT ?`
}

// AdoptDeliveries makes up to limit pending deliveries that no running instance is delivering
// (their instance stopped or was killed) this instance's, and returns them in order of id.
func (db *DB) AdoptDeliveries(ctx context.Context, limit int) ([]rc.Delivery, error) {
	var out []rc.Delivery
	err := db.tx(ctx, func(tx *sql.Tx) error {
		args := []any{db.self}
		if db.dialect != postgres {
			args = append(args, db.self)
		}
		args = append(args, limit)
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET owner = ? WHERE id IN (
			SELECT id FROM deliveries WHERE state = 'pending' AND owner NOT IN (`+db.liveOwners()+`) ORDER BY id LIMIT ?)
			RETURNING `+deliveryColumns, args...)
		if err != nil {
			return err
		}
		out, err = scanDeliveries(rows)
		return err
	})
	// RETURNING promises no order.
	slices.SortFunc(out, func(a, b rc.Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, err
}

// relayTTL bounds how long a relayed WebSocket notification waits for its session's instance
// to take it: one that ended (or died) never will.
const relayTTL = 5 * time.Minute

// RelayWS hands WebSocket notifications for sessions this instance does not hold (session →
// notifications, in order) to the instances that do: they are stored in one transaction, and
// every instance hears of it once and takes those of its own sessions (ClaimWS).
func (db *DB) RelayWS(ctx context.Context, notifications map[string][][]byte) error {
	now := time.Now().UnixMilli()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ws_relay WHERE created_ms < ?`, now-relayTTL.Milliseconds()); err != nil {
			return err
		}
		// Many rows a statement: a fan-out relays one notification to each of many sessions,
		// and a round trip each was most of its cost.
		const perInsert = 300
		args := make([]any, 0, 3*perInsert)
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			q := `INSERT INTO ws_relay (session, body, created_ms) VALUES (?, ?, ?)` + strings.Repeat(", (?, ?, ?)", len(args)/3-1)
			_, err := tx.ExecContext(ctx, q, args...)
			args = args[:0]
			return err
		}
		for session, ns := range notifications {
			for _, n := range ns {
				args = append(args, session, string(n), now)
				if len(args) == cap(args) {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeWS, "")
	})
}

// Relayed is a WebSocket notification another instance relayed.
type Relayed struct {
	Session string
	Body    []byte
}

// ClaimWS takes the notifications relayed to any of sessions, oldest first; each is taken once.
func (db *DB) ClaimWS(ctx context.Context, sessions []string) ([]Relayed, error) {
	type row struct {
		id int64
		Relayed
	}
	var got []row
	err := db.tx(ctx, func(tx *sql.Tx) error {
		got = got[:0]
		for rest := sessions; len(rest) > 0; {
			chunk := rest[:min(len(rest), 500)]
			rest = rest[len(chunk):]
			var args []any
			rows, err := tx.QueryContext(ctx, `DELETE FROM ws_relay WHERE `+inList("session", chunk, &args)+`
				RETURNING id, session, body`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var r row
				var body string
				if err := rows.Scan(&r.id, &r.Session, &body); err != nil {
					rows.Close()
					return err
				}
				r.Body = []byte(body)
				got = append(got, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.id, b.id) })
	out := make([]Relayed, len(got))
	for i, r := range got {
		out[i] = r.Relayed
	}
	return out, nil
}

// PutWSToken keeps a WebSocket access token until it expires (and drops those that have by
// now, on the emulator's clock).
func (db *DB) PutWSToken(ctx context.Context, token, accessToken string, now, expires time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ws_tokens WHERE expires_ms < ?`, now.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ws_tokens (token, access_token, expires_ms) VALUES (?, ?, ?)`,
			token, accessToken, expires.UnixMilli())
		return err
	})
}

// WSToken returns the access token a WebSocket token stands for and when it expires;
// store.ErrNotFound if there is none.
func (db *DB) WSToken(ctx context.Context, token string) (string, time.Time, error) {
	var access string
	var exp int64
	err := db.r.QueryRowContext(ctx, `SELECT access_token, expires_ms FROM ws_tokens WHERE token = ?`, token).Scan(&access, &exp)
	if err != nil {
		return "", time.Time{}, notFound(err)
	}
	return access, time.UnixMilli(exp), nil
}

// InitSerial creates a count shared by the instances, unless it exists.
func (db *DB) InitSerial(ctx context.Context, name string, value int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO serials (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value)
		return err
	})
}

// TakeSerial takes one from a shared count and returns what is left; ok is false when it was
// used up (or never made).
func (db *DB) TakeSerial(ctx context.Context, name string) (left int64, ok bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE serials SET value = value - 1 WHERE name = ? AND value > 0 RETURNING value`,
			name).Scan(&left)
		if errors.Is(err, sql.ErrNoRows) {
			ok = false
			return nil
		}
		ok = err == nil
		return err
	})
	return left, ok, err
}

// PublishSetting sets a shared setting and announces it (ChangeControl, the key) to the other
// instances. Settings are not state: export, import and reset leave them alone.
func (db *DB) PublishSetting(ctx context.Context, key, value string) error {
	_, err := db.exec1(ctx, ChangeControl, key, `INSERT INTO shared_settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Setting returns a shared setting; store.ErrNotFound if it was never set.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM shared_settings WHERE key = ?`, key).Scan(&v)
	return v, notFound(err)
}

// rateCountsTTL is how long exchanged rate-limit counts are kept: past a window and a penalty
// they change no decision, and an instance starting reads what is left.
const rateCountsTTL = 3 * time.Minute

// RateCounts is one instance's exchanged rate-limit counts.
type RateCounts struct {
	ID    int64
	Epoch int64
	Data  string
}

// PutRateCounts stores what this instance counted since it last did, for the others.
func (db *DB) PutRateCounts(ctx context.Context, epoch int64, data string) error {
	now := time.Now().UnixMilli()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rate_counts WHERE created_ms < ?`, now-rateCountsTTL.Milliseconds()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO rate_counts (instance, epoch, created_ms, data) VALUES (?, ?, ?, ?)`,
			db.self, epoch, now, data)
		return err
	})
}

// OthersRateCounts returns what other instances stored after the row afterID, in order. Rows
// are numbered under the write lock, so that one committed later never has a smaller id.
func (db *DB) OthersRateCounts(ctx context.Context, afterID int64) ([]RateCounts, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, epoch, data FROM rate_counts WHERE id > ? AND instance <> ? ORDER BY id`,
		afterID, db.self)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RateCounts
	for rows.Next() {
		var r RateCounts
		if err := rows.Scan(&r.ID, &r.Epoch, &r.Data); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Instance is this instance's key, as other instances' announcements name it.
func (db *DB) Instance() int64 { return db.self }

// AskWS asks the other instances for a WebSocket session, for the OAuth session owner.
func (db *DB) AskWS(ctx context.Context, session, owner string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		return db.announce(ctx, tx, ChangeWSAsk, session+" "+owner+" "+strconv.FormatInt(db.self, 10))
	})
}

// GiveWS stores a WebSocket session's handoff for the instance that asked for it, and tells it.
func (db *DB) GiveWS(ctx context.Context, session string, requester int64, data string) error {
	now := time.Now().UnixMilli()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ws_handoffs WHERE created_ms < ?`, now-relayTTL.Milliseconds()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ws_handoffs (session, requester, data, created_ms) VALUES (?, ?, ?, ?)`,
			session, requester, data, now); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeWSGive, session+" "+strconv.FormatInt(requester, 10))
	})
}

// TakeWS takes the handoff of a WebSocket session given to this instance; store.ErrNotFound if
// there is none.
func (db *DB) TakeWS(ctx context.Context, session string) (string, error) {
	var data string
	found := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM ws_handoffs WHERE session = ? AND requester = ? RETURNING data`,
			session, db.self).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // not a failure of the batch this write may share
		}
		found = err == nil
		return err
	})
	if err == nil && !found {
		err = store.ErrNotFound
	}
	return data, err
}
