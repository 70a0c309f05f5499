package restapi

import (
	"net/http"
	"reflect"
	"testing"
)

func TestRouterStaticBeatsParamAndBacktracks(t *testing.T) {
	rt := &Router{}
	nop := func(http.ResponseWriter, *Request) error { return nil }
	rt.Handle("GET", "/a/{x}/c", nop, Options{})
	rt.Handle("GET", "/a/b/d", nop, Options{})
	rt.Handle("GET", "/a/b", nop, Options{})
	rt.Handle("POST", "/a/{x}", nop, Options{})
	for _, tc := range []struct {
		method, path, pattern string
		params                []Param
		allowed               []string
	}{
		{"GET", "/a/b/d", "/a/b/d", nil, nil},
		{"GET", "/a/b/c", "/a/{x}/c", []Param{{Name: "x", Value: "b"}}, nil}, // static b has no c child: backtrack
		{"GET", "/a/z/c", "/a/{x}/c", []Param{{Name: "x", Value: "z"}}, nil},
		{"GET", "/a/b", "/a/b", nil, nil},
		{"POST", "/a/q", "/a/{x}", []Param{{Name: "x", Value: "q"}}, nil},
		{"DELETE", "/a/b", "", nil, []string{"GET"}},
		{"HEAD", "/a/b", "/a/b", nil, nil},
		{"GET", "/a/z", "", nil, []string{"POST"}},
		{"GET", "/nope", "", nil, nil},
		{"GET", "/a//c", "", nil, nil}, // an empty segment is not a parameter value
	} {
		r, params, allowed := rt.Lookup(tc.method, tc.path)
		got := ""
		if r != nil {
			got = r.Pattern
		}
		if got != tc.pattern || !reflect.DeepEqual(params, tc.params) && tc.pattern != "" || !reflect.DeepEqual(allowed, tc.allowed) {
			t.Errorf("%s %s = %q %v %v; want %q %v %v", tc.method, tc.path, got, params, allowed, tc.pattern, tc.params, tc.allowed)
		}
	}
}

func TestRouterRejectsDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("want panic on duplicate route")
		}
	}()
	rt := &Router{}
	nop := func(http.ResponseWriter, *Request) error { return nil }
	rt.Handle("GET", "/a", nop, Options{})
	rt.Handle("GET", "/a/", nop, Options{})
}
