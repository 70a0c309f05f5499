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
	stmts        stmtCache
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
	db := &DB{cache: newCache()}
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

// query runs a read through a cached prepared statement.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c := &db.stmts
	c.mu.Lock()
	st := c.m[q]
	if st == nil && len(c.m) < maxStmts {
		var err error
		if st, err = db.r.PrepareContext(ctx, q); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[q] = st
	}
	c.mu.Unlock()
	if st == nil {
		return db.r.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (db *DB) closeStmts() {
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	for _, st := range db.stmts.m {
		st.Close()
	}
	db.stmts.m = nil
}

func (db *DB) cleanup() {
	if db.tempDir != "" {
		os.RemoveAll(db.tempDir)
	}
}

// Close closes both pools and removes a throwaway database.
func (db *DB) Close() error {
	db.closeStmts()
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
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
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
