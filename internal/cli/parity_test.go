package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/rcemutest"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// The image's HEALTHCHECK runs `rcemu health`: 0 against a running rcemu, 1 without one.
func TestHealth(t *testing.T) {
	s := rcemutest.Start(t, rcemutest.WithSpec("off"))
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"health", "--server-url", s.URL}, env(), &out, &errOut); code != 0 || out.String() != "ok\n" {
		t.Fatalf("health: %d %q %q", code, out.String(), errOut.String())
	}
	addr := strings.TrimPrefix(s.URL, "http://127.0.0.1")
	if code := Run(context.Background(), []string{"health"}, env("RCEMU_ADDR", "0.0.0.0"+addr), &out, &errOut); code != 0 {
		t.Fatalf("health from RCEMU_ADDR: %d %s", code, errOut.String())
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if code := Run(context.Background(), []string{"health", "--server-url", dead, "--timeout", "1s"}, env(), &out, &errOut); code != 1 {
		t.Fatalf("health of nothing: %d", code)
	}
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"version"}, env(), &out, &errOut); code != 0 {
		t.Fatal(errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "rcemu ") || !strings.Contains(lines[0], "(commit ") ||
		!strings.HasPrefix(lines[1], "spec ringcentral-open-api-parser@") {
		t.Fatalf("version: %q", out.String())
	}
}

// rcemu record in front of one rcemu, then rcemu parity against a fresh one: every exchange
// matches, in both formats, and --min-score fails a run below it.
func TestRecordAndParityCommands(t *testing.T) {
	upstream := rcemutest.Start(t, rcemutest.WithSpec("off"))
	dir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var recOut, recErr bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"record", "--upstream", upstream.URL, "--addr", addr, "--out", dir}, env(), &recOut, &recErr)
	}()
	base := "http://" + addr
	var err error
	for range 100 {
		if _, err = http.Get(base + "/restapi/v1.0"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	ada := upstream.Users[0]
	req, _ := http.NewRequest("POST", base+"/restapi/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {ada.JWT}}.Encode()))
	req.SetBasicAuth(upstream.ClientID, upstream.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	req, _ = http.NewRequest("GET", base+"/restapi/v1.0/account/~/extension/~", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("record: %d %s", code, recErr.String())
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "exchanges.jsonl"))
	for _, secret := range []string{tok.AccessToken, ada.JWT, upstream.ClientSecret} {
		if secret == "" || bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("secret %q in the recording", secret)
		}
	}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"parity", dir, "--format", "json", "--spec", "off"}, env(), &out, &errOut); code != 0 {
		t.Fatalf("parity: %d %s", code, errOut.String())
	}
	var rep struct {
		Score      float64 `json:"score"`
		Exchanges  int     `json:"exchanges"`
		Operations []struct {
			OperationID string `json:"operationId"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Score != 1 || rep.Exchanges != 3 {
		t.Fatalf("parity json: %v %s", err, out.String())
	}
	out.Reset()
	if code := Run(context.Background(), []string{"parity", "--spec", "off", dir}, env(), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "Score: **1.000** (3 of 3 exchanges match)") {
		t.Fatalf("parity markdown: %d %s", code, out.String())
	}
	bad := filepath.Join(t.TempDir(), "seed.yaml")
	_ = os.WriteFile(bad, []byte(`
jwtSigningKey: k
apps: [{clientId: c1, clientSecret: s1, grants: ["urn:ietf:params:oauth:grant-type:jwt-bearer"]}]
accounts:
  - mainNumber: "+16505550100"
    extensions: [{extensionNumber: "7", firstName: Kay, lastName: Ell, admin: true}]
`), 0o600)
	if code := Run(context.Background(), []string{"parity", dir, "--spec", "off", "--seed", bad, "--min-score", "1"}, env(), &out, &errOut); code != 1 {
		t.Fatalf("--min-score with another seed: %d", code)
	}
}
