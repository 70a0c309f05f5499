package specmock

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/spec"
)

// slot is a part of a body that depends on the request.
type slot uint8

const (
	slotNone       slot = iota
	slotBase            // scheme://host the client used
	slotAccount         // the addressed (or calling) account's id
	slotExtension       // the addressed (or calling) extension's id
	slotParam           // a path parameter's value (arg: its spec name), `~` resolved
	slotNow             // the clock's time, RFC 3339 with milliseconds
	slotToday           // the clock's date
	slotListURI         // a list's own URI with the effective query, page and perPage
	slotPaging          // a list's paging block
	slotNavigation      // a list's navigation block
	slotRecords         // a list's records for the requested page
)

// piece is one part of a generated string: fixed text or a slot.
type piece struct {
	text string
	slot slot
	arg  string
}

// gval is a generated value before it becomes a template.
type gval struct {
	kind  byte // 'l' literal, 's' dynamic string, 'n' dynamic integer, 'o' object, 'a' array, 'P' paging, 'N' navigation, 'R' records
	lit   json.RawMessage
	str   []piece
	num   piece // for 'n': the slot; text is the fallback literal
	keys  []string
	vals  []*gval
	items []*gval   // 'a' and 'R'
	list  *listInfo // 'P', 'N', 'R'
}

// listInfo describes a classic list (records + paging + navigation).
type listInfo struct {
	total       int
	pagingKeys  []string // the paging fields the schema declares, in wire order
	navKeys     []string
	pagingExtra *gval // other declared fields of the blocks, generated like any object
	navExtra    *gval
}

func literal(v any) *gval {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null")
	}
	return &gval{kind: 'l', lit: b}
}

func rawLiteral(b json.RawMessage) *gval { return &gval{kind: 'l', lit: b} }

func dynString(ps ...piece) *gval { return &gval{kind: 's', str: ps} }

// generator builds bodies for one operation.
type generator struct {
	doc     *spec.Document
	op      *spec.Operation
	request bool // a request body: readOnly properties are left out, no request context
	// self is the operation's path with its parameters as slots: the resource's own URI.
	self []piece
	// last is the spec name of the path's final parameter ("/message-store/{messageId}").
	last      string
	pathNames map[string]bool
	failures  []string // values no candidate satisfied
}

func newGenerator(doc *spec.Document, op *spec.Operation, request bool) *generator {
	g := &generator{doc: doc, op: op, request: request, pathNames: map[string]bool{}}
	segs := strings.Split(op.Path, "/")
	var text strings.Builder
	for i, seg := range segs {
		if i > 0 {
			text.WriteByte('/')
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			g.pathNames[name] = true
			if text.Len() > 0 {
				g.self = append(g.self, piece{text: text.String()})
				text.Reset()
			}
			g.self = append(g.self, paramPiece(name))
			if i == len(segs)-1 {
				g.last = name
			}
			continue
		}
		text.WriteString(seg)
	}
	if text.Len() > 0 {
		g.self = append(g.self, piece{text: text.String()})
	}
	return g
}

// paramPiece is the slot for a path parameter; {accountId} and {extensionId} are the resolved ids.
func paramPiece(name string) piece {
	switch name {
	case "accountId":
		return piece{slot: slotAccount}
	case "extensionId":
		return piece{slot: slotExtension}
	}
	return piece{slot: slotParam, arg: name}
}

// gctx is where in the body a value is generated.
type gctx struct {
	path    string // JSON path, also the seed of generated ids
	name    string // property name
	parent  string // the enclosing property's name
	top     bool   // the body itself
	inTop   bool   // a property of the body itself
	item    int    // index in the enclosing array
	depth   int
	stack   []int             // schemas of the enclosing objects, for recursion
	forced  map[string]string // discriminator values this object must carry
	itemURI []piece           // for list records: the list's URI, to which a record's id is appended
	idText  []piece           // the object's own id, once generated (for its uri)
}

func (c gctx) child(name string) gctx {
	return gctx{path: c.path + "." + name, name: name, parent: c.name, inTop: c.top, depth: c.depth + 1, stack: c.stack, item: -1}
}

// body generates the value of a media type's schema, starting from its example when it has one.
func (g *generator) body(m *spec.Media) *gval {
	var ex any
	if len(m.Example) > 0 {
		ex, _ = spec.DecodeJSON(m.Example)
	}
	return g.value([]int{m.Schema}, gctx{path: "$", top: true, item: -1}, ex)
}

// closure adds the allOf members of every schema in set, keeping the order.
func (g *generator) closure(set []int) []int {
	var out []int
	for _, si := range set {
		for _, i := range g.doc.AllOf(si) {
			if !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
	}
	return out
}

// value generates a value that satisfies every schema of set.
func (g *generator) value(set []int, c gctx, ex any) *gval {
	all := g.closure(set)
	if len(all) == 0 {
		if ex != nil {
			return literal(ex)
		}
		return literal(map[string]any{})
	}
	// Polymorphism first: pick a member, then generate against the set plus the member.
	for _, si := range all {
		s := g.doc.Schema(si)
		members := append(append([]int(nil), s.OneOf...), s.AnyOf...)
		chosen := false
		for _, m := range members {
			if slices.Contains(all, m) {
				chosen = true
			}
		}
		if d := s.Discriminator; d != nil {
			for _, m := range d.Mapping {
				if slices.Contains(all, m.Schema) {
					c.forced = withForced(c.forced, d.Property, m.Value)
					chosen = true
					break
				}
			}
			if !chosen && len(d.Mapping) > 0 {
				pick := d.Mapping[0]
				for _, m := range d.Mapping {
					if len(members) == 0 || slices.Contains(members, m.Schema) {
						pick = m
						break
					}
				}
				c.forced = withForced(c.forced, d.Property, pick.Value)
				return g.value(append(append([]int(nil), set...), pick.Schema), c, ex)
			}
		}
		if !chosen && len(members) > 0 {
			var first *gval
			for _, m := range members {
				v := g.value(append(append([]int(nil), set...), m), c, ex)
				if first == nil {
					first = v
				}
				if g.valid(v, set) {
					return v
				}
			}
			return first
		}
	}

	typ := ""
	hasProps := false
	hasItems := false
	for _, si := range all {
		s := g.doc.Schema(si)
		if typ == "" {
			typ = s.Type
		}
		hasProps = hasProps || len(s.Properties) > 0 || s.Additional >= 0
		hasItems = hasItems || s.Items != spec.None
	}
	if typ == "" {
		switch {
		case hasProps:
			typ = "object"
		case hasItems:
			typ = "array"
		}
	}
	switch typ {
	case "object":
		return g.object(all, c, ex)
	case "array":
		return g.array(all, c, ex)
	case "":
		if ex != nil {
			return literal(ex)
		}
		return literal(map[string]any{})
	}
	return g.scalar(all, typ, c, ex)
}

func withForced(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		if a != k {
			out[a] = b
		}
	}
	return out
}

// valid renders v with the sample context and checks it against every schema of set.
func (g *generator) valid(v *gval, set []int) bool {
	b := renderSample(v)
	val, err := spec.DecodeJSON(b)
	if err != nil {
		return false
	}
	for _, si := range set {
		if len(g.doc.Validate(si, val, spec.Mode{Request: g.request})) > 0 {
			return false
		}
	}
	return true
}

type propInfo struct {
	name     string
	schemas  []int
	required bool
}

func (g *generator) object(all []int, c gctx, ex any) *gval {
	exObj, _ := ex.(map[string]any)
	props := map[string]*propInfo{}
	var names []string
	required := map[string]bool{}
	var additional []int
	var minProps int64
	for _, si := range all {
		s := g.doc.Schema(si)
		for _, p := range s.Properties {
			pi := props[p.Name]
			if pi == nil {
				pi = &propInfo{name: p.Name}
				props[p.Name] = pi
				names = append(names, p.Name)
			}
			pi.schemas = append(pi.schemas, p.Schema)
		}
		for _, r := range s.Required {
			required[r] = true
		}
		if s.Additional >= 0 {
			additional = append(additional, s.Additional)
		}
		if s.MinProps > minProps {
			minProps = s.MinProps
		}
	}
	for n := range required {
		if pi := props[n]; pi != nil {
			pi.required = true
		}
	}
	sort.Strings(names)
	// "id" first so that "uri" can use it.
	sort.SliceStable(names, func(i, j int) bool { return names[i] == "id" && names[j] != "id" })

	if !g.request && c.top {
		if rec, pag := props["records"], props["paging"]; rec != nil && pag != nil {
			return g.list(all, props, names, c, exObj)
		}
	}

	stack := append(append([]int(nil), c.stack...), all...)
	out := &gval{kind: 'o'}
	for _, n := range names {
		pi := props[n]
		if g.skip(pi, c, stack) {
			continue
		}
		cc := c.child(n)
		cc.stack = stack
		cc.itemURI = nil
		if c.top {
			cc.parent = ""
		}
		var v *gval
		if fv, ok := c.forced[n]; ok {
			v = literal(fv)
		} else {
			v = g.propValue(pi, cc, c, exObj[n])
		}
		if v == nil {
			continue
		}
		if n == "id" {
			c.idText = asPieces(v)
		}
		out.keys = append(out.keys, n)
		out.vals = append(out.vals, v)
	}
	if len(out.keys) < int(minProps) && len(additional) > 0 {
		for i := len(out.keys); i < int(minProps); i++ {
			k := "key" + strconv.Itoa(i+1)
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, g.value(additional, c.child(k), nil))
		}
	}
	return reorder(out)
}

// keyRank puts the platform's usual leading fields first; the rest stay sorted.
var keyRank = map[string]int{"uri": 1, "id": 2, "records": 3, "paging": 4, "navigation": 5}

func reorder(o *gval) *gval {
	idx := make([]int, len(o.keys))
	for i := range idx {
		idx[i] = i
	}
	rank := func(k string) int {
		if r, ok := keyRank[k]; ok {
			return r
		}
		return 10
	}
	sort.SliceStable(idx, func(a, b int) bool { return rank(o.keys[idx[a]]) < rank(o.keys[idx[b]]) })
	keys := make([]string, len(idx))
	vals := make([]*gval, len(idx))
	for i, j := range idx {
		keys[i], vals[i] = o.keys[j], o.vals[j]
	}
	o.keys, o.vals = keys, vals
	return o
}

// skip leaves out what the side does not carry, and optional properties that would recurse.
func (g *generator) skip(pi *propInfo, c gctx, stack []int) bool {
	for _, si := range pi.schemas {
		s := g.doc.Schema(si)
		if (g.request && s.ReadOnly) || (!g.request && s.WriteOnly) {
			return true
		}
	}
	if pi.required {
		return false
	}
	if c.depth > 8 {
		return true
	}
	for _, si := range g.closure(pi.schemas) {
		if slices.Contains(stack, si) {
			return true // optional and recursive: stop here
		}
		if items := g.doc.Schema(si).Items; items != spec.None && slices.Contains(stack, items) {
			return true
		}
	}
	return false
}

func asPieces(v *gval) []piece {
	switch v.kind {
	case 's':
		return v.str
	case 'n':
		return []piece{v.num}
	case 'l':
		var s string
		if json.Unmarshal(v.lit, &s) == nil {
			return []piece{{text: s}}
		}
		return []piece{{text: string(v.lit)}}
	}
	return nil
}

func (g *generator) propValue(pi *propInfo, cc, parent gctx, ex any) *gval {
	if pi.name == "uri" && !g.request {
		if v := g.uriValue(pi.schemas, parent); v != nil {
			return v
		}
	}
	return g.value(pi.schemas, cc, ex)
}

// uriValue is an object's own absolute URI on this server.
func (g *generator) uriValue(set []int, c gctx) *gval {
	var ps []piece
	switch {
	case c.itemURI != nil && c.idText != nil:
		ps = append(append(append([]piece{{slot: slotBase}}, c.itemURI...), piece{text: "/"}), c.idText...)
	case c.top && g.op.Method == "POST" && g.last == "" && c.idText != nil:
		// A resource created in a collection lives under it.
		ps = append(append(append([]piece{{slot: slotBase}}, g.self...), piece{text: "/"}), c.idText...)
	case c.top:
		ps = append([]piece{{slot: slotBase}}, g.self...)
	case c.name == "account":
		ps = []piece{{slot: slotBase}, {text: "/restapi/v1.0/account/"}, {slot: slotAccount}}
	case c.name == "extension" || c.name == "owner" || c.name == "creator" || c.name == "operator":
		ps = []piece{{slot: slotBase}, {text: "/restapi/v1.0/account/"}, {slot: slotAccount}, {text: "/extension/"}}
		if c.idText != nil {
			ps = append(ps, c.idText...)
		} else {
			ps = append(ps, piece{slot: slotExtension})
		}
	default:
		ps = append([]piece{{slot: slotBase}}, g.self...)
	}
	v := dynString(ps...)
	if g.valid(v, set) {
		return v
	}
	return nil
}

func (g *generator) array(all []int, c gctx, ex any) *gval {
	var items []int
	minItems, maxItems := int64(0), int64(-1)
	unique := false
	for _, si := range all {
		s := g.doc.Schema(si)
		if s.Items != spec.None {
			items = append(items, s.Items)
		}
		if s.MinItems > minItems {
			minItems = s.MinItems
		}
		if s.MaxItems >= 0 && (maxItems < 0 || s.MaxItems < maxItems) {
			maxItems = s.MaxItems
		}
		unique = unique || s.UniqueItems
	}
	exArr, _ := ex.([]any)
	n := int64(1)
	if len(exArr) > 0 {
		n = int64(min(len(exArr), 3))
	}
	if unique && len(exArr) == 0 {
		n = max(minItems, 1)
	}
	n = max(n, minItems)
	if maxItems >= 0 && n > maxItems {
		n = maxItems
	}
	out := &gval{kind: 'a'}
	stack := c.stack
	for i := int64(0); i < n; i++ {
		cc := gctx{path: c.path + "[" + strconv.FormatInt(i, 10) + "]", name: c.name, parent: c.parent,
			depth: c.depth + 1, stack: stack, item: int(i), forced: nil}
		var e any
		if int(i) < len(exArr) {
			e = exArr[i]
		}
		v := g.value(items, cc, e)
		if unique {
			v = g.distinct(items, v, out.items, cc, int(i))
		}
		out.items = append(out.items, v)
	}
	return out
}

// distinct replaces v by another enum value when an earlier item already has it.
func (g *generator) distinct(items []int, v *gval, before []*gval, c gctx, i int) *gval {
	dup := func(x *gval) bool {
		for _, b := range before {
			if string(renderSample(b)) == string(renderSample(x)) {
				return true
			}
		}
		return false
	}
	if !dup(v) {
		return v
	}
	for _, si := range g.closure(items) {
		for _, e := range g.doc.Schema(si).Enum {
			cand := rawLiteral(e)
			if !dup(cand) && g.valid(cand, items) {
				return cand
			}
		}
	}
	return v
}

// list generates a classic list: records for the requested page, paging and navigation
// computed per request, uri echoing the effective query.
func (g *generator) list(all []int, props map[string]*propInfo, names []string, c gctx, ex map[string]any) *gval {
	stack := append(append([]int(nil), c.stack...), all...)
	rec := props["records"]
	var itemSet []int
	minItems, maxItems := int64(0), int64(-1)
	for _, si := range g.closure(rec.schemas) {
		s := g.doc.Schema(si)
		if s.Items != spec.None {
			itemSet = append(itemSet, s.Items)
		}
		minItems = max(minItems, s.MinItems)
		if s.MaxItems >= 0 && (maxItems < 0 || s.MaxItems < maxItems) {
			maxItems = s.MaxItems
		}
	}
	total := max(int64(2), minItems)
	if maxItems >= 0 && total > maxItems {
		total = maxItems
	}
	info := &listInfo{total: int(total)}
	pagingStd := []string{"page", "totalPages", "perPage", "totalElements", "pageStart", "pageEnd"}
	navStd := []string{"firstPage", "nextPage", "previousPage", "lastPage"}
	info.pagingKeys = g.declared(props["paging"].schemas, pagingStd)
	info.pagingExtra = g.extra(props["paging"].schemas, pagingStd, c)
	if nav := props["navigation"]; nav != nil {
		info.navKeys = g.declared(nav.schemas, navStd)
		info.navExtra = g.extra(nav.schemas, navStd, c)
	}
	var exRecords []any
	if ex != nil {
		exRecords, _ = ex["records"].([]any)
	}
	out := &gval{kind: 'o'}
	for _, n := range names {
		pi := props[n]
		var v *gval
		switch n {
		case "uri":
			v = dynString(piece{slot: slotListURI})
		case "paging":
			v = &gval{kind: 'P', list: info}
		case "navigation":
			v = &gval{kind: 'N', list: info}
		case "records":
			v = &gval{kind: 'R', list: info}
			for i := 0; i < info.total; i++ {
				cc := gctx{path: fmt.Sprintf("$.records[%d]", i), name: "records", depth: 1, stack: stack, item: i,
					itemURI: g.self}
				var e any
				if len(exRecords) > 0 {
					e = exRecords[i%len(exRecords)]
				}
				v.items = append(v.items, g.value(itemSet, cc, e))
			}
		default:
			if g.skip(pi, c, stack) {
				continue
			}
			cc := c.child(n)
			cc.stack = stack
			cc.parent = ""
			v = g.value(pi.schemas, cc, ex[n])
		}
		out.keys = append(out.keys, n)
		out.vals = append(out.vals, v)
	}
	return reorder(out)
}

// extra generates the properties of an envelope block (paging, navigation) other than the ones
// computed per request ("pageToken", "sortableFields").
func (g *generator) extra(set []int, std []string, c gctx) *gval {
	all := g.closure(set)
	v := g.object(all, gctx{path: c.path + ".envelope", name: "paging", depth: c.depth + 1, stack: c.stack, item: -1}, nil)
	out := &gval{kind: 'o'}
	for i, k := range v.keys {
		if !slices.Contains(std, k) {
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, v.vals[i])
		}
	}
	return out
}

// declared keeps the names that the object schemas of set declare.
func (g *generator) declared(set []int, names []string) []string {
	var out []string
	for _, n := range names {
		for _, si := range g.closure(set) {
			if g.doc.Schema(si).Property(n) != spec.None {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// --- scalars ---

// scalar tries candidates in order and keeps the first that every schema of the set accepts.
func (g *generator) scalar(all []int, typ string, c gctx, ex any) *gval {
	var cands []*gval
	add := func(v *gval) {
		if v != nil {
			cands = append(cands, v)
		}
	}
	format := ""
	var enum []json.RawMessage
	var examples, defaults []json.RawMessage
	var minimum, maximum *float64
	var minLen, maxLen int64 = 0, -1
	var patterns []string
	for _, si := range all {
		s := g.doc.Schema(si)
		if format == "" {
			format = s.Format
		}
		if len(s.Enum) > 0 && enum == nil {
			enum = s.Enum
		}
		if len(s.Example) > 0 {
			examples = append(examples, s.Example)
		}
		if len(s.Default) > 0 {
			defaults = append(defaults, s.Default)
		}
		if s.HasMinimum {
			minimum = &s.Minimum
		}
		if s.HasMaximum {
			maximum = &s.Maximum
		}
		if s.Pattern != "" {
			patterns = append(patterns, s.Pattern)
		}
		minLen = max(minLen, s.MinLength)
		if s.MaxLength >= 0 && (maxLen < 0 || s.MaxLength < maxLen) {
			maxLen = s.MaxLength
		}
	}
	// The spec's own values come first when they fit: its example, examples and defaults.
	addDocumented := func() {
		if ex != nil {
			add(literal(ex))
		}
		for _, e := range examples {
			add(rawLiteral(e))
		}
		for _, d := range defaults {
			add(rawLiteral(d))
		}
	}
	name := c.name
	lname := strings.ToLower(name)

	if len(enum) > 0 {
		addDocumented()
		for _, e := range enum {
			add(rawLiteral(e))
		}
		return g.pick(all, cands, c)
	}

	if !g.request {
		add(g.contextual(typ, format, name, c))
	}
	switch typ {
	case "string":
		switch {
		case format == "date-time":
			if g.request {
				add(literal("2026-01-01T00:00:00.000Z"))
			} else {
				add(dynString(piece{slot: slotNow}))
			}
		case format == "date":
			if g.request {
				add(literal("2026-01-01"))
			} else {
				add(dynString(piece{slot: slotToday}))
			}
		case format == "uuid":
			add(literal(uuidFor(g.op.ID + c.path)))
		case format == "uri" || format == "uri-reference":
			if g.request {
				add(literal("https://example.com/rcemu/" + lname))
			} else {
				add(dynString(append([]piece{{slot: slotBase}}, g.self...)...))
			}
		case isPhoneName(name):
			add(literal(phoneFor(g.op.ID + c.path)))
		case isIDName(name) && len(patterns) == 0 && format == "":
			// Generated before the spec's example, which every record would share.
			add(literal(digits(g.op.ID+c.path+strconv.Itoa(c.item), 9)))
		}
		addDocumented()
		switch {
		case format == "email" || strings.Contains(lname, "email"):
			add(literal("user" + digits(g.op.ID+c.path, 6) + "@example.com"))
		case format == "date-time":
			add(literal("2026-01-01T00:00:00.000Z"))
		case format == "time":
			add(literal("09:00:00"))
		case format == "ipv4":
			add(literal("192.0.2.10"))
		case format == "ipv6":
			add(literal("2001:db8::10"))
		case format == "hostname":
			add(literal("host.example.com"))
		case format == "byte":
			add(literal("cmNlbXU="))
		case isIDName(name):
			add(literal(digits(g.op.ID+c.path+strconv.Itoa(c.item), 9)))
		case lname == "extensionnumber":
			add(literal("101"))
		case isPhoneName(name):
			add(literal(phoneFor(g.op.ID + c.path)))
		}
		for _, p := range patterns {
			if v, ok := patternSample(p); ok {
				add(literal(v))
			}
		}
		add(literal(fitLength(wordsFor(name, c.item), minLen, maxLen)))
	case "integer":
		if isIDName(name) {
			add(literal(idNumber(g.op.ID+c.path+strconv.Itoa(c.item), format)))
		}
		addDocumented()
		add(literal(intWithin(minimum, maximum, 1)))
		add(literal(intWithin(minimum, maximum, 0)))
	case "number":
		addDocumented()
		add(literal(floatWithin(minimum, maximum)))
	case "boolean":
		addDocumented()
		add(literal(false))
		add(literal(true))
	}
	return g.pick(all, cands, c)
}

func (g *generator) pick(all []int, cands []*gval, c gctx) *gval {
	for _, v := range cands {
		if g.valid(v, all) {
			return v
		}
	}
	g.failures = append(g.failures, c.path)
	if len(cands) > 0 {
		return cands[len(cands)-1]
	}
	return literal(nil)
}

// contextual returns the value a field means in this request: the caller's account and
// extension, the path's ids, an object's own URI.
func (g *generator) contextual(typ, format, name string, c gctx) *gval {
	num := typ == "integer"
	str := typ == "string"
	if !num && !str {
		return nil
	}
	mk := func(p piece, fallback string) *gval {
		if num {
			p.text = fallback
			return &gval{kind: 'n', num: p}
		}
		return dynString(p)
	}
	fallbackID := strconv.FormatInt(idNumber(g.op.ID+c.path, format), 10)
	switch {
	case name == "accountId":
		return mk(piece{slot: slotAccount}, fallbackID)
	case name == "extensionId":
		return mk(piece{slot: slotExtension}, fallbackID)
	case name == "id" && c.parent == "account":
		return mk(piece{slot: slotAccount}, fallbackID)
	case name == "id" && (c.parent == "extension" || c.parent == "owner" || c.parent == "operator") && g.pathNames["extensionId"]:
		return mk(piece{slot: slotExtension}, fallbackID)
	case name == "id" && c.inTop && g.last != "":
		return mk(paramPiece(g.last), fallbackID)
	case g.pathNames[name] && name != "id":
		return mk(paramPiece(name), fallbackID)
	case str && (name == "uri" || strings.HasSuffix(name, "Uri") || strings.HasSuffix(name, "Url") || format == "uri"):
		return dynString(append([]piece{{slot: slotBase}}, g.self...)...)
	}
	return nil
}

func isIDName(name string) bool {
	return name == "id" || (strings.HasSuffix(name, "Id") && len(name) > 2) || strings.HasSuffix(name, "ID")
}

// isPhoneName says whether a string property holds a phone number.
func isPhoneName(name string) bool {
	l := strings.ToLower(name)
	switch l {
	case "phonenumber", "mainnumber", "number", "fromnumber", "tonumber", "directnumber", "faxnumber", "e164",
		"mobilephone", "businessphone", "homephone", "phone", "callernumber", "calleenumber", "forwardingnumber":
		return true
	}
	return strings.HasSuffix(l, "phonenumber") && !strings.Contains(l, "id")
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// digits is a deterministic decimal string of n digits, not starting with 0.
func digits(seed string, n int) string {
	h := hash64(seed)
	b := make([]byte, n)
	b[0] = byte('1' + h%9)
	h /= 9
	for i := 1; i < n; i++ {
		if h == 0 {
			h = hash64(seed + strconv.Itoa(i))
		}
		b[i] = byte('0' + h%10)
		h /= 10
	}
	return string(b)
}

// idNumber is a deterministic id: nine to twelve digits, or within int32 for int32 fields.
func idNumber(seed, format string) int64 {
	h := hash64(seed)
	if format == "int32" {
		return int64(100000 + h%(math.MaxInt32-100000))
	}
	return int64(100000000 + h%900000000000)
}

// phoneFor is a deterministic E.164 number in the 555 range.
func phoneFor(seed string) string { return "+1650555" + digits(seed, 4) }

func uuidFor(seed string) string {
	a, b := hash64(seed), hash64(seed+"#")
	s := fmt.Sprintf("%016x%016x", a, b)
	return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:32]
}

func intWithin(lo, hi *float64, want int64) int64 {
	n := want
	if lo != nil && float64(n) < *lo {
		n = int64(math.Ceil(*lo))
	}
	if hi != nil && float64(n) > *hi {
		n = int64(math.Floor(*hi))
	}
	return n
}

func floatWithin(lo, hi *float64) float64 {
	switch {
	case lo != nil && hi != nil:
		return (*lo + *hi) / 2
	case lo != nil:
		return *lo + 1
	case hi != nil:
		return *hi - 1
	}
	return 1.5
}

// wordsFor makes readable text from a property name: "firstName" → "First name".
func wordsFor(name string, item int) string {
	if name == "" {
		name = "value"
	}
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' && i > 0 {
			b.WriteByte(' ')
			b.WriteRune(r + 'a' - 'A')
			continue
		}
		if i == 0 && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	s := b.String()
	if item > 0 {
		s += " " + strconv.Itoa(item+1)
	}
	return s
}

func fitLength(s string, minLen, maxLen int64) string {
	for int64(len(s)) < minLen {
		s += "x"
	}
	if maxLen >= 0 && int64(len(s)) > maxLen {
		s = s[:maxLen]
	}
	return s
}
