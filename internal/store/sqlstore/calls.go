package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
	"github.com/rcemu/rcemu/internal/voice"
)

var _ voice.Store = (*DB)(nil)

// firstCallSerial is where session serials start in a new database.
const firstCallSerial = 1

func (db *DB) ReserveIDs(ctx context.Context, n int) (int64, error) {
	var first int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ('call', ?)
			ON CONFLICT (name) DO UPDATE SET value = counters.value + ? RETURNING value`, firstCallSerial+n, n).Scan(&first); err != nil {
			return err
		}
		first -= int64(n)
		return nil
	})
	return first, err
}

func dueMS(s *rc.CallSession) int64 {
	if at, ok := s.NextStep(); ok {
		return max(at.UnixMilli(), 1)
	}
	return 0
}

func writeParties(ctx context.Context, tx *sql.Tx, s *rc.CallSession) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM call_parties WHERE call_id = ?`, s.ID); err != nil {
		return err
	}
	for k := range partyKeys(s) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO call_parties (call_id, account_id, extension_id) VALUES (?, ?, ?)`,
			s.ID, k[0], k[1]); err != nil {
			return err
		}
	}
	return nil
}

// partyKeys are the (account, extension) pairs a session is found by: its account, and each
// party's account and extension (extension 0 for the account as a whole).
func partyKeys(s *rc.CallSession) map[[2]int64]bool {
	keys := map[[2]int64]bool{{s.AccountID, 0}: true}
	for _, p := range s.Parties {
		for _, k := range [][2]int64{{p.AccountID, 0}, {p.AccountID, p.ExtensionID}} {
			if k[0] != 0 {
				keys[k] = true
			}
		}
	}
	return keys
}

// partiesChanged says whether the index rows of a session differ from what it now needs: a
// party may be added, or moved to another extension in place.
func partiesChanged(ctx context.Context, tx *sql.Tx, s *rc.CallSession) (bool, error) {
	want := partyKeys(s)
	rows, err := tx.QueryContext(ctx, `SELECT account_id, extension_id FROM call_parties WHERE call_id = ?`, s.ID)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var k [2]int64
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return false, err
		}
		if !want[k] {
			return true, nil
		}
		n++
	}
	return n != len(want), rows.Err()
}

func (db *DB) InsertCall(ctx context.Context, s rc.CallSession) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calls (id, account_id, due_ms, data) VALUES (?, ?, ?, ?)`,
			s.ID, s.AccountID, dueMS(&s), string(data)); err != nil {
			if isUnique(err) {
				return store.ErrConflict
			}
			return err
		}
		if err := writeParties(ctx, tx, &s); err != nil {
			return err
		}
		return db.announce(ctx, tx, ChangeCalls, "")
	})
}

func scanCalls(rows *sql.Rows) ([]rc.CallSession, error) {
	defer rows.Close()
	out := []rc.CallSession{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var s rc.CallSession
		if err := json.Unmarshal([]byte(data), &s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (db *DB) Call(ctx context.Context, id string) (rc.CallSession, error) {
	var data string
	if err := db.r.QueryRowContext(ctx, `SELECT data FROM calls WHERE id = ?`, id).Scan(&data); err != nil {
		return rc.CallSession{}, notFound(err)
	}
	var s rc.CallSession
	return s, json.Unmarshal([]byte(data), &s)
}

func (db *DB) UpdateCall(ctx context.Context, s rc.CallSession) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE calls SET due_ms = ?, data = ? WHERE id = ?`, dueMS(&s), string(data), s.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		changed, err := partiesChanged(ctx, tx, &s)
		if err != nil {
			return err
		}
		if changed {
			if err := writeParties(ctx, tx, &s); err != nil {
				return err
			}
		}
		return db.announce(ctx, tx, ChangeCalls, "")
	})
}

func (db *DB) EndCall(ctx context.Context, id string, records []*rc.CallRecord, recordings []rc.CallRecording) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calls WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		for _, r := range recordings {
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO recordings (id, account_id, data) VALUES (?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, data = excluded.data`,
				r.ID, r.AccountID, string(data)); err != nil {
				return err
			}
		}
		return insertCallRecords(ctx, tx, records)
	})
}

func (db *DB) LiveCalls(ctx context.Context, accountID, extensionID int64) ([]rc.CallSession, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT c.data FROM call_parties p JOIN calls c ON c.id = p.call_id
		WHERE p.extension_id = ? AND +p.account_id = ? ORDER BY c.rowid`, extensionID, accountID)
	if err != nil {
		return nil, err
	}
	return scanCalls(rows)
}

func (db *DB) DueCalls(ctx context.Context, t time.Time, limit int) ([]rc.CallSession, error) {
	if !db.Leader() {
		return nil, nil // the leading instance applies them
	}
	rows, err := db.r.QueryContext(ctx, `SELECT data FROM calls WHERE due_ms > 0 AND due_ms <= ? ORDER BY due_ms LIMIT ?`,
		t.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	return scanCalls(rows)
}

func (db *DB) NextCallDue(ctx context.Context) (time.Time, bool, error) {
	if !db.Leader() {
		return time.Time{}, false, nil
	}
	var ms sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT MIN(due_ms) FROM calls WHERE due_ms > 0`).Scan(&ms); err != nil {
		return time.Time{}, false, err
	}
	return time.UnixMilli(ms.Int64), ms.Valid, nil
}

func nextCallSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM call_log`).Scan(&seq)
	return seq, err
}

func recordingType(r *rc.CallRecord) string {
	if r.Recording == nil {
		return ""
	}
	return r.Recording.Type
}

func insertCallRecords(ctx context.Context, tx *sql.Tx, records []*rc.CallRecord) error {
	if len(records) == 0 {
		return nil
	}
	seq, err := nextCallSeq(ctx, tx)
	if err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO call_log (id, account_id, extension_id, start_ms, type, direction,
		transport, result, session_id, telephony_session_id, numbers, recording_type, deleted, seq, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING num`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	keys, err := tx.PrepareContext(ctx, `INSERT INTO call_log_numbers (key, num, account_id, extension_id, start_ms)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer keys.Close()
	for _, r := range records {
		r.Seq = seq
		seq++
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		numbers := voice.NumberKeys(r)
		if err := stmt.QueryRowContext(ctx, r.ID, r.AccountID, r.ExtensionID, r.StartTime.UnixMilli(), r.Type, r.Direction,
			r.Transport, r.Result, r.SessionID, r.TelephonySessionID, numbers, recordingType(r), r.Deleted,
			r.Seq, string(data)).Scan(&r.Num); err != nil {
			if isUnique(err) {
				return store.ErrConflict
			}
			return err
		}
		for k := range strings.SplitSeq(strings.Trim(numbers, ","), ",") {
			if k == "" {
				continue
			}
			if _, err := keys.ExecContext(ctx, k, r.Num, r.AccountID, r.ExtensionID, r.StartTime.UnixMilli()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (db *DB) InsertCallRecords(ctx context.Context, records ...*rc.CallRecord) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return insertCallRecords(ctx, tx, records) })
}

func scanRecords(rows *sql.Rows) ([]rc.CallRecord, error) {
	defer rows.Close()
	out := []rc.CallRecord{}
	for rows.Next() {
		var data string
		var num, seq int64
		var deleted bool
		if err := rows.Scan(&num, &seq, &deleted, &data); err != nil {
			return nil, err
		}
		var r rc.CallRecord
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return nil, err
		}
		r.Num, r.Seq, r.Deleted = num, seq, deleted
		out = append(out, r)
	}
	return out, rows.Err()
}

const recordCols = `num, seq, deleted, data`

// ListCallRecords walks one index backwards from dateTo and stops at the page's end: the
// records of one number (call_log_numbers) when a phoneNumber or extensionNumber filter names
// one, the recorded ones for recordingType, else all of the extension or account.
func (db *DB) ListCallRecords(ctx context.Context, f voice.LogFilter) ([]rc.CallRecord, error) {
	var where []string
	var args []any
	from, scope := `call_log c`, "c"
	key := ""
	switch {
	case f.PhoneNumber != "":
		key = voice.PhoneKey(f.PhoneNumber)
	case f.ExtensionNumber != "":
		key = "e" + f.ExtensionNumber
	}
	if key != "" {
		from, scope = `call_log_numbers k JOIN call_log c ON c.num = k.num`, "k"
		where = append(where, "k.key = ?")
		args = append(args, key)
	}
	if f.ExtensionID != 0 {
		where = append(where, scope+".extension_id = ?")
		args = append(args, f.ExtensionID)
	} else {
		where = append(where, scope+".account_id = ?")
		args = append(args, f.AccountID)
	}
	if f.ShowDeleted {
		where = append(where, "c.deleted IN (0, 1)")
	} else {
		where = append(where, "c.deleted = 0")
	}
	if !f.DateFrom.IsZero() {
		where = append(where, scope+".start_ms >= ?")
		args = append(args, f.DateFrom.UnixMilli())
	}
	if !f.DateTo.IsZero() {
		where = append(where, scope+".start_ms < ?")
		args = append(args, f.DateTo.UnixMilli())
	}
	for _, c := range []struct {
		col  string
		vals []string
	}{{"c.type", f.Types}, {"c.direction", f.Directions}, {"c.transport", f.Transports}} {
		if len(c.vals) > 0 {
			where = append(where, inList(c.col, c.vals, &args))
		}
	}
	if f.PhoneNumber != "" && f.ExtensionNumber != "" {
		where = append(where, "instr(c.numbers, ?) > 0")
		args = append(args, ",e"+f.ExtensionNumber+",")
	}
	if f.SessionID != "" {
		where = append(where, "c.session_id = ?")
		args = append(args, f.SessionID)
	}
	if f.TelephonySessionID != "" {
		where = append(where, "c.telephony_session_id = ?")
		args = append(args, f.TelephonySessionID)
	}
	switch f.RecordingType {
	case "":
	case "All":
		where = append(where, "c.recording_type != ''")
	default:
		// The first term lets SQLite use the partial indexes of recorded calls.
		where = append(where, "c.recording_type != ''", "c.recording_type = ?")
		args = append(args, f.RecordingType)
	}
	if f.Missed {
		where = append(where, "c.result IN ('Missed', 'Voicemail')")
	}
	q := `SELECT c.num, c.seq, c.deleted, c.data FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + scope + `.start_ms DESC, ` + scope + `.num DESC`
	if f.Limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanRecords(rows)
}

func (db *DB) CallRecord(ctx context.Context, accountID int64, id string) (rc.CallRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+recordCols+` FROM call_log WHERE id = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return rc.CallRecord{}, err
	}
	rs, err := scanRecords(rows)
	if err != nil {
		return rc.CallRecord{}, err
	}
	if len(rs) == 0 {
		return rc.CallRecord{}, store.ErrNotFound
	}
	return rs[0], nil
}

func (db *DB) DeleteCallRecords(ctx context.Context, extensionID int64, before time.Time) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextCallSeq(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT num FROM call_log WHERE extension_id = ? AND deleted = 0 AND start_ms < ?`,
			extensionID, before.UnixMilli())
		if err != nil {
			return err
		}
		var nums []int64
		for rows.Next() {
			var num int64
			if err := rows.Scan(&num); err != nil {
				rows.Close()
				return err
			}
			nums = append(nums, num)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, num := range nums {
			if _, err := tx.ExecContext(ctx, `UPDATE call_log SET deleted = 1, seq = ? WHERE num = ?`, seq, num); err != nil {
				return err
			}
			seq++
		}
		n = len(nums)
		return nil
	})
	return n, err
}

func (db *DB) CallRecordsChangedSince(ctx context.Context, accountID, extensionID, seq int64, limit int) ([]rc.CallRecord, error) {
	col, id := "account_id", accountID
	if extensionID != 0 {
		col, id = "extension_id", extensionID
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+recordCols+` FROM call_log WHERE `+col+` = ? AND seq > ? ORDER BY seq LIMIT ?`,
		id, seq, limit)
	if err != nil {
		return nil, err
	}
	return scanRecords(rows)
}

func (db *DB) LastCallSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM call_log`).Scan(&seq)
	return seq, err
}

func (db *DB) PutRingOut(ctx context.Context, r rc.RingOut) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO ringouts (id, extension_id, data) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data`, r.ID, r.ExtensionID, string(data))
	return err
}

func (db *DB) RingOut(ctx context.Context, extensionID, id int64) (rc.RingOut, error) {
	var data string
	if err := db.r.QueryRowContext(ctx, `SELECT data FROM ringouts WHERE id = ? AND extension_id = ?`, id, extensionID).Scan(&data); err != nil {
		return rc.RingOut{}, notFound(err)
	}
	var r rc.RingOut
	return r, json.Unmarshal([]byte(data), &r)
}

func (db *DB) Recording(ctx context.Context, accountID, id int64) (rc.CallRecording, error) {
	var data string
	if err := db.r.QueryRowContext(ctx, `SELECT data FROM recordings WHERE id = ? AND account_id = ?`, id, accountID).Scan(&data); err != nil {
		return rc.CallRecording{}, notFound(err)
	}
	var r rc.CallRecording
	return r, json.Unmarshal([]byte(data), &r)
}

func (db *DB) ExtensionPhoneNumbers(ctx context.Context, accountID, extensionID int64) ([]rc.PhoneNumber, error) {
	nums, _, err := db.ListPhoneNumbers(ctx, store.PhoneNumberFilter{AccountID: accountID, ExtensionID: extensionID})
	return nums, err
}

func (db *DB) AllCalls(ctx context.Context) ([]rc.CallSession, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT data FROM calls ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	return scanCalls(rows)
}
