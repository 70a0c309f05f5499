package restapi

import (
	"sort"

	"github.com/rcemu/rcemu/internal/pathtree"
)

// Router matches paths segment by segment (pathtree: fixed segments win over {parameters}, with
// backtracking). It reports the methods a path allows so that a wrong method gets 405 with Allow
// instead of 404.
type Router struct {
	tree pathtree.Tree[*Route]
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
type Param = pathtree.Param

// Handle registers h for method and pattern ("/restapi/v1.0/account/{accountId}"). A duplicate
// route or a conflicting parameter name is a programming error and panics.
func (rt *Router) Handle(method, pattern string, h Handler, opt Options) {
	if err := rt.tree.Add(method, pattern, &Route{Method: method, Pattern: pattern, Handler: h, Options: opt}); err != nil {
		panic("restapi: " + err.Error())
	}
}

// Lookup finds the route for method and path. When the path exists but not for method, route
// is nil and allowed lists the methods it has.
func (rt *Router) Lookup(method, path string) (route *Route, params []Param, allowed []string) {
	route, params, allowed, _ = rt.tree.Lookup(method, path)
	return route, params, allowed
}

// Routes lists every registered route, sorted by pattern then method.
func (rt *Router) Routes() []*Route {
	var out []*Route
	rt.tree.Walk(func(_, _ string, r *Route) { out = append(out, r) })
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}
