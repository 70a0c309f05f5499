package restapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi/apierror"
)

// Part is one resource of a bulk (comma-separated ids) answer.
type Part struct {
	ID     string
	Href   string
	Status int
	Body   any   // the resource, for a success
	Err    error // the error, for a failure
}

// MultipartJSON is the media type that asks for the JSON form of a bulk answer.
const MultipartJSON = "application/vnd.ringcentral.multipart+json"

// wantsMultipartJSON reports whether the client's Accept asks for the JSON bulk form.
func wantsMultipartJSON(r *Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == MultipartJSON {
				return true
			}
		}
	}
	return false
}

func partBody(p Part) (int, any) {
	if p.Err != nil {
		e := rc.AsError(p.Err)
		var v any
		_ = json.Unmarshal(apierror.Body(e), &v)
		return e.Status, v
	}
	return p.Status, p.Body
}

// MultiStatus writes a 207 answer for a bulk request, as the platform does: multipart/mixed whose
// first part lists every part's status, or, when the client accepts it, the JSON array form.
func MultiStatus(w http.ResponseWriter, r *Request, parts []Part) error {
	if wantsMultipartJSON(r) {
		type entry struct {
			ResourceID string `json:"resourceId"`
			Status     int    `json:"status"`
			Body       any    `json:"body"`
		}
		out := make([]entry, len(parts))
		for i, p := range parts {
			st, body := partBody(p)
			out[i] = entry{ResourceID: p.ID, Status: st, Body: body}
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", MultipartJSON)
		w.WriteHeader(http.StatusMultiStatus)
		_, err = w.Write(b)
		return err
	}
	boundary := "Boundary_" + r.ID
	type summary struct {
		Href                string `json:"href"`
		Status              int    `json:"status"`
		ResponseDescription string `json:"responseDescription"`
	}
	sum := struct {
		Response []summary `json:"response"`
	}{}
	var bodies [][]byte
	for _, p := range parts {
		st, body := partBody(p)
		sum.Response = append(sum.Response, summary{Href: p.Href, Status: st, ResponseDescription: http.StatusText(st)})
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	var buf bytes.Buffer
	first, _ := json.Marshal(sum)
	writePart := func(b []byte) {
		buf.WriteString("--" + boundary + "\r\nContent-Type: application/json\r\n\r\n")
		buf.Write(b)
		buf.WriteString("\r\n")
	}
	writePart(first)
	for _, b := range bodies {
		writePart(b)
	}
	buf.WriteString("--" + boundary + "--\r\n")
	h := w.Header()
	h.Set("Content-Type", "multipart/mixed; boundary="+boundary)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusMultiStatus)
	_, err := w.Write(buf.Bytes())
	return err
}
