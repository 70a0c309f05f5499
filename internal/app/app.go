// Package app wires rcemu together: it opens and seeds the store, builds the services and the
// HTTP server, binds the listener (so a taken port fails at once), and shuts down gracefully.
// The CLI and the end-to-end tests share it.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/addressbook"
	"github.com/rcemu/rcemu/internal/api"
	"github.com/rcemu/rcemu/internal/clock"
	"github.com/rcemu/rcemu/internal/companydir"
	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/console"
	"github.com/rcemu/rcemu/internal/control"
	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/directory"
	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/hookhttp/stdpost"
	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/oauth"
	"github.com/rcemu/rcemu/internal/presence"
	"github.com/rcemu/rcemu/internal/report"
	"github.com/rcemu/rcemu/internal/reqlog"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/faults"
	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
	"github.com/rcemu/rcemu/internal/seed"
	"github.com/rcemu/rcemu/internal/specmock"
	"github.com/rcemu/rcemu/internal/store"
	"github.com/rcemu/rcemu/internal/store/sqlstore"
	"github.com/rcemu/rcemu/internal/teammessaging"
	"github.com/rcemu/rcemu/internal/voice"
	"github.com/rcemu/rcemu/internal/wsg"
)

// Version is rcemu's version, reported by discovery and the control plane.
var Version = "0.1.0"

// Meta keys of the store's settings.
const (
	metaSeed     = "seed"
	metaJWTKey   = "jwt_signing_key"
	metaTokenKey = "token_key"
)

// OpenStore opens the database and, when it is new, seeds it from seedPath (or the embedded
// default). It returns the keys the database's tokens and credentials are signed with.
// Seeded messages are dated relative to now.
func OpenStore(ctx context.Context, dbPath, seedPath string, log *slog.Logger, now time.Time) (*sqlstore.DB, oauth.Keys, error) {
	db, err := sqlstore.Open(ctx, dbPath)
	if err != nil {
		return nil, oauth.Keys{}, fmt.Errorf("open database %s: %w", sqlstore.Redact(dbPath), err)
	}
	keys, err := ensureSeeded(ctx, db, seedPath, log, now)
	if err != nil {
		db.Close()
		return nil, oauth.Keys{}, err
	}
	return db, keys, nil
}

func ensureSeeded(ctx context.Context, db store.Store, seedPath string, log *slog.Logger, now time.Time) (oauth.Keys, error) {
	doc, err := db.Meta(ctx, metaSeed)
	if errors.Is(err, store.ErrNotFound) {
		raw := seed.Default()
		if seedPath != "" {
			if raw, err = os.ReadFile(seedPath); err != nil {
				return oauth.Keys{}, fmt.Errorf("read seed: %w", err)
			}
		}
		if err := loadSeed(ctx, db, raw, now); err != nil {
			return oauth.Keys{}, err
		}
		if err := db.SetMeta(ctx, metaSeed, string(raw)); err != nil {
			return oauth.Keys{}, err
		}
	} else if err != nil {
		return oauth.Keys{}, err
	} else if seedPath != "" {
		if raw, err := os.ReadFile(seedPath); err == nil && string(raw) != doc {
			log.Warn("the database is already seeded; --seed is ignored (start with a new --db to use it)", "seed", seedPath)
		}
	}
	tokenKey, err := db.Meta(ctx, metaTokenKey)
	if errors.Is(err, store.ErrNotFound) {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		tokenKey = hex.EncodeToString(b)
		err = db.SetMeta(ctx, metaTokenKey, tokenKey)
	}
	if err != nil {
		return oauth.Keys{}, err
	}
	jwtKey, err := db.Meta(ctx, metaJWTKey)
	if err != nil {
		return oauth.Keys{}, err
	}
	return oauth.Keys{Token: []byte(tokenKey), JWT: jwtKey}, nil
}

// loadSeed parses a seed, mints the JWT credentials it leaves out, and loads it.
func loadSeed(ctx context.Context, db store.Store, raw []byte, now time.Time) error {
	res, err := seed.ParseAt(raw, now)
	if err != nil {
		return err
	}
	for i, c := range res.Dataset.Credentials {
		if c.JWT == "" {
			tok, err := oauth.MintUserJWT(res.JWTSigningKey, c, seed.DefaultCreationTime.Unix())
			if err != nil {
				return err
			}
			res.Dataset.Credentials[i].JWT = tok
		}
	}
	if err := db.Load(ctx, res.Dataset); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return db.SetMeta(ctx, metaJWTKey, res.JWTSigningKey)
}

// App is one running emulator.
type App struct {
	Config config.Config
	Log    *slog.Logger
	Clock  *clock.Clock
	Store  *sqlstore.DB
	OAuth  *oauth.Service
	Reqs   *reqlog.Log
	Bus    *events.Bus
	Msgs   *messaging.Service
	Notify *notify.Service
	Voice  *voice.Service
	Limits *ratelimit.Limiter
	Faults *faults.Injector
	TM     *teammessaging.Service
	WSG    *wsg.Gateway
	spec   *specmock.Mock // nil without a spec

	handler  http.Handler
	listener net.Listener
	server   *http.Server
	fatal    chan error         // what ends the emulator from within: the listener, the database
	stop     context.CancelFunc // ends background work
	mu       sync.Mutex         // serialises reset and import

	sharedMu sync.Mutex
	counts   map[string]string        // shared counts of limited rules, see controlState
	relayed  chan struct{}            // other instances relayed WebSocket notifications
	handoffs map[string]chan struct{} // WebSocket sessions asked of other instances → their answer came
}

// New prepares an App; Open does the work.
func New(cfg config.Config, log *slog.Logger) *App {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	}
	return &App{Config: cfg, Log: log, Clock: clock.New()}
}

// Open opens the store, builds the server and binds the listen address.
func (a *App) Open(ctx context.Context) error {
	db, keys, err := OpenStore(ctx, a.Config.DB, a.Config.Seed, a.Log, a.Clock.Now())
	if err != nil {
		return err
	}
	a.Store = db
	a.OAuth = oauth.New(db, a.Clock, keys)
	a.Reqs = reqlog.New(1000)
	a.Bus = events.New(1000)
	a.Msgs = messaging.New(db, a.Clock, a.Bus)
	a.Notify = notify.New(db, a.Clock, a.Bus, a.Log, func() string { return a.URL() })
	a.Notify.StrictHTTPS = a.Config.StrictHTTPS
	a.Notify.Poster = stdpost.New(notify.DeliveryTimeout)
	if err := a.Notify.Reload(ctx); err != nil {
		db.Close()
		return err
	}
	a.Voice = voice.New(db, a.Clock, a.Bus, a.Msgs)
	mode, err := ratelimit.ParseMode(a.Config.RateLimits)
	if err != nil {
		db.Close()
		return fmt.Errorf("rate limits: %w", err)
	}
	a.Limits = ratelimit.New(a.Clock, mode)
	a.Faults = faults.New(1)
	a.Notify.TimeoutFault = a.Faults.WebhookTimeout
	a.Msgs.FaxLog = a.Voice
	pres := presence.New(db, a.Clock, a.Bus, a.Voice)
	a.WSG = wsg.New(a.Notify, a.Clock, a.Log)
	if db.Shared() {
		// Other instances may hold the sessions this one's writes notify, and open the sockets
		// of the tokens it hands out.
		a.Notify.Relay = db.RelayWS
		a.WSG.Tokens, a.WSG.Authenticate = db, a.OAuth.Authenticate
		a.WSG.Takeover, a.WSG.TookOver = a.takeoverWS, func(string) { a.claimSoon() }
		a.handoffs = map[string]chan struct{}{}
	}
	a.TM = teammessaging.New(db, a.Clock, a.Bus)

	rt := &restapi.Router{}
	restapi.RegisterDiscovery(rt, Version, "rcemu")
	a.OAuth.Register(rt)
	a.WSG.Register(rt)
	(&api.Handlers{Directory: directory.New(db, a.Clock, a.Bus), Messages: a.Msgs, Notify: a.Notify, Presence: pres, Voice: a.Voice,
		TeamMessaging: a.TM, AddressBook: addressbook.New(db, a.Clock), CompanyDirectory: companydir.New(db)}).Register(rt)
	(&control.Handlers{Backend: a, Log: a.Reqs, Clock: a.Clock, Version: Version, Messages: a.Msgs, Bus: a.Bus,
		Notify: a.Notify, Voice: a.Voice, Limits: a.Limits, Faults: a.Faults, Sockets: a.WSG}).Register(rt)
	con := &console.Handler{Directory: db, Messages: db, Subscriptions: db, CallLog: a.Voice, Chats: a.TM, Attempts: a.Notify,
		Sockets: a.WSG, Bus: a.Bus, Requests: a.Reqs}
	con.Register(rt)
	// Spec-served operations go last: a route a stateful handler already serves keeps its handler.
	if err := a.openSpec(ctx, rt); err != nil {
		db.Close()
		return err
	}
	a.handler = &restapi.Server{Router: rt, Auth: a.OAuth, Log: a.Log, Clock: a.Clock, MaxBody: a.Config.MaxBody,
		Observe: a.Reqs.Add, Limits: a.Limits, Faults: a.Faults}
	if db.Shared() {
		a.relayed = make(chan struct{}, 1)
		a.counts = map[string]string{}
		a.Faults.Claim = a.claimFault
		a.Limits.ClaimTrip = a.claimTrip
		a.Limits.Share()
		a.handler = a.shareControl(a.handler)
		a.takeControl(ctx) // as the instances already running have it
	}
	a.fatal = make(chan error, 2)
	db.OnLost(func(err error) { a.fail(fmt.Errorf("lost the database %s: %w", sqlstore.Redact(a.Config.DB), err)) })
	db.OnChange(a.follow)
	db.OnLeader(func() { a.Msgs.Kick(); a.Voice.Kick() }) // due work others left
	a.WSG.Handler = a.handler

	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		db.Close()
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = ln
	a.server = &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	a.server.RegisterOnShutdown(con.Close) // live streams would hold a graceful shutdown to its deadline
	return nil
}

// Handler is the HTTP handler, for tests that serve it themselves.
func (a *App) Handler() http.Handler { return a.handler }

// Serve starts answering requests in the background.
func (a *App) Serve() {
	go func() {
		if err := a.server.Serve(a.listener); !errors.Is(err, http.ErrServerClosed) {
			a.fail(fmt.Errorf("serve: %w", err))
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	go a.Msgs.Run(ctx, a.Log)
	go a.Voice.Run(ctx, a.Log)
	if a.Store.Shared() {
		go a.syncRateCounts(ctx)
		go a.claimRelayed(ctx)
	}
	a.Notify.Start(ctx)
}

func (a *App) fail(err error) {
	a.Log.Error("rcemu cannot go on", "err", err)
	select {
	case a.fatal <- err:
	default:
	}
}

// Failed delivers the error that keeps the emulator from going on (its database lost, its
// listener broken); the caller should Close it and exit.
func (a *App) Failed() <-chan error { return a.fatal }

// URL is the base URL clients use.
func (a *App) URL() string {
	addr := a.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// Close stops accepting requests, lets those under way finish, and closes the store.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.stop != nil {
		a.stop()
		a.Notify.Wait(ctx)
	}
	if a.WSG != nil {
		a.WSG.Close() // hijacked connections are not the server's to close
	}
	if a.server != nil {
		if err := a.server.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}

// Reset returns the state to the seed the database was created with.
func (a *App) Reset(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	raw, err := a.Store.Meta(ctx, metaSeed)
	if err != nil {
		return err
	}
	a.Clock.Reset() // before the seed loads: its messages are dated relative to now
	if err := a.Store.Clear(ctx); err != nil {
		return err
	}
	if err := loadSeed(ctx, a.Store, []byte(raw), a.Clock.Now()); err != nil {
		return err
	}
	a.OAuth.Flush()
	a.Reqs.Clear()
	a.Bus.Clear()
	a.Msgs.SetDelays(messaging.Delays{})
	a.Notify.ClearAttempts()
	a.Msgs.Kick() // the messages and their schedule were replaced
	a.Voice.Reset()
	a.Limits.Reset()
	a.Faults.Clear()
	a.TM.Reset()
	return a.Notify.Reload(ctx)
}

// Report grades every app that called rcemu against the platform's production review.
func (a *App) Report(ctx context.Context) (report.Report, error) {
	apps, err := a.Store.Apps(ctx)
	if err != nil {
		return report.Report{}, err
	}
	info := map[string]report.AppInfo{}
	for _, ap := range apps {
		info[ap.ClientID] = report.AppInfo{Name: ap.Name, Permissions: ap.Scopes}
	}
	counts, _ := a.Limits.Counts()
	return report.Build(report.Input{Mode: a.Limits.Mode().String(), Usages: a.Reqs.Usages(), UserAgents: a.Reqs.Report(),
		Counts: counts, Apps: info}), nil
}

// SaveSnapshot keeps the whole state under a name (replacing a snapshot of that name).
func (a *App) SaveSnapshot(ctx context.Context, name string) (store.SnapshotInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	snap, err := a.Store.Export(ctx)
	if err != nil {
		return store.SnapshotInfo{}, err
	}
	if err := a.Store.SaveSnapshot(ctx, name, a.Clock.Now(), snap); err != nil {
		return store.SnapshotInfo{}, err
	}
	list, err := a.Store.Snapshots(ctx)
	for _, s := range list {
		if s.Name == name {
			return s, err
		}
	}
	return store.SnapshotInfo{Name: name}, err
}

// RestoreSnapshot replaces the whole state with a named snapshot; store.ErrNotFound if there
// is none of that name.
func (a *App) RestoreSnapshot(ctx context.Context, name string) error {
	snap, err := a.Store.Snapshot(ctx, name)
	if err != nil {
		return err
	}
	return a.Import(ctx, snap)
}

// Snapshot returns a named snapshot's document.
func (a *App) Snapshot(ctx context.Context, name string) (store.Snapshot, error) {
	return a.Store.Snapshot(ctx, name)
}

// Snapshots lists the named snapshots.
func (a *App) Snapshots(ctx context.Context) ([]store.SnapshotInfo, error) {
	return a.Store.Snapshots(ctx)
}

// DeleteSnapshot removes a named snapshot.
func (a *App) DeleteSnapshot(ctx context.Context, name string) error {
	return a.Store.DeleteSnapshot(ctx, name)
}

// Export returns the whole state.
func (a *App) Export(ctx context.Context) (store.Snapshot, error) { return a.Store.Export(ctx) }

// Import replaces the whole state. Keys travel with the snapshot, so exported tokens and JWT
// credentials stay valid after an import.
func (a *App) Import(ctx context.Context, s store.Snapshot) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	have := map[string]bool{}
	for _, row := range s.Tables["meta"] {
		if k, ok := row["key"].(string); ok {
			have[k] = true
		}
	}
	for _, k := range []string{metaSeed, metaJWTKey, metaTokenKey} {
		if !have[k] {
			return fmt.Errorf("%w: the meta table has no %q row", store.ErrBadSnapshot, k)
		}
	}
	if err := a.Store.Import(ctx, s); err != nil {
		return err
	}
	keys, err := ensureSeeded(ctx, a.Store, "", a.Log, a.Clock.Now())
	if err != nil {
		return err
	}
	a.OAuth.SetKeys(keys)
	a.OAuth.Flush()
	a.Msgs.Kick() // the messages and their schedule were replaced
	a.Voice.Reset()
	a.TM.Reset()
	return a.Notify.Reload(ctx)
}

// Credentials lists what clients need to log in.
func (a *App) Credentials(ctx context.Context, serverURL string) (credentials.Credentials, error) {
	return credentials.Collect(ctx, a.Store, serverURL)
}

// follow keeps what this instance holds in memory in step with the writes of other instances
// sharing its PostgreSQL database (the store has already dropped its own cached rows).
func (a *App) follow(ch sqlstore.Change) {
	ctx := context.Background()
	switch ch.Kind {
	case sqlstore.ChangeMessages:
		a.Msgs.Kick() // another instance may have scheduled a status change (the leader applies it)
	case sqlstore.ChangeCalls:
		a.Voice.Kick()
	case sqlstore.ChangeWS:
		a.claimSoon()
	case sqlstore.ChangeWSAsk:
		if f := strings.Fields(ch.ID); len(f) == 3 {
			go a.giveWS(f[0], f[1], f[2])
		}
	case sqlstore.ChangeWSGive:
		if f := strings.Fields(ch.ID); len(f) == 2 && f[1] == strconv.FormatInt(a.Store.Instance(), 10) {
			a.sharedMu.Lock()
			wait := a.handoffs[f[0]]
			a.sharedMu.Unlock()
			if wait != nil {
				select {
				case wait <- struct{}{}:
				default:
				}
			}
		}
	case sqlstore.ChangeSubscription:
		if err := a.Notify.Reload(ctx); err != nil {
			a.Log.Error("reload subscriptions after another instance's change", "err", err)
		}
	case sqlstore.ChangeControl:
		a.takeControl(ctx)
	case sqlstore.ChangeAll:
		a.OAuth.Flush()
		a.Voice.Reset() // its reserved ids went with the state
		a.TM.Reset()
		a.takeControl(ctx)
		if err := a.Notify.Reload(ctx); err != nil {
			a.Log.Error("reload subscriptions after another instance's change", "err", err)
		}
	}
}
