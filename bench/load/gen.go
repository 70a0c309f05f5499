package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

// genResult is what one load run measured. Durations are in nanoseconds in the JSON.
type genResult struct {
	Name       string        `json:"name"`
	Client     string        `json:"client"`
	URL        string        `json:"url"`
	Conns      int           `json:"conns"`
	Window     time.Duration `json:"windowNs"` // the measured window (warm-up excluded)
	Requests   uint64        `json:"requests"` // 200s completed inside the window
	ReqPerSec  float64       `json:"reqPerSec"`
	Mean       time.Duration `json:"meanNs"`
	P50        time.Duration `json:"p50Ns"`
	P90        time.Duration `json:"p90Ns"`
	P99        time.Duration `json:"p99Ns"`
	P999       time.Duration `json:"p999Ns"`
	Max        time.Duration `json:"maxNs"`
	Errors     uint64        `json:"errors"` // non-200 or transport errors, warm-up included
	WarmupReqs uint64        `json:"warmupRequests"`
	FirstError string        `json:"firstError,omitempty"`
	BodyBytes  int64         `json:"bodyBytes"`    // size of one answer body
	ServerCPU  float64       `json:"serverCpu"`    // share of one core the server used in the window
	GenCPU     float64       `json:"generatorCpu"` // share of one core the generator used in the window
	// OtherCPU is the CPU other tasks (other processes, kernel threads) used in the window, and
	// hypervisor steal, in cores: more than a few percent means the figures are disturbed.
	OtherCPU    float64 `json:"otherCpu"`
	GenMaxProcs int     `json:"generatorGomaxprocs"`
}

// generatorBound: the generator's core was full while the server's was not, so the server may
// have been waiting for requests and req/s is a lower bound.
func (g *genResult) generatorBound() bool {
	return g.GenCPU >= 0.95 && g.ServerCPU >= 0 && g.ServerCPU < 0.90
}

// disturbed: other processes took enough CPU to have skewed the figures.
func (g *genResult) disturbed() bool { return g.OtherCPU > 0.05 }

// cpuColumn is the table's "cpu server/generator/other" cell; "?" marks a share /proc did not give.
func (g *genResult) cpuColumn() string {
	pct := func(f float64) string {
		if f < 0 {
			return "?"
		}
		return fmt.Sprintf("%.0f%%", 100*f)
	}
	return pct(g.ServerCPU) + "/" + pct(g.GenCPU) + "/" + pct(g.OtherCPU)
}

// runGen is the hidden `__gen` mode: a closed-loop keep-alive load (each of -c workers owns one
// connection and sends its next request as soon as the previous answer is read), -warmup then
// -d measured. It prints a genResult as JSON on stdout.
func runGen(args []string) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	url := fs.String("url", "", "URL to GET")
	auth := fs.String("auth", "", "Authorization header value")
	method := fs.String("method", http.MethodGet, "request method")
	body := fs.String("body", "", "request body, sent with every request (with -method POST)")
	ctype := fs.String("content-type", "application/json", "Content-Type of -body")
	conns := fs.Int("c", 16, "connections")
	dur := fs.Duration("d", 10*time.Second, "measured duration")
	warmup := fs.Duration("warmup", 2*time.Second, "warm-up duration")
	serverPID := fs.Int("server-pid", 0, "server process to measure CPU of")
	name := fs.String("name", "", "target name")
	client := fs.String("client", "transport", "transport (net/http) or raw (minimal HTTP/1.1 over net.Conn)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// Hard stop whatever happens (a wedged server, a stuck read).
	time.AfterFunc(*warmup+*dur+30*time.Second, func() {
		fmt.Fprintln(os.Stderr, "gen: hard deadline reached")
		os.Exit(3)
	})
	// The generator allocates little per request; let the heap grow rather than collect often.
	debug.SetGCPercent(400)

	op := operation{method: *method, url: *url, auth: *auth, contentType: *ctype}
	if *body != "" {
		op.body = []byte(*body)
	}
	res, err := generate(*name, *client, op, *conns, *warmup, *dur, *serverPID)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

type worker struct {
	body     []byte // request body to send each time, if any
	h        hist
	errs     uint64
	warm     uint64
	firstErr string
	_        [64]byte // keep workers' hot counters off each other's cache lines
}

// operation is the request every worker sends: by default an authenticated GET without a body.
type operation struct {
	method, url, auth string
	body              []byte // sent with every request when set
	contentType       string
}

func generate(name, client string, op operation, conns int, warmup, dur time.Duration, serverPID int) (*genResult, error) {
	url := op.url
	if client != "transport" && client != "raw" {
		return nil, fmt.Errorf("unknown -client %q", client)
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		MaxConnsPerHost:       conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
	defer tr.CloseIdleConnections()

	// One checked request first: the target answers 200 and we learn the body size.
	probe, err := newRequest(op)
	if err != nil {
		return nil, err
	}
	resp, err := tr.RoundTrip(probe)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !success(resp.StatusCode) {
		return nil, fmt.Errorf("probe %s: status %d: %.300s", url, resp.StatusCode, body)
	}

	workers := make([]*worker, conns)
	for i := range workers {
		workers[i] = &worker{}
	}
	start := time.Now()
	from := start.Add(warmup)
	end := from.Add(dur)

	// CPU of the generator, the server and the whole machine over the measured window (-1: not
	// known); read only after cpuWG.Wait.
	var genCPU time.Duration
	srvCPU, sysCPU := time.Duration(-1), time.Duration(-1)
	var cpuWG sync.WaitGroup
	cpuWG.Go(func() {
		time.Sleep(time.Until(from))
		g0 := selfCPU()
		s0, serr := procCPU(serverPID)
		b0, berr := systemBusy()
		time.Sleep(time.Until(end))
		genCPU = selfCPU() - g0
		if s1, err := procCPU(serverPID); err == nil && serr == nil && serverPID > 0 {
			srvCPU = s1 - s0
		}
		if b1, err := systemBusy(); err == nil && berr == nil {
			sysCPU = b1 - b0
		}
	})

	var wg sync.WaitGroup
	for _, w := range workers {
		req, err := newRequest(op)
		if err != nil {
			return nil, err
		}
		w.body = op.body
		wg.Add(1)
		go func() {
			defer wg.Done()
			if client == "raw" {
				w.runRaw(req, from, end)
			} else {
				w.run(tr, req, from, end)
			}
		}()
	}
	wg.Wait()
	cpuWG.Wait()

	var all hist
	res := &genResult{Name: name, Client: client, URL: url, Conns: conns, Window: dur, BodyBytes: int64(len(body)),
		GenMaxProcs: runtime.GOMAXPROCS(0)}
	for _, w := range workers {
		all.merge(&w.h)
		res.Errors += w.errs
		res.WarmupReqs += w.warm
		if res.FirstError == "" {
			res.FirstError = w.firstErr
		}
	}
	res.Requests = all.total
	res.ReqPerSec = float64(all.total) / dur.Seconds()
	res.Mean, res.Max = all.mean(), time.Duration(all.max)
	res.P50, res.P90, res.P99, res.P999 = all.quantile(0.50), all.quantile(0.90), all.quantile(0.99), all.quantile(0.999)
	res.GenCPU = float64(genCPU) / float64(dur)
	res.ServerCPU = -1
	if srvCPU >= 0 {
		res.ServerCPU = float64(srvCPU) / float64(dur)
	}
	res.OtherCPU = -1
	if sysCPU >= 0 && res.ServerCPU >= 0 {
		res.OtherCPU = max(0, float64(sysCPU)/float64(dur)-res.ServerCPU-res.GenCPU)
	}
	return res, nil
}

// newRequest builds an operation's request. One with a body gets a fresh reader from setBody
// before each send.
func newRequest(op operation) (*http.Request, error) {
	req, err := http.NewRequest(op.method, op.url, nil)
	if err != nil {
		return nil, err
	}
	if op.auth != "" {
		req.Header["Authorization"] = []string{op.auth}
	}
	req.Header["User-Agent"] = []string{"rcemu-bench/1"}
	if op.body != nil {
		req.Header["Content-Type"] = []string{op.contentType}
		setBody(req, op.body)
	}
	return req, nil
}

// setBody gives a request a new reader over body: a request's body is consumed by each send.
func setBody(req *http.Request, body []byte) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
}

// count files a successful request that ran from t0 to t1. It is recorded when it both starts at
// or after from and ends no later than end; one starting in the warm-up is only counted as such.
func (w *worker) count(t0, t1, from, end time.Time) {
	switch {
	case t0.Before(from):
		w.warm++
	case !t1.After(end):
		w.h.record(t1.Sub(t0))
	}
}

// fail counts a failed request and pauses, so as not to spin on a refusing server.
func (w *worker) fail(err error) {
	w.errs++
	if w.firstErr == "" {
		w.firstErr = err.Error()
	}
	time.Sleep(time.Millisecond)
}

// run sends requests back to back until end (see count for which are recorded).
// The same *http.Request is reused: it is not touched once its answer is read, and a body (if
// any) is a new reader over the same bytes each time.
func (w *worker) run(tr *http.Transport, req *http.Request, from, end time.Time) {
	for {
		if w.body != nil {
			setBody(req, w.body)
		}
		t0 := time.Now()
		if !t0.Before(end) {
			return
		}
		resp, err := tr.RoundTrip(req)
		ok := false
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ok = err == nil && success(resp.StatusCode)
			if err == nil && !ok {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		t1 := time.Now()
		if !ok {
			w.fail(err)
			continue
		}
		w.count(t0, t1, from, end)
	}
}

// runRaw is run with a minimal HTTP/1.1 client instead of net/http's Transport: the request is
// written as pre-built bytes on a net.Conn the worker owns, and the answer is read with a
// bufio.Reader (status line, headers, a Content-Length body discarded). It costs the generator
// several times less CPU per request, for checking that the Transport is not the bottleneck.
func (w *worker) runRaw(req *http.Request, from, end time.Time) {
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.URL.Host)
	_ = req.Header.Write(&raw)
	if w.body != nil {
		fmt.Fprintf(&raw, "Content-Length: %d\r\n", len(w.body))
	}
	raw.WriteString("\r\n")
	raw.Write(w.body)
	msg := raw.Bytes()

	var conn net.Conn
	var br *bufio.Reader
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	fail := func(err error) {
		if conn != nil {
			conn.Close()
			conn = nil
		}
		w.fail(err)
	}
	for {
		t0 := time.Now()
		if !t0.Before(end) {
			return
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", req.URL.Host, 5*time.Second)
			if err != nil {
				fail(err)
				continue
			}
			conn = c
			if br == nil {
				br = bufio.NewReaderSize(conn, 32<<10)
			} else {
				br.Reset(conn)
			}
			t0 = time.Now()
		}
		_ = conn.SetDeadline(t0.Add(10 * time.Second))
		if _, err := conn.Write(msg); err != nil {
			fail(err)
			continue
		}
		status, err := readRawResponse(br)
		t1 := time.Now()
		if err == nil && !success(status) {
			err = fmt.Errorf("status %d", status)
		}
		if err != nil {
			fail(err)
			continue
		}
		w.count(t0, t1, from, end)
	}
}

var errRawFraming = errors.New("raw client: answer without Content-Length or with Connection: close")

// readRawResponse reads one answer and discards its body. Only Content-Length framing on a
// kept-alive connection is supported, which is what both servers send.
func readRawResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("raw client: bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("raw client: bad status line %q", line)
	}
	length := int64(-1)
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err != nil {
				return 0, errRawFraming
			}
		case bytes.EqualFold(k, []byte("Connection")) && bytes.EqualFold(bytes.TrimSpace(v), []byte("close")):
			return 0, errRawFraming
		}
	}
	if length < 0 {
		return 0, errRawFraming
	}
	if _, err := br.Discard(int(length)); err != nil {
		return 0, err
	}
	return status, nil
}

// success is an answer that counts: 200, or 201 for the operations that create (a post).
func success(status int) bool { return status == 200 || status == 201 }
