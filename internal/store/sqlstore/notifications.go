package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

func (db *DB) PutSubscription(ctx context.Context, s rc.Subscription) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = db.exec1(ctx, ChangeSubscription, s.ID, `INSERT INTO subscriptions (id, account_id, extension_id, client_id, transport, status, expires_ms, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status,
		expires_ms = excluded.expires_ms, data = excluded.data`,
		s.ID, s.AccountID, s.ExtensionID, s.ClientID, s.DeliveryMode.TransportType, s.Status, s.Expiration.UnixMilli(), string(data))
	return err
}

func (db *DB) UpdateSubscription(ctx context.Context, s rc.Subscription) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	res, err := db.exec1(ctx, ChangeSubscription, s.ID, `UPDATE subscriptions SET status = ?, expires_ms = ?, data = ? WHERE id = ?`,
		s.Status, s.Expiration.UnixMilli(), string(data), s.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (db *DB) Subscription(ctx context.Context, id string) (rc.Subscription, error) {
	return getJSON[rc.Subscription](ctx, db.r, `SELECT data FROM subscriptions WHERE id = ?`, id)
}

func (db *DB) Subscriptions(ctx context.Context, extensionID int64, clientID string) ([]rc.Subscription, error) {
	out, _, err := listJSON[rc.Subscription](ctx, db.r, `SELECT data, COUNT(*) OVER () FROM subscriptions
		WHERE extension_id = ? AND client_id = ? ORDER BY rowid`, extensionID, clientID)
	return out, err
}

func (db *DB) AllSubscriptions(ctx context.Context) ([]rc.Subscription, error) {
	out, _, err := listJSON[rc.Subscription](ctx, db.r, `SELECT data, COUNT(*) OVER () FROM subscriptions ORDER BY rowid`)
	return out, err
}

func (db *DB) DeleteSubscription(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM deliveries WHERE subscription_id = ? AND state = 'pending'`, id); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeSubscription, id)
	})
}

func (db *DB) PendingDeliveries(ctx context.Context, afterID int64, limit int) ([]rc.Delivery, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

// deliveryColumns are what scanDeliveries reads.
const deliveryColumns = `id, subscription_id, body, created_ms, next_ms, attempts, state`

// scanDeliveries reads rows of deliveryColumns, and closes them.
func scanDeliveries(rows *sql.Rows) ([]rc.Delivery, error) {
	defer rows.Close()
	var out []rc.Delivery
	for rows.Next() {
		var d rc.Delivery
		var body string
		var created, next int64
		if err := rows.Scan(&d.ID, &d.SubscriptionID, &body, &created, &next, &d.Attempts, &d.State); err != nil {
			return nil, err
		}
		d.Body, d.Created, d.Next = []byte(body), time.UnixMilli(created), time.UnixMilli(next)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (db *DB) SaveDeliveries(ctx context.Context, ds []rc.Delivery) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		// A new row is this instance's to deliver; an update keeps the owner (AdoptDeliveries).
		put, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (id, subscription_id, body, created_ms, next_ms, attempts, state, owner)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts,
			state = excluded.state, next_ms = excluded.next_ms`)
		if err != nil {
			return err
		}
		defer put.Close()
		del, err := tx.PrepareContext(ctx, `DELETE FROM deliveries WHERE id = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, d := range ds {
			// A delivered notification has nothing left to survive a restart for: the outbox
			// keeps what is pending or failed, and the attempt log tells what happened.
			if d.State == "delivered" || d.State == "dropped" {
				_, err = del.ExecContext(ctx, d.ID)
			} else {
				_, err = put.ExecContext(ctx, d.ID, d.SubscriptionID, string(d.Body), d.Created.UnixMilli(), d.Next.UnixMilli(),
					d.Attempts, d.State, db.self)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) Presence(ctx context.Context, extensionID int64) (rc.Presence, error) {
	p, err := getJSON[rc.Presence](ctx, db.r, `SELECT data FROM presence WHERE extension_id = ?`, extensionID)
	if errors.Is(err, store.ErrNotFound) {
		return rc.DefaultPresence(extensionID), nil
	}
	return p, err
}

func (db *DB) PutPresence(ctx context.Context, p rc.Presence) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO presence (extension_id, data) VALUES (?, ?)
		ON CONFLICT (extension_id) DO UPDATE SET data = excluded.data`, p.ExtensionID, string(data))
	return err
}
