// Package resources keeps the state of the operations no hand-written handler owns: records of
// collections (create, read, list, replace, merge, delete) and singletons (settings read until a
// value is stored, then that value). It knows the shape of a resource only as JSON objects:
// what a record starts from (a schema-valid generated body) and which fields the server owns
// come from the caller, which derives them from the OpenAPI document. It knows neither HTTP nor
// SQL.
package resources

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// ErrNotFound is what a Store returns for a record that does not exist.
var ErrNotFound = store.ErrNotFound

// Record is one stored resource: a collection's member (ID set) or a singleton (ID "").
// Collection is the concrete path of the collection or singleton, with the caller's account and
// extension ids in it, so that one user's records are not another's.
type Record struct {
	Collection string
	ID         string
	// Raw is the record's JSON as stored: reads answer it as it is, which is most of their cost
	// saved. Data is the record decoded, for the operations that change or filter it.
	Raw      json.RawMessage
	Data     map[string]any
	Created  time.Time
	Modified time.Time
}

// decode fills Data from Raw.
func (r *Record) decode() error {
	if r.Data != nil {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(r.Raw))
	d.UseNumber() // ids beyond 2^53 keep every digit
	return d.Decode(&r.Data)
}

// save encodes Data into Raw and stores the record.
func (s *Service) save(ctx context.Context, r *Record) error {
	raw, err := json.Marshal(r.Data)
	if err != nil {
		return err
	}
	r.Raw = raw
	return s.store.PutResource(ctx, *r)
}

// Store is what the engine keeps.
type Store interface {
	// PutResource inserts or replaces the record with the same collection and id (its Raw).
	PutResource(ctx context.Context, r Record) error
	// Resource and ListResources return records with Raw set.
	Resource(ctx context.Context, collection, id string) (Record, error)
	// ListResources lists limit of a collection's records from offset (all of them for limit
	// < 0), oldest first, and how many it holds.
	ListResources(ctx context.Context, collection string, offset, limit int) ([]Record, int, error)
	// DeleteResource removes a record; ErrNotFound if there is none.
	DeleteResource(ctx context.Context, collection, id string) error
	// ReserveIDs reserves n consecutive serial numbers and returns the first.
	ReserveIDs(ctx context.Context, n int) (int64, error)
}

// Service applies the rules of generic resources.
type Service struct {
	store Store
	clock rc.Clock
	mu    sync.Mutex // serialises read-modify-write of one record
}

// New builds a Service.
func New(st Store, clock rc.Clock) *Service { return &Service{store: st, clock: clock} }

// Shape is what the caller knows of a resource from its schema.
type Shape struct {
	// Base is a schema-valid body the record starts from: what the platform would fill in.
	Base map[string]any
	// NumericID says the record's id is a JSON number (else a string). Base has the id field
	// when the record has one.
	NumericID bool
	// Required are the top-level fields the answer must carry whatever the client sent.
	Required []string
	// URI is the address of the record without its id, or "" when the record has no `uri`.
	URI string
	// IDField is the field that holds the record's id ("id" when empty): some records name
	// theirs after the path parameter (speakerId).
	IDField string
	// Accept says whether a field may take a value the client sent: what the answer's schema
	// does not declare, or declares otherwise, stays what it was. Nil accepts everything.
	Accept func(field string, v any) bool
}

func (sh Shape) accept(k string, v any) bool { return sh.Accept == nil || sh.Accept(k, v) }

// fit is the value a field takes when the client sends v onto old: v merged onto old (objects
// merge, null removes); where the schema refuses that, old with those of v's fields it allows,
// one at a time. ok is false when nothing of v could be taken.
func (sh Shape) fit(k string, old, v any) (any, bool) {
	om, oldObj := old.(map[string]any)
	vm, vObj := v.(map[string]any)
	merged := v
	if vObj {
		merged = withoutNulls(vm)
		if oldObj {
			merged = MergePatch(om, vm)
		}
	}
	if sh.accept(k, merged) {
		return merged, true
	}
	if !oldObj || !vObj {
		return old, false
	}
	keys := make([]string, 0, len(vm))
	for sk := range vm {
		keys = append(keys, sk)
	}
	sort.Strings(keys)
	out, took := om, false
	for _, sk := range keys {
		try := MergePatch(out, map[string]any{sk: vm[sk]})
		if sh.accept(k, try) {
			out, took = try, true
		}
	}
	return out, took
}

func (sh Shape) idField() string {
	if sh.IDField != "" {
		return sh.IDField
	}
	return "id"
}

// Server-owned fields the engine sets on every record that has them.
var (
	createdFields  = []string{"creationTime", "createTime", "created", "createdTime", "creationDate"}
	modifiedFields = []string{"lastModifiedTime", "lastModified", "modifiedTime", "updateTime", "lastModifiedDate"}
)

// Create stores body merged onto the shape's base, with a new id, uri and times.
func (s *Service) Create(ctx context.Context, collection string, sh Shape, body map[string]any) (Record, error) {
	n, err := s.store.ReserveIDs(ctx, 1)
	if err != nil {
		return Record{}, err
	}
	id := strconv.FormatInt(n, 10)
	now := s.clock.Now()
	data := maps.Clone(sh.Base)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range withoutNulls(body) {
		if val, ok := sh.fit(k, data[k], v); ok {
			data[k] = val
		}
	}
	r := Record{Collection: collection, ID: id, Data: data, Created: now, Modified: now}
	s.stamp(&r, sh)
	return r, s.save(ctx, &r)
}

// Get reads a record (its Raw).
func (s *Service) Get(ctx context.Context, collection, id string) (Record, error) {
	return s.store.Resource(ctx, collection, id)
}

// read reads a record and decodes it.
func (s *Service) read(ctx context.Context, collection, id string) (Record, error) {
	r, err := s.store.Resource(ctx, collection, id)
	if err != nil {
		return r, err
	}
	return r, r.decode()
}

// Replace stores body as the whole record: what the client left out is gone, but for the
// server's fields and those the schema requires (taken from the stored record).
func (s *Service) Replace(ctx context.Context, collection, id string, sh Shape, body map[string]any) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.read(ctx, collection, id)
	if err != nil {
		return Record{}, err
	}
	data := map[string]any{}
	for _, k := range append(slices.Clip(sh.Required), sh.idField()) { // Required is shared: never append into it
		if v, ok := old.Data[k]; ok {
			data[k] = v
		}
	}
	for k, v := range withoutNulls(body) {
		if val, ok := sh.fit(k, nil, v); ok {
			data[k] = val
		} else if val, ok := sh.fit(k, old.Data[k], v); ok {
			// A partial object where the schema wants more: what it sent, on what was there.
			data[k] = val
		}
	}
	old.Data = data
	s.stamp(&old, sh)
	return old, s.save(ctx, &old)
}

// Patch merges body into the record (RFC 7386: an explicit null removes that field only).
func (s *Service) Patch(ctx context.Context, collection, id string, sh Shape, body map[string]any) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.read(ctx, collection, id)
	if err != nil {
		return Record{}, err
	}
	old.Data = sh.patch(old.Data, body)
	for _, k := range sh.Required {
		if _, ok := old.Data[k]; !ok {
			if v, ok := sh.Base[k]; ok {
				old.Data[k] = v // a required field cannot be removed
			}
		}
	}
	s.stamp(&old, sh)
	return old, s.save(ctx, &old)
}

// Delete removes a record.
func (s *Service) Delete(ctx context.Context, collection, id string) error {
	return s.store.DeleteResource(ctx, collection, id)
}

// Setting reads a singleton: its stored value, or the shape's base while none is stored.
func (s *Service) Setting(ctx context.Context, path string, base func() (map[string]any, error)) (json.RawMessage, error) {
	r, err := s.store.Resource(ctx, path, "")
	if errors.Is(err, ErrNotFound) {
		b, err := base()
		if err != nil {
			return nil, err
		}
		return json.Marshal(b)
	}
	return r.Raw, err
}

// UpdateSetting merges body into a singleton (its stored value or the base) and stores it.
// PUT and PATCH both merge: the platform's settings PUTs change the fields they are given.
func (s *Service) UpdateSetting(ctx context.Context, path string, sh Shape, body map[string]any, nullRemoves bool) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	r, err := s.read(ctx, path, "")
	switch {
	case errors.Is(err, ErrNotFound):
		r = Record{Collection: path, Data: maps.Clone(sh.Base), Created: now}
		if r.Data == nil {
			r.Data = map[string]any{}
		}
	case err != nil:
		return nil, err
	}
	if !nullRemoves {
		body = withoutNulls(body)
	}
	r.Data = sh.patch(r.Data, body)
	r.Modified = now
	for _, f := range modifiedFields {
		if _, ok := r.Data[f]; ok {
			r.Data[f] = rc.FormatTime(now)
		}
	}
	return r.Data, s.save(ctx, &r)
}

// patch applies a merge patch field by field, each as the schema allows it.
func (sh Shape) patch(data, body map[string]any) map[string]any {
	out := maps.Clone(data)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range body {
		if v == nil {
			delete(out, k)
			continue
		}
		if val, ok := sh.fit(k, out[k], v); ok {
			out[k] = val
		}
	}
	return out
}

// stamp sets the server's fields: id, uri, and the times the record has fields for.
func (s *Service) stamp(r *Record, sh Shape) {
	if _, ok := sh.Base[sh.idField()]; ok {
		if sh.NumericID {
			n, _ := strconv.ParseInt(r.ID, 10, 64)
			r.Data[sh.idField()] = n
		} else {
			r.Data[sh.idField()] = r.ID
		}
	}
	if sh.URI != "" {
		r.Data["uri"] = strings.TrimSuffix(sh.URI, "/") + "/" + r.ID
	}
	r.Modified = s.clock.Now()
	for _, f := range createdFields {
		if _, ok := sh.Base[f]; ok {
			r.Data[f] = rc.FormatTime(r.Created)
		}
	}
	for _, f := range modifiedFields {
		if _, ok := sh.Base[f]; ok {
			r.Data[f] = rc.FormatTime(r.Modified)
		}
	}
}

// Filter is a list's query: each field must equal one of its values (a union, as the
// platform's multi-valued parameters are).
type Filter map[string][]string

// List returns a page of a collection's records that match f, and how many match in all.
func (s *Service) List(ctx context.Context, collection string, f Filter, offset, limit int) ([]Record, int, error) {
	if len(f) == 0 {
		// The store pages: a list costs its page, not the collection.
		return s.store.ListResources(ctx, collection, offset, limit)
	}
	all, _, err := s.store.ListResources(ctx, collection, 0, -1)
	if err != nil {
		return nil, 0, err
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var hits []Record
	for _, r := range all {
		if err := r.decode(); err != nil {
			return nil, 0, err
		}
		if matches(r.Data, f, keys) {
			hits = append(hits, r)
		}
	}
	total := len(hits)
	if offset >= total {
		return []Record{}, total, nil
	}
	return hits[offset:min(total, offset+limit)], total, nil
}

func matches(data map[string]any, f Filter, keys []string) bool {
	for _, k := range keys {
		v, ok := data[k]
		if !ok {
			return false
		}
		s := scalarString(v)
		hit := false
		for _, want := range f[k] {
			hit = hit || strings.EqualFold(s, want)
		}
		if !hit {
			return false
		}
	}
	return true
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case json.Number:
		return x.String()
	}
	return ""
}

// MergePatch applies an RFC 7386 merge patch: objects merge recursively, null removes, any
// other value replaces.
func MergePatch(target, patch map[string]any) map[string]any {
	out := maps.Clone(target)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			if tm, ok := out[k].(map[string]any); ok {
				out[k] = MergePatch(tm, pm)
				continue
			}
			out[k] = withoutNulls(pm)
			continue
		}
		out[k] = v
	}
	return out
}

func withoutNulls(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case nil:
		case map[string]any:
			out[k] = withoutNulls(x)
		default:
			out[k] = v
		}
	}
	return out
}
