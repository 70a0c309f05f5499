package control

import (
	"encoding/json"
	"net/http"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/faults"
)

// Faults: failures on demand (an operation, a method and path pattern, an app; a status with
// its error body, latency, a dropped connection; the next N calls or with a probability from a
// seeded source), and dropped WebSocket connections.

func (h *Handlers) listFaults(w http.ResponseWriter, r *restapi.Request) error {
	rules, seed := h.Faults.Rules()
	return restapi.JSON(w, 200, map[string]any{"seed": seed, "records": rules})
}

func (h *Handlers) addFault(w http.ResponseWriter, r *restapi.Request) error {
	var rule faults.Rule
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rule); err != nil {
		return rc.BadJSON()
	}
	added, err := h.Faults.Add(rule)
	if err != nil {
		e := rc.Invalid("fault")
		e.Message = err.Error()
		return e
	}
	return restapi.JSON(w, 201, added)
}

// seedFaults takes {"seed": N}: the same seed, the same calls fail.
func (h *Handlers) seedFaults(w http.ResponseWriter, r *restapi.Request) error {
	var body struct {
		Seed *uint64 `json:"seed"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Seed == nil {
		return rc.Invalid("seed")
	}
	h.Faults.Seed(*body.Seed)
	return h.listFaults(w, r)
}

func (h *Handlers) clearFaults(w http.ResponseWriter, r *restapi.Request) error {
	h.Faults.Clear()
	return restapi.NoContent(w)
}

func (h *Handlers) deleteFault(w http.ResponseWriter, r *restapi.Request) error {
	if !h.Faults.Remove(r.Param("faultId")) {
		return rc.NotFound("faultId")
	}
	return restapi.NoContent(w)
}

// disconnectWebSockets drops open WebSocket connections ({"clientId": "..."} for one app's).
func (h *Handlers) disconnectWebSockets(w http.ResponseWriter, r *restapi.Request) error {
	var body struct {
		ClientID string `json:"clientId"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return rc.BadJSON()
		}
	}
	n := 0
	if h.Sockets != nil {
		n = h.Sockets.Disconnect(body.ClientID)
	}
	return restapi.JSON(w, 200, map[string]any{"disconnected": n})
}
