package parity

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/rcemu/rcemu/internal/credentials"
	"github.com/rcemu/rcemu/internal/spec"
)

// Target is the fresh emulator a recording is replayed against.
type Target struct {
	URL   string
	Creds credentials.Credentials
	Doc   *spec.Document // names operations; nil names them by method and path
}

// Report is the result of a replay.
type Report struct {
	Operations []Operation `json:"operations"`
	Exchanges  int         `json:"exchanges"`
	Matches    int         `json:"matches"`
	// Skipped exchanges had a request body the recording does not keep (multipart, binary).
	Skipped int     `json:"skipped"`
	Score   float64 `json:"score"` // matches / exchanges
}

// Operation gathers the exchanges of one operation.
type Operation struct {
	OperationID string       `json:"operationId"`
	Method      string       `json:"method"`
	Path        string       `json:"path"`
	Exchanges   int          `json:"exchanges"`
	Matches     int          `json:"matches"`
	Differences []Difference `json:"differences"`
}

// Difference is one way the emulator's answer differed from the recorded one.
type Difference struct {
	Kind     string `json:"kind"`            // status, errorCode, header, missing, extra, type
	Field    string `json:"field,omitempty"` // a JSON path (records[].from.name) or a header name
	Recorded any    `json:"recorded,omitempty"`
	Replayed any    `json:"replayed,omitempty"`
	Count    int    `json:"count"`    // exchanges that showed it
	Exchange int    `json:"exchange"` // the first of them, by seq
}

// Compared headers: the media type, and the rate-limit group and limits an app reads.
var comparedHeaders = []string{"Content-Type", "X-Rate-Limit-Group", "X-Rate-Limit-Limit", "X-Rate-Limit-Window", "Retry-After"}

// replayer holds what a replay learns as it goes: the emulator's tokens for the recorded ones,
// and its ids (and numbers) for the recorded ones, from answers compared field by field.
type replayer struct {
	t       Target
	client  *http.Client
	tokens  map[string]string // recorded placeholder → the emulator's token
	values  map[string]string // recorded id or number → the emulator's
	fallbak string            // a token of the first user, for a recorded token of unknown origin
	apps    map[string]bool   // Basic placeholders the recorded server accepted at least once
}

// Replay sends each recorded request, in order, to the target and compares the answers.
func Replay(ctx context.Context, exs []Exchange, t Target) (Report, error) {
	rp := &replayer{t: t, tokens: map[string]string{}, values: map[string]string{}, apps: map[string]bool{},
		client: &http.Client{Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	ops := map[string]*Operation{}
	seen := map[string]map[string]int{} // per operation: kind and field → index
	var rep Report
	for _, ex := range exs {
		// A refused login whose app the server accepted elsewhere was refused for another
		// reason (the assertion, the password): the replay sends the emulator's app for it.
		if scheme, cred, _ := strings.Cut(ex.Request.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "basic") && ex.Response.Status < 400 {
			rp.apps[cred] = true
		}
	}
	for _, ex := range exs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if ex.Request.BodySize > 0 && ex.Request.JSON == nil && ex.Request.Form == nil {
			rep.Skipped++
			continue
		}
		res, err := rp.send(ctx, ex)
		if err != nil {
			return rep, fmt.Errorf("exchange %d (%s %s): %w", ex.Seq, ex.Request.Method, ex.Request.Path, err)
		}
		diffs := rp.compare(ex.Response, res)
		id, method, path := rp.operation(ex.Request)
		op := ops[id]
		if op == nil {
			op = &Operation{OperationID: id, Method: method, Path: path, Differences: []Difference{}}
			ops[id], seen[id] = op, map[string]int{}
		}
		op.Exchanges++
		rep.Exchanges++
		if len(diffs) == 0 {
			op.Matches++
			rep.Matches++
		}
		for _, d := range diffs {
			key := d.Kind + "\x00" + d.Field
			if i, ok := seen[id][key]; ok {
				op.Differences[i].Count++
				continue
			}
			d.Count, d.Exchange = 1, ex.Seq
			seen[id][key] = len(op.Differences)
			op.Differences = append(op.Differences, d)
		}
	}
	rep.Operations = []Operation{}
	for _, op := range ops {
		rep.Operations = append(rep.Operations, *op)
	}
	sort.Slice(rep.Operations, func(i, j int) bool { return rep.Operations[i].OperationID < rep.Operations[j].OperationID })
	if rep.Exchanges > 0 {
		rep.Score = float64(rep.Matches) / float64(rep.Exchanges)
	}
	return rep, nil
}

// operation names a request by the spec's operationId and path template.
func (rp *replayer) operation(m Message) (id, method, path string) {
	p, _, _ := strings.Cut(m.Path, "?")
	if rp.t.Doc != nil {
		if op, _ := rp.t.Doc.Match(m.Method, p); op != nil {
			return op.ID, op.Method, op.Path
		}
	}
	return m.Method + " " + p, m.Method, p
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (rp *replayer) send(ctx context.Context, ex Exchange) (answer, error) {
	in := ex.Request
	path := rp.rewritePath(in.Path)
	var body io.Reader
	header := http.Header{}
	for k, vs := range in.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Host", "Content-Length", "Accept-Encoding", "Connection", "Cookie", "Keep-Alive",
			"Transfer-Encoding", "Upgrade", "Proxy-Authorization", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto":
			continue
		}
		header[k] = vs
	}
	isToken := in.Method == "POST" && strings.HasSuffix(strings.SplitN(path, "?", 2)[0], "/oauth/token")
	switch {
	case in.Form != nil:
		form := url.Values{}
		for k, vs := range in.Form {
			for _, v := range vs {
				form.Add(k, rp.rewriteValue(v))
			}
		}
		if isToken {
			form = rp.tokenForm(form, ex.Response)
		}
		body = strings.NewReader(form.Encode())
	case in.JSON != nil:
		var v any
		if err := json.Unmarshal(in.JSON, &v); err != nil {
			return answer{}, err
		}
		b, _ := json.Marshal(rp.rewriteJSON(v))
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, in.Method, rp.t.URL+path, body)
	if err != nil {
		return answer{}, err
	}
	req.Header = header
	if auth := in.Header.Get("Authorization"); auth != "" {
		a, err := rp.authorization(ctx, auth, ex.Response.Status)
		if err != nil {
			return answer{}, err
		}
		req.Header.Set("Authorization", a)
	}
	res, err := rp.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	out := answer{status: res.StatusCode, header: res.Header, body: b}
	if isToken && res.StatusCode == 200 {
		rp.learnTokens(ex.Response.JSON, b)
	}
	return out, nil
}

// tokenForm puts the emulator's credentials in a successful recorded login: the user is the one
// the recorded answer names (owner_id), else the first; a recorded failure is sent as recorded,
// placeholders and all, so that it fails again.
func (rp *replayer) tokenForm(form url.Values, recorded Message) url.Values {
	if recorded.Status != 200 {
		return form
	}
	var rec struct {
		OwnerID string `json:"owner_id"`
	}
	_ = json.Unmarshal(recorded.JSON, &rec)
	users := rp.t.Creds.Users
	if len(users) == 0 {
		return form
	}
	u := users[0]
	for _, c := range users {
		if c.ExtensionID == rec.OwnerID || c.ExtensionID == rp.values[rec.OwnerID] {
			u = c
			break
		}
	}
	switch form.Get("grant_type") {
	case "password":
		form.Set("username", u.Username)
		form.Set("password", u.Password)
		form.Del("extension")
	case "refresh_token":
		if t, ok := rp.tokens[form.Get("refresh_token")]; ok {
			form.Set("refresh_token", t)
		}
	default: // the JWT grant; an authorization code cannot be replayed, a JWT login stands for it
		for _, k := range []string{"code", "code_verifier", "redirect_uri", "client_id"} {
			form.Del(k)
		}
		form.Set("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
		form.Set("assertion", u.JWT)
	}
	return form
}

func (rp *replayer) learnTokens(recorded json.RawMessage, fresh []byte) {
	var rec, got map[string]any
	if json.Unmarshal(recorded, &rec) != nil || json.Unmarshal(fresh, &got) != nil {
		return
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		r, _ := rec[k].(string)
		g, _ := got[k].(string)
		if r != "" && g != "" {
			rp.tokens[r] = g
		}
	}
}

// authorization maps a recorded Authorization header: Basic is the emulator's app when the
// recorded server accepted those credentials (others keep their placeholder, to be refused
// again); a bearer is the emulator's token for the same placeholder, the placeholder itself when
// the recorded server refused it, or the first user's token for one issued before the recording
// began.
func (rp *replayer) authorization(ctx context.Context, auth string, status int) (string, error) {
	scheme, cred, _ := strings.Cut(auth, " ")
	switch strings.ToLower(scheme) {
	case "basic":
		if rp.apps[cred] || status < 400 {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte(rp.t.Creds.ClientID+":"+rp.t.Creds.ClientSecret)), nil
		}
		return auth, nil
	case "bearer":
		if t, ok := rp.tokens[cred]; ok {
			return "Bearer " + t, nil
		}
		if status == http.StatusUnauthorized {
			return auth, nil
		}
		if rp.fallbak == "" {
			t, err := rp.login(ctx)
			if err != nil {
				return "", err
			}
			rp.fallbak = t
		}
		return "Bearer " + rp.fallbak, nil
	}
	return auth, nil
}

func (rp *replayer) login(ctx context.Context) (string, error) {
	if len(rp.t.Creds.Users) == 0 {
		return "", fmt.Errorf("the emulator has no user to log in as")
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {rp.t.Creds.Users[0].JWT}}
	req, _ := http.NewRequestWithContext(ctx, "POST", rp.t.URL+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(rp.t.Creds.ClientID, rp.t.Creds.ClientSecret)
	res, err := rp.client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("log in to the emulator: status %d", res.StatusCode)
	}
	return tok.AccessToken, nil
}

func (rp *replayer) rewriteValue(v string) string {
	if m, ok := rp.values[v]; ok {
		return m
	}
	if t, ok := rp.tokens[v]; ok { // a token in a form: revoke, refresh
		return t
	}
	return v
}

func (rp *replayer) rewritePath(p string) string {
	path, q, hasQ := strings.Cut(p, "?")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.Contains(s, ",") { // several ids at once
			parts := strings.Split(s, ",")
			for j := range parts {
				parts[j] = rp.rewriteValue(parts[j])
			}
			segs[i] = strings.Join(parts, ",")
			continue
		}
		if u, err := url.PathUnescape(s); err == nil {
			if m, ok := rp.values[u]; ok {
				segs[i] = url.PathEscape(m)
			}
		}
	}
	out := strings.Join(segs, "/")
	if !hasQ {
		return out
	}
	vs, err := url.ParseQuery(q)
	if err != nil {
		return out + "?" + q
	}
	for k, list := range vs {
		for i := range list {
			list[i] = rp.rewriteValue(list[i])
		}
		vs[k] = list
	}
	return out + "?" + vs.Encode()
}

func (rp *replayer) rewriteJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = rp.rewriteJSON(e)
		}
	case []any:
		for i, e := range x {
			x[i] = rp.rewriteJSON(e)
		}
	case string:
		return rp.rewriteValue(x)
	case float64:
		if m, ok := rp.values[jsonNumber(x)]; ok {
			var n float64
			if _, err := fmt.Sscan(m, &n); err == nil {
				return n
			}
		}
	}
	return v
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func (rp *replayer) compare(rec Message, got answer) []Difference {
	var diffs []Difference
	if rec.Status != got.status {
		diffs = append(diffs, Difference{Kind: "status", Recorded: rec.Status, Replayed: got.status})
	}
	var gotJSON any
	gotIsJSON := false
	if mt, _, _ := mime.ParseMediaType(got.header.Get("Content-Type")); isJSON(mt) && len(got.body) > 0 {
		gotIsJSON = json.Unmarshal(got.body, &gotJSON) == nil
	}
	var recJSON any
	recIsJSON := rec.JSON != nil && json.Unmarshal(rec.JSON, &recJSON) == nil
	if rc, gc := errorCode(recJSON), errorCode(gotJSON); rc != gc {
		diffs = append(diffs, Difference{Kind: "errorCode", Recorded: rc, Replayed: gc})
	}
	for _, h := range comparedHeaders {
		r, g := rec.Header.Get(h), got.header.Get(h)
		if h == "Content-Type" {
			r, _, _ = mime.ParseMediaType(r)
			g, _, _ = mime.ParseMediaType(g)
		}
		if h == "Retry-After" && r != "" && g != "" {
			continue // a number of seconds that depends on when it was asked
		}
		if !strings.EqualFold(r, g) {
			diffs = append(diffs, Difference{Kind: "header", Field: h, Recorded: r, Replayed: g})
		}
	}
	if rec.Status == got.status && recIsJSON && gotIsJSON {
		rp.learn(recJSON, gotJSON, "")
		diffs = append(diffs, shape("", recJSON, gotJSON, map[string]bool{})...)
	}
	return diffs
}

// errorCode is an error answer's code: the legacy top-level errorCode, the first of errors[], or
// an OAuth error.
func errorCode(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if c, ok := m["errorCode"].(string); ok {
		return c
	}
	if errs, ok := m["errors"].([]any); ok && len(errs) > 0 {
		if e, ok := errs[0].(map[string]any); ok {
			if c, ok := e["errorCode"].(string); ok {
				return c
			}
		}
	}
	if c, ok := m["error"].(string); ok {
		return c
	}
	return ""
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// shape compares two JSON values by their fields and types, not their values: ids, times and
// texts differ between any two servers. Array elements are compared pairwise as far as both go
// and reported once per path.
func shape(path string, rec, got any, done map[string]bool) []Difference {
	rt, gt := typeName(rec), typeName(got)
	if rt != gt {
		if done["type"+path] {
			return nil
		}
		done["type"+path] = true
		return []Difference{{Kind: "type", Field: fieldPath(path), Recorded: rt, Replayed: gt}}
	}
	var out []Difference
	switch r := rec.(type) {
	case map[string]any:
		g := got.(map[string]any)
		keys := make([]string, 0, len(r)+len(g))
		for k := range r {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := r[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := path + "." + k
			rv, rok := r[k]
			gv, gok := g[k]
			switch {
			case rok && !gok:
				if !done["missing"+p] {
					done["missing"+p] = true
					out = append(out, Difference{Kind: "missing", Field: fieldPath(p), Recorded: typeName(rv)})
				}
			case !rok && gok:
				if !done["extra"+p] {
					done["extra"+p] = true
					out = append(out, Difference{Kind: "extra", Field: fieldPath(p), Replayed: typeName(gv)})
				}
			default:
				out = append(out, shape(p, rv, gv, done)...)
			}
		}
	case []any:
		g := got.([]any)
		for i := 0; i < len(r) && i < len(g); i++ {
			out = append(out, shape(path+"[]", r[i], g[i], done)...)
		}
	}
	return out
}

func fieldPath(p string) string {
	if p == "" {
		return "(body)"
	}
	return strings.TrimPrefix(p, ".")
}

// learn maps the recorded ids and numbers to the emulator's, from the same field of the same
// answer, so that a later request for a recorded id asks for the emulator's.
func (rp *replayer) learn(rec, got any, key string) {
	switch r := rec.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return
		}
		for k, rv := range r {
			if gv, ok := g[k]; ok {
				rp.learn(rv, gv, k)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return
		}
		for i := 0; i < len(r) && i < len(g); i++ {
			rp.learn(r[i], g[i], key)
		}
	case string, float64:
		if !idLike(key) {
			return
		}
		rs, gs := scalar(r), scalar(got)
		if gs == "" || rs == gs || len(rs) < 3 {
			return
		}
		if _, ok := rp.values[rs]; !ok {
			rp.values[rs] = gs
		}
	}
}

func idLike(key string) bool {
	k := fieldKey(key)
	return key == "id" || strings.HasSuffix(key, "Id") || strings.HasSuffix(key, "_id") ||
		personalFields[k] == "phone"
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return jsonNumber(x)
	}
	return ""
}
