// Package parity measures how close rcemu is to a RingCentral server: a recording proxy in front
// of any server keeps each exchange (secrets and personal data redacted), and a replay sends each
// recorded request to a fresh emulator and compares the answers' status, error code, headers and
// JSON shape per operation.
package parity

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FileName is the recording inside its directory: one exchange per line.
const FileName = "exchanges.jsonl"

// maxBody bounds what is kept of a body; larger ones are proxied but not recorded.
const maxBody = 16 << 20

// Exchange is one recorded request and its answer.
type Exchange struct {
	Seq        int     `json:"seq"`
	Time       string  `json:"time"`
	DurationMs float64 `json:"durationMs"`
	Request    Message `json:"request"`
	Response   Message `json:"response"`
}

// Message is a request or a response. JSON and form bodies are kept (redacted); other bodies
// (faxes, recordings, attachments) are not, as they may hold anything: only their size is.
type Message struct {
	Method   string          `json:"method,omitempty"`
	Path     string          `json:"path,omitempty"` // path and query
	Status   int             `json:"status,omitempty"`
	Header   http.Header     `json:"header"`
	JSON     json.RawMessage `json:"json,omitempty"`
	Form     url.Values      `json:"form,omitempty"`
	BodySize int             `json:"bodySize"`
}

// Recorder is a transparent reverse proxy that records every exchange with the upstream. The
// control plane of an rcemu upstream (/_rcemu/) is proxied but not recorded: it is no part of
// the RingCentral API and answers credentials.
type Recorder struct {
	upstream *url.URL
	proxy    *httputil.ReverseProxy
	red      *Redactor
	ch       chan captured
	done     chan struct{}
	file     *os.File
	err      error
	mu       sync.Mutex // guards seq
	seq      int
	closed   sync.Once
}

type captured struct {
	seq        int
	start      time.Time
	duration   time.Duration
	method     string
	path       string
	reqHeader  http.Header
	reqBody    []byte
	reqTrunc   bool
	status     int
	respHeader http.Header
	respBody   []byte
	respTrunc  bool
}

type captureKey struct{}

// NewRecorder starts a recorder writing to dir/exchanges.jsonl (appending to a recording
// already there); Close flushes it.
func NewRecorder(upstream, dir string) (*Recorder, error) {
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("the upstream must be an http:// or https:// URL")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	r := &Recorder{upstream: u, red: NewRedactor(), ch: make(chan captured, 1024), done: make(chan struct{}), file: f}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	r.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Del("X-Forwarded-For") // transparent: the upstream sees the client's request
		},
		Transport:     tr,
		FlushInterval: -1, // pass answers on as they come
		ModifyResponse: func(res *http.Response) error {
			c, _ := res.Request.Context().Value(captureKey{}).(*captured)
			if c == nil || res.StatusCode == http.StatusSwitchingProtocols {
				return nil
			}
			body, trunc, err := readUpTo(res.Body, maxBody)
			if err != nil {
				return err
			}
			rest := res.Body
			res.Body = readCloser{io.MultiReader(bytes.NewReader(body), rest), rest}
			c.status, c.respHeader, c.respBody, c.respTrunc = res.StatusCode, res.Header.Clone(), body, trunc
			return nil
		},
	}
	go r.write()
	return r, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func readUpTo(r io.Reader, n int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, n+1))
	if int64(len(b)) > n {
		return b, true, err
	}
	return b, false, err
}

func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, "/_rcemu/") {
		r.proxy.ServeHTTP(w, req)
		return
	}
	c := &captured{start: time.Now(), method: req.Method, path: req.URL.RequestURI(), reqHeader: req.Header.Clone()}
	if req.Body != nil && req.Body != http.NoBody {
		body, trunc, err := readUpTo(req.Body, maxBody)
		if err != nil {
			http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
			return
		}
		c.reqBody, c.reqTrunc = body, trunc
		req.Body = readCloser{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
	}
	r.proxy.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), captureKey{}, c)))
	if c.status == 0 {
		return // the upstream did not answer (the proxy's 502 is not the upstream's)
	}
	c.duration = time.Since(c.start)
	r.mu.Lock()
	r.seq++
	c.seq = r.seq
	r.mu.Unlock()
	// Redaction and the write happen behind the answer, off the client's path.
	r.ch <- *c
}

// Close stops recording and flushes what was recorded; call it once the server in front of the
// Recorder has stopped.
func (r *Recorder) Close() error {
	r.closed.Do(func() { close(r.ch) })
	<-r.done
	return errors.Join(r.err, r.file.Close())
}

func (r *Recorder) write() {
	defer close(r.done)
	w := bufio.NewWriterSize(r.file, 1<<16)
	for c := range r.ch {
		b, err := json.Marshal(r.exchange(c))
		if err == nil {
			_, err = w.Write(append(r.red.Scrub(b), '\n'))
		}
		if err == nil && len(r.ch) == 0 {
			err = w.Flush()
		}
		if err != nil && r.err == nil {
			r.err = err
		}
	}
	if err := w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *Recorder) exchange(c captured) Exchange {
	ex := Exchange{Seq: c.seq, Time: c.start.UTC().Format(time.RFC3339Nano),
		DurationMs: float64(c.duration.Microseconds()) / 1000}
	ex.Request = Message{Method: c.method, Path: r.red.Query(c.path), Header: r.headers(c.reqHeader)}
	r.body(&ex.Request, c.reqHeader, c.reqBody, c.reqTrunc)
	ex.Response = Message{Status: c.status, Header: r.headers(c.respHeader)}
	body := c.respBody
	if strings.EqualFold(c.respHeader.Get("Content-Encoding"), "gzip") && !c.respTrunc {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if plain, err := io.ReadAll(io.LimitReader(zr, maxBody)); err == nil {
				body = plain
			}
		}
	}
	r.body(&ex.Response, c.respHeader, body, c.respTrunc)
	return ex
}

func (r *Recorder) headers(h http.Header) http.Header {
	out := http.Header{}
	for k, vs := range h {
		for _, v := range vs {
			out.Add(k, r.red.Header(k, v))
		}
	}
	return out
}

func (r *Recorder) body(m *Message, h http.Header, body []byte, trunc bool) {
	m.BodySize = len(body)
	if len(body) == 0 || trunc {
		return
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case mt == "application/x-www-form-urlencoded":
		if vs, err := url.ParseQuery(string(body)); err == nil {
			m.Form = r.red.Values(vs)
		}
	case isJSON(mt):
		var v any
		if json.Unmarshal(body, &v) == nil {
			if b, err := json.Marshal(r.red.JSON(v)); err == nil {
				m.JSON = b
			}
		}
	}
}

func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// ReadRecording reads the exchanges of a recording directory (or of the file itself).
func ReadRecording(path string) ([]Exchange, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, FileName)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var ex Exchange
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, errors.Join(fmt.Errorf("%s: line %d", path, line), err)
		}
		out = append(out, ex)
	}
	return out, sc.Err()
}
