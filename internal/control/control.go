// Package control is the emulator's own API under /_rcemu/, a prefix no RingCentral path can
// take: health, reset to the seed, export and import of the whole state, credentials, the request
// log, the per-app User-Agent report, and the clock.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rcemu/rcemu/internal/clock"
	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/notify"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/reqlog"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/query"
	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
	"github.com/rcemu/rcemu/internal/store"
	"github.com/rcemu/rcemu/internal/voice"
)

// Prefix is where the control plane lives.
const Prefix = "/_rcemu"

// Backend is what the control plane acts on; app.App implements it.
type Backend interface {
	Reset(ctx context.Context) error
	Export(ctx context.Context) (store.Snapshot, error)
	Import(ctx context.Context, s store.Snapshot) error
	Credentials(ctx context.Context, serverURL string) (credentials.Credentials, error)
	SaveSnapshot(ctx context.Context, name string) (store.SnapshotInfo, error)
	RestoreSnapshot(ctx context.Context, name string) error
	Snapshot(ctx context.Context, name string) (store.Snapshot, error)
	Snapshots(ctx context.Context) ([]store.SnapshotInfo, error)
	DeleteSnapshot(ctx context.Context, name string) error
}

// Handlers serves the control plane.
type Handlers struct {
	Backend  Backend
	Log      *reqlog.Log
	Clock    *clock.Clock
	Version  string
	Messages *messaging.Service
	Bus      *events.Bus
	Notify   *notify.Service
	Voice    *voice.Service
	Limits   *ratelimit.Limiter
}

// Register adds the control routes.
func (h *Handlers) Register(rt *restapi.Router) {
	o := restapi.Options{Public: true, Internal: true}
	rt.Handle("GET", Prefix+"/health", h.health, o)
	rt.Handle("POST", Prefix+"/reset", h.reset, o)
	rt.Handle("GET", Prefix+"/state", h.export, o)
	rt.Handle("PUT", Prefix+"/state", h.importState, o)
	rt.Handle("POST", Prefix+"/state", h.importState, o)
	rt.Handle("GET", Prefix+"/rate-limits", h.getRateLimits, o)
	rt.Handle("PUT", Prefix+"/rate-limits", h.putRateLimits, o)
	rt.Handle("DELETE", Prefix+"/rate-limits", h.resetRateLimits, o)
	rt.Handle("GET", Prefix+"/snapshots", h.listSnapshots, o)
	rt.Handle("GET", Prefix+"/snapshots/{name}", h.readSnapshot, o)
	rt.Handle("PUT", Prefix+"/snapshots/{name}", h.saveSnapshot, o)
	rt.Handle("POST", Prefix+"/snapshots/{name}", h.saveSnapshot, o)
	rt.Handle("POST", Prefix+"/snapshots/{name}/restore", h.restoreSnapshot, o)
	rt.Handle("DELETE", Prefix+"/snapshots/{name}", h.deleteSnapshot, o)
	rt.Handle("GET", Prefix+"/credentials", h.credentials, o)
	rt.Handle("GET", Prefix+"/requests", h.requests, o)
	rt.Handle("DELETE", Prefix+"/requests", h.clearRequests, o)
	rt.Handle("GET", Prefix+"/user-agents", h.userAgents, o)
	rt.Handle("GET", Prefix+"/clock", h.getClock, o)
	rt.Handle("POST", Prefix+"/clock", h.setClock, o)
	rt.Handle("POST", Prefix+"/inbound", h.inbound, o)
	rt.Handle("GET", Prefix+"/outbox", h.outbox, o)
	rt.Handle("POST", Prefix+"/messages/{messageId}/status", h.forceStatus, o)
	rt.Handle("GET", Prefix+"/messaging", h.getMessaging, o)
	rt.Handle("PUT", Prefix+"/messaging", h.putMessaging, o)
	rt.Handle("GET", Prefix+"/events", h.events, o)
	rt.Handle("GET", Prefix+"/deliveries", h.deliveries, o)
	rt.Handle("GET", Prefix+"/receivers", h.receivers, o)
	rt.Handle("POST", Prefix+"/calls", h.simulateCall, o)
	rt.Handle("GET", Prefix+"/calls", h.listCalls, o)
	rt.Handle("DELETE", Prefix+"/calls/{telephonySessionId}", h.endCall, o)
	rt.Handle("GET", Prefix+"/voice", h.getVoice, o)
	rt.Handle("PUT", Prefix+"/voice", h.putVoice, o)
}

func (h *Handlers) deliveries(w http.ResponseWriter, r *restapi.Request) error {
	limit, err := r.Query.Int("limit", 100, 1, 2000)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"records": h.Notify.Attempts(limit)})
}

func (h *Handlers) receivers(w http.ResponseWriter, r *restapi.Request) error {
	return restapi.JSON(w, 200, map[string]any{"records": h.Notify.Receivers()})
}

func (h *Handlers) health(w http.ResponseWriter, r *restapi.Request) error {
	return restapi.JSON(w, 200, map[string]any{"status": "ok", "version": h.Version, "time": rc.FormatTime(h.Clock.Now())})
}

func (h *Handlers) reset(w http.ResponseWriter, r *restapi.Request) error {
	if err := h.Backend.Reset(r.Context()); err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"status": "reset"})
}

func (h *Handlers) export(w http.ResponseWriter, r *restapi.Request) error {
	s, err := h.Backend.Export(r.Context())
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, s)
}

func (h *Handlers) importState(w http.ResponseWriter, r *restapi.Request) error {
	var s store.Snapshot
	dec := json.NewDecoder(r.Body)
	dec.UseNumber() // keep 64-bit ids exact
	if err := dec.Decode(&s); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return restapi.TooLarge(mbe.Limit)
		}
		return rc.BadJSON()
	}
	if err := h.Backend.Import(r.Context(), s); err != nil {
		if errors.Is(err, store.ErrBadSnapshot) {
			e := rc.Invalid("state")
			e.Message = err.Error()
			return e
		}
		return err
	}
	return restapi.NoContent(w)
}

func (h *Handlers) credentials(w http.ResponseWriter, r *restapi.Request) error {
	c, err := h.Backend.Credentials(r.Context(), r.Base())
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, c)
}

func (h *Handlers) requests(w http.ResponseWriter, r *restapi.Request) error {
	limit, err := r.Query.Int("limit", 100, 1, 100000)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"records": h.Log.Recent(limit)})
}

func (h *Handlers) clearRequests(w http.ResponseWriter, r *restapi.Request) error {
	h.Log.Clear()
	return restapi.NoContent(w)
}

func (h *Handlers) userAgents(w http.ResponseWriter, r *restapi.Request) error {
	return restapi.JSON(w, 200, map[string]any{"apps": h.Log.Report()})
}

func (h *Handlers) clockBody() map[string]any {
	return map[string]any{"now": rc.FormatTime(h.Clock.Now()), "frozen": h.Clock.IsFrozen()}
}

func (h *Handlers) getClock(w http.ResponseWriter, r *restapi.Request) error {
	return restapi.JSON(w, 200, h.clockBody())
}

// clockRequest moves the clock: set it to an instant (and optionally freeze it there), advance it
// by a duration ("90s", "2h") or a number of seconds, freeze or resume it, or reset it to real time.
type clockRequest struct {
	Set     string          `json:"set"`
	Advance json.RawMessage `json:"advance"`
	Freeze  *bool           `json:"freeze"`
	Reset   bool            `json:"reset"`
}

func (h *Handlers) setClock(w http.ResponseWriter, r *restapi.Request) error {
	var req clockRequest
	if err := r.DecodeJSON(&req); err != nil {
		return err
	}
	if req.Reset {
		h.Clock.Reset()
	}
	if req.Set != "" {
		t, err := query.ParseTime(req.Set)
		if err != nil {
			return rc.Invalid("set")
		}
		freeze := h.Clock.IsFrozen() // a frozen clock stays frozen unless told otherwise
		if req.Freeze != nil {
			freeze = *req.Freeze
		}
		h.Clock.Set(t, freeze)
	} else if req.Freeze != nil {
		if *req.Freeze {
			h.Clock.Set(h.Clock.Now(), true)
		} else {
			h.Clock.Resume()
		}
	}
	if len(req.Advance) > 0 {
		d, err := parseDuration(req.Advance)
		if err != nil || d < 0 {
			return rc.Invalid("advance")
		}
		h.Clock.Advance(d)
	}
	if h.Messages != nil {
		// Apply what the new time made due before answering, so a test sees it at once.
		if _, err := h.Messages.ApplyDue(r.Context()); err != nil {
			return err
		}
	}
	if h.Voice != nil {
		if _, err := h.Voice.ApplyDue(r.Context()); err != nil {
			return err
		}
	}
	return restapi.JSON(w, 200, h.clockBody())
}

func parseDuration(raw json.RawMessage) (time.Duration, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return time.Duration(n * float64(time.Second)), nil
		}
		return time.ParseDuration(s)
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, err
	}
	return time.Duration(n * float64(time.Second)), nil
}
