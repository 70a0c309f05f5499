// Command load is rcemu's performance harness (`make bench`). In one run it:
//
//  1. builds rcemu (or takes -bin);
//  2. measures exec-to-first-answer: starts a fresh `rcemu serve --db :memory:` -startups times
//     and polls GET /restapi (no token needed) about every millisecond until the first 200;
//  3. starts rcemu and a bare net/http JSON handler (this same program re-executed in its hidden
//     `__bare` mode, so both servers are separate processes with the same runtime settings);
//  4. loads each in turn with a closed-loop keep-alive generator (this program re-executed in its
//     hidden `__gen` mode): -c connections, -warmup then -d measured; rcemu is asked for an
//     authenticated GET /restapi/v1.0/account/~/extension/~, the bare handler for a JSON body
//     of the same shape and size; every answer must be a 200;
//  5. reads rcemu's idle RSS (VmRSS) after start-up and again after the load;
//  6. prints a table (requests, req/s, p50, p99, max, errors) and the targets with PASS/FAIL.
//
// With -spec FILE rcemu serves the OpenAPI spec's operations too, and the targets are the spec
// layer's: exec to first answer < 500 ms with a warm compiled-spec cache and < 3 s cold (the first
// start-up run gets an empty cache), RSS < 150 MB, and -path (a spec-served GET) at ≥ 30% of the
// bare handler's req/s.
//
// CPU placement: on a machine with at least two CPUs and `taskset`, both servers run under
// `taskset -c <server-cpu>` (default 0) and the generator under `taskset -c <gen-cpu>`
// (default 1), all three with GOMAXPROCS=1, so the server side has exactly one core and the
// generator another. Without taskset (or with -pin=off) nothing is pinned, GOMAXPROCS=1 still
// applies. The orchestrating process itself only waits while the load runs.
//
// Everything is bounded: each child has a hard deadline, children get SIGKILL if this process
// dies (Linux), and the whole run has a watchdog. Loopback only.
//
// Standard library only; Linux for /proc (RSS, CPU).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	bareMode = "__bare"
	genMode  = "__gen"

	extPath = "/restapi/v1.0/account/~/extension/~"

	// Targets, from the issue.
	targetRatio   = 0.50                   // rcemu req/s ≥ 50% of the bare handler's
	targetP99     = 3.0                    // rcemu p99 ≤ 3× the bare handler's
	targetStartup = 100 * time.Millisecond // exec to first answer
	targetRSSKB   = 40 * 1024              // idle RSS, kB (40 MiB)

	// Targets with the spec loaded (-spec), from the spec layer's issue.
	specTargetRatio   = 0.30
	specTargetStartup = 500 * time.Millisecond // warm compiled-spec cache
	specTargetCold    = 3 * time.Second        // empty cache: parse and compile
	specTargetRSSKB   = 150 * 1024
)

// targets are the figures a run is graded against.
type targets struct {
	Ratio   float64       `json:"reqPerSecRatio"`
	P99     float64       `json:"p99Ratio"`
	Startup time.Duration `json:"startupNs"`
	Cold    time.Duration `json:"coldStartupNs,omitempty"`
	RSSKB   int64         `json:"rssKb"`
}

func targetsFor(spec bool) targets {
	if spec {
		return targets{Ratio: specTargetRatio, P99: targetP99, Startup: specTargetStartup, Cold: specTargetCold, RSSKB: specTargetRSSKB}
	}
	return targets{Ratio: targetRatio, P99: targetP99, Startup: targetStartup, RSSKB: targetRSSKB}
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case bareMode:
			os.Exit(runBare(os.Args[2:]))
		case genMode:
			os.Exit(runGen(os.Args[2:]))
		}
	}
	os.Exit(run(os.Args[1:]))
}

type options struct {
	db         string
	bin        string
	conns      int
	dur        time.Duration
	warmup     time.Duration
	startups   int
	settle     time.Duration
	pin        string
	serverCPU  int
	genCPU     int
	jsonOut    string
	check      bool
	bareStatic bool
	rounds     int
	client     string
	spec       string // --spec for rcemu; "off" for none
	path       string // what rcemu is loaded with
	create     string // a collection to create a record in first (its id fills {id} in path)
	createBody string
}

func run(args []string) int {
	// -scenario sms|list runs one messaging load instead (scenario.go); default is this run.
	if name, rest, ok := scenarioFromArgs(args); ok {
		if name != "default" {
			return runScenario(name, rest)
		}
		args = rest
	}
	var o options
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench/load [flags]\n\n"+
			"Loads rcemu and a bare net/http JSON handler on loopback and checks rcemu's performance targets.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.db, "db", ":memory:", "database rcemu serves (--db): e.g. a postgres:// URL to measure on PostgreSQL")
	fs.StringVar(&o.bin, "bin", "", "rcemu binary to measure (default: go build ./cmd/rcemu into a temporary directory)")
	fs.IntVar(&o.conns, "c", 16, "concurrent keep-alive connections")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "measured duration of each load")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measured load")
	fs.IntVar(&o.startups, "startups", 5, "fresh processes for the exec-to-first-answer measurement")
	fs.DurationVar(&o.settle, "settle", time.Second, "idle time before each RSS reading")
	fs.StringVar(&o.pin, "pin", "auto", "CPU pinning: auto (taskset when there are ≥2 CPUs) or off")
	fs.IntVar(&o.serverCPU, "server-cpu", 0, "CPU the servers are pinned to")
	fs.IntVar(&o.genCPU, "gen-cpu", 1, "CPU the load generator is pinned to")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.BoolVar(&o.check, "check", false, "exit with status 1 when a target is missed")
	fs.StringVar(&o.client, "client", "transport", "load generator client: transport (one net/http Transport) or raw (minimal HTTP/1.1, cheaper)")
	fs.IntVar(&o.rounds, "rounds", 1, "load rounds (bare then rcemu each); the targets use the median round")
	fs.BoolVar(&o.bareStatic, "bare-static", false, "bare handler writes pre-encoded bytes instead of encoding per request")
	fs.StringVar(&o.spec, "spec", "off", "OpenAPI spec rcemu loads (--spec), \"off\" for none; with a spec the spec layer's targets apply")
	fs.StringVar(&o.path, "path", extPath, "authenticated GET path rcemu is loaded with (e.g. a spec-served one with -spec)")
	fs.StringVar(&o.create, "create", "", "before the load, POST -create-body to this path; {id} in -path becomes the new record's id")
	fs.StringVar(&o.createBody, "create-body", "{}", "JSON body of the -create POST")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.conns < 1 || o.dur <= 0 || o.warmup < 0 || o.startups < 1 || o.rounds < 1 {
		fmt.Fprintln(os.Stderr, "load: -c, -d, -rounds and -startups must be positive")
		return 2
	}
	rep, err := measure(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 2
	}
	return finish(o, rep, rep.print, rep.Pass)
}

// finish prints a report, writes it with -json and gives the exit status: 1 for a missed target
// with -check, 2 when the JSON cannot be written.
func finish(o options, rep any, print func(io.Writer), pass bool) int {
	print(os.Stdout)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 2
		}
	}
	if o.check && !pass {
		return 1
	}
	return 0
}

// report is the whole result (also the -json document).
type report struct {
	Time      time.Time   `json:"time"`
	GoVersion string      `json:"goVersion"`
	NumCPU    int         `json:"numCpu"`
	Bin       string      `json:"bin"`
	Pinning   string      `json:"pinning"`
	BareMode  string      `json:"bareMode"`
	Startup   startup     `json:"startup"`
	Rounds    []round     `json:"rounds"`
	ReqRatio  float64     `json:"reqPerSecRatio"` // rcemu/bare, median over rounds
	P99Ratio  float64     `json:"p99Ratio"`       // rcemu/bare, median over rounds
	RSS       rss         `json:"rss"`
	Checks    checks      `json:"checks"`
	Pass      bool        `json:"pass"`
	Warnings  []string    `json:"warnings,omitempty"`
	Options   optionsJSON `json:"options"`
	Spec      string      `json:"spec"`
	Path      string      `json:"path"`
	Targets   targets     `json:"targets"`
}

type round struct {
	Bare  *genResult `json:"bare"`
	Rcemu *genResult `json:"rcemu"`
}

type optionsJSON struct {
	Conns    int           `json:"conns"`
	Duration time.Duration `json:"durationNs"`
	Warmup   time.Duration `json:"warmupNs"`
	Rounds   int           `json:"rounds"`
}

type startup struct {
	Cold       time.Duration   `json:"coldNs,omitempty"` // with a spec: the run with an empty cache
	Runs       []time.Duration `json:"runsNs"`
	Min        time.Duration   `json:"minNs"`
	Median     time.Duration   `json:"medianNs"`
	Max        time.Duration   `json:"maxNs"`
	RSSFirstKB []int64         `json:"rssAtFirstAnswerKb"`
}

type rss struct {
	StartupKB   int64 `json:"idleAfterStartupKb"`
	AfterLoadKB int64 `json:"idleAfterLoadKb"`
	PeakKB      int64 `json:"peakKb"`
	BareKB      int64 `json:"bareIdleAfterLoadKb"`
}

type check struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Target string `json:"target"`
	Pass   bool   `json:"pass"`
}

type checks []check

func (cs *checks) add(name, value, target string, pass bool) {
	*cs = append(*cs, check{Name: name, Value: value, Target: target, Pass: pass})
}

func (cs checks) pass() bool {
	for _, c := range cs {
		if !c.Pass {
			return false
		}
	}
	return true
}

// placement says how to start servers and the generator.
type placement struct {
	taskset   string // empty: no pinning
	serverCPU int
	genCPU    int
}

func (p placement) String() string {
	if p.taskset == "" {
		return "none (GOMAXPROCS=1 for servers and generator)"
	}
	return fmt.Sprintf("servers on CPU %d, generator on CPU %d (taskset; GOMAXPROCS=1 each)", p.serverCPU, p.genCPU)
}

func choosePlacement(o options) (placement, string) {
	p := placement{serverCPU: o.serverCPU, genCPU: o.genCPU}
	if o.pin == "off" {
		return p, ""
	}
	ts, err := exec.LookPath("taskset")
	if err != nil {
		return p, "taskset not found: nothing is pinned"
	}
	if runtime.NumCPU() < 2 || o.serverCPU == o.genCPU {
		return p, "fewer than two CPUs: nothing is pinned"
	}
	for _, cpu := range []int{o.serverCPU, o.genCPU} {
		if err := exec.Command(ts, "-c", strconv.Itoa(cpu), "true").Run(); err != nil {
			return p, fmt.Sprintf("cannot pin to CPU %d (%v): nothing is pinned", cpu, err)
		}
	}
	p.taskset = ts
	return p, ""
}

// command makes a child command on the given CPU with GOMAXPROCS=1.
func (p placement) command(ctx context.Context, cpu int, name string, args ...string) *exec.Cmd {
	if p.taskset != "" {
		args = append([]string{"-c", strconv.Itoa(cpu), name}, args...)
		name = p.taskset
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	cmd.WaitDelay = 2 * time.Second
	dieWithParent(cmd)
	return cmd
}

func measure(o options) (*report, error) {
	rep := &report{Time: time.Now().UTC(), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
		Options: optionsJSON{Conns: o.conns, Duration: o.dur, Warmup: o.warmup, Rounds: o.rounds}, BareMode: "encode per request",
		Spec: o.spec, Path: o.path, Targets: targetsFor(o.spec != "off")}
	if o.spec != "off" {
		abs, err := filepath.Abs(o.spec)
		if err != nil {
			return nil, err
		}
		o.spec, rep.Spec = abs, abs
	}
	cacheDir, err := os.MkdirTemp("", "rcemu-bench-cache-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(cacheDir)
	if o.bareStatic {
		rep.BareMode = "pre-encoded bytes"
	}
	self, bin, cleanup, err := binaries(o.bin)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rep.Bin = bin
	srv := server{bin: bin, db: o.db, spec: o.spec, cache: filepath.Join(cacheDir, "warm")}

	pl, warn := choosePlacement(o)
	if warn != "" {
		rep.Warnings = append(rep.Warnings, warn)
	}
	rep.Pinning = pl.String()

	// Watchdog over everything that follows.
	budget := 60*time.Second + time.Duration(o.startups)*6*time.Second + time.Duration(2*o.rounds)*(o.warmup+o.dur+20*time.Second) + 4*o.settle
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	stopWatch := context.AfterFunc(ctx, func() {
		if ctx.Err() == context.DeadlineExceeded {
			fmt.Fprintf(os.Stderr, "load: watchdog: the run took longer than %v\n", budget)
		}
	})
	defer stopWatch()

	fmt.Fprintf(os.Stderr, "load: exec to first answer × %d …\n", o.startups)
	if rep.Startup, err = measureStartup(ctx, pl, srv, o.startups); err != nil {
		return nil, err
	}

	rc, err := startRcemu(ctx, pl, srv, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer rc.stop()
	bare, err := startBare(ctx, pl, self, o.bareStatic, budget)
	if err != nil {
		return nil, err
	}
	defer bare.stop()

	sleepCtx(ctx, o.settle)
	rep.RSS.StartupKB, _, _ = procMem(rc.pid())

	token, err := login(ctx, rc)
	if err != nil {
		return nil, err
	}

	path := o.path
	if o.create != "" {
		id, err := create(ctx, rc, token, o.create, o.createBody)
		if err != nil {
			return nil, err
		}
		path = strings.ReplaceAll(path, "{id}", id)
	}
	gen := func(name string, op operation, pid int) (*genResult, error) {
		fmt.Fprintf(os.Stderr, "load: %s: %d connections, %v warm-up + %v …\n", name, o.conns, o.warmup, o.dur)
		return runGenerator(ctx, pl, self, o, name, op, pid)
	}
	for range o.rounds {
		var rd round
		if rd.Bare, err = gen("bare net/http", operation{method: http.MethodGet, url: bare.url + "/ext"}, bare.pid()); err != nil {
			return nil, err
		}
		rcOp := operation{method: http.MethodGet, url: rc.url + path, auth: "Bearer " + token}
		if rd.Rcemu, err = gen("rcemu", rcOp, rc.pid()); err != nil {
			return nil, err
		}
		rep.Rounds = append(rep.Rounds, rd)
	}

	sleepCtx(ctx, 2*o.settle)
	rep.RSS.AfterLoadKB, rep.RSS.PeakKB, _ = procMem(rc.pid())
	rep.RSS.BareKB, _, _ = procMem(bare.pid())
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rep.evaluate()
	return rep, nil
}

// binaries returns this program (re-executed as the generator and the bare server) and the
// absolute path of the rcemu to measure, built into a temporary directory when bin is empty;
// cleanup removes that directory.
func binaries(bin string) (self, rcemu string, cleanup func(), err error) {
	cleanup = func() {}
	if self, err = os.Executable(); err != nil {
		return "", "", cleanup, err
	}
	if bin != "" {
		rcemu, err = filepath.Abs(bin)
		return self, rcemu, cleanup, err
	}
	dir, err := os.MkdirTemp("", "rcemu-bench-")
	if err != nil {
		return "", "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	rcemu = filepath.Join(dir, "rcemu")
	fmt.Fprintln(os.Stderr, "load: building rcemu …")
	if err := build(rcemu); err != nil {
		cleanup()
		return "", "", func() {}, err
	}
	return self, rcemu, cleanup, nil
}

// runGenerator loads one target with this program re-executed in its `__gen` mode on the
// generator's CPU, and decodes the result it prints.
func runGenerator(ctx context.Context, pl placement, self string, o options, name string, op operation, serverPID int) (*genResult, error) {
	args := []string{genMode, "-name", name, "-url", op.url, "-auth", op.auth, "-method", op.method,
		"-c", strconv.Itoa(o.conns), "-d", o.dur.String(), "-warmup", o.warmup.String(),
		"-server-pid", strconv.Itoa(serverPID), "-client", o.client}
	if op.body != nil {
		args = append(args, "-body", string(op.body), "-content-type", op.contentType)
	}
	cmd := pl.command(ctx, pl.genCPU, self, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("generator for %s: %w", name, err)
	}
	var r genResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("generator for %s: %w: %q", name, err, out.String())
	}
	return &r, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func build(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", out, "github.com/rcemu/rcemu/cmd/rcemu")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/rcemu (run from the rcemu module, or pass -bin): %w", err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// child is a started server process.
type child struct {
	name   string
	cmd    *exec.Cmd
	done   chan struct{}
	stderr *tailBuffer
	stdin  io.Closer
	url    string
	lines  map[string]string // KEY=value lines it printed (rcemu)
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) start() error {
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.name, err)
	}
	c.done = make(chan struct{})
	go func() {
		_ = c.cmd.Wait() // failure reports the stderr tail, which says more than the exit status
		close(c.done)
	}()
	return nil
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end (SIGTERM, or closing stdin for the bare server) and kills it if
// it has not within five seconds.
func (c *child) stop() {
	if c.done == nil || c.exited() {
		return
	}
	if c.stdin != nil {
		c.stdin.Close()
	}
	_ = terminate(c.cmd.Process)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

func (c *child) failure(err error) error {
	return fmt.Errorf("%s: %w; stderr: %s", c.name, err, strings.TrimSpace(c.stderr.String()))
}

// tailBuffer keeps the last 4 kB written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = slices.Clone(t.b[len(t.b)-4096:])
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// server says how rcemu is started: its binary, --db, --spec and --spec-cache (each of the last
// two left out when empty), and its GOMAXPROCS when above the usual 1.
type server struct {
	bin, db, spec, cache string
	procs                int
}

func rcemuCmd(ctx context.Context, pl placement, srv server, addr string) *child {
	args := []string{"serve", "--addr", addr, "--db", srv.db, "--log-level", "warn"}
	if srv.spec != "" {
		args = append(args, "--spec", srv.spec)
	}
	if srv.cache != "" {
		args = append(args, "--spec-cache", srv.cache)
	}
	cmd := pl.command(ctx, pl.serverCPU, srv.bin, args...)
	if srv.procs > 1 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(srv.procs)) // the last value of a key wins
	}
	c := &child{name: "rcemu", cmd: cmd, stderr: &tailBuffer{}}
	cmd.Stderr = c.stderr
	return c
}

// measureStartup times exec → first 200 from GET /restapi on fresh processes. With a spec, one
// more run comes first with an empty compiled-spec cache (cold); it also fills the cache the
// measured runs use.
func measureStartup(ctx context.Context, pl placement, srv server, n int) (startup, error) {
	var s startup
	poll := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	runs := n
	if srv.spec != "off" {
		runs++
	}
	for i := range runs {
		addr, err := freeAddr()
		if err != nil {
			return s, err
		}
		cold := srv.spec != "off" && i == 0 // the cache directory is empty until this run fills it
		c := rcemuCmd(ctx, pl, srv, addr)
		target := "http://" + addr + "/restapi"
		t0 := time.Now()
		if err := c.start(); err != nil {
			return s, err
		}
		var took time.Duration
		for {
			res, err := poll.Get(target)
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 200 {
					took = time.Since(t0)
					break
				}
			}
			if c.exited() {
				return s, c.failure(errors.New("exited before answering"))
			}
			if time.Since(t0) > 5*time.Second || ctx.Err() != nil {
				c.stop()
				return s, c.failure(errors.New("no answer from GET /restapi within 5 s"))
			}
			time.Sleep(time.Millisecond)
		}
		kb, _, _ := procMem(c.pid())
		c.stop()
		if cold {
			s.Cold = took
			continue
		}
		s.Runs = append(s.Runs, took)
		s.RSSFirstKB = append(s.RSSFirstKB, kb)
	}
	sorted := slices.Sorted(slices.Values(s.Runs))
	s.Min, s.Max, s.Median = sorted[0], sorted[len(sorted)-1], sorted[len(sorted)/2]
	return s, nil
}

// startRcemu starts the rcemu that is loaded and reads its credentials from stdout, waiting up
// to limit for them.
func startRcemu(ctx context.Context, pl placement, srv server, limit time.Duration) (*child, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c := rcemuCmd(ctx, pl, srv, addr)
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c.awaitCredentials(out, addr, limit)
}

// awaitCredentials reads rcemu's .env lines from its stdout until the credentials are there,
// then keeps draining it; the child's url comes from RC_SERVER_URL.
func (c *child) awaitCredentials(out io.Reader, addr string, limit time.Duration) (*child, error) {
	c.lines = map[string]string{}
	got := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
				if _, seen := c.lines[k]; !seen && !sent {
					c.lines[k] = v
				}
			}
			if !sent && c.lines["RC_USER_JWT"] != "" && c.lines["RC_APP_CLIENT_SECRET"] != "" {
				sent = true
				got <- nil
			}
		}
		if !sent {
			got <- errors.New("stdout ended without RC_USER_JWT")
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case err := <-got:
		if err != nil {
			c.stop()
			return nil, c.failure(err)
		}
	case <-time.After(limit):
		c.stop()
		return nil, c.failure(fmt.Errorf("no credentials on stdout within %v", limit))
	}
	c.url = "http://" + addr
	if u := c.lines["RC_SERVER_URL"]; u != "" {
		c.url = strings.TrimSuffix(u, "/")
	}
	return c, nil
}

func startBare(ctx context.Context, pl placement, self string, static bool, life time.Duration) (*child, error) {
	args := []string{bareMode, "-life", (life + time.Minute).String()}
	if static {
		args = append(args, "-static")
	}
	cmd := pl.command(ctx, pl.serverCPU, self, args...)
	c := &child{name: "bare handler", cmd: cmd, stderr: &tailBuffer{}}
	cmd.Stderr = c.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	c.stdin = in
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
				got <- u
				break
			}
		}
		close(got)
		io.Copy(io.Discard, out)
	}()
	select {
	case u, ok := <-got:
		if !ok {
			c.stop()
			return nil, c.failure(errors.New("exited before listening"))
		}
		c.url = u
	case <-time.After(10 * time.Second):
		c.stop()
		return nil, c.failure(errors.New("not listening within 10 s"))
	}
	return c, nil
}

// login gets an access token with the JWT grant, as an SDK does.
func login(ctx context.Context, rc *child) (string, error) {
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {rc.lines["RC_USER_JWT"]}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rc.url+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(rc.lines["RC_APP_CLIENT_ID"], rc.lines["RC_APP_CLIENT_SECRET"])
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := fetch(req, 10*time.Second, &tok); err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	if tok.AccessToken == "" {
		return "", errors.New("login: no access_token in the answer")
	}
	return tok.AccessToken, nil
}

// create POSTs body to path and returns the new record's id (a string or a number).
func create(ctx context.Context, rc *child, token, path, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rc.url+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var rec struct {
		ID json.RawMessage `json:"id"`
	}
	if res.StatusCode/100 != 2 || json.Unmarshal(b, &rec) != nil || len(rec.ID) == 0 {
		return "", fmt.Errorf("create %s: status %d: %.300s", path, res.StatusCode, b)
	}
	return strings.Trim(string(rec.ID), `"`), nil
}

// fetch sends req and wants a 200, whose JSON body it decodes into out unless out is nil.
func fetch(req *http.Request, timeout time.Duration, out any) error {
	res, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || (out != nil && json.Unmarshal(b, out) != nil) {
		return fmt.Errorf("status %d: %.300s", res.StatusCode, b)
	}
	return nil
}

func (r *report) evaluate() {
	add := r.Checks.add
	var ratios, p99s []float64
	for _, rd := range r.Rounds {
		ratios = append(ratios, rd.Rcemu.ReqPerSec/rd.Bare.ReqPerSec)
		p99s = append(p99s, float64(rd.Rcemu.P99)/float64(rd.Bare.P99))
	}
	ratio, p99 := median(ratios), median(p99s)
	r.ReqRatio, r.P99Ratio = ratio, p99
	t := r.Targets
	add("rcemu/bare req/s", fmt.Sprintf("%.1f%%", 100*ratio), fmt.Sprintf("≥ %.0f%%", 100*t.Ratio), ratio >= t.Ratio)
	add("rcemu p99 / bare p99", fmt.Sprintf("%.2f×", p99), fmt.Sprintf("≤ %.0f×", t.P99), p99 <= t.P99)
	add("exec to first answer (median)", ms(r.Startup.Median), "< "+ms0(t.Startup), r.Startup.Median < t.Startup)
	add("idle RSS after start-up", mb(r.RSS.StartupKB), "< "+mb0(t.RSSKB), r.RSS.StartupKB > 0 && r.RSS.StartupKB < t.RSSKB)
	add("idle RSS after load", mb(r.RSS.AfterLoadKB), "< "+mb0(t.RSSKB), r.RSS.AfterLoadKB > 0 && r.RSS.AfterLoadKB < t.RSSKB)
	if t.Cold > 0 {
		add("exec to first answer, empty spec cache", ms(r.Startup.Cold), "< "+ms0(t.Cold), r.Startup.Cold > 0 && r.Startup.Cold < t.Cold)
		add("peak RSS", mb(r.RSS.PeakKB), "< "+mb0(t.RSSKB), r.RSS.PeakKB > 0 && r.RSS.PeakKB < t.RSSKB)
	}
	for i, name := range []string{"bare net/http", "rcemu"} {
		var errs, reqs uint64
		for _, rd := range r.Rounds {
			g := [2]*genResult{rd.Bare, rd.Rcemu}[i]
			errs += g.Errors
			reqs += g.Requests
			if g.generatorBound() {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: the generator used %.0f%% of its core and the server only %.0f%%: "+
					"the generator may be the bottleneck, req/s is a lower bound", g.Name, 100*g.GenCPU, 100*g.ServerCPU))
			}
			if g.disturbed() {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: other processes used %.0f%% of a core during the measurement: "+
					"the figures are disturbed, run again on a quiet machine", g.Name, 100*g.OtherCPU))
			}
		}
		add(name+": every answer 200", fmt.Sprintf("%d errors", errs), "0 errors", errs == 0 && reqs > 0)
	}
	r.Pass = r.Checks.pass()
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string  { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
func mb(kb int64) string         { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }
func ms0(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }
func mb0(kb int64) string        { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "rcemu bench — %s, %d CPUs, %s\n", r.GoVersion, r.NumCPU, r.Bin)
	fmt.Fprintf(w, "pinning: %s\n", r.Pinning)
	fmt.Fprintf(w, "load: %d keep-alive connections, closed loop, %v warm-up + %v measured, loopback, %s client\n",
		r.Options.Conns, r.Options.Warmup, r.Options.Duration, r.Rounds[0].Bare.Client)
	fmt.Fprintf(w, "bare handler: %s, %d-byte body; rcemu: GET %s (Bearer), %d-byte body\n",
		r.BareMode, r.Rounds[0].Bare.BodyBytes, r.Path, r.Rounds[0].Rcemu.BodyBytes)
	if r.Spec != "off" {
		fmt.Fprintf(w, "spec: %s (the spec layer's targets apply)\n", r.Spec)
	}
	fmt.Fprintln(w)

	tw := func(cols ...string) {
		fmt.Fprintf(w, "%-15s %10s %10s %9s %9s %9s %7s  %s\n", cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7])
	}
	tw("target", "requests", "req/s", "p50", "p99", "max", "errors", "cpu server/generator/other")
	for i, rd := range r.Rounds {
		if len(r.Rounds) > 1 {
			fmt.Fprintf(w, "round %d\n", i+1)
		}
		for _, g := range []*genResult{rd.Bare, rd.Rcemu} {
			tw(g.Name, strconv.FormatUint(g.Requests, 10), fmt.Sprintf("%.0f", g.ReqPerSec),
				fmt.Sprintf("%.3fms", float64(g.P50)/1e6), fmt.Sprintf("%.3fms", float64(g.P99)/1e6),
				fmt.Sprintf("%.2fms", float64(g.Max)/1e6), strconv.FormatUint(g.Errors, 10), g.cpuColumn())
		}
	}
	fmt.Fprintln(w)

	c := r.Checks
	of := ""
	if len(r.Rounds) > 1 {
		of = fmt.Sprintf(", median of %d rounds", len(r.Rounds))
	}
	fmt.Fprintf(w, "rcemu/bare req/s = %s (target %s%s) %s\n", c[0].Value, c[0].Target, of, passFail(c[0].Pass))
	fmt.Fprintf(w, "rcemu p99 / bare p99 = %s (target %s%s) %s\n", c[1].Value, c[1].Target, of, passFail(c[1].Pass))
	runs := make([]string, len(r.Startup.Runs))
	for i, d := range r.Startup.Runs {
		runs[i] = fmt.Sprintf("%.1f", float64(d)/1e6)
	}
	fmt.Fprintf(w, "exec to first answer: min %s, median %s, max %s over %d runs [%s ms] (target %s, median) %s\n",
		ms(r.Startup.Min), ms(r.Startup.Median), ms(r.Startup.Max), len(r.Startup.Runs), strings.Join(runs, " "),
		c[2].Target, passFail(c[2].Pass))
	fmt.Fprintf(w, "idle RSS after start-up = %s (target %s) %s\n", c[3].Value, c[3].Target, passFail(c[3].Pass))
	fmt.Fprintf(w, "idle RSS after load = %s, peak %s (target %s) %s\n", c[4].Value, mb(r.RSS.PeakKB), c[4].Target, passFail(c[4].Pass))
	for _, ck := range c[5:] {
		fmt.Fprintf(w, "%s: %s (target %s) %s\n", ck.Name, ck.Value, ck.Target, passFail(ck.Pass))
	}
	for _, rd := range r.Rounds {
		for _, g := range []*genResult{rd.Bare, rd.Rcemu} {
			if g.FirstError != "" {
				fmt.Fprintf(w, "%s: first error: %s\n", g.Name, g.FirstError)
			}
		}
	}
	last := r.Rounds[len(r.Rounds)-1]
	fmt.Fprintf(w, "(bare handler idle RSS after load: %s; p90/p99.9: bare %s/%s, rcemu %s/%s)\n", mb(r.RSS.BareKB),
		ms(last.Bare.P90), ms(last.Bare.P999), ms(last.Rcemu.P90), ms(last.Rcemu.P999))
	for _, wn := range r.Warnings {
		fmt.Fprintln(w, "warning:", wn)
	}
	fmt.Fprintf(w, "overall: %s\n", passFail(r.Pass))
}
