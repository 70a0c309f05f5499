package resources_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/resources"
	"github.com/rcemu/rcemu/internal/store/sqlstore"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var now = time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)

func open(t *testing.T) *resources.Service {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return resources.New(db, fixedClock{now})
}

// a JSON object as the handlers decode bodies (numbers as json.Number).
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func same(t *testing.T, what string, got map[string]any, want string) {
	t.Helper()
	g, _ := json.Marshal(got)
	var a, b any
	_ = json.Unmarshal(g, &a)
	_ = json.Unmarshal([]byte(want), &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, want)
	}
}

// noNumbers refuses a number for "name", as a schema with `name: string` would.
func noNumbers(k string, v any) bool {
	if _, isNum := v.(json.Number); isNum && k == "name" {
		return false
	}
	if m, ok := v.(map[string]any); ok && k == "schedule" {
		_, bad := m["weekday"].(json.Number)
		return !bad
	}
	return true
}

func shape(t *testing.T) resources.Shape {
	return resources.Shape{
		Base:      obj(t, `{"id":1,"uri":"x","name":"Name","enabled":true,"schedule":{"weekday":"Monday","from":"09:00"},"creationTime":"c","lastModifiedTime":"m"}`),
		NumericID: true, Required: []string{"id", "uri", "enabled"}, URI: "http://h/rules", Accept: noNumbers,
	}
}

func TestCreateMergesOntoTheBaseAndStampsServerFields(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r, err := s.Create(ctx, "/rules", shape(t), obj(t, `{"name":"Lunch","schedule":{"from":"12:00","weekday":7},"enabled":null,"extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	// The refused nested field keeps the base's value, the accepted one is taken; null is no value.
	same(t, "created", r.Data, `{"id":`+r.ID+`,"uri":"http://h/rules/`+r.ID+`","name":"Lunch","enabled":true,
		"schedule":{"weekday":"Monday","from":"12:00"},"extra":1,"creationTime":"2026-12-06T09:30:00.000Z","lastModifiedTime":"2026-12-06T09:30:00.000Z"}`)
	got, err := s.Get(ctx, "/rules", r.ID)
	if err != nil || string(got.Raw) != mustJSON(r.Data) {
		t.Fatalf("get: %s %v", got.Raw, err)
	}
	if _, err := s.Get(ctx, "/other", r.ID); err == nil {
		t.Fatal("a record is found under another collection")
	}
}

func TestReplaceClearsWhatIsLeftOutButRequiredFields(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r, _ := s.Create(ctx, "/rules", shape(t), obj(t, `{"name":"Lunch","extra":1}`))
	got, err := s.Replace(ctx, "/rules", r.ID, shape(t), obj(t, `{"name":5,"schedule":{"from":"08:00"}}`))
	if err != nil {
		t.Fatal(err)
	}
	// name 5 is refused (nothing to keep: PUT cleared it); schedule is taken as sent.
	same(t, "replaced", got.Data, `{"id":`+r.ID+`,"uri":"http://h/rules/`+r.ID+`","enabled":true,"schedule":{"from":"08:00"},
		"creationTime":"2026-12-06T09:30:00.000Z","lastModifiedTime":"2026-12-06T09:30:00.000Z"}`)
	if _, err := s.Replace(ctx, "/rules", "404", shape(t), obj(t, `{}`)); err == nil {
		t.Fatal("replace of an unknown id succeeded")
	}
}

func TestPatchMergesAndNullRemovesOneField(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r, _ := s.Create(ctx, "/rules", shape(t), obj(t, `{"name":"Lunch","extra":1}`))
	got, err := s.Patch(ctx, "/rules", r.ID, shape(t), obj(t, `{"extra":null,"enabled":null,"schedule":{"from":null,"to":"13:00"},"name":9}`))
	if err != nil {
		t.Fatal(err)
	}
	// enabled is required: it stays; name 9 is refused: Lunch stays.
	same(t, "patched", got.Data, `{"id":`+r.ID+`,"uri":"http://h/rules/`+r.ID+`","name":"Lunch","enabled":true,
		"schedule":{"weekday":"Monday","to":"13:00"},"creationTime":"2026-12-06T09:30:00.000Z","lastModifiedTime":"2026-12-06T09:30:00.000Z"}`)
	if err := s.Delete(ctx, "/rules", r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "/rules", r.ID); err == nil {
		t.Fatal("a second delete succeeded")
	}
	if _, err := s.Patch(ctx, "/rules", r.ID, shape(t), obj(t, `{}`)); err == nil {
		t.Fatal("patch of a deleted record succeeded")
	}
}

func TestSettingsAnswerTheDefaultUntilStored(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	sh := resources.Shape{Base: obj(t, `{"greeting":"Hello","mode":"Auto","lastModifiedTime":"m"}`), Accept: noNumbers}
	setting := func(path string) map[string]any {
		raw, err := s.Setting(ctx, path, func() (map[string]any, error) { return sh.Base, nil })
		if err != nil {
			t.Fatal(err)
		}
		return obj(t, string(raw))
	}
	v := setting("/a/1/settings")
	same(t, "default", v, `{"greeting":"Hello","mode":"Auto","lastModifiedTime":"m"}`)
	// PUT merges and ignores nulls; PATCH's null removes.
	if _, err := s.UpdateSetting(ctx, "/a/1/settings", sh, obj(t, `{"mode":"Manual","greeting":null}`), false); err != nil {
		t.Fatal(err)
	}
	v = setting("/a/1/settings")
	same(t, "after PUT", v, `{"greeting":"Hello","mode":"Manual","lastModifiedTime":"2026-12-06T09:30:00.000Z"}`)
	if _, err := s.UpdateSetting(ctx, "/a/1/settings", sh, obj(t, `{"greeting":null}`), true); err != nil {
		t.Fatal(err)
	}
	v = setting("/a/1/settings")
	same(t, "after PATCH", v, `{"mode":"Manual","lastModifiedTime":"2026-12-06T09:30:00.000Z"}`)
	other := setting("/a/2/settings")
	same(t, "another account's", other, `{"greeting":"Hello","mode":"Auto","lastModifiedTime":"m"}`)
}

func TestListFiltersAsAUnionAndPages(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, kind := range []string{"Custom", "BusinessHours", "Custom", "AfterHours", "Custom"} {
		if _, err := s.Create(ctx, "/rules", shape(t), map[string]any{"type": kind}); err != nil {
			t.Fatal(err)
		}
	}
	page, total, err := s.List(ctx, "/rules", resources.Filter{"type": {"custom", "AfterHours"}}, 1, 2)
	if err != nil || total != 4 || len(page) != 2 || obj(t, string(page[0].Raw))["type"] != "Custom" || obj(t, string(page[1].Raw))["type"] != "AfterHours" {
		t.Fatalf("page %v total %d err %v", page, total, err)
	}
	page, total, _ = s.List(ctx, "/rules", resources.Filter{"missing": {"x"}}, 0, 10)
	if total != 0 || len(page) != 0 {
		t.Fatalf("a filter on a field no record has matched %d", total)
	}
	if page, total, _ = s.List(ctx, "/rules", nil, 10, 10); total != 5 || len(page) != 0 {
		t.Fatalf("past the end: %d of %d", len(page), total)
	}
}

func TestMergePatch(t *testing.T) {
	got := resources.MergePatch(map[string]any{"a": "b", "c": map[string]any{"d": "e", "f": "g"}},
		map[string]any{"a": "z", "c": map[string]any{"f": nil, "h": map[string]any{"i": nil, "j": 1}}})
	same(t, "RFC 7386 example", got, `{"a":"z","c":{"d":"e","h":{"j":1}}}`)
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
