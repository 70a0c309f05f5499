package control

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/store"
)

// Named snapshots: the whole state saved under a name, kept across resets and imports, and
// restored at will (a test suite's fixture, saved once and restored before each test).

var snapshotName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func name(r *restapi.Request) (string, error) {
	n := r.Param("name")
	if !snapshotName.MatchString(n) {
		e := rc.Invalid("name")
		e.Message = "A snapshot name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
		return "", e
	}
	return n, nil
}

func snapshotMissing(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return rc.NotFound("name")
	}
	return err
}

func (h *Handlers) listSnapshots(w http.ResponseWriter, r *restapi.Request) error {
	list, err := h.Backend.Snapshots(r.Context())
	if err != nil {
		return err
	}
	return restapi.JSON(w, 200, map[string]any{"records": list})
}

func (h *Handlers) readSnapshot(w http.ResponseWriter, r *restapi.Request) error {
	n, err := name(r)
	if err != nil {
		return err
	}
	s, err := h.Backend.Snapshot(r.Context(), n)
	if err != nil {
		return snapshotMissing(err)
	}
	return restapi.JSON(w, 200, s)
}

func (h *Handlers) saveSnapshot(w http.ResponseWriter, r *restapi.Request) error {
	n, err := name(r)
	if err != nil {
		return err
	}
	info, err := h.Backend.SaveSnapshot(r.Context(), n)
	if err != nil {
		return err
	}
	return restapi.JSON(w, 201, info)
}

func (h *Handlers) restoreSnapshot(w http.ResponseWriter, r *restapi.Request) error {
	n, err := name(r)
	if err != nil {
		return err
	}
	if err := h.Backend.RestoreSnapshot(r.Context(), n); err != nil {
		return snapshotMissing(err)
	}
	return restapi.NoContent(w)
}

func (h *Handlers) deleteSnapshot(w http.ResponseWriter, r *restapi.Request) error {
	n, err := name(r)
	if err != nil {
		return err
	}
	if err := h.Backend.DeleteSnapshot(r.Context(), n); err != nil {
		return snapshotMissing(err)
	}
	return restapi.NoContent(w)
}
