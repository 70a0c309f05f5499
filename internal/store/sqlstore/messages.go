package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// The message writes every SMS makes (see writeStmts).
const (
	qNextMessageID  = `SELECT COALESCE(MAX(id), ?) + 1000 FROM messages WHERE id >= ?`
	qNextMessageSeq = `SELECT COALESCE(MAX(seq), 0) + 1 FROM messages`
	qInsertMessage  = `INSERT INTO messages (id, account_id, extension_id, type, direction, availability, read_status,
		message_status, conversation_id, creation_ms, seq, numbers, external, pending_ms, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertAttachment = `INSERT INTO attachments (id, message_id, content) VALUES (?, ?, ?)`
	qUpdateMessage    = `UPDATE messages SET type = ?, direction = ?, availability = ?, read_status = ?,
		message_status = ?, conversation_id = ?, seq = ?, numbers = ?, external = ?, pending_ms = ?, data = ?
		WHERE id = ? AND extension_id = ?`
)

// firstMessageID is where assigned message ids start; ids step by 1000 (ending in 008, like the
// platform's) so that a message's attachments can take the ids just above it.
const firstMessageID = 5000000008

func numbersOf(m *rc.Message) string {
	var b strings.Builder
	b.WriteByte(',')
	add := func(p rc.Party) {
		if p.PhoneNumber != "" {
			b.WriteString(p.PhoneNumber)
			b.WriteByte(',')
		}
	}
	add(m.From)
	for _, p := range m.To {
		add(p)
	}
	return b.String()
}

func pendingMS(m *rc.Message) int64 {
	if m.Pending == nil {
		return 0
	}
	return m.Pending.At.UnixMilli()
}

func (db *DB) nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := db.stmt(ctx, tx, qNextMessageSeq).QueryRowContext(ctx).Scan(&seq)
	return seq, err
}

func (db *DB) InsertMessages(ctx context.Context, msgs ...*rc.Message) error {
	defer db.msgGen.Add(1)
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.insertMessages(ctx, tx, msgs); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeMessages, "")
	})
}

func (db *DB) insertMessages(ctx context.Context, tx *sql.Tx, msgs []*rc.Message) error {
	var next int64
	if err := db.stmt(ctx, tx, qNextMessageID).QueryRowContext(ctx, firstMessageID-1000, firstMessageID).Scan(&next); err != nil {
		return err
	}
	seq, err := db.nextSeq(ctx, tx)
	if err != nil {
		return err
	}
	insert, content := db.stmt(ctx, tx, qInsertMessage), db.stmt(ctx, tx, qInsertAttachment)
	for _, m := range msgs {
		if m.ID == 0 {
			m.ID = next
			next += 1000
		}
		for i := range m.Attachments {
			a := &m.Attachments[i]
			if a.ID == 0 {
				if a.Type == "Text" {
					a.ID = m.ID // the platform gives an SMS's text the message's own id
				} else {
					a.ID = m.ID + int64(i) + 1
				}
			}
		}
		m.Seq = seq
		seq++
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if _, err := insert.ExecContext(ctx, m.ID, m.AccountID, m.ExtensionID, m.Type, m.Direction, m.Availability, m.ReadStatus, m.MessageStatus,
			m.ConversationID, m.CreationTime.UnixMilli(), m.Seq, numbersOf(m), m.External, pendingMS(m), string(data)); err != nil {
			if isUnique(err) {
				return store.ErrConflict
			}
			return err
		}
		for _, a := range m.Attachments {
			if a.Content == nil {
				continue
			}
			if _, err := content.ExecContext(ctx, a.ID, m.ID, a.Content); err != nil {
				return err
			}
		}
	}
	return nil
}

const messageCols = `data, seq`

func scanMessages(rows *sql.Rows, withTotal bool) ([]rc.Message, int, error) {
	defer rows.Close()
	out := []rc.Message{}
	total := 0
	for rows.Next() {
		var data string
		var m rc.Message
		var err error
		if withTotal {
			err = rows.Scan(&data, &m.Seq, &total)
		} else {
			err = rows.Scan(&data, &m.Seq)
		}
		if err != nil {
			return nil, 0, err
		}
		seq := m.Seq
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return nil, 0, err
		}
		m.Seq = seq
		out = append(out, m)
	}
	return out, total, rows.Err()
}

func (db *DB) oneMessage(ctx context.Context, q string, args ...any) (rc.Message, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return rc.Message{}, err
	}
	ms, _, err := scanMessages(rows, false)
	if err != nil {
		return rc.Message{}, err
	}
	if len(ms) == 0 {
		return rc.Message{}, store.ErrNotFound
	}
	return ms[0], nil
}

func (db *DB) Message(ctx context.Context, extensionID, id int64) (rc.Message, error) {
	return db.oneMessage(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ? AND extension_id = ?`, id, extensionID)
}

func (db *DB) MessageByID(ctx context.Context, id int64) (rc.Message, error) {
	return db.oneMessage(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id)
}

func (db *DB) ListMessages(ctx context.Context, f store.MessageFilter) ([]rc.Message, int, error) {
	args := []any{f.ExtensionID}
	where := []string{"extension_id = ?"}
	for _, c := range []struct {
		col  string
		vals []string
	}{{"type", f.Types}, {"direction", f.Directions}, {"availability", f.Availabilities}, {"read_status", f.ReadStatuses}} {
		if len(c.vals) > 0 {
			where = append(where, inList(c.col, c.vals, &args))
		}
	}
	if len(f.ConversationIDs) > 0 {
		ids := make([]string, len(f.ConversationIDs))
		for i, id := range f.ConversationIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		where = append(where, inList("conversation_id", ids, &args))
	}
	if f.PhoneNumber != "" {
		where = append(where, "instr(numbers, ?) > 0")
		args = append(args, ","+f.PhoneNumber+",")
	}
	if !f.DateFrom.IsZero() {
		where = append(where, "creation_ms >= ?")
		args = append(args, f.DateFrom.UnixMilli())
	}
	if !f.DateTo.IsZero() {
		where = append(where, "creation_ms < ?")
		args = append(args, f.DateTo.UnixMilli())
	}
	cond := strings.Join(where, " AND ")
	from := `messages WHERE ` + cond
	if f.Distinct {
		// The newest matching message of each conversation (a message without one stands alone).
		from = `(SELECT data, seq, creation_ms, id, ROW_NUMBER() OVER (PARTITION BY CASE WHEN conversation_id = 0
			THEN -id ELSE conversation_id END ORDER BY creation_ms DESC, id DESC) AS rn FROM messages WHERE ` + cond + `) AS latest
			WHERE rn = 1`
	}
	// The page alone walks the index and stops at the limit; the total is counted apart, and only
	// when the page does not tell it (a window function over the whole match would copy every
	// matching row first).
	q := `SELECT id, seq FROM ` + from + ` ORDER BY creation_ms DESC, id DESC`
	qargs := append([]any(nil), args...)
	if f.Limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		qargs = append(qargs, f.Limit, f.Offset)
	}
	gen := db.msgGen.Load()
	ms, err := db.messagesByRef(ctx, q, qargs)
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || (len(ms) < f.Limit && (len(ms) > 0 || f.Offset == 0)) {
		return ms, f.Offset + len(ms), nil
	}
	total, err := db.countMessages(ctx, gen, `SELECT COUNT(*) FROM `+from, args)
	return ms, total, err
}

// messagesByRef runs a query for (id, seq) pairs and returns those messages in order, decoding
// only the ones the decoded-message cache does not hold at that seq: decoding stored JSON was the
// largest cost of a page.
func (db *DB) messagesByRef(ctx context.Context, q string, args []any) ([]rc.Message, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type ref struct{ id, seq int64 }
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.id, &r.seq); err != nil {
			rows.Close()
			return nil, err
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]rc.Message, len(refs))
	var missing []string
	at := map[int64]int{}
	for i, r := range refs {
		if m, ok := db.decoded.get(r.id, r.seq); ok {
			out[i] = m
			continue
		}
		missing = append(missing, strconv.FormatInt(r.id, 10))
		at[r.id] = i
	}
	if len(missing) == 0 {
		return out, nil
	}
	var margs []any
	rows, err = db.query(ctx, `SELECT data, seq FROM messages WHERE `+inList("id", missing, &margs), margs...)
	if err != nil {
		return nil, err
	}
	ms, _, err := scanMessages(rows, false)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if i, ok := at[m.ID]; ok {
			out[i] = m
			db.decoded.put(m)
		}
	}
	return out, nil
}

// countMessages counts a message-store query, remembering the answer until the next message
// write: clients poll the same list, and counting a large store costs more than the page.
func (db *DB) countMessages(ctx context.Context, gen int64, q string, args []any) (int, error) {
	key := fmt.Sprint(q, args)
	if v, ok := db.counts.Load(key); ok {
		if c := v.(cachedCount); c.gen == gen {
			return c.total, nil
		}
	}
	n, err := db.count(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	if db.countEntries.Add(1) > 4096 {
		db.counts.Clear()
		db.countEntries.Store(0)
	}
	db.counts.Store(key, cachedCount{gen: gen, total: n})
	return n, nil
}

type cachedCount struct {
	gen   int64
	total int
}

func (db *DB) UpdateMessages(ctx context.Context, msgs ...rc.Message) error {
	defer db.msgGen.Add(1)
	return db.tx(ctx, func(tx *sql.Tx) error {
		seq, err := db.nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		update := db.stmt(ctx, tx, qUpdateMessage)
		for _, m := range msgs {
			m.Seq = seq
			seq++
			data, err := json.Marshal(m)
			if err != nil {
				return err
			}
			res, err := update.ExecContext(ctx, m.Type, m.Direction, m.Availability, m.ReadStatus, m.MessageStatus, m.ConversationID, m.Seq, numbersOf(&m),
				m.External, pendingMS(&m), string(data), m.ID, m.ExtensionID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return store.ErrNotFound
			}
			if m.Availability == "Purged" {
				if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE message_id = ?`, m.ID); err != nil {
					return err
				}
			}
		}
		return db.announce(ctx, tx, ChangeMessages, "")
	})
}

func (db *DB) AttachmentContent(ctx context.Context, messageID, attachmentID int64) ([]byte, error) {
	var b []byte
	err := db.r.QueryRowContext(ctx, `SELECT content FROM attachments WHERE id = ? AND message_id = ?`, attachmentID, messageID).Scan(&b)
	return b, notFound(err)
}

func (db *DB) ChangedSince(ctx context.Context, extensionID, seq int64, limit int) ([]rc.Message, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE extension_id = ? AND seq > ?
		ORDER BY seq LIMIT ?`, extensionID, seq, limit)
	if err != nil {
		return nil, err
	}
	ms, _, err := scanMessages(rows, false)
	return ms, err
}

func (db *DB) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM messages`).Scan(&seq)
	return seq, err
}

func (db *DB) DueMessages(ctx context.Context, t time.Time, limit int) ([]rc.Message, error) {
	if !db.Leader() {
		return nil, nil // the leading instance applies them
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE pending_ms > 0 AND pending_ms <= ?
		ORDER BY pending_ms, id LIMIT ?`, t.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	ms, _, err := scanMessages(rows, false)
	return ms, err
}

func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	if !db.Leader() {
		return time.Time{}, false, nil
	}
	var ms sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT MIN(pending_ms) FROM messages WHERE pending_ms > 0`).Scan(&ms); err != nil {
		return time.Time{}, false, err
	}
	return time.UnixMilli(ms.Int64), ms.Valid, nil
}

func (db *DB) Outbox(ctx context.Context, limit int) ([]rc.Message, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE external = 1 ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	ms, _, err := scanMessages(rows, false)
	return ms, err
}
