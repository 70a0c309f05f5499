package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rcemu/rcemu/internal/rc"
)

// dialect says which engine a DB speaks to. The query code is shared: it is written in the
// subset both engines accept, with `?` placeholders, and the few differences are decided here.
type dialect int

const (
	sqlite dialect = iota
	postgres
)

// IsPostgresDSN reports whether a --db value names a PostgreSQL database rather than a file.
func IsPostgresDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// rebind turns `?` placeholders into PostgreSQL's `$1..$n`, leaving quoted text alone. Results
// are kept per SQL text: the texts are the code's constants and the lists' few shapes, and
// rewriting costs more than a map lookup on the hot reads.
func rebind(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	if reboundN.Add(1) < maxRebound {
		rebound.Store(q, out)
	}
	return out
}

var (
	rebound  sync.Map
	reboundN atomic.Int64
)

// Import builds its INSERTs from the snapshot's columns, so the set of texts is open; past this
// many the rewrite is simply done again.
const maxRebound = 4096

// pgConnector wraps pgx's database/sql connector so that every statement is rebound on its way
// in and values SQLite's driver takes as they are (bool for the 0/1 columns) are converted.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	return &pgConn{conn}, nil
}

// unavailable marks an error of reaching the server (not one the server answered with, nor a
// cancelled request), so that clients get a 503 while the database is away.
func unavailable(err error) error {
	var pgErr *pgconn.PgError
	if err == nil || errors.Is(err, driver.ErrBadConn) || errors.As(err, &pgErr) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rc.ErrUnavailable) {
		return err // ErrBadConn as it is: database/sql retries on another connection
	}
	return fmt.Errorf("%w: %w", rc.ErrUnavailable, err)
}

// pgConn delegates to pgx's stdlib.Conn, which implements every optional interface used here.
type pgConn struct{ c driver.Conn }

func (c *pgConn) Prepare(q string) (driver.Stmt, error) { return c.c.Prepare(rebind(q)) }
func (c *pgConn) Close() error                          { return c.c.Close() }
func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.c.(driver.ConnPrepareContext).PrepareContext(ctx, rebind(q))
	if err != nil {
		return nil, unavailable(err)
	}
	return pgStmt{st}, nil
}

// pgStmt marks the errors of prepared statements as the connection's own are (unavailable).
type pgStmt struct{ driver.Stmt }

func (s pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	return res, unavailable(err)
}

func (s pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	return rows, unavailable(err)
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.c.(driver.ConnBeginTx).BeginTx(ctx, opts)
	return tx, unavailable(err)
}

func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.c.(driver.ExecerContext).ExecContext(ctx, rebind(q), args)
	return res, unavailable(err)
}

func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.c.(driver.QueryerContext).QueryContext(ctx, rebind(q), args)
	return rows, unavailable(err)
}

func (c *pgConn) Ping(ctx context.Context) error { return c.c.(driver.Pinger).Ping(ctx) }

func (c *pgConn) ResetSession(ctx context.Context) error {
	return c.c.(driver.SessionResetter).ResetSession(ctx)
}

func (c *pgConn) IsValid() bool {
	v, ok := c.c.(driver.Validator)
	return !ok || v.IsValid()
}

// CheckNamedValue stores booleans as 0/1, as SQLite's driver does: the schema's flags are
// integer columns on both engines.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
		return nil
	}
	if ck, ok := c.c.(driver.NamedValueChecker); ok {
		return ck.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// isUnique reports a unique-constraint violation from either engine.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isRetryable reports PostgreSQL's serialization failures and deadlocks, after which the whole
// transaction may simply run again.
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// pgCompat defines, on PostgreSQL, the few SQLite functions the queries use, so that the query
// text stays one. The data columns are TEXT holding JSON on both engines; paths are SQLite's
// "$.a.b" form.
const pgCompat = `
CREATE OR REPLACE FUNCTION instr(s text, sub text) RETURNS integer
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT strpos(s, sub)';
CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT (doc::jsonb) #>> string_to_array(substr(path, 3), '.')$$;
CREATE OR REPLACE FUNCTION json_array_length(doc text, path text) RETURNS integer
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT CASE jsonb_typeof(v) WHEN 'array' THEN jsonb_array_length(v) ELSE 0 END
	FROM (SELECT (doc::jsonb) #> string_to_array(substr(path, 3), '.') AS v) AS x$$;
`

var (
	reAutoPK   = regexp.MustCompile(`(?i)\bINTEGER PRIMARY KEY AUTOINCREMENT\b`)
	reIntPK    = regexp.MustCompile(`(?i)^(\s*)(\w+)(\s+)INTEGER PRIMARY KEY\b`)
	reInteger  = regexp.MustCompile(`(?i)\bINTEGER\b`)
	reBlob     = regexp.MustCompile(`(?i)\bBLOB\b`)
	reOrIgnore = regexp.MustCompile(`(?i)\bINSERT OR IGNORE INTO\b`)
	reCreate   = regexp.MustCompile(`(?i)^CREATE TABLE (\w+) \($`)
	reColumn   = regexp.MustCompile(`^\s*(\w+)\s+BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`)
)

// pgMigration translates a migration from the portable SQLite text (the one source of truth,
// applied to SQLite as it is) to PostgreSQL:
//   - INTEGER is 64-bit in SQLite; BIGINT says so in PostgreSQL.
//   - an INTEGER PRIMARY KEY (AUTOINCREMENT or not) is filled in by SQLite when omitted; an
//     identity column does that in PostgreSQL.
//   - BLOB is BYTEA.
//   - every table gets the rowid SQLite gives it implicitly: lists order by insertion through
//     it. It is the primary key where that is an integer one (as in SQLite), else an identity.
//   - INSERT OR IGNORE appears only in backfills, which on PostgreSQL run on empty tables (its
//     schema starts from migration 1 in one go), so a plain INSERT does.
//
// It works line by line on the layout the migrations are written in (one column a line, a
// table's closing ");" on its own line); pgMigration's test checks every migration applies.
func pgMigration(body string) string {
	lines := strings.Split(body, "\n")
	table, intPK := "", ""
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		if m := reCreate.FindStringSubmatch(l); m != nil {
			table, intPK = m[1], ""
		}
		l = reAutoPK.ReplaceAllString(l, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
		l = reIntPK.ReplaceAllString(l, "${1}${2}${3}BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
		l = reInteger.ReplaceAllString(l, "BIGINT")
		l = reBlob.ReplaceAllString(l, "BYTEA")
		l = reOrIgnore.ReplaceAllString(l, "INSERT INTO")
		if table != "" {
			if m := reColumn.FindStringSubmatch(l); m != nil {
				intPK = m[1]
			}
			if strings.HasPrefix(l, ")") {
				rowid := "rowid BIGINT GENERATED ALWAYS AS IDENTITY"
				if intPK != "" {
					rowid = "rowid BIGINT GENERATED ALWAYS AS (" + intPK + ") STORED"
				}
				// The previous line ends the last column or constraint; the new one goes after it.
				j := i - 1
				for j > 0 && strings.TrimSpace(stripComment(lines[j])) == "" {
					j--
				}
				lines[j] = addComma(lines[j])
				l = "\t" + rowid + "\n" + l
				table = ""
			}
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// stripComment drops a trailing "-- ..." comment (the migrations put none inside strings).
func stripComment(l string) string {
	if i := strings.Index(l, "--"); i >= 0 {
		return l[:i]
	}
	return l
}

func addComma(l string) string {
	code := stripComment(l)
	trimmed := strings.TrimRight(code, " \t")
	return trimmed + "," + code[len(trimmed):] + l[len(code):]
}

// schemaQuery lists a table's columns, for export/import; on PostgreSQL without the rowid the
// translation adds, which is not state.
func (d dialect) columnsQuery() string {
	if d == postgres {
		return `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? AND column_name <> 'rowid' ORDER BY ordinal_position`
	}
	return `SELECT name FROM pragma_table_info(?)`
}

// syncIdentities moves every identity sequence past the largest id stored, after rows were
// inserted with their ids (import, seed): PostgreSQL, unlike SQLite, does not look at the rows
// when it numbers the next one. A sequence never moves back, so ids are not reused after a reset.
func syncIdentities(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES' AND column_name <> 'rowid'`)
	if err != nil {
		return err
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, tc := range cols {
		q := `SELECT setval(pg_get_serial_sequence('` + tc[0] + `', '` + tc[1] + `'), GREATEST(
			COALESCE(pg_sequence_last_value(pg_get_serial_sequence('` + tc[0] + `', '` + tc[1] + `')::regclass), 0),
			(SELECT COALESCE(MAX(` + tc[1] + `), 0) FROM ` + tc[0] + `), 1))`
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// noLimit turns SQLite's "no limit" (a negative LIMIT) into a number PostgreSQL takes as well.
func noLimit(n int) int64 {
	if n < 0 {
		return math.MaxInt64
	}
	return int64(n)
}
