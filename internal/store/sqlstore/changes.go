package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Instances sharing one PostgreSQL database keep caches of what they read (accounts and
// extensions, authenticated callers, counts, decoded posts, the subscription index). A write
// announces what it made stale on one channel with NOTIFY, in its own transaction so that the
// announcement goes out exactly when the write is committed and never for a write rolled back;
// each instance LISTENs on a connection of its own and drops what another instance's writes
// touched. Should that connection break, the notifications sent meanwhile are lost: the
// instance then forgets everything it caches, as after a reset, and listens again.
//
// The same connection holds a session advisory lock that makes one instance the leader: only
// the leader finds due scheduled work (message status changes, call steps), so that each is
// applied, and notified, once. Writes that schedule work announce it, and the leader's
// scheduler looks again. When the leader goes, its session ends, the lock frees, and another
// instance takes it within a second. It also holds a lock of the instance's own key, by which
// the others know it is running (see AdoptDeliveries), and pings the server every two seconds;
// a server gone for longer than the give-up time is reported to OnLost.
//
// On SQLite there is one process per database file and nothing of this runs.

// changesChannel is the NOTIFY channel; payloads are "instance kind [id]".
const changesChannel = "rcemu_changes"

// leaderLock is the key of the session advisory lock the leading instance holds (writeLock,
// the transaction lock, is another key).
const leaderLock = writeLock + 1

// Kinds of change, and what each makes stale.
const (
	ChangeExtension    = "ext"    // an extension or account (id): the directory cache, callers
	ChangeAuth         = "auth"   // a session revoked or a token rotated: callers
	ChangeMessages     = "msg"    // messages or contacts written: counts; due status changes
	ChangeCalls        = "call"   // a call session written: its due steps
	ChangePost         = "post"   // a post edited or deleted (num)
	ChangeSubscription = "sub"    // a subscription created, changed or deleted (id)
	ChangeAll          = "all"    // the whole state replaced (reset, import, seed)
	ChangeWS           = "ws"     // WebSocket notifications relayed to a session (id): see RelayWS
	ChangeControl      = "ctl"    // a setting of the control plane's published (meta key)
	ChangeWSAsk        = "wsask"  // "session owner instance": an instance asks for a WebSocket session
	ChangeWSGive       = "wsgive" // "session instance": the session's handoff for that instance is stored
)

// Change is one announcement received from another instance.
type Change struct {
	Kind, ID string
}

type changes struct {
	instance string // db.self, in the payloads
	self     int64
	cfg      *pgx.ConnConfig
	cancel   context.CancelFunc
	done     chan struct{}
	leader   atomic.Bool
	mu       sync.Mutex
	handlers []func(Change)
	onLead   []func()
	onLost   []func(error)
	giveUp   atomic.Int64 // time.Duration: how long the server may stay away before onLost
}

// DefaultGiveUp is how long an instance waits for its PostgreSQL server to come back before
// it reports the database lost (OnLost).
const DefaultGiveUp = 10 * time.Second

// OnLost registers fn to hear that the database has been unreachable for longer than the
// give-up time (SetGiveUp); it is called once. On SQLite never.
func (db *DB) OnLost(fn func(error)) {
	if db.changes == nil {
		return
	}
	db.changes.mu.Lock()
	db.changes.onLost = append(db.changes.onLost, fn)
	db.changes.mu.Unlock()
}

// SetGiveUp changes how long the server may stay away before OnLost's handlers hear of it.
func (db *DB) SetGiveUp(d time.Duration) {
	if db.changes != nil {
		db.changes.giveUp.Store(int64(d))
	}
}

// lost tells the OnLost handlers, once.
func (c *changes) lost(err error) {
	c.mu.Lock()
	fns := c.onLost
	c.onLost = nil
	c.mu.Unlock()
	for _, fn := range fns {
		fn(err)
	}
}

// newInstanceKey makes an instance's key: positive, so that it reads back whole from the two
// 32-bit halves pg_locks shows of an advisory lock, and random, so that instances never share one.
func newInstanceKey() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 2)
}

// OnChange registers fn to hear of other instances' writes, after the store's own caches have
// dropped what they made stale. Kind ChangeAll is also what a listener that lost its
// connection reports. On SQLite fn is never called.
func (db *DB) OnChange(fn func(Change)) {
	if db.changes == nil {
		return
	}
	db.changes.mu.Lock()
	db.changes.handlers = append(db.changes.handlers, fn)
	db.changes.mu.Unlock()
}

// OnLeader registers fn to run whenever this instance becomes the leader.
func (db *DB) OnLeader(fn func()) {
	if db.changes == nil {
		return
	}
	db.changes.mu.Lock()
	db.changes.onLead = append(db.changes.onLead, fn)
	db.changes.mu.Unlock()
}

// Leader reports whether this instance applies due scheduled work: always on SQLite, on
// PostgreSQL while it holds the leader lock.
func (db *DB) Leader() bool { return db.changes == nil || db.changes.leader.Load() }

// announce sends a change to the other instances when tx commits. A no-op on SQLite.
func (db *DB) announce(ctx context.Context, tx *sql.Tx, kind, id string) error {
	if db.changes == nil {
		return nil
	}
	payload := db.changes.instance + " " + kind
	if id != "" {
		payload += " " + id
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, changesChannel, payload)
	return err
}

func (db *DB) startChanges(cfg *pgx.ConnConfig) error {
	c := &changes{instance: strconv.FormatInt(db.self, 36), self: db.self, cfg: cfg, done: make(chan struct{})}
	c.giveUp.Store(int64(DefaultGiveUp))
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	conn, err := c.listen(ctx)
	if err != nil {
		cancel()
		return err
	}
	// Try for the lead at once: a lone instance must find its due work from the start.
	if err := c.lead(ctx, conn); err != nil {
		conn.Close(context.Background())
		cancel()
		return err
	}
	db.changes = c
	go db.follow(ctx, conn)
	return nil
}

func (c *changes) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, c.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	// Held while this connection lives: other instances see this one alive by it (liveOwners).
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, c.self); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// lead takes the leader lock if it is free.
func (c *changes) lead(ctx context.Context, conn *pgx.Conn) error {
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(leaderLock)).Scan(&got); err != nil {
		return err
	}
	c.leader.Store(got)
	return nil
}

func (db *DB) stopChanges() {
	if db.changes == nil {
		return
	}
	db.changes.cancel()
	<-db.changes.done
}

// follow applies other instances' changes until the store closes, reconnecting when the
// connection breaks.
func (db *DB) follow(ctx context.Context, conn *pgx.Conn) {
	c := db.changes
	defer close(c.done)
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	var away time.Time // since when the server has been unreachable
	pinged := time.Now()
	for ctx.Err() == nil {
		if conn == nil {
			var err error
			if away.IsZero() {
				away = time.Now()
			}
			lctx, cancel := context.WithTimeout(ctx, time.Second)
			conn, err = c.listen(lctx)
			cancel()
			if err != nil {
				if gone := time.Since(away); gone > time.Duration(c.giveUp.Load()) && ctx.Err() == nil {
					c.lost(fmt.Errorf("PostgreSQL unreachable for %s: %w", gone.Round(time.Second), err))
				}
				select {
				case <-ctx.Done():
				case <-time.After(250 * time.Millisecond):
				}
				continue
			}
			away = time.Time{}
			db.apply(Change{Kind: ChangeAll}) // what was sent while away is lost
		}
		if !c.leader.Load() {
			if err := c.lead(ctx, conn); err != nil {
				conn.Close(context.Background())
				conn = nil
				continue
			}
			if c.leader.Load() {
				c.mu.Lock()
				fns := append([]func(){}, c.onLead...)
				c.mu.Unlock()
				for _, fn := range fns {
					fn()
				}
			}
		}
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if ch, ok := c.parse(n.Payload); ok {
				db.apply(ch)
			}
		case ctx.Err() != nil:
		case wctx.Err() != nil:
			// A quiet second: see whether the store is closing, and now and then whether the
			// server is still there (a connection to a host that vanished only times out).
			if time.Since(pinged) > 2*time.Second {
				pinged = time.Now()
				pctx, cancel := context.WithTimeout(ctx, time.Second)
				err := conn.Ping(pctx)
				cancel()
				if err != nil && ctx.Err() == nil {
					c.leader.Store(false)
					conn.Close(context.Background())
					conn = nil
				}
			}
		default: // the connection broke, and the lead with it
			c.leader.Store(false)
			conn.Close(context.Background())
			conn = nil
		}
	}
}

func (c *changes) parse(payload string) (Change, bool) {
	inst, rest, ok := strings.Cut(payload, " ")
	if !ok || inst == c.instance {
		return Change{}, false
	}
	kind, id, _ := strings.Cut(rest, " ")
	return Change{Kind: kind, ID: id}, true
}

// apply drops what ch made stale, then tells the handlers. A change without an id (or with
// one that does not parse) drops all of its kind.
func (db *DB) apply(ch Change) {
	id, err := strconv.ParseInt(ch.ID, 10, 64)
	one := err == nil
	switch ch.Kind {
	case ChangeExtension:
		if one {
			db.cache.dropExtension(id)
		} else {
			db.cache.reset()
		}
	case ChangeAuth:
		db.cache.bump()
	case ChangeMessages:
		db.msgGen.Add(1)
	case ChangePost:
		if one {
			db.posts.evict(id)
		} else {
			db.posts.clear()
		}
	case ChangeAll:
		db.cache.reset()
		db.msgGen.Add(1)
		db.posts.clear()
		db.decoded.clear()
	}
	db.changes.mu.Lock()
	fns := append([]func(Change){}, db.changes.handlers...)
	db.changes.mu.Unlock()
	for _, fn := range fns {
		fn(ch)
	}
}

// exec1 runs a single-statement write; on PostgreSQL in a transaction that announces it.
func (db *DB) exec1(ctx context.Context, kind, id, q string, args ...any) (sql.Result, error) {
	if db.changes == nil {
		return db.w.ExecContext(ctx, q, args...)
	}
	var res sql.Result
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if res, err = tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		return db.announce(ctx, tx, kind, id)
	})
	return res, err
}
