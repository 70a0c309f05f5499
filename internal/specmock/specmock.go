// Package specmock serves the operations of a RingCentral OpenAPI document that no stateful
// handler serves. Each request is checked against its operation (path, query and header
// parameters, JSON, form and multipart bodies) and answered with the documented success status
// and a body generated from the schema: deterministic, schema-valid, with the spec's examples
// where it has them, ids of the documented type, E.164 numbers, the clock's time, URIs on this
// server, the path's ids and the caller's account and extension.
//
// Bodies are compiled once per operation into templates whose request-dependent parts (base
// URL, ids, time, paging) are filled in per request, so a spec-served GET costs about as much as
// a hand-written one.
package specmock

import (
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/resources"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/spec"
)

// Options configure the spec-served operations.
type Options struct {
	Clock rc.Clock
	// Strict rejects what is tolerated by default: unknown query parameters and body properties,
	// readOnly properties in request bodies, a scalar query parameter given more than once.
	Strict bool
	// Log, when set, gets a warning for a body the generator could not make fully schema-valid
	// (when an operation first answers).
	Log *slog.Logger
	// Resources keeps the state of the collections and singletons; nil answers them from the
	// schema alone, as every other operation.
	Resources *resources.Service
}

// Tiers of an operation.
const (
	TierStateful = "stateful" // a hand-written handler serves it
	TierSpec     = "spec"     // this package serves it
)

// Coverage is one operation and who serves it.
type Coverage struct {
	Op      *spec.Operation
	Tier    string
	Pattern string // the pattern the router knows it by
	Role    string // for TierGeneric: create, list, read, replace, patch, delete, setting-read, setting-put, setting-patch
}

// Mock is the set of spec-served operations registered on a router.
type Mock struct {
	Doc      *spec.Document
	Coverage []Coverage // every operation of the document, in the document's order
	Stateful int
	Served   int // served from the spec, Generic of them with state
	Generic  int
	ops      map[string]*operation // by operationId
}

// publicPaths need no token although the spec lists the default OAuth security for them: the
// platform answers discovery and the OpenID Connect documents anonymously.
var publicPaths = map[string]bool{
	"/restapi":                          true,
	"/restapi/{apiVersion}":             true,
	"/.well-known/openid-configuration": true,
	"/restapi/oauth/jwks":               true,
}

// Register adds every operation of doc that the router does not already serve. A stateful
// handler wins for the same method and path shape; fixed segments keep winning over parameters,
// and a spec path parameter takes the name the router already uses at its position
// ({callQueueId} becomes {extensionId}, so `~` and the access rules apply to it).
func Register(rt *restapi.Router, doc *spec.Document, opt Options) *Mock {
	m := &Mock{Doc: doc, ops: map[string]*operation{}}
	doc.Operation("") // index the document now, not on the first request
	existing := map[string]*restapi.Route{}
	names := &nameNode{}
	for _, r := range rt.Routes() {
		existing[r.Method+" "+spec.NormalizePath(r.Pattern)] = r
		names.add(r.Pattern)
	}
	for _, op := range doc.Operations {
		if r, ok := existing[op.Method+" "+spec.NormalizePath(op.Path)]; ok {
			// A hand-written route is the same operation: it takes its id and throttling group.
			if r.Operation == "" {
				r.Operation, r.Group, r.AppPermission = op.ID, op.ThrottlingGroup, op.AppPermission
				r.UserPermission = op.UserPermission
			}
			m.Coverage = append(m.Coverage, Coverage{Op: op, Tier: TierStateful, Pattern: r.Pattern})
			m.Stateful++
			continue
		}
		pattern := names.add(op.Path)
		o := newOperation(doc, op, opt, pattern)
		// The permission CMN-419 names: the first of "EditUserInfo OR EditUserCredentials".
		perm, _, _ := strings.Cut(op.UserPermission, " ")
		rt.Handle(op.Method, pattern, o.serve, restapi.Options{Public: op.Public || publicPaths[op.Path], Permission: perm,
			Operation: op.ID, Group: op.ThrottlingGroup, AppPermission: op.AppPermission, UserPermission: op.UserPermission})
		m.ops[op.ID] = o
		m.Coverage = append(m.Coverage, Coverage{Op: op, Tier: TierSpec, Pattern: pattern})
		m.Served++
	}
	m.classify()
	return m
}

// GenerationFailures lists the body fields for which no candidate value satisfied the schema,
// by operation (empty when every generated body is valid).
func (m *Mock) GenerationFailures() map[string][]string {
	out := map[string][]string{}
	for id, o := range m.ops {
		if f := o.responses().failures; len(f) > 0 {
			out[id] = f
		}
	}
	return out
}

// nameNode records the parameter name used at each position of the router's patterns.
type nameNode struct {
	static map[string]*nameNode
	param  *nameNode
	name   string
}

// add registers a path and returns it with the parameter names in use at its positions.
func (n *nameNode) add(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	out := make([]string, len(segs))
	cur := n
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if cur.param == nil {
				cur.param = &nameNode{name: seg[1 : len(seg)-1]}
			}
			out[i] = "{" + cur.param.name + "}"
			cur = cur.param
			continue
		}
		out[i] = seg
		if cur.static == nil {
			cur.static = map[string]*nameNode{}
		}
		next := cur.static[seg]
		if next == nil {
			next = &nameNode{}
			cur.static[seg] = next
		}
		cur = next
	}
	return "/" + strings.Join(out, "/")
}

// operation serves one spec operation.
type operation struct {
	doc *spec.Document
	op  *spec.Operation
	opt Options

	path     []pathParam
	query    []*spec.Parameter
	header   []*spec.Parameter
	known    map[string]bool // declared query parameters
	pathSegs []string        // op.Path split at '/'

	once sync.Once
	resp *responses
	res  *resource // the operation's role in the resource engine, if it has one

	rulesOnce sync.Once // required and accept, for the records the operation stores
	required  []string
	accept    func(string, any) bool
}

// pathParam is a spec path parameter and the name the router gives it.
type pathParam struct {
	*spec.Parameter
	router string
}

// newOperation prepares op, registered on the router as pattern.
func newOperation(doc *spec.Document, op *spec.Operation, opt Options, pattern string) *operation {
	o := &operation{doc: doc, op: op, opt: opt, known: map[string]bool{}, pathSegs: strings.Split(op.Path, "/")}
	// The pattern has the spec path's parameters at the same positions, perhaps renamed.
	specNames, routerNames := spec.PathParamNames(op.Path), spec.PathParamNames(pattern)
	for i := range op.Params {
		p := &op.Params[i]
		switch p.In {
		case "path":
			o.path = append(o.path, pathParam{Parameter: p, router: routerNames[slices.Index(specNames, p.Name)]})
		case "query":
			o.query = append(o.query, p)
			o.known[p.Name] = true
		case "header":
			o.header = append(o.header, p)
		}
	}
	sort.SliceStable(o.query, func(i, j int) bool { return o.query[i].Required && !o.query[j].Required })
	return o
}

func (o *operation) serve(w http.ResponseWriter, r *restapi.Request) error {
	if err := o.checkPath(r); err != nil {
		return err
	}
	if err := o.checkQuery(r); err != nil {
		return err
	}
	if err := o.checkHeaders(r); err != nil {
		return err
	}
	body, err := o.checkBody(r)
	if err != nil {
		return err
	}
	if o.res != nil && o.opt.Resources != nil {
		return o.serveResource(w, r, body)
	}
	return o.respond(w, r)
}
