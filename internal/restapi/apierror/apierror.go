// Package apierror is the only writer of error bodies. REST endpoints get the platform's legacy
// shape (top-level errorCode and message repeating the first error, errors[] with parameterName
// or permissionName, and those attributes repeated at top level); /restapi/oauth/* gets the OAuth
// shape (error, error_description, errors[]).
package apierror

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/rcemu/rcemu/internal/rc"
)

// ContentType is the platform's exact JSON content type.
const ContentType = "application/json;charset=utf-8"

type item struct {
	ErrorCode      string `json:"errorCode"`
	Message        string `json:"message"`
	ParameterName  string `json:"parameterName,omitempty"`
	PermissionName string `json:"permissionName,omitempty"`
}

type restBody struct {
	ErrorCode      string `json:"errorCode"`
	Message        string `json:"message"`
	Errors         []item `json:"errors"`
	ParameterName  string `json:"parameterName,omitempty"`
	PermissionName string `json:"permissionName,omitempty"`
}

type oauthBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Errors      []item `json:"errors"`
}

// Body renders e in the form its origin calls for.
func Body(e *rc.Error) []byte {
	it := item{ErrorCode: e.Code, Message: e.Message, ParameterName: e.Param, PermissionName: e.Permission}
	var v any
	if e.OAuth != "" {
		v = oauthBody{Error: e.OAuth, Description: e.Message, Errors: []item{it}}
	} else {
		top := e.TopCode
		if top == "" {
			top = e.Code
		}
		items := []item{it}
		if e.Code == "AGW-404" {
			// The platform answers an unknown path with an empty errors array (captured responses).
			items = []item{}
		}
		v = restBody{ErrorCode: top, Message: e.Message, Errors: items,
			ParameterName: e.Param, PermissionName: e.Permission}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Write sends err to the client. Anything that is not an *rc.Error becomes CMN-203.
func Write(w http.ResponseWriter, err error) *rc.Error {
	e := rc.AsError(err)
	h := w.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	h.Set("Content-Type", ContentType)
	w.WriteHeader(e.Status)
	_, _ = w.Write(Body(e))
	return e
}
