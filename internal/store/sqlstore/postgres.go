package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// connectTimeout bounds reaching the server when the DSN sets none: a wrong host or a
// firewall must end in an error, not a hang.
const connectTimeout = 5 * time.Second

// pgPool is the pool's size: pgxpool's default is four per CPU with a floor of four; rcemu's
// requests are short, and the server's own limit is shared with other instances and tests.
const pgPool = 16

// OpenPostgres opens the PostgreSQL database named by a postgres:// URL and applies pending
// migrations. Reads and writes share one pool: PostgreSQL has no single writer, and the write
// transactions that must not interleave take an advisory lock (DB.tx).
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	sdb := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	sdb.SetMaxOpenConns(pgPool)
	sdb.SetMaxIdleConns(pgPool)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, connectTimeout+time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", redact(cfg), err)
	}
	db := &DB{w: sdb, r: sdb, dialect: postgres, cache: newCache(), self: newInstanceKey()}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	if err := db.prepareWrites(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.startChanges(cfg); err != nil {
		db.Close()
		return nil, fmt.Errorf("listen on PostgreSQL at %s: %w", redact(cfg), err)
	}
	return db, nil
}

// redact names the server and database without the password.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}

// Redact returns a --db value fit for messages: a PostgreSQL URL without its password.
func Redact(db string) string {
	if !IsPostgresDSN(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "(a PostgreSQL URL that does not parse)"
	}
	return u.Redacted()
}
