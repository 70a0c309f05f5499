// Package sqlstore implements store.Store on SQLite (pure Go, modernc.org/sqlite): one writer
// connection and a pool of readers over a WAL database, with embedded numbered migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/rcemu/rcemu/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is a store.Store over one SQLite database file or one PostgreSQL database.
type DB struct {
	w, r    *sql.DB
	dialect dialect
	tempDir string // set for ":memory:", removed on Close
	cache   *cache
	// msgGen counts message and contact writes, so that remembered counts know when they are stale.
	msgGen       atomic.Int64
	counts       sync.Map // query → cachedCount
	countEntries atomic.Int64
	decoded      decodedMessages
	posts        decodedPosts
	stmts        stmtCache            // readers'
	writes       map[string]*sql.Stmt // writeStmts, prepared on the writer; read-only once open
	group        group
	changes      *changes // PostgreSQL: other instances' writes, and the leader lock
	self         int64    // this instance's key: the owner of the deliveries it makes
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path and applies pending migrations.
// ":memory:" gives a throwaway database: a temporary file removed on Close, so that it gets the
// same WAL and reader pool as a real one.
//
// A postgres:// or postgresql:// URL opens that PostgreSQL database instead (see OpenPostgres).
func Open(ctx context.Context, path string) (*DB, error) {
	if IsPostgresDSN(path) {
		return OpenPostgres(ctx, path)
	}
	db := &DB{cache: newCache(), self: newInstanceKey()}
	if path == ":memory:" {
		dir, err := os.MkdirTemp("", "rcemu-")
		if err != nil {
			return nil, err
		}
		db.tempDir = dir
		path = filepath.Join(dir, "rcemu.db")
	} else if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// busy_timeout comes first so that the other pragmas wait for a lock instead of failing.
	// WAL lets readers run beside the writer; foreign_keys is off by default in SQLite.
	pragmas := "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	u := "file:" + (&url.URL{Path: path}).EscapedPath()
	w, err := sql.Open("sqlite", u+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		db.cleanup()
		return nil, err
	}
	w.SetMaxOpenConns(1) // SQLite has one writer; queueing here beats SQLITE_BUSY retries.
	db.w = w
	if err := db.migrate(ctx); err != nil {
		w.Close()
		db.cleanup()
		return nil, err
	}
	// Each reader keeps its own page cache; 1 MiB apiece (SQLite's default is 2) bounds what
	// eight of them hold once the file outgrows them, which is most of rcemu's memory.
	r, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=query_only(1)&_pragma=cache_size(-1024)")
	if err != nil {
		w.Close()
		db.cleanup()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db.r = r
	if err := db.prepareWrites(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// stmtCache keeps the reader pool's prepared statements by SQL text: parsing and planning a
// query cost more than running it on the hot lists. It is bounded, since lists build their SQL
// from the filters given.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

const maxStmts = 256

// get returns the statement for q prepared on pool, or nil once the cache is full.
func (c *stmtCache) get(ctx context.Context, pool *sql.DB, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[q]
	if st == nil && len(c.m) < maxStmts {
		var err error
		if st, err = pool.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[q] = st
	}
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// query runs a read through a cached prepared statement.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := db.stmts.get(ctx, db.r, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return db.r.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// writeStmts are the writes that run on every SMS and every status change: prepared on the
// writer once, when the database opens (a transaction holds the one writer connection, so they
// could not be prepared from inside one).
var writeStmts = []string{qNextMessageID, qNextMessageSeq, qInsertMessage, qInsertAttachment, qUpdateMessage}

func (db *DB) prepareWrites(ctx context.Context) error {
	db.writes = make(map[string]*sql.Stmt, len(writeStmts))
	for _, q := range writeStmts {
		st, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		db.writes[q] = st
	}
	return nil
}

// stmt gives a write transaction q, one of writeStmts, as prepared on the writer (database/sql
// reuses that preparation when the transaction runs on the same connection, which with one
// writer it does).
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	return tx.StmtContext(ctx, db.writes[q])
}

func (db *DB) cleanup() {
	if db.tempDir != "" {
		os.RemoveAll(db.tempDir)
	}
}

// Close closes both pools and removes a throwaway database.
func (db *DB) Close() error {
	db.stopChanges()
	db.stmts.close()
	for _, st := range db.writes {
		st.Close()
	}
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(db.r.Close(), err)
	}
	db.cleanup()
	return err
}

// Migrations lists the embedded migration file names in the order they apply.
func Migrations() ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

func migrationNumber(name string) (int, error) {
	base := filepath.Base(name)
	num, _, ok := strings.Cut(base, "_")
	if !ok {
		return 0, fmt.Errorf("migration %s: name must be NNNN_title.sql", base)
	}
	return strconv.Atoi(num)
}

// SchemaVersion is the number of the newest embedded migration.
func SchemaVersion() int {
	names, _ := Migrations()
	if len(names) == 0 {
		return 0
	}
	n, _ := migrationNumber(names[len(names)-1])
	return n
}

func (db *DB) migrate(ctx context.Context) error {
	prelude := `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`
	if db.dialect == postgres {
		prelude += ";" + pgCompat
	}
	// Under the write lock: on PostgreSQL instances starting together would otherwise create the
	// table and replace the functions at once, which it refuses (a duplicate pg_type row).
	if err := db.tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, prelude); return err }); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := db.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := Migrations()
	if err != nil {
		return err
	}
	for _, name := range names {
		n, err := migrationNumber(name)
		if err != nil {
			return err
		}
		if n <= current {
			continue
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		text := string(body)
		if db.dialect == postgres {
			text = pgMigration(text)
		}
		err = db.tx(ctx, func(tx *sql.Tx) error {
			// Two instances opening a new database at once: the second waits here and finds
			// the migration applied (the primary key on version refuses it otherwise).
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return err
			}
			if n <= current {
				return nil
			}
			if _, err := tx.ExecContext(ctx, text); err != nil {
				return fmt.Errorf("migration %s: %w", filepath.Base(name), err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, n)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in a write transaction, committing when it returns nil.
//
// On SQLite write transactions take the database's one write lock when they begin (immediate),
// so they never interleave. On PostgreSQL they take one transaction-scoped advisory lock for the
// same effect across every instance sharing the database: the write paths read a sequence
// (MAX(seq) + 1, the next id) and then write it, which is only safe if no other writer runs
// between. Single-statement writes outside tx are atomic on their own; reads never wait.
//
// Writes that arrive while another is running are committed together (see group): with one
// writer, a commit per write is what limits a busy emulator.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.group.run(ctx, fn, db.runBatch)
}

// runBatch runs the writes in one transaction. Should any of them fail, or the commit, nothing of
// the batch is kept and each runs again in a transaction of its own, in the same order, so that
// every caller gets the answer it would have got alone: the write functions only derive ids and
// sequence numbers from what the transaction reads and keep what they assigned, so running one
// twice is the same as running it once.
func (db *DB) runBatch(batch []*write) {
	if len(batch) > 1 {
		err := db.tx1(context.Background(), func(tx *sql.Tx) error {
			for _, w := range batch {
				if err := w.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return
		}
	}
	for _, w := range batch {
		w.err = db.txRetry(w.ctx, w.fn)
	}
}

func (db *DB) txRetry(ctx context.Context, fn func(*sql.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.tx1(ctx, fn)
		if attempt < 3 && isRetryable(err) {
			continue
		}
		return err
	}
}

// writeLock is the advisory lock's key: any constant, the same in every instance.
const writeLock = 0x7263656d75 // "rcemu"

// tx1 runs fn in one transaction. ctx governs the transaction itself: a batch passes one no
// caller can cancel, and each write's statements still run under its caller's context.
func (db *DB) tx1(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.dialect == postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(writeLock)); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// inList renders "col IN (?,?,...)" and appends the values to args.
func inList(col string, vals []string, args *[]any) string {
	ph := make([]string, len(vals))
	for i, v := range vals {
		ph[i] = "?"
		*args = append(*args, v)
	}
	return col + " IN (" + strings.Join(ph, ",") + ")"
}
