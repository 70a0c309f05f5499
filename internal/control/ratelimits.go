package control

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/ratelimit"
)

// Rate limits: the mode, the groups' limits, the counts per app, user and group, and trips (the
// N-th next call of an operation or group answers 429, to exercise an app's retry code).

func (h *Handlers) rateLimitsBody() map[string]any {
	counts, trips := h.Limits.Counts()
	sort.Slice(counts, func(i, j int) bool {
		a, b := counts[i], counts[j]
		if a.App != b.App {
			return a.App < b.App
		}
		if a.Extension != b.Extension {
			return a.Extension < b.Extension
		}
		return a.Group < b.Group
	})
	groups := []map[string]any{}
	for _, name := range []string{"Light", "Medium", "Heavy", "Auth"} {
		g := ratelimit.Groups[name]
		groups = append(groups, map[string]any{"name": g.Name, "limit": g.Limit, "windowSeconds": int(g.Window.Seconds()),
			"penaltySeconds": int(g.Penalty.Seconds())})
	}
	if trips == nil {
		trips = []ratelimit.Trip{}
	}
	return map[string]any{"mode": h.Limits.Mode().String(), "groups": groups, "counts": counts, "trips": trips}
}

func (h *Handlers) getRateLimits(w http.ResponseWriter, r *restapi.Request) error {
	return restapi.JSON(w, 200, h.rateLimitsBody())
}

// putRateLimits takes {"mode": "enforce"} and/or {"trip": {"operation": "readExtension", "after": 2}}
// (or "group": "Heavy"; after 0 trips the very next call).
func (h *Handlers) putRateLimits(w http.ResponseWriter, r *restapi.Request) error {
	var body struct {
		Mode *string         `json:"mode"`
		Trip *ratelimit.Trip `json:"trip"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return rc.BadJSON()
	}
	var mode ratelimit.Mode
	if body.Mode != nil {
		m, err := ratelimit.ParseMode(*body.Mode)
		if err != nil {
			return rc.Invalid("mode")
		}
		mode = m
	}
	if t := body.Trip; t != nil {
		if (t.Operation == "") == (t.Group == "") {
			e := rc.Invalid("trip")
			e.Message = "A trip names one operation or one group"
			return e
		}
		if _, ok := ratelimit.Groups[t.Group]; t.Group != "" && !ok {
			return rc.Invalid("trip.group")
		}
		if t.After < 0 {
			return rc.Invalid("trip.after")
		}
	}
	if body.Mode != nil {
		h.Limits.SetMode(mode)
	}
	if body.Trip != nil {
		h.Limits.AddTrip(*body.Trip)
	}
	return restapi.JSON(w, 200, h.rateLimitsBody())
}

func (h *Handlers) resetRateLimits(w http.ResponseWriter, r *restapi.Request) error {
	h.Limits.Reset()
	return restapi.NoContent(w)
}
