package specmock

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/resources"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/spec"
)

// Roles an operation plays in the generic resource engine, derived from the paths and methods
// of the document: a collection is a path with a POST whose JSON answer is an object and an
// item path one parameter deeper with a GET; a singleton is a path with GET and PUT or PATCH
// that is no collection's item.
const (
	roleNone = iota
	roleCreate
	roleList
	roleRead
	roleReplace
	rolePatch
	roleDelete
	roleSettingRead
	roleSettingPut
	roleSettingPatch
)

var roleNames = map[int]string{roleCreate: "create", roleList: "list", roleRead: "read", roleReplace: "replace",
	rolePatch: "patch", roleDelete: "delete", roleSettingRead: "setting-read", roleSettingPut: "setting-put",
	roleSettingPatch: "setting-patch"}

// TierGeneric is an operation the spec serves with state kept by the resource engine.
const TierGeneric = "generic"

// resource is what an operation with a role needs to serve it.
type resource struct {
	role int
	// shapeOp is the operation whose answer is the stored record (the create or the setting's
	// GET): its generated body is what a record starts from.
	shapeOp *operation
	// filters are the query parameters that name a top-level field of the records (lists).
	filters []string
	// recordsKey is the list's property holding the records.
	recordsKey string
	// itemParam is the item path's parameter (the record's id).
	itemParam string
	// readers are the other operations that answer the record (read, replace, patch).
	readers []*operation
}

// classify gives the spec-served operations their roles.
func (m *Mock) classify() {
	type entry struct{ byMethod map[string]*operation }
	paths := map[string]*entry{}
	var order []string
	for _, c := range m.Coverage {
		o := m.ops[c.Op.ID]
		if o == nil || c.Tier != TierSpec {
			continue
		}
		k := spec.NormalizePath(o.op.Path)
		e := paths[k]
		if e == nil {
			e = &entry{byMethod: map[string]*operation{}}
			paths[k] = e
			order = append(order, k)
		}
		e.byMethod[o.op.Method] = o
	}
	items := map[string]bool{}
	for _, k := range order {
		e := paths[k]
		create := e.byMethod["POST"]
		item := paths[k+"/{}"]
		if create == nil || item == nil || item.byMethod["GET"] == nil || !create.jsonObjectIn() || !create.jsonObjectOut() ||
			!item.byMethod["GET"].jsonObjectOut() {
			continue
		}
		items[k+"/{}"] = true
		rd := item.byMethod["GET"]
		param := rd.path[len(rd.path)-1].Name
		create.res = &resource{role: roleCreate, shapeOp: create, itemParam: param}
		if l := e.byMethod["GET"]; l != nil && l.jsonObjectOut() {
			l.res = &resource{role: roleList, shapeOp: create, filters: l.fieldFilters(create), recordsKey: l.recordsField()}
		}
		for method, role := range map[string]int{"GET": roleRead, "PUT": roleReplace, "PATCH": rolePatch, "DELETE": roleDelete} {
			o := item.byMethod[method]
			if o == nil || (role == roleReplace || role == rolePatch) && !o.jsonObjectIn() {
				continue
			}
			o.res = &resource{role: role, shapeOp: create, itemParam: param}
			if role != roleDelete && o.jsonObjectOut() {
				create.res.readers = append(create.res.readers, o)
			}
		}
	}
	for _, k := range order {
		e := paths[k]
		get := e.byMethod["GET"]
		if items[k] || get == nil || get.res != nil || !get.jsonObjectOut() || get.op.Body != nil || get.isList() {
			continue
		}
		set := false
		for method, role := range map[string]int{"PUT": roleSettingPut, "PATCH": roleSettingPatch} {
			if o := e.byMethod[method]; o != nil && o.jsonObjectIn() && o.res == nil {
				o.res = &resource{role: role, shapeOp: get}
				set = true
			}
		}
		if set {
			get.res = &resource{role: roleSettingRead, shapeOp: get}
		}
	}
	for i, c := range m.Coverage {
		if o := m.ops[c.Op.ID]; o != nil && c.Tier == TierSpec && o.res != nil {
			m.Coverage[i].Tier, m.Coverage[i].Role = TierGeneric, roleNames[o.res.role]
			m.Generic++
		}
	}
}

// isList says the operation answers a list (records, paging): a PUT or PATCH on its path is
// a bulk change, not a setting.
func (o *operation) isList() bool {
	props := o.propSchemaMap()
	_, records := props["records"]
	_, pg := props["paging"]
	_, nav := props["navigation"]
	return records || pg || nav
}

// jsonObjectIn says the operation takes a JSON object body.
func (o *operation) jsonObjectIn() bool {
	if o.op.Body == nil {
		return false
	}
	m := spec.FindMedia(o.op.Body.Content, "application/json")
	return m != nil && m.Schema != spec.None && o.isObject(m.Schema)
}

// jsonObjectOut says the operation answers a JSON object.
func (o *operation) jsonObjectOut() bool {
	succ := o.op.Success()
	if succ == nil {
		return false
	}
	m := spec.FindMedia(succ.Content, "application/json")
	return m != nil && m.Schema != spec.None && o.isObject(m.Schema)
}

func (o *operation) isObject(si int) bool {
	for _, i := range o.doc.AllOf(si) {
		s := o.doc.Schema(i)
		if s.Type == "array" {
			return false
		}
		if s.Type == "object" || len(s.Properties) > 0 {
			return true
		}
	}
	return false
}

// props lists the top-level properties of the operation's JSON answer.
func (o *operation) props() (names []string, required []string) {
	succ := o.op.Success()
	if succ == nil {
		return nil, nil
	}
	m := spec.FindMedia(succ.Content, "application/json")
	if m == nil {
		return nil, nil
	}
	for _, i := range o.doc.AllOf(m.Schema) {
		s := o.doc.Schema(i)
		for _, p := range s.Properties {
			names = append(names, p.Name)
		}
		required = append(required, s.Required...)
	}
	return names, required
}

// fieldFilters are the list's query parameters that name a top-level field of the records.
func (o *operation) fieldFilters(create *operation) []string {
	names, _ := create.props()
	var out []string
	for _, p := range o.query {
		if slices.Contains(names, p.Name) && p.Name != "page" && p.Name != "perPage" {
			out = append(out, p.Name)
		}
	}
	return out
}

// base renders the operation's generated answer for this request as an object.
func (o *operation) base(r *restapi.Request) (map[string]any, error) {
	res := o.responses()
	if res.kind != bodyJSON {
		return map[string]any{}, nil
	}
	body := res.tmpl.render(nil, o.context(r))
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// recordShape describes the records the operation stores for this request.
func (o *operation) recordShape(r *restapi.Request, uri string) (resources.Shape, error) {
	base, err := o.base(r)
	if err != nil {
		return resources.Shape{}, err
	}
	required, accept := o.rules()
	if o.res != nil {
		// Where the spec's schemas of the record disagree (a pattern in the read's, none in the
		// create's), take the value generated for the reader that refuses ours.
		for _, rd := range o.res.readers {
			var theirs map[string]any
			for k, v := range base {
				if accept(k, v) {
					continue
				}
				if theirs == nil {
					if theirs, err = rd.base(r); err != nil {
						return resources.Shape{}, err
					}
				}
				if tv, ok := theirs[k]; ok && accept(k, tv) {
					base[k] = tv
				}
			}
		}
	}
	sh := resources.Shape{Base: base, Required: required, IDField: o.idField(base), Accept: accept}
	if _, ok := base[sh.IDField].(json.Number); ok {
		sh.NumericID = true
	}
	if _, ok := base["uri"]; ok {
		sh.URI = uri
	}
	return sh, nil
}

// rules are the answer's required fields and its field check, made once per operation: they
// walk the schema, which no request should pay for.
func (o *operation) rules() ([]string, func(string, any) bool) {
	o.rulesOnce.Do(func() {
		_, req := o.props()
		o.required = append(req[:len(req):len(req)], "id", "uri")
		o.accept = o.acceptor()
	})
	return o.required, o.accept
}

// idField is "id", or the field named like the item's path parameter when the record has no
// id but that (speakerId).
func (o *operation) idField(base map[string]any) string {
	if _, ok := base["id"]; ok || o.res == nil || o.res.itemParam == "" {
		return "id"
	}
	if _, ok := base[o.res.itemParam]; ok {
		return o.res.itemParam
	}
	return "id"
}

// acceptor accepts a field value the answer's schema declares and allows, in the answers of
// every operation that returns the record (the spec's create and read schemas differ at times).
func (o *operation) acceptor() func(string, any) bool {
	answers := []*operation{o}
	if o.res != nil {
		answers = append(answers, o.res.readers...)
	}
	var maps []map[string]int
	for _, a := range answers {
		maps = append(maps, a.propSchemaMap())
	}
	return func(k string, v any) bool {
		declared := false
		for _, props := range maps {
			si, ok := props[k]
			if !ok {
				continue
			}
			declared = true
			if len(o.doc.Validate(si, v, spec.Mode{})) > 0 {
				return false
			}
		}
		return declared
	}
}

// propSchemaMap maps the answer's top-level properties to their schemas.
func (o *operation) propSchemaMap() map[string]int {
	out := map[string]int{}
	succ := o.op.Success()
	if succ == nil {
		return out
	}
	m := spec.FindMedia(succ.Content, "application/json")
	if m == nil {
		return out
	}
	for _, i := range o.doc.AllOf(m.Schema) {
		for _, p := range o.doc.Schema(i).Properties {
			out[p.Name] = p.Schema
		}
	}
	return out
}

// recordsField is the list's property that holds its records: an array of objects, "records"
// where the list has it.
func (o *operation) recordsField() string {
	props := o.propSchemaMap()
	if _, ok := props["records"]; ok {
		return "records"
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, i := range o.doc.AllOf(props[k]) {
			if s := o.doc.Schema(i); s.Type == "array" && s.Items != spec.None && o.isObject(s.Items) {
				return k
			}
		}
	}
	return "records"
}

// serveResource serves an operation with a role; body is the decoded request body.
func (o *operation) serveResource(w http.ResponseWriter, r *restapi.Request, body any) error {
	ctx := r.Context()
	eng := o.opt.Resources
	c := o.context(r)
	obj, _ := body.(map[string]any)
	self := c.selfPath
	parent, id := self, ""
	if i := strings.LastIndexByte(self, '/'); i > 0 {
		parent, id = self[:i], self[i+1:]
	}
	res := o.res
	switch res.role {
	case roleCreate:
		sh, err := o.recordShape(r, c.base+self)
		if err != nil {
			return err
		}
		rec, err := eng.Create(ctx, self, sh, obj)
		if err != nil {
			return err
		}
		if o.responses().location {
			w.Header().Set("Location", c.base+self+"/"+rec.ID)
		}
		return o.writeJSON(w, r, rec.Data)
	case roleList:
		return o.list(w, r, c, self)
	case roleRead:
		rec, err := eng.Get(ctx, parent, id)
		if err != nil {
			return o.missing(err)
		}
		return o.write(w, r, o.responses(), o.jsonType(), rec.Raw)
	case roleReplace, rolePatch:
		sh, err := res.shapeOp.recordShape(r, c.base+parent)
		if err != nil {
			return err
		}
		var rec resources.Record
		if res.role == roleReplace {
			rec, err = eng.Replace(ctx, parent, id, sh, obj)
		} else {
			rec, err = eng.Patch(ctx, parent, id, sh, obj)
		}
		if err != nil {
			return o.missing(err)
		}
		return o.writeJSON(w, r, rec.Data)
	case roleDelete:
		if err := eng.Delete(ctx, parent, id); err != nil {
			return o.missing(err)
		}
		return o.respond(w, r)
	case roleSettingRead:
		raw, err := eng.Setting(ctx, self, func() (map[string]any, error) { return o.base(r) })
		if err != nil {
			return err
		}
		return o.write(w, r, o.responses(), o.jsonType(), raw)
	case roleSettingPut, roleSettingPatch:
		sh, err := res.shapeOp.recordShape(r, "")
		if err != nil {
			return err
		}
		data, err := eng.UpdateSetting(ctx, self, sh, obj, res.role == roleSettingPatch)
		if err != nil {
			return err
		}
		if o.responses().kind != bodyJSON {
			return o.respond(w, r)
		}
		return o.writeJSON(w, r, data)
	}
	return o.respond(w, r)
}

// missing turns a store miss into the platform's 404 naming the item's path parameter, with
// the error code the operation documents (CMN-102 unless its errors list other codes only).
func (o *operation) missing(err error) error {
	if !errors.Is(err, resources.ErrNotFound) {
		return err
	}
	name := "id"
	if len(o.path) > 0 {
		name = o.path[len(o.path)-1].Name
	}
	e := rc.NotFound(name)
	if code := o.notFoundCode(); code != e.Code {
		e.Code, e.TopCode = code, code
	}
	return e
}

func (o *operation) notFoundCode() string {
	resp := o.op.Response(http.StatusNotFound)
	if resp == nil {
		return "CMN-102"
	}
	m := spec.FindMedia(resp.Content, "application/json")
	if m == nil {
		return "CMN-102"
	}
	var codes []string
	var walk func(si, depth int)
	walk = func(si, depth int) {
		if depth > 4 {
			return
		}
		for _, i := range o.doc.AllOf(si) {
			sc := o.doc.Schema(i)
			if sc.Items != spec.None {
				walk(sc.Items, depth+1)
			}
			for _, p := range sc.Properties {
				switch p.Name {
				case "errorCode":
					for _, v := range o.doc.Schema(p.Schema).Enum {
						var c string
						if json.Unmarshal(v, &c) == nil {
							codes = append(codes, c)
						}
					}
				case "errors":
					walk(p.Schema, depth+1)
				}
			}
		}
	}
	walk(m.Schema, 0)
	if len(codes) == 0 || slices.Contains(codes, "CMN-102") {
		return "CMN-102"
	}
	return codes[0]
}

// list answers a collection's stored records in the list's generated envelope.
func (o *operation) list(w http.ResponseWriter, r *restapi.Request, c *rctx, self string) error {
	env, err := o.base(r)
	if err != nil {
		return err
	}
	f := resources.Filter{}
	for _, name := range o.res.filters {
		if vals := r.Query.All(name); len(vals) > 0 {
			f[name] = vals
		}
	}
	p := c.page
	recs, total, err := o.opt.Resources.List(r.Context(), self, f, p.Offset(), p.PerPage)
	if err != nil {
		return err
	}
	list := make([]any, len(recs))
	for i, rec := range recs {
		list[i] = rec.Raw
	}
	env[o.res.recordsKey] = list
	uri, info, nav := paging.Envelope(c.base+self, r.Query, p, total, len(recs))
	if _, ok := env["uri"]; ok {
		env["uri"] = uri
	}
	// Only the fields the list's own paging and navigation have: lists differ (token paging,
	// totals or not).
	if pg, ok := env["paging"].(map[string]any); ok {
		ours := asMap(info)
		for k := range pg {
			if v, ok := ours[k]; ok {
				pg[k] = v
			}
		}
		for _, k := range []string{"nextPageToken", "prevPageToken", "previousPageToken"} {
			delete(pg, k) // stored lists page by number: a generated token would lead nowhere
		}
	}
	if nv, ok := env["navigation"].(map[string]any); ok {
		ours := asMap(nav)
		for k := range nv {
			if v, ok := ours[k]; ok {
				nv[k] = v
			} else {
				delete(nv, k)
			}
		}
	}
	return o.writeJSON(w, r, env)
}

func asMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func (o *operation) writeJSON(w http.ResponseWriter, r *restapi.Request, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return o.write(w, r, o.responses(), o.jsonType(), b)
}

func (o *operation) jsonType() string {
	if ct := o.responses().contentType; ct != "" {
		return ct
	}
	return "application/json"
}
