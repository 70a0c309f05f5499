package app_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/spec"
	"github.com/rcemu/rcemu/internal/specmock"
)

// genericOps groups the generic operations of the spec by their collection's normalized path.
func genericOps(m *specmock.Mock) (collections map[string]map[string]specmock.Coverage, settings map[string]map[string]specmock.Coverage) {
	collections, settings = map[string]map[string]specmock.Coverage{}, map[string]map[string]specmock.Coverage{}
	for _, c := range m.Coverage {
		if c.Tier != specmock.TierGeneric {
			continue
		}
		k := spec.NormalizePath(c.Op.Path)
		into := collections
		switch c.Role {
		case "read", "replace", "patch", "delete":
			k = strings.TrimSuffix(k, "/{}")
		case "setting-read", "setting-put", "setting-patch":
			into = settings
		}
		if into[k] == nil {
			into[k] = map[string]specmock.Coverage{}
		}
		into[k][c.Role] = c
	}
	return collections, settings
}

func decoded(t *testing.T, r *rctest.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// requiredQuery is the sample request's values of the operation's required query parameters.
func requiredQuery(doc *spec.Document, op *spec.Operation) string {
	s := specmock.SampleRequest(doc, op)
	_, raw, _ := strings.Cut(s.Path, "?")
	q, _ := url.ParseQuery(raw)
	out := url.Values{}
	for _, p := range op.Params {
		if p.In == "query" && p.Required {
			out[p.Name] = q[p.Name]
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "?" + out.Encode()
}

// sampleReq is the generated valid request for an operation, at path.
func sampleReq(doc *spec.Document, op *spec.Operation, tok, path string) rctest.Req {
	s := specmock.SampleRequest(doc, op)
	h := s.Header.Clone()
	if s.ContentType != "" {
		h.Set("Content-Type", s.ContentType)
	}
	if path == "" {
		path = s.Path
	}
	return rctest.Req{Method: s.Method, Path: path, Token: tok, Raw: string(s.Body), Header: h}
}

// TestGenericCollectionsRoundTrip: for every collection the spec yields, a generated create →
// read → list → replace → patch → delete → read (404) against a real rcemu; every answer is also
// checked against the spec by rctest.
func TestGenericCollectionsRoundTrip(t *testing.T) {
	a := specApp(t)
	doc := a.Spec().Doc
	tok := a.Login(a.User(0, "101")).AccessToken
	cols, _ := genericOps(a.Spec())
	if len(cols) < 20 {
		t.Fatalf("only %d generic collections", len(cols))
	}
	for k, ops := range cols {
		create, ok := ops["create"]
		if !ok {
			t.Errorf("%s: item operations without a create", k)
			continue
		}
		t.Run(create.Op.ID, func(t *testing.T) {
			req := sampleReq(doc, create.Op, tok, "")
			coll, _, _ := strings.Cut(req.Path, "?")
			res := a.Do(req)
			if want := create.Op.Success().Status; strconv.Itoa(res.Status) != want {
				t.Fatalf("create %s: %d, want %s: %s", req.Path, res.Status, want, res.Body)
			}
			made := decoded(t, res)
			id := idOf(made["id"])
			if rd, ok := ops["read"]; ok && id == "" {
				// A record without an id field names its id after the item's path parameter.
				segs := strings.Split(rd.Op.Path, "/")
				id = idOf(made[strings.Trim(segs[len(segs)-1], "{}")])
			}
			if id == "" {
				t.Fatalf("create %s: no id in %s", req.Path, res.Body)
			}
			item := coll + "/" + id
			if u, ok := made["uri"].(string); ok && !strings.HasSuffix(u, "/"+id) {
				t.Errorf("uri %q does not end with the id %s", u, id)
			}
			if rd, ok := ops["read"]; ok {
				got := a.Do(rctest.Req{Path: item, Token: tok})
				if got.Status != 200 || !reflect.DeepEqual(decoded(t, got), made) {
					t.Fatalf("read %s (%s): %d %s, want %s", item, rd.Op.ID, got.Status, got.Body, res.Body)
				}
			}
			if l, ok := ops["list"]; ok {
				got := a.Do(rctest.Req{Path: coll + requiredQuery(doc, l.Op), Token: tok})
				if got.Status == 200 && !strings.Contains(string(got.Body), fmt.Sprintf("%q", id)) && !strings.Contains(string(got.Body), `"id":`+id) {
					t.Errorf("list %s lacks %s: %s", coll, id, got.Body)
				}
			}
			for _, role := range []string{"replace", "patch"} {
				c, ok := ops[role]
				if !ok {
					continue
				}
				r := sampleReq(doc, c.Op, tok, item)
				got := a.Do(r)
				if want := c.Op.Success().Status; strconv.Itoa(got.Status) != want {
					t.Fatalf("%s %s: %d, want %s: %s", role, item, got.Status, want, got.Body)
				}
				if rd, ok := ops["read"]; ok && got.Status == 200 {
					again := a.Do(rctest.Req{Path: item, Token: tok})
					if again.Status != 200 || !reflect.DeepEqual(decoded(t, again), decoded(t, got)) {
						t.Fatalf("read after %s (%s): %d %s, want %s", role, rd.Op.ID, again.Status, again.Body, got.Body)
					}
				}
			}
			if del, ok := ops["delete"]; ok {
				got := a.Do(rctest.Req{Method: "DELETE", Path: item, Token: tok})
				if want := del.Op.Success().Status; strconv.Itoa(got.Status) != want {
					t.Fatalf("delete %s: %d, want %s: %s", item, got.Status, want, got.Body)
				}
				if _, ok := ops["read"]; ok {
					// CMN-102, or the code the operation's family documents instead.
					if got := a.Do(rctest.Req{Path: item, Token: tok}); got.Status != 404 || got.ErrorCode(t) == "" {
						t.Fatalf("read after delete: %d %s", got.Status, got.Body)
					}
				}
				if got := a.Do(rctest.Req{Method: "DELETE", Path: item, Token: tok}); got.Status != 404 {
					t.Fatalf("second delete: %d %s", got.Status, got.Body)
				}
			}
		})
	}
}

// TestGenericSettingsKeepWhatIsStored: every singleton answers its default until a PUT or PATCH
// stores a value; then GET answers that.
func TestGenericSettingsKeepWhatIsStored(t *testing.T) {
	a := specApp(t)
	doc := a.Spec().Doc
	tok := a.Login(a.User(0, "101")).AccessToken
	_, settings := genericOps(a.Spec())
	if len(settings) < 20 {
		t.Fatalf("only %d generic settings", len(settings))
	}
	for _, ops := range settings {
		rd := ops["setting-read"]
		for _, role := range []string{"setting-put", "setting-patch"} {
			c, ok := ops[role]
			if !ok {
				continue
			}
			t.Run(c.Op.ID, func(t *testing.T) {
				req := sampleReq(doc, c.Op, tok, "")
				path, _, _ := strings.Cut(req.Path, "?")
				q := requiredQuery(doc, rd.Op)
				before := a.Do(rctest.Req{Path: path + q, Token: tok})
				if before.Status != 200 {
					t.Skipf("read %s: %d (the sample's ids name nothing the engine reads)", path, before.Status)
				}
				got := a.Do(req)
				if want := c.Op.Success().Status; strconv.Itoa(got.Status) != want {
					t.Fatalf("%s %s: %d, want %s: %s", role, req.Path, got.Status, want, got.Body)
				}
				after := a.Do(rctest.Req{Path: path + q, Token: tok})
				if after.Status != 200 {
					t.Fatalf("read after %s: %d %s", role, after.Status, after.Body)
				}
				// Every field the client sent that the answer declares and allows is what GET shows.
				var sent map[string]any
				if err := json.Unmarshal([]byte(req.Raw), &sent); err != nil {
					t.Fatalf("sample body: %v", err)
				}
				now := decoded(t, after)
				if got.Status == 200 && !reflect.DeepEqual(decoded(t, got), now) {
					t.Errorf("%s answered %s, GET then %s", role, got.Body, after.Body)
				}
				was := decoded(t, before)
				asked, applied := 0, 0
				for k, v := range sent {
					if !within(v, was[k]) {
						asked++
						if moved(v, was[k], now[k]) {
							applied++
						}
					}
				}
				if asked > 0 && applied == 0 {
					t.Errorf("%s stored nothing of %s: GET still %s", role, req.Raw, after.Body)
				}
			})
		}
	}
}

// TestGenericRecordsAreScopedPersistedAndSnapshotted: one user's records are not another's; a
// record outlives a restart on the same file; reset removes it; a named snapshot brings it
// back and outlives the reset; bad input changes nothing.
func TestGenericRecordsAreScopedPersistedAndSnapshotted(t *testing.T) {
	path := rctest.SpecPath()
	if path == "" {
		t.Skip("the spec has not been fetched")
	}
	db := t.TempDir() + "/rcemu.db"
	a := rctest.MustOpenApp(t, rctest.WithSpec(path), rctest.WithDB(db))
	ada := a.Login(a.User(0, "101")).AccessToken
	grace := a.Login(a.User(0, "102")).AccessToken
	coll := "/restapi/v1.0/account/~/extension/~/forwarding-number"
	made := a.Do(rctest.Req{Method: "POST", Path: coll, Token: ada, JSON: map[string]any{
		"phoneNumber": "+16505550177", "label": "Lab phone", "type": "Other"}})
	if made.Status != 200 {
		t.Fatalf("create: %d %s", made.Status, made.Body)
	}
	rec := decoded(t, made)
	id := idOf(rec["id"])
	if rec["label"] != "Lab phone" || rec["phoneNumber"] != "+16505550177" {
		t.Fatalf("created record lost what was sent: %s", made.Body)
	}
	item := coll + "/" + id
	count := func(tok string) int {
		r := a.Do(rctest.Req{Path: coll, Token: tok})
		if r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		return len(decoded(t, r)["records"].([]any))
	}
	if n := count(ada); n != 1 {
		t.Fatalf("Ada lists %d records", n)
	}
	if n := count(grace); n != 0 {
		t.Fatalf("Grace lists %d of Ada's records", n)
	}
	if r := a.Do(rctest.Req{Path: item, Token: grace}); r.Status != 404 {
		t.Fatalf("Grace reads Ada's record at her own path: %d %s", r.Status, r.Body)
	}

	// Bad input: a wrong type is 400 naming the field, an unknown id 404; nothing changes.
	if r := a.Do(rctest.Req{Method: "PUT", Path: item, Token: ada, JSON: map[string]any{"label": 42}}); r.Status != 400 || r.ErrorCode(t) != "CMN-101" {
		t.Fatalf("wrong type: %d %s", r.Status, r.Body)
	} else if !strings.Contains(string(r.Body), `"parameterName":"label"`) {
		t.Fatalf("wrong type names no field: %s", r.Body)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: coll + "/999999999", Token: ada, JSON: map[string]any{"label": "x"}}); r.Status != 404 {
		t.Fatalf("unknown id: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: coll, Token: ada, Raw: `{"label": `, Header: map[string][]string{"Content-Type": {"application/json"}}}); r.Status != 400 {
		t.Fatalf("malformed JSON: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: item, Token: ada}); r.Status != 200 || !reflect.DeepEqual(decoded(t, r), rec) || count(ada) != 1 {
		t.Fatalf("after bad input: %d %s", r.Status, r.Body)
	}

	// PUT replaces: the label it leaves out is gone.
	put := a.Do(rctest.Req{Method: "PUT", Path: item, Token: ada, JSON: map[string]any{"phoneNumber": "+16505550178"}})
	if put.Status != 200 {
		t.Fatalf("put: %d %s", put.Status, put.Body)
	}
	if p := decoded(t, put); p["phoneNumber"] != "+16505550178" || p["label"] != nil || idOf(p["id"]) != id {
		t.Fatalf("put did not replace: %s", put.Body)
	}

	a.CloseNow(t)
	a = rctest.MustOpenApp(t, rctest.WithSpec(path), rctest.WithDB(db))
	if r := a.Do(rctest.Req{Path: item, Token: ada}); r.Status != 200 || decoded(t, r)["phoneNumber"] != "+16505550178" {
		t.Fatalf("after a restart: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/snapshots/with-number"}); r.Status != 201 {
		t.Fatalf("save snapshot: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/snapshots/bad%20name"}); r.Status != 400 {
		t.Fatalf("bad snapshot name: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/reset"}); r.Status != 200 {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: item, Token: a.Login(a.User(0, "101")).AccessToken}); r.Status != 404 {
		t.Fatalf("after reset: %d %s", r.Status, r.Body)
	}
	list := a.Do(rctest.Req{Path: "/_rcemu/snapshots"})
	if list.Status != 200 || !strings.Contains(string(list.Body), `"name":"with-number"`) {
		t.Fatalf("snapshots after reset: %d %s", list.Status, list.Body)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/snapshots/with-number/restore"}); r.Status != 204 {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Path: item, Token: ada}); r.Status != 200 || decoded(t, r)["phoneNumber"] != "+16505550178" {
		t.Fatalf("after restore: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "DELETE", Path: "/_rcemu/snapshots/with-number"}); r.Status != 204 {
		t.Fatalf("delete snapshot: %d %s", r.Status, r.Body)
	}
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/snapshots/with-number/restore"}); r.Status != 404 {
		t.Fatalf("restore a deleted snapshot: %d %s", r.Status, r.Body)
	}
}

// within says sent is what got holds: equal, or for objects, each field sent within got's.
func within(sent, got any) bool {
	sm, ok := sent.(map[string]any)
	if !ok {
		return reflect.DeepEqual(sent, got)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range sm {
		if !within(v, gm[k]) {
			return false
		}
	}
	return true
}

// moved says some of what was sent, unlike before, is there now (the schema may refuse the rest).
func moved(sent, was, now any) bool {
	sm, ok := sent.(map[string]any)
	if !ok {
		return within(sent, now)
	}
	wm, _ := was.(map[string]any)
	nm, _ := now.(map[string]any)
	for k, v := range sm {
		if !within(v, wm[k]) && moved(v, wm[k], nm[k]) {
			return true
		}
	}
	return false
}
