package control

import (
	"net/http"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
)

// report answers the graduation report: JSON, or Markdown for ?format=markdown or an Accept
// that asks for text/markdown.
func (h *Handlers) report(w http.ResponseWriter, r *restapi.Request) error {
	rep, err := h.Backend.Report(r.Context())
	if err != nil {
		return err
	}
	format := strings.ToLower(r.Query.Get("format"))
	if format == "" && strings.Contains(r.Header.Get("Accept"), "text/markdown") {
		format = "markdown"
	}
	switch format {
	case "", "json":
		return restapi.JSON(w, 200, rep)
	case "markdown", "md":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.WriteHeader(200)
		_, err := w.Write([]byte(rep.Markdown()))
		return err
	}
	return rc.Invalid("format")
}
