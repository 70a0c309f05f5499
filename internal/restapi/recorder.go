package restapi

import (
	"bytes"
	"net/http"
)

// Recorder keeps an answer in memory instead of sending it: the WebSocket gateway wraps the
// REST API's answers to ClientRequest frames, and the control plane of instances sharing a
// database holds its answers until their change is published. The first status written wins;
// none is 200.
type Recorder struct {
	header http.Header
	status int
	Body   bytes.Buffer
}

// NewRecorder makes an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{header: http.Header{}} }

func (r *Recorder) Header() http.Header { return r.header }

func (r *Recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.Body.Write(b)
}

// Status is the answer's status.
func (r *Recorder) Status() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// WriteTo sends the recorded answer through w.
func (r *Recorder) WriteTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.Status())
	_, _ = w.Write(r.Body.Bytes())
}
