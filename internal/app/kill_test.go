package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/store/pgtest"
)

// A SIGKILL gives rcemu no chance to flush, roll back or close anything, so whatever it answered
// 200 for must already be committed when the answer leaves. These tests kill a real rcemu
// process while writers keep it busy and then read every acknowledged text back through
// another instance of the same database.

const (
	killWriters = 8   // enough for group commit to batch writes, so a batch is cut by the kill
	killTarget  = 300 // acknowledged texts before the kill
	smsPath     = "/restapi/v1.0/account/~/extension/~/sms"
	storePath   = "/restapi/v1.0/account/~/extension/~/message-store"
)

func TestKillSQLiteLosesNoAcknowledgedWrite(t *testing.T) {
	start := time.Now()
	bin := buildRcemu(t)
	db := filepath.Join(t.TempDir(), "rcemu.db")

	a := startChild(t, bin, db)
	tok := a.login(t)
	before := a.outboundCount(t, tok)
	run := writeUntilKilled(t, a, tok)

	// A fresh process on the file: SQLite must recover from the WAL the killed one left.
	v := rctest.MustOpenApp(t, rctest.WithDB(db))
	vtok := v.Login(v.User(0, "101")).AccessToken
	checkAcknowledged(t, v, vtok, run, before)
	t.Logf("whole test %v", time.Since(start).Round(time.Millisecond))
}

func TestKillPostgresLosesNoAcknowledgedWrite(t *testing.T) {
	dsn := pgtest.Database(t)
	start := time.Now()
	bin := buildRcemu(t)

	// A opens first: it seeds the database and takes the leader lock, so that B leading after
	// the kill shows the lock came free with A's session.
	a := startChild(t, bin, dsn)
	b := rctest.MustOpenApp(t, rctest.WithDB(dsn))
	if b.Store.Leader() {
		t.Fatal("B leads while A runs: A did not take the leader lock, the takeover would prove nothing")
	}
	tok := a.login(t)
	before := a.outboundCount(t, tok)
	run := writeUntilKilled(t, a, tok)

	eventually(t, "B to take the lead from the killed A", b.Store.Leader)
	t.Logf("B led %v after the kill", time.Since(run.killedAt).Round(time.Millisecond))

	btok := b.Login(b.User(0, "101")).AccessToken
	checkAcknowledged(t, b, btok, run, before)

	// Non-zero delays put the text through the scheduler, which only the leader runs: it
	// reaches Delivered only if B took over A's role and not just its database.
	if r := b.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/messaging", JSON: map[string]any{
		"sendDelaySeconds": 0.1, "deliveryDelaySeconds": 0.1}}); r.Status != 200 {
		t.Fatalf("delays on B: %d %s", r.Status, r.Body)
	}
	out := b.Do(rctest.Req{Method: "POST", Path: smsPath, Token: btok, JSON: map[string]any{
		"from": map[string]any{"phoneNumber": "+16505550101"}, "to": []map[string]any{{"phoneNumber": "+14155550123"}},
		"text": "after the kill"}})
	if out.Status != 200 || !strings.Contains(string(out.Body), `"messageStatus":"Queued"`) {
		t.Fatalf("sms on B after the kill: %d %s", out.Status, out.Body)
	}
	msg := storePath + "/" + strconv.FormatInt(rctest.JSONInt(out.Body, "id"), 10)
	eventually(t, "the text sent on B after the kill to be Delivered", func() bool {
		r := b.Do(rctest.Req{Path: msg, Token: btok})
		return strings.Contains(string(r.Body), `"messageStatus":"Delivered"`)
	})
	t.Logf("whole test %v", time.Since(start).Round(time.Millisecond))
}

// buildRcemu builds the real binary: the in-process app shares the test's fate, so only a
// process of its own can be killed without warning.
func buildRcemu(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: cannot build rcemu to kill it")
	}
	bin := filepath.Join(t.TempDir(), "rcemu")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	began := time.Now()
	if out, err := exec.CommandContext(ctx, goBin, "build", "-o", bin, "github.com/rcemu/rcemu/cmd/rcemu").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built rcemu in %v", time.Since(began).Round(time.Millisecond))
	return bin
}

// lockedBuffer collects the child's output while the test reads it for the listening address.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type child struct {
	cmd    *exec.Cmd
	url    string
	out    *lockedBuffer
	done   chan struct{} // closed when the process has exited and been reaped
	client *http.Client
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startChild runs rcemu on a port the kernel picks (read back from its banner, so that no other
// process can take the port between choosing and binding it) and waits for its health check.
func startChild(t *testing.T, bin, db string) *child {
	t.Helper()
	c := &child{out: &lockedBuffer{}, done: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * killWriters}}}
	c.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--spec", "off", "--spec-fetch", "off", "--log-level", "warn")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RCEMU_") { // flags decide, not the developer's environment
			c.cmd.Env = append(c.cmd.Env, kv)
		}
	}
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start rcemu: %v", err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill() // a no-op error once it has gone
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Errorf("rcemu pid %d did not exit after SIGKILL", c.cmd.Process.Pid)
		}
		c.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("rcemu output:\n%s", c.out.String())
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for c.url == "" {
		if m := listening.FindStringSubmatch(c.out.String()); m != nil {
			c.url = m[1]
			break
		}
		c.waitOrDie(t, deadline, "its listening address")
	}
	for {
		if r, err := c.client.Get(c.url + "/_rcemu/health"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return c
			}
		}
		c.waitOrDie(t, deadline, "/_rcemu/health to answer 200")
	}
}

func (c *child) waitOrDie(t *testing.T, deadline time.Time, what string) {
	t.Helper()
	select {
	case <-c.done:
		t.Fatalf("rcemu exited while waiting for %s:\n%s", what, c.out.String())
	case <-time.After(20 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		t.Fatalf("waited 20 s for %s", what)
	}
}

// do sends one request; it never fails the test, since writers call it from their goroutines
// and a connection error is what the kill is expected to cause.
func (c *child) do(ctx context.Context, method, path, token string, body io.Reader, header http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, body)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// login takes the seeded credentials from the child's control plane (the rctest helpers need
// an in-process app) and logs in ext 101 of the first account with its JWT.
func (c *child) login(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, body, err := c.do(ctx, "GET", "/_rcemu/credentials", "", nil, nil)
	if err != nil || status != 200 {
		t.Fatalf("credentials: %d %v %s", status, err, body)
	}
	var creds credentials.Credentials
	if err := json.Unmarshal(body, &creds); err != nil || len(creds.Users) == 0 {
		t.Fatalf("credentials: %v %s", err, body)
	}
	var jwt string
	for _, u := range creds.Users {
		if u.AccountID == creds.Users[0].AccountID && u.ExtensionNumber == "101" {
			jwt = u.JWT
		}
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt}}
	req, err := http.NewRequestWithContext(ctx, "POST", c.url+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(creds.ClientID, creds.ClientSecret)
	res, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer res.Body.Close()
	var tok rctest.Token
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	return tok.AccessToken
}

const outboundQuery = "?messageType=SMS&direction=Outbound&perPage=1"

func (c *child) outboundCount(t *testing.T, tok string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, body, err := c.do(ctx, "GET", storePath+outboundQuery, tok, nil, nil)
	if err != nil || status != 200 {
		t.Fatalf("count texts: %d %v %s", status, err, body)
	}
	return rctest.JSONInt(body, "totalElements")
}

type killRun struct {
	acked          map[int64]string // message id → its text
	inFlight       int64            // requests sent and not yet answered when SIGKILL went
	ackedAfterKill int              // answers that were on their way when it went
	failedAfter    int              // requests the kill cut off (or that found the port closed)
	killedAt       time.Time
}

// writeUntilKilled keeps killWriters texts in flight through c and kills it the moment the
// killTarget-th is acknowledged, from the goroutine that read that answer: the write answered
// last then is the one whose commit would still be pending if answers ran ahead of commits, and
// the other writers' batch is mid-transaction.
func writeUntilKilled(t *testing.T, c *child, tok string) killRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	began := time.Now()
	var (
		mu       sync.Mutex
		run      = killRun{acked: map[int64]string{}}
		inFlight atomic.Int64
		once     sync.Once
		killed   = make(chan struct{})
	)
	kill := func() {
		once.Do(func() {
			run.inFlight = inFlight.Load()
			run.killedAt = time.Now()
			// Marked before the signal goes: a request it cuts off may fail before Kill returns.
			close(killed)
			if err := c.cmd.Process.Kill(); err != nil {
				t.Errorf("SIGKILL: %v", err)
			}
		})
	}
	isKilled := func() bool {
		select {
		case <-killed:
			return true
		default:
			return false
		}
	}
	header := http.Header{"Content-Type": {"application/json"}}
	var wg sync.WaitGroup
	for w := range killWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !isKilled(); n++ {
				text := fmt.Sprintf("kill test writer %d text %d", w, n)
				body, _ := json.Marshal(map[string]any{"from": map[string]any{"phoneNumber": "+16505550101"},
					"to": []map[string]any{{"phoneNumber": "+16505550102"}}, "text": text})
				inFlight.Add(1)
				status, res, err := c.do(ctx, "POST", smsPath, tok, bytes.NewReader(body), header)
				inFlight.Add(-1)
				after := isKilled()
				if err != nil || (status != 200 && status != 201) {
					mu.Lock()
					if after {
						run.failedAfter++
					}
					mu.Unlock()
					if !after {
						t.Errorf("writer %d before the kill: %d %v %s", w, status, err, res)
					}
					return
				}
				id := rctest.JSONInt(res, "id")
				if id <= 0 {
					t.Errorf("writer %d: an answer without an id: %s", w, res)
					return
				}
				mu.Lock()
				run.acked[id] = text
				if after {
					run.ackedAfterKill++
				}
				got := len(run.acked)
				mu.Unlock()
				if got >= killTarget {
					kill()
				}
			}
		}()
	}
	wg.Wait()
	if !isKilled() {
		kill()
		t.Fatalf("the writers stopped after %d acknowledged texts, before the kill", len(run.acked))
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("rcemu still running 10 s after SIGKILL")
	}
	if len(run.acked) < killTarget {
		t.Fatalf("%d acknowledged texts, want at least %d", len(run.acked), killTarget)
	}
	t.Logf("killed rcemu %v into the writes, after %d acknowledged texts (%d of them answered after SIGKILL went); %d requests in flight, %d cut off",
		run.killedAt.Sub(began).Round(time.Millisecond), len(run.acked), run.ackedAfterKill, run.inFlight, run.failedAfter)
	return run
}

// checkAcknowledged reads every acknowledged text back, by id and with its own text (a lost
// write whose id a later one reused would otherwise pass).
func checkAcknowledged(t *testing.T, v *rctest.App, tok string, run killRun, before int64) {
	t.Helper()
	lost := 0
	for id, text := range run.acked {
		r := v.Do(rctest.Req{Path: storePath + "/" + strconv.FormatInt(id, 10), Token: tok})
		want := `"subject":"` + text + `"`
		if r.Status != 200 || !strings.Contains(string(r.Body), want) {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged text %d (%q) after the kill: %d %s", id, text, r.Status, r.Body)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged texts lost by the kill", lost, len(run.acked))
	}
	r := v.Do(rctest.Req{Path: storePath + outboundQuery, Token: tok})
	if r.Status != 200 {
		t.Fatalf("count texts after the kill: %d %s", r.Status, r.Body)
	}
	// Texts committed but never acknowledged are allowed (the answer died with the process); fewer
	// stored than acknowledged would mean a lost write the id check somehow missed.
	extra := rctest.JSONInt(r.Body, "totalElements") - before - int64(len(run.acked))
	if extra < 0 {
		t.Fatalf("%d texts stored after the kill, %d before it and %d acknowledged", before+int64(len(run.acked))+extra, before, len(run.acked))
	}
	t.Logf("all %d acknowledged texts read back; %d more were committed but never acknowledged", len(run.acked), extra)
}
