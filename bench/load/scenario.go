package main

// Scenarios: `-scenario sms` and `-scenario list` load one rcemu with one messaging operation
// and grade it against the messaging targets of issue 3. Without -scenario (or with
// -scenario default) the run is the usual one: start-up, rcemu against the bare handler, RSS.
//
//   - sms: sustained POST /restapi/v1.0/account/~/extension/~/sms from ext 101 (+16505550101) to
//     +16505550102, a hosted number (so every request stores an outbound and an inbound copy),
//     over -c keep-alive connections (default 16). Target: ≥ 2,000 requests per second.
//   - list: GET -path (default .../message-store?perPage=100, the default filters) against an
//     rcemu serving -db, a database holding the stored messages (make one with
//     `RCEMU_BENCH_DB=FILE go test -run XXX -bench 'MessageStoreList/^default$' -benchtime 1x
//     ./internal/messaging/`, which prints the -clock to use). Default -c 1: the target is a
//     latency, p99 < 5 ms.
//   - post: sustained POST /team-messaging/v1/chats/{chatId}/posts from ext 101 into the seed
//     account's Everyone chat (a mention to resolve, three members to notify), over -c
//     connections (default 16), then the same request against the bare net/http handler for the
//     ratio. Target: ≥ 2,000 posts per second.
//
// Placement is the usual one (server and generator each pinned to a CPU, GOMAXPROCS=1 each);
// -server-procs sets the server's GOMAXPROCS, so `-pin off -server-procs 2` lets rcemu use the
// whole machine beside the generator.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

const (
	smsPath  = "/restapi/v1.0/account/~/extension/~/sms"
	listPath = "/restapi/v1.0/account/~/extension/~/message-store?perPage=100"
	smsBody  = `{"from":{"phoneNumber":"+16505550101"},"to":[{"phoneNumber":"+16505550102"}],"text":"Load test: hello from Ada"}`
	// The default seed's first account is 159048008: its Everyone chat is 15904800801.
	postPath = "/team-messaging/v1/chats/15904800801/posts"
	postBody = `{"text":"Load test: hello from Ada to ![:Person](171858008)"}`

	targetSMSPerSec  = 3000.0               // sustained POST .../sms between hosted numbers
	targetPostPerSec = 2000.0               // sustained POST .../posts into a chat
	targetListP99    = 5 * time.Millisecond // message-store list with 1,000,000 stored messages
)

// scenarioFromArgs finds -scenario NAME (or --scenario, or =NAME) and returns the other
// arguments.
func scenarioFromArgs(args []string) (name string, rest []string, found bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		flagName, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || flagName != "scenario" {
			rest = append(rest, a)
			continue
		}
		found = true
		if !hasValue && i+1 < len(args) {
			i++
			value = args[i]
		}
		name = value
	}
	return name, rest, found
}

type scenarioOptions struct {
	options
	name        string
	db          string
	clock       string
	serverProcs int
}

// scenarioReport is the result of a scenario run (also its -json document).
type scenarioReport struct {
	Scenario    string     `json:"scenario"`
	Time        time.Time  `json:"time"`
	GoVersion   string     `json:"goVersion"`
	NumCPU      int        `json:"numCpu"`
	Bin         string     `json:"bin"`
	DB          string     `json:"db"`
	Pinning     string     `json:"pinning"`
	ServerProcs int        `json:"serverGomaxprocs"`
	Method      string     `json:"method"`
	Path        string     `json:"path"`
	Result      *genResult `json:"result"`
	Bare        *genResult `json:"bare,omitempty"`          // post: the same request against the bare handler
	Stored      int        `json:"storedInbound,omitempty"` // sms: ext 102's inbound texts afterwards
	Checks      checks     `json:"checks"`
	Pass        bool       `json:"pass"`
	Warnings    []string   `json:"warnings,omitempty"`
}

func runScenario(name string, args []string) int {
	o := scenarioOptions{name: name}
	fs := flag.NewFlagSet("load -scenario "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench/load -scenario sms|list|post [flags]\n\n"+
			"sms: sustained POST .../sms between hosted numbers (target ≥ %.0f/s);\n"+
			"list: GET -path on an rcemu serving -db (target p99 < %v).\n\n", targetSMSPerSec, targetListP99)
		fs.PrintDefaults()
	}
	defConns := 16
	if name == "list" {
		defConns = 1
	}
	fs.StringVar(&o.bin, "bin", "", "rcemu binary to measure (default: go build ./cmd/rcemu into a temporary directory)")
	fs.IntVar(&o.conns, "c", defConns, "concurrent keep-alive connections (default 16 for sms, 1 for list)")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "measured duration")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before the measured load")
	fs.StringVar(&o.pin, "pin", "auto", "CPU pinning: auto (taskset when there are ≥2 CPUs) or off")
	fs.IntVar(&o.serverCPU, "server-cpu", 0, "CPU the server is pinned to")
	fs.IntVar(&o.genCPU, "gen-cpu", 1, "CPU the load generator is pinned to")
	fs.IntVar(&o.serverProcs, "server-procs", 1, "GOMAXPROCS of rcemu")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.BoolVar(&o.check, "check", false, "exit with status 1 when a target is missed")
	fs.StringVar(&o.client, "client", "transport", "load generator client: transport or raw")
	fs.StringVar(&o.db, "db", "", "database rcemu serves (list: required, a store of generated messages; sms: default :memory:)")
	fs.StringVar(&o.path, "path", "", "path and query loaded (list; default "+listPath+")")
	fs.StringVar(&o.spec, "spec", "", "--spec for rcemu (e.g. off); default: none passed, rcemu's own default")
	fs.StringVar(&o.clock, "clock", "", "RFC 3339 time the emulator clock is set to before the load (list: the store's generation time)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case name != "sms" && name != "list" && name != "post":
		fmt.Fprintf(os.Stderr, "load: unknown -scenario %q (default, sms, list or post)\n", name)
		return 2
	case o.conns < 1 || o.dur <= 0 || o.warmup < 0 || o.serverProcs < 1:
		fmt.Fprintln(os.Stderr, "load: -c, -d and -server-procs must be positive")
		return 2
	case name == "list" && o.db == "":
		fmt.Fprintln(os.Stderr, "load: -scenario list needs -db FILE, a database with the stored messages (see bench/README.md)")
		return 2
	}
	if o.clock != "" {
		if _, err := time.Parse(time.RFC3339Nano, o.clock); err != nil {
			fmt.Fprintf(os.Stderr, "load: -clock: %v\n", err)
			return 2
		}
	}
	rep, err := measureScenario(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 2
	}
	return finish(o.options, rep, rep.print, rep.Pass)
}

func measureScenario(o scenarioOptions) (*scenarioReport, error) {
	rep := &scenarioReport{Scenario: o.name, Time: time.Now().UTC(), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
		ServerProcs: o.serverProcs, DB: ":memory:"}
	op := operation{method: http.MethodGet}
	rep.Path = listPath
	switch o.name {
	case "sms":
		op = operation{method: http.MethodPost, body: []byte(smsBody), contentType: "application/json"}
		rep.Path = smsPath
	case "post":
		op = operation{method: http.MethodPost, body: []byte(postBody), contentType: "application/json"}
		rep.Path = postPath
	}
	if o.path != "" {
		rep.Path = o.path
	}
	rep.Method = op.method
	if strings.HasPrefix(o.db, "postgres://") || strings.HasPrefix(o.db, "postgresql://") {
		rep.DB = o.db // a database URL, not a file
	} else if o.db != "" {
		abs, err := filepath.Abs(o.db)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil && o.name == "list" {
			return nil, fmt.Errorf("-db: %w", err)
		}
		rep.DB = abs
	}
	self, bin, cleanup, err := binaries(o.bin)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rep.Bin = bin
	pl, warn := choosePlacement(o.options)
	if warn != "" {
		rep.Warnings = append(rep.Warnings, warn)
	}
	rep.Pinning = fmt.Sprintf("none (GOMAXPROCS %d server, 1 generator)", o.serverProcs)
	if pl.taskset != "" {
		rep.Pinning = fmt.Sprintf("server on CPU %d, generator on CPU %d (taskset; GOMAXPROCS %d server, 1 generator)",
			pl.serverCPU, pl.genCPU, o.serverProcs)
	}

	budget := 90*time.Second + o.warmup + o.dur
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()

	// A big database takes a moment to open (migrations, WAL recovery).
	rc, err := startRcemu(ctx, pl, server{bin: bin, db: rep.DB, spec: o.spec, procs: o.serverProcs}, time.Minute)
	if err != nil {
		return nil, err
	}
	defer rc.stop()
	if o.clock != "" {
		if err := setClock(ctx, rc.url, o.clock); err != nil {
			return nil, fmt.Errorf("set the clock: %w", err)
		}
	}
	token, err := login(ctx, rc)
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "load: %s %s: %d connections, %v warm-up + %v …\n", rep.Method, rep.Path, o.conns, o.warmup, o.dur)
	op.url, op.auth = rc.url+rep.Path, "Bearer "+token
	if rep.Result, err = runGenerator(ctx, pl, self, o.options, "rcemu "+o.name, op, rc.pid()); err != nil {
		return nil, err
	}
	if o.name == "post" {
		bare, err := startBare(ctx, pl, self, false, budget)
		if err != nil {
			return nil, err
		}
		defer bare.stop()
		bop := op
		bop.url, bop.auth = bare.url+rep.Path, ""
		if rep.Bare, err = runGenerator(ctx, pl, self, o.options, "bare", bop, bare.pid()); err != nil {
			return nil, err
		}
	}
	if o.name == "sms" {
		// Every 200 stored a copy in the recipient's store: count them through the API.
		if rep.Stored, err = inboundCount(ctx, rc, token); err != nil {
			rep.Warnings = append(rep.Warnings, "counting the stored texts: "+err.Error())
		}
	}
	rep.evaluate()
	return rep, nil
}

// setClock sets the emulator's clock through the control plane.
func setClock(ctx context.Context, base, at string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/_rcemu/clock", strings.NewReader(`{"set":"`+at+`"}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return fetch(req, 10*time.Second, nil)
}

// inboundCount is the number of inbound SMS in ext 102's store (paging.totalElements), read as
// ext 101, the account's administrator.
func inboundCount(ctx context.Context, rc *child, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		rc.url+"/restapi/v1.0/account/~/extension/171858008/message-store?direction=Inbound&messageType=SMS&perPage=1", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var page struct {
		Paging struct {
			TotalElements int `json:"totalElements"`
		} `json:"paging"`
	}
	if err := fetch(req, 30*time.Second, &page); err != nil {
		return 0, err
	}
	return page.Paging.TotalElements, nil
}

func (r *scenarioReport) evaluate() {
	g := r.Result
	add := r.Checks.add
	switch r.Scenario {
	case "sms":
		add("POST .../sms req/s", fmt.Sprintf("%.0f", g.ReqPerSec), fmt.Sprintf("≥ %.0f", targetSMSPerSec), g.ReqPerSec >= targetSMSPerSec)
		// Each 200 delivered one copy to ext 102 (warm-up and probe included, so at least as many).
		add("recipient's store holds every text", fmt.Sprintf("%d stored, %d measured", r.Stored, g.Requests), "stored ≥ measured",
			r.Stored >= int(g.Requests))
	case "list":
		add("GET message-store p99", ms(g.P99), "< "+ms(targetListP99), g.P99 < targetListP99)
	case "post":
		add("POST .../posts req/s", fmt.Sprintf("%.0f", g.ReqPerSec), fmt.Sprintf("≥ %.0f", targetPostPerSec), g.ReqPerSec >= targetPostPerSec)
	}
	add("every answer 200", fmt.Sprintf("%d errors", g.Errors), "0 errors", g.Errors == 0 && g.Requests > 0)
	if g.generatorBound() {
		r.Warnings = append(r.Warnings, fmt.Sprintf("the generator used %.0f%% of its core and the server only %.0f%%: "+
			"the generator may be the bottleneck", 100*g.GenCPU, 100*g.ServerCPU))
	}
	if g.disturbed() {
		r.Warnings = append(r.Warnings, fmt.Sprintf("other processes used %.0f%% of a core during the measurement: "+
			"the figures are disturbed, run again on a quiet machine", 100*g.OtherCPU))
	}
	r.Pass = r.Checks.pass()
}

func (r *scenarioReport) print(w io.Writer) {
	g := r.Result
	fmt.Fprintf(w, "rcemu bench, scenario %s — %s, %d CPUs, %s\n", r.Scenario, r.GoVersion, r.NumCPU, r.Bin)
	fmt.Fprintf(w, "database: %s\npinning: %s\n", r.DB, r.Pinning)
	fmt.Fprintf(w, "load: %s %s (Bearer), %d keep-alive connections, closed loop, %v measured, loopback, %s client, %d-byte answer\n\n",
		r.Method, r.Path, g.Conns, g.Window, g.Client, g.BodyBytes)
	fmt.Fprintf(w, "%-12s %10s %10s %9s %9s %9s %9s %7s  %s\n", "target", "requests", "req/s", "p50", "p90", "p99", "max", "errors", "cpu server/generator/other")
	fmt.Fprintf(w, "%-12s %10d %10.0f %9s %9s %9s %9s %7d  %s\n", "rcemu "+r.Scenario, g.Requests, g.ReqPerSec,
		fmt.Sprintf("%.3fms", float64(g.P50)/1e6), fmt.Sprintf("%.3fms", float64(g.P90)/1e6), fmt.Sprintf("%.3fms", float64(g.P99)/1e6),
		fmt.Sprintf("%.2fms", float64(g.Max)/1e6), g.Errors, g.cpuColumn())
	if b := r.Bare; b != nil {
		fmt.Fprintf(w, "%-12s %10d %10.0f %9s %9s %9s %9s %7d  %s\n", "bare", b.Requests, b.ReqPerSec,
			fmt.Sprintf("%.3fms", float64(b.P50)/1e6), fmt.Sprintf("%.3fms", float64(b.P90)/1e6), fmt.Sprintf("%.3fms", float64(b.P99)/1e6),
			fmt.Sprintf("%.2fms", float64(b.Max)/1e6), b.Errors, b.cpuColumn())
		if b.ReqPerSec > 0 && b.P99 > 0 {
			fmt.Fprintf(w, "rcemu/bare: req/s %.2f, p99 %.1f×\n", g.ReqPerSec/b.ReqPerSec, float64(g.P99)/float64(b.P99))
		}
	}
	if g.ServerCPU > 0 && g.Requests > 0 {
		// Robust to a shared machine: what one request costs the server, and the rate one busy
		// core would sustain at that cost.
		per := time.Duration(g.ServerCPU * float64(g.Window) / float64(g.Requests))
		fmt.Fprintf(w, "server CPU per request: %.0f µs (≈ %.0f req/s per fully used core)\n", float64(per)/1e3, float64(time.Second)/float64(per))
	}
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "%s = %s (target %s) %s\n", c.Name, c.Value, c.Target, passFail(c.Pass))
	}
	if g.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", g.FirstError)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintln(w, "warning:", wn)
	}
	fmt.Fprintf(w, "overall: %s\n", passFail(r.Pass))
}
