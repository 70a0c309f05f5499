package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

func (db *DB) App(ctx context.Context, clientID string) (rc.App, error) {
	return getJSON[rc.App](ctx, db.r, `SELECT data FROM apps WHERE client_id = ?`, clientID)
}

func (db *DB) Apps(ctx context.Context) ([]rc.App, error) {
	out, _, err := listJSON[rc.App](ctx, db.r, `SELECT data, COUNT(*) OVER () FROM apps ORDER BY rowid`)
	return out, err
}

func (db *DB) CredentialsByUsername(ctx context.Context, username string) ([]rc.UserCredential, error) {
	out, _, err := listJSON[rc.UserCredential](ctx, db.r,
		`SELECT data, COUNT(*) OVER () FROM credentials WHERE lower(username) = lower(?)
			OR extension_id IN (SELECT id FROM extensions WHERE email <> '' AND lower(email) = lower(?)) ORDER BY rowid`, username, username)
	return out, err
}

func (db *DB) Credential(ctx context.Context, extensionID int64) (rc.UserCredential, error) {
	return getJSON[rc.UserCredential](ctx, db.r, `SELECT data FROM credentials WHERE extension_id = ?`, extensionID)
}

func (db *DB) Credentials(ctx context.Context) ([]rc.UserCredential, error) {
	out, _, err := listJSON[rc.UserCredential](ctx, db.r, `SELECT data, COUNT(*) OVER () FROM credentials ORDER BY rowid`)
	return out, err
}

func insertTokens(ctx context.Context, tx *sql.Tx, tokens []rc.Token) error {
	for _, t := range tokens {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (token, session_id, kind, expires_at, retired, successor)
			VALUES (?, ?, ?, ?, ?, ?)`, t.Token, t.SessionID, t.Kind, t.ExpiresAt.UnixMilli(), t.Retired, t.Successor); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) CreateSession(ctx context.Context, s rc.Session, tokens ...rc.Token) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, extension_id, revoked, data) VALUES (?, ?, ?, ?)`,
			s.ID, s.ExtensionID, s.Revoked, string(data)); err != nil {
			return err
		}
		if err := insertTokens(ctx, tx, tokens); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeAuth, "")
	})
}

func (db *DB) Session(ctx context.Context, id string) (rc.Session, error) {
	var data string
	var revoked bool
	if err := db.r.QueryRowContext(ctx, `SELECT data, revoked FROM sessions WHERE id = ?`, id).Scan(&data, &revoked); err != nil {
		return rc.Session{}, notFound(err)
	}
	var s rc.Session
	err := json.Unmarshal([]byte(data), &s)
	s.Revoked = revoked
	return s, err
}

func (db *DB) Token(ctx context.Context, token string) (rc.Token, error) {
	t := rc.Token{Token: token}
	var exp, retiredAt int64
	err := db.r.QueryRowContext(ctx, `SELECT session_id, kind, expires_at, retired, retired_at, successor FROM tokens WHERE token = ?`, token).
		Scan(&t.SessionID, &t.Kind, &exp, &t.Retired, &retiredAt, &t.Successor)
	if err != nil {
		return rc.Token{}, notFound(err)
	}
	t.ExpiresAt = time.UnixMilli(exp).UTC()
	if retiredAt != 0 {
		t.RetiredAt = time.UnixMilli(retiredAt).UTC()
	}
	return t, nil
}

func (db *DB) RotateTokens(ctx context.Context, sessionID, usedRefresh string, at time.Time, tokens ...rc.Token) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		// Claim the used refresh token first: of two concurrent refreshes only one may rotate.
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET retired = 1, retired_at = ? WHERE token = ? AND retired = 0`,
			at.UnixMilli(), usedRefresh)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET retired = 1, retired_at = ? WHERE session_id = ? AND retired = 0`,
			at.UnixMilli(), sessionID); err != nil {
			return err
		}
		var access, refresh string
		for _, t := range tokens {
			if t.Kind == "access" {
				access = t.Token
			} else {
				refresh = t.Token
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET successor = ? WHERE token = ?`, access+" "+refresh, usedRefresh); err != nil {
			return err
		}
		return insertTokens(ctx, tx, tokens)
	})
}

func (db *DB) RevokeSession(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked = 1 WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		// Successors are cleared so that a revoked session's old refresh token cannot replay them.
		if _, err = tx.ExecContext(ctx, `UPDATE tokens SET retired = 1, successor = '' WHERE session_id = ?`, id); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeAuth, "")
	})
}

func (db *DB) PutAuthCode(ctx context.Context, c rc.AuthCode) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO auth_codes (code, data) VALUES (?, ?)`, c.Code, string(data))
	return err
}

func (db *DB) TakeAuthCode(ctx context.Context, code string) (rc.AuthCode, error) {
	var c rc.AuthCode
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var data string
		if err := tx.QueryRowContext(ctx, `SELECT data FROM auth_codes WHERE code = ?`, code).Scan(&data); err != nil {
			return notFound(err)
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return err
		}
		used := c
		used.Used = true
		b, _ := json.Marshal(used)
		_, err := tx.ExecContext(ctx, `UPDATE auth_codes SET data = ? WHERE code = ?`, string(b), code)
		return err
	})
	return c, err
}
