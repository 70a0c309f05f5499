// Package pgtest gives tests a fresh PostgreSQL database each, on the server named by
// RCEMU_TEST_POSTGRES (scripts/postgres.sh starts a throwaway one and prints it).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Env is the variable naming the test server.
const Env = "RCEMU_TEST_POSTGRES"

// TB is the part of testing.TB used here.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
	Cleanup(func())
}

// DSN returns the server's DSN, or "" when none is configured.
func DSN() string { return os.Getenv(Env) }

// Database creates an empty database for the calling test, dropped when it ends, and returns
// its DSN. Without RCEMU_TEST_POSTGRES the test is skipped, saying so.
func Database(t TB) string {
	t.Helper()
	base := DSN()
	if base == "" {
		t.Skip(Env + " is not set: PostgreSQL tests skipped (scripts/postgres.sh start prints a DSN)")
	}
	dsn, drop, err := Create(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return dsn
}

// Create makes a database with a random name on the server of base and returns its DSN and a
// function that drops it.
func Create(base string) (dsn string, drop func(), err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", Env, err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "rcemu_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	u.Path = "/" + name
	return u.String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		admin.Close()
	}, nil
}
