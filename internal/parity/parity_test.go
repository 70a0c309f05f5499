package parity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/config"
	"github.com/rcemu/rcemu/internal/parity"
	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/seed"
	"github.com/rcemu/rcemu/rcemutest"
)

// client is an app talking to RingCentral through the recorder; it keeps every secret it sees,
// so the test can look for them in the recording.
type client struct {
	t       *testing.T
	base    string
	app     [2]string
	secrets []string
}

func (c *client) do(method, path, token string, form url.Values, body any) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	req, _ := http.NewRequest(method, c.base+path, nil)
	switch {
	case form != nil:
		r = strings.NewReader(form.Encode())
		req, _ = http.NewRequest(method, c.base+path, r)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(c.app[0], c.app[1])
	case body != nil:
		b, _ := json.Marshal(body)
		req, _ = http.NewRequest(method, c.base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "parity-test/1.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	for _, k := range []string{"access_token", "refresh_token"} {
		if s, ok := m[k].(string); ok {
			c.secrets = append(c.secrets, s)
		}
	}
	return res.StatusCode, m
}

// script is what the recorded app does: logins of every kind, reads, a send and a read-back of
// what it sent, and refusals.
func script(t *testing.T, c *client, s *rcemutest.Server) {
	ada, _ := s.User("101")
	grace, _ := s.User("102")
	c.secrets = append(c.secrets, s.ClientSecret, ada.JWT, ada.Password, grace.JWT, grace.Password)
	st, tok := c.do("POST", "/restapi/oauth/token", "", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {ada.JWT}}, nil)
	if st != 200 {
		t.Fatalf("login: %d %v", st, tok)
	}
	at := tok["access_token"].(string)
	c.do("GET", "/restapi/v1.0/account/~/extension/~", at, nil, nil)
	c.do("GET", "/restapi/v1.0/account/~/extension/~/phone-number", at, nil, nil)
	st, sms := c.do("POST", "/restapi/v1.0/account/~/extension/~/sms", at, nil, map[string]any{
		"from": map[string]any{"phoneNumber": ada.PhoneNumbers[0]}, "to": []any{map[string]any{"phoneNumber": "+13125550188"}},
		"text": "the password is " + ada.Password})
	if st != 200 {
		t.Fatalf("sms: %d %v", st, sms)
	}
	c.do("GET", "/restapi/v1.0/account/~/extension/~/message-store/"+jsonID(sms["id"]), at, nil, nil)
	c.do("GET", "/restapi/v1.0/account/~/extension/"+s.Users[2].ID, at, nil, nil) // Alan Turing
	c.do("GET", "/restapi/v1.0/account/~/extension?perPage=2&type=User", at, nil, nil)
	c.do("GET", "/restapi/v1.0/account/~/no-such-thing", at, nil, nil)
	c.do("GET", "/restapi/v1.0/account/~/extension/~/address-book/contact", at, nil, nil)
	st, gt := c.do("POST", "/restapi/oauth/token", "", url.Values{"grant_type": {"password"}, "username": {grace.PhoneNumbers[0]}, "password": {grace.Password}}, nil)
	if st != 200 {
		t.Fatalf("password login: %d %v", st, gt)
	}
	c.do("GET", "/restapi/v1.0/account/~/extension/~", gt["access_token"].(string), nil, nil)
	st, rt := c.do("POST", "/restapi/oauth/token", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {gt["refresh_token"].(string)}}, nil)
	if st != 200 {
		t.Fatalf("refresh: %d %v", st, rt)
	}
	c.do("GET", "/restapi/v1.0/account/~/extension/~/presence", rt["access_token"].(string), nil, nil)
	c.do("POST", "/restapi/oauth/token", "", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"not-a-jwt"}}, nil)
	c.do("GET", "/restapi/v1.0/account/~/extension/~", "an-unknown-token", nil, nil)
	c.do("POST", "/restapi/oauth/revoke", "", url.Values{"token": {at}}, nil)
	c.do("GET", "/restapi/v1.0/account/~/extension/~", at, nil, nil) // revoked: 401
}

func jsonID(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func record(t *testing.T) (dir string, secrets []string) {
	upstream := rcemutest.Start(t, rcemutest.WithSpec(specOrOff()))
	dir = t.TempDir()
	rec, err := parity.NewRecorder(upstream.URL, dir)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(rec)
	c := &client{t: t, base: proxy.URL, app: [2]string{upstream.ClientID, upstream.ClientSecret}}
	script(t, c, upstream)
	proxy.Close()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, c.secrets
}

func specOrOff() string {
	if p := rctest.SpecPath(); p != "" {
		return p
	}
	return "off"
}

func replay(t *testing.T, dir string, cfg config.Config) parity.Report {
	t.Helper()
	exs, err := parity.ReadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Spec = specOrOff()
	target, stop, err := parity.Fresh(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	rep, err := parity.Replay(context.Background(), exs, target)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRecordThenReplayMatches(t *testing.T) {
	dir, secrets := record(t)
	raw, err := os.ReadFile(filepath.Join(dir, parity.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if s != "" && bytes.Contains(raw, []byte(s)) {
			t.Errorf("the recording holds the secret %q", s)
		}
	}
	for _, personal := range []string{"Lovelace", "ada.lovelace@example.com", "+16505550101", "Hopper"} {
		if bytes.Contains(raw, []byte(personal)) {
			t.Errorf("the recording holds the personal datum %q", personal)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, parity.FileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("recording mode: %v %v", st.Mode(), err)
	}
	rep := replay(t, dir, config.Config{})
	if rep.Exchanges != 17 || rep.Score != 1 {
		var b bytes.Buffer
		_ = rep.WriteMarkdown(&b)
		t.Fatalf("exchanges %d, score %v:\n%s", rep.Exchanges, rep.Score, b.String())
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var shape struct {
		Operations []struct {
			OperationID string `json:"operationId"`
			Method      string `json:"method"`
			Path        string `json:"path"`
			Exchanges   int    `json:"exchanges"`
			Matches     int    `json:"matches"`
			Differences []any  `json:"differences"`
		} `json:"operations"`
		Score float64 `json:"score"`
	}
	if err := json.Unmarshal(b.Bytes(), &shape); err != nil || len(shape.Operations) == 0 || shape.Score != 1 ||
		shape.Operations[0].Differences == nil {
		t.Fatalf("json: %v %s", err, b.String())
	}
}

// A seed without Alan Turing, and with no e-mail for Ada, must show as exactly those differences.
func TestChangedSeedShowsDifferences(t *testing.T) {
	dir, _ := record(t)
	doc := string(seed.Default())
	alan := doc[strings.Index(doc, "      - id: 171859008"):strings.Index(doc, "      - id: 171860008")]
	doc = strings.Replace(doc, alan, "", 1)
	doc = strings.Replace(doc, `  - {extensionId: 171859008, direction: Outbound, from: "+16505550103", to: "+442071838750", ago: 26h, duration: 12m}`+"\n", "", 1)
	doc = strings.Replace(doc, "        email: ada.lovelace@example.com\n", "", 1)
	path := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := replay(t, dir, config.Config{Seed: path})
	var got []string
	for _, op := range rep.Operations {
		for _, d := range op.Differences {
			got = append(got, op.Method+" "+op.Path+" "+d.Kind+" "+d.Field)
		}
	}
	sort.Strings(got)
	t.Logf("score %.3f; differences:\n%s", rep.Score, strings.Join(got, "\n"))
	if rep.Score >= 1 || rep.Exchanges != 17 {
		t.Fatalf("score %v of %d", rep.Score, rep.Exchanges)
	}
	want := map[string]bool{}
	for _, g := range got {
		want[g] = true
	}
	// With the spec, exchanges are grouped by operation; without it, by the path requested.
	gone, self := "GET /restapi/v1.0/account/{accountId}/extension/{extensionId} ", "GET /restapi/v1.0/account/{accountId}/extension/{extensionId} "
	if rctest.SpecPath() == "" {
		gone, self = "GET /restapi/v1.0/account/~/extension/171859008 ", "GET /restapi/v1.0/account/~/extension/~ "
	}
	for _, w := range []string{gone + "status ", gone + "errorCode ", self + "missing contact.email"} {
		if !want[w] {
			t.Errorf("no difference %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
}

// The proxy's cost per request, measured against the same requests sent straight to the
// upstream, interleaved so that load on the machine hits both alike.
func TestRecorderOverhead(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	upstream := rcemutest.Start(t, rcemutest.WithSpec("off"))
	rec, err := parity.NewRecorder(upstream.URL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(rec)
	defer func() { proxy.Close(); _ = rec.Close() }()
	tok, err := upstream.AccessToken(upstream.Users[0])
	if err != nil {
		t.Fatal(err)
	}
	get := func(base string) time.Duration {
		req, _ := http.NewRequest("GET", base+"/restapi/v1.0/account/~/extension/~", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return time.Since(start)
	}
	const n = 300
	var direct, proxied []time.Duration
	for range 20 { // warm both paths' connections
		get(upstream.URL)
		get(proxy.URL)
	}
	for range n {
		direct = append(direct, get(upstream.URL))
		proxied = append(proxied, get(proxy.URL))
	}
	med := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	over := med(proxied) - med(direct)
	t.Logf("GET extension, %d requests each: direct median %v, through the recorder %v: %v added per request", n, med(direct), med(proxied), over)
	if over > 2*time.Millisecond {
		t.Errorf("the recorder adds %v per request; the budget is 2 ms", over)
	}
}
