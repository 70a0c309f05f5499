package cli_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/cli"
	"github.com/rcemu/rcemu/internal/spec"
	"github.com/rcemu/rcemu/internal/specfetch"
)

// npmDouble serves the npm package the spec comes from, built from the real spec file (so the
// recorded SHA-256 is checked), at the registry's conventional tarball URL, and counts requests.
type npmDouble struct {
	*httptest.Server
	hits atomic.Int64
}

func newNPMDouble(t *testing.T) *npmDouble {
	t.Helper()
	t.Setenv("RCEMU_SPEC", "") // the real file, not another spec a developer points at
	real := spec.FindInModule()
	if real == "" {
		t.Skip("the spec has not been fetched (make spec)")
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "package/" + specfetch.FileName, Mode: 0o644, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(data)
	tw.Close()
	zw.Close()
	tgz := buf.Bytes()
	d := &npmDouble{}
	tarball := "/" + specfetch.Package + "/-/" + specfetch.Package + "-" + specfetch.Version + ".tgz"
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.hits.Add(1)
		if r.URL.Path != tarball {
			http.NotFound(w, r) // no packument: the conventional URL is used
			return
		}
		w.Write(tgz)
	}))
	t.Cleanup(d.Close)
	return d
}

// freshHome points the user cache directory at an empty temporary one and leaves the checkout,
// so that no copy of the spec is found.
func freshHome(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("HOME", home)
	t.Setenv("LocalAppData", filepath.Join(home, "AppData"))
	t.Chdir(t.TempDir())
	return home
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is `rcemu serve` run through cli.Run, with the .env lines it printed.
type server struct {
	env    map[string]string
	stderr *syncBuf
	stop   func() int
}

func startServe(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{env: map[string]string{}, stderr: &syncBuf{}}
	code := make(chan int, 1)
	go func() {
		code <- cli.Run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, pw, s.stderr)
		pw.Close()
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	s.stop = func() int {
		cancel()
		go func() {
			for range lines {
			}
		}()
		return <-code
	}
	timeout := time.After(60 * time.Second)
	for s.env["RC_USER_JWT"] == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("rcemu serve ended (exit %d):\n%s", <-code, s.stderr)
			}
			if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "RC_") {
				s.env[k] = v
			}
		case <-timeout:
			cancel()
			t.Fatalf("rcemu serve printed no credentials:\n%s", s.stderr)
		}
	}
	return s
}

// callQueues logs in as the first user and reads the call queues, an operation only the spec
// serves; it returns the status.
func (s *server) callQueues(t *testing.T) int {
	t.Helper()
	base := s.env["RC_SERVER_URL"]
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {s.env["RC_USER_JWT"]}}
	req, _ := http.NewRequest("POST", base+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.env["RC_APP_CLIENT_ID"], s.env["RC_APP_CLIENT_SECRET"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("login: %d", res.StatusCode)
	}
	req, _ = http.NewRequest("GET", base+"/restapi/v1.0/account/~/call-queues", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestFirstStartFetchesSpec: a first start with an empty cache fetches the spec and serves a
// spec-only operation; the next start, with the registry gone, starts warm; so does `spec coverage`.
func TestFirstStartFetchesSpec(t *testing.T) {
	reg := newNPMDouble(t)
	home := freshHome(t)
	env := map[string]string{"RCEMU_NPM_REGISTRY": reg.URL, "RCEMU_ADDR": "127.0.0.1:0", "RCEMU_DB": filepath.Join(t.TempDir(), "rcemu.db")}

	s := startServe(t, env)
	if got := s.callQueues(t); got != 200 {
		t.Fatalf("call-queues answered %d after the fetch, want 200:\n%s", got, s.stderr)
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	log := s.stderr.String()
	if !strings.Contains(log, "fetching the RingCentral OpenAPI spec (ringcentral-open-api-parser@0.15.9) from "+reg.URL) || reg.hits.Load() == 0 {
		t.Fatalf("no fetch (%d requests):\n%s", reg.hits.Load(), log)
	}
	kept := filepath.Join(home, ".cache", "rcemu", "spec", specfetch.FileName)
	if _, err := os.Stat(kept); err != nil {
		t.Fatalf("the spec is not in the user cache: %v\n%s", err, log)
	}

	reg.Close()
	s = startServe(t, env)
	if got := s.callQueues(t); got != 200 {
		t.Fatalf("call-queues answered %d on the warm start, want 200:\n%s", got, s.stderr)
	}
	s.stop()
	if log := s.stderr.String(); strings.Contains(log, "fetching") || !strings.Contains(log, "spec="+kept) {
		t.Fatalf("the warm start did not use the kept copy:\n%s", log)
	}

	var out, errOut bytes.Buffer
	if code := cli.Run(context.Background(), []string{"spec", "coverage", "--format", "json"}, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("spec coverage: exit %d: %s", code, errOut.String())
	}
	if errOut.Len() != 0 || !strings.Contains(out.String(), `"listCallQueues"`) {
		t.Fatalf("spec coverage: %.300s\n%s", out.String(), errOut.String())
	}
}

// TestStartOffline: with no copy and no registry, serve starts with the stateful operations and
// one line saying how to provide the spec; --spec required fails instead.
func TestStartOffline(t *testing.T) {
	reg := httptest.NewServer(http.NotFoundHandler())
	reg.Close()
	freshHome(t)
	env := map[string]string{"RCEMU_NPM_REGISTRY": reg.URL, "RCEMU_ADDR": "127.0.0.1:0", "RCEMU_DB": filepath.Join(t.TempDir(), "rcemu.db")}

	s := startServe(t, env)
	res, err := http.Get(s.env["RC_SERVER_URL"] + "/restapi/v1.0/account/~/call-queues")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	s.stop()
	log := s.stderr.String()
	if res.StatusCode != 404 {
		t.Fatalf("a spec-only path answered %d without a spec, want 404", res.StatusCode)
	}
	var lines []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, "spec") && !strings.Contains(line, "fetching the RingCentral OpenAPI spec") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "spec-only operations are off") ||
		!strings.Contains(lines[0], "--spec FILE") || !strings.Contains(lines[0], "rcemu spec fetch") {
		t.Fatalf("want one line on the missing spec saying how to provide it:\n%s", log)
	}

	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"serve", "--spec", "required"}, want: "--spec required: no OpenAPI spec: fetch ringcentral-open-api-parser@0.15.9"},
		{args: []string{"serve"}, env: map[string]string{"RCEMU_SPEC": "required", "RCEMU_SPEC_FETCH": "off"}, want: "fetching is off"},
		{args: []string{"spec", "coverage"}, want: "no OpenAPI spec: fetch ringcentral-open-api-parser@0.15.9"},
		{args: []string{"spec", "fetch"}, want: "fetch ringcentral-open-api-parser@0.15.9"},
	} {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		for k, v := range c.env {
			e[k] = v
		}
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), c.args, func(k string) string { return e[k] }, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v %v: exit %d, stderr lacks %q:\n%s", c.args, c.env, code, c.want, errOut.String())
		}
	}
}

// TestSpecFetchCommand: `rcemu spec fetch` prints where the spec is, fetches only when it is
// missing, and again with --force.
func TestSpecFetchCommand(t *testing.T) {
	reg := newNPMDouble(t)
	freshHome(t)
	dir := filepath.Join(t.TempDir(), "spec")
	env := func(k string) string { return map[string]string{"RCEMU_NPM_REGISTRY": reg.URL}[k] }
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"spec", "fetch"}, args...), env, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	want := filepath.Join(dir, specfetch.FileName) + "\n"
	if code, out, errOut := run("--dir", dir); code != 0 || out != want || !strings.Contains(errOut, "fetching") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	hits := reg.hits.Load()
	if code, out, errOut := run("--dir", dir); code != 0 || out != want || errOut != "" || reg.hits.Load() != hits {
		t.Fatalf("warm: exit %d, stdout %q, stderr %q, %d requests", code, out, errOut, reg.hits.Load()-hits)
	}
	if code, _, errOut := run("--dir", dir, "--force"); code != 0 || reg.hits.Load() == hits {
		t.Fatalf("--force: exit %d, %d requests: %s", code, reg.hits.Load()-hits, errOut)
	}
	if code, out, _ := run(); code != 0 || !strings.HasSuffix(out, filepath.Join("rcemu", "spec", specfetch.FileName)+"\n") {
		t.Fatalf("into the user cache: exit %d, %q", code, out)
	}
}
