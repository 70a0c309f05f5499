// Package pathtree matches request paths against path patterns ("/a/{x}/c") segment by segment.
// Both the conventions layer's router and the spec's operation lookup use it, so that a path
// resolves to the same pattern in each. Standard library only.
package pathtree

import (
	"errors"
	"sort"
	"strings"
)

// Tree maps a method and a pattern to a value. Fixed segments win over {parameters}, as the
// platform routes them, and the lookup backtracks so that /a/{x}/c and /a/b/d both resolve.
type Tree[V any] struct {
	root node[V]
}

type node[V any] struct {
	static    map[string]*node[V]
	param     *node[V]
	paramName string
	values    map[string]entry[V] // by method
}

type entry[V any] struct {
	pattern string
	v       V
}

// Param is one matched path parameter.
type Param struct{ Name, Value string }

// Add registers v for method and pattern. It fails for a method and pattern already added, and
// for a parameter named differently from one already at the same place (the lookup could not
// tell the names apart).
func (t *Tree[V]) Add(method, pattern string, v V) error {
	n := &t.root
	for _, seg := range Split(pattern) {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			if n.param == nil {
				n.param = &node[V]{paramName: name}
			} else if n.param.paramName != name {
				return errors.New("conflicting parameter names " + n.param.paramName + " and " + name + " in " + pattern)
			}
			n = n.param
			continue
		}
		if n.static == nil {
			n.static = make(map[string]*node[V])
		}
		child := n.static[seg]
		if child == nil {
			child = &node[V]{}
			n.static[seg] = child
		}
		n = child
	}
	if n.values == nil {
		n.values = make(map[string]entry[V])
	}
	if _, dup := n.values[method]; dup {
		return errors.New("duplicate route " + method + " " + pattern)
	}
	n.values[method] = entry[V]{pattern: pattern, v: v}
	return nil
}

// Lookup finds the value for method and path; HEAD falls back to GET. When the path exists but
// not for method, ok is false and allowed lists the methods it has, sorted.
func (t *Tree[V]) Lookup(method, path string) (v V, params []Param, allowed []string, ok bool) {
	n := match(&t.root, Split(path), &params)
	if n == nil {
		return v, nil, nil, false
	}
	if e, found := n.values[method]; found {
		return e.v, params, nil, true
	}
	if method == "HEAD" {
		if e, found := n.values["GET"]; found {
			return e.v, params, nil, true
		}
	}
	for m := range n.values {
		allowed = append(allowed, m)
	}
	sort.Strings(allowed)
	return v, params, allowed, false
}

func match[V any](n *node[V], segs []string, params *[]Param) *node[V] {
	if len(segs) == 0 {
		if len(n.values) > 0 {
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

// Walk calls f for every value, in no particular order.
func (t *Tree[V]) Walk(f func(method, pattern string, v V)) {
	var walk func(*node[V])
	walk = func(n *node[V]) {
		for m, e := range n.values {
			f(m, e.pattern, e.v)
		}
		for _, c := range n.static {
			walk(c)
		}
		if n.param != nil {
			walk(n.param)
		}
	}
	walk(&t.root)
}

// Split cuts a path into segments, ignoring one trailing slash as clients send
// "/restapi/v1.0/subscription/".
func Split(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}
