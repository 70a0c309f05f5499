package restapi

import (
	"sort"
	"strings"
)

// Router matches paths segment by segment. Fixed segments win over {parameters}, as the platform
// routes them, and the lookup backtracks so that /a/{x}/c and /a/b/d both resolve. It reports the
// methods a path allows so that a wrong method gets 405 with Allow instead of 404.
type Router struct {
	root node
}

type node struct {
	static    map[string]*node
	param     *node
	paramName string
	routes    map[string]*Route
}

// Route is one operation: a method on a pattern, with its handler and how to guard it.
type Route struct {
	Method  string
	Pattern string
	Handler Handler
	Options
}

// Options say how the conventions layer treats a route.
type Options struct {
	// Public routes need no bearer token (discovery, OAuth, the control plane).
	Public bool
	// Internal routes belong to the emulator itself: they are neither logged in the request log
	// nor counted in the User-Agent report.
	Internal bool
	// Permission names the user permission a non-administrator lacks when addressing another
	// extension (CMN-419's permissionName). Empty means ReadExtensions.
	Permission string
	// OtherExtensionAllowed lets any user of the account address another extension (directory
	// style reads); by default only administrators may.
	OtherExtensionAllowed bool
	// MaxBody is the operation's own x-request-max-body-size in bytes; 0 means the server's.
	MaxBody int64
	// Operation is the spec's operationId, Group its x-throttling-group ("" when unknown: no
	// rate limit applies).
	Operation string
	Group     string
	// AppPermission is the operation's x-app-permission: an app whose permissions lack it is
	// refused with 403 CMN-401.
	AppPermission string
	// UserPermission is the operation's x-user-permission ("A OR B": either): a user whose role
	// lacks it is refused with 403 CMN-408 (CMN-402 for AccountAdministration).
	UserPermission string
}

// Param is one matched path parameter.
type Param struct{ Name, Value string }

// Handle registers h for method and pattern ("/restapi/v1.0/account/{accountId}").
func (rt *Router) Handle(method, pattern string, h Handler, opt Options) {
	n := &rt.root
	for _, seg := range split(pattern) {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			if n.param == nil {
				n.param = &node{paramName: name}
			} else if n.param.paramName != name {
				panic("restapi: conflicting parameter names " + n.param.paramName + " and " + name + " in " + pattern)
			}
			n = n.param
			continue
		}
		if n.static == nil {
			n.static = make(map[string]*node)
		}
		child := n.static[seg]
		if child == nil {
			child = &node{}
			n.static[seg] = child
		}
		n = child
	}
	if n.routes == nil {
		n.routes = make(map[string]*Route)
	}
	if _, dup := n.routes[method]; dup {
		panic("restapi: duplicate route " + method + " " + pattern)
	}
	n.routes[method] = &Route{Method: method, Pattern: pattern, Handler: h, Options: opt}
}

// Lookup finds the route for method and path. When the path exists but not for method, route
// is nil and allowed lists the methods it has.
func (rt *Router) Lookup(method, path string) (route *Route, params []Param, allowed []string) {
	segs := split(path)
	n := match(&rt.root, segs, &params)
	if n == nil {
		return nil, nil, nil
	}
	if r := n.routes[method]; r != nil {
		return r, params, nil
	}
	if method == "HEAD" {
		if r := n.routes["GET"]; r != nil {
			return r, params, nil
		}
	}
	for m := range n.routes {
		allowed = append(allowed, m)
	}
	sort.Strings(allowed)
	return nil, params, allowed
}

func match(n *node, segs []string, params *[]Param) *node {
	if len(segs) == 0 {
		if len(n.routes) > 0 {
			return n
		}
		return nil
	}
	if child := n.static[segs[0]]; child != nil {
		if found := match(child, segs[1:], params); found != nil {
			return found
		}
	}
	if n.param != nil && segs[0] != "" {
		mark := len(*params)
		*params = append(*params, Param{Name: n.param.paramName, Value: segs[0]})
		if found := match(n.param, segs[1:], params); found != nil {
			return found
		}
		*params = (*params)[:mark]
	}
	return nil
}

// Routes lists every registered route, sorted by pattern then method.
func (rt *Router) Routes() []*Route {
	var out []*Route
	var walk func(*node)
	walk = func(n *node) {
		for _, r := range n.routes {
			out = append(out, r)
		}
		for _, c := range n.static {
			walk(c)
		}
		if n.param != nil {
			walk(n.param)
		}
	}
	walk(&rt.root)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// split cuts a path into segments, ignoring one trailing slash as clients send
// "/restapi/v1.0/subscription/".
func split(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}
