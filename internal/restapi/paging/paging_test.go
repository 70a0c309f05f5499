package paging_test

import (
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/restapi/query"
)

func TestParseDefaultsAndLimits(t *testing.T) {
	for _, tc := range []struct {
		raw           string
		page, perPage int
		err           string
	}{
		{"", 1, 100, ""},
		{"page=3&perPage=10", 3, 10, ""},
		{"perPage=5000", 1, 1000, ""}, // clamped, as the platform does
		{"page=0", 0, 0, "page"},
		{"perPage=0", 0, 0, "perPage"},
		{"perPage=ten", 0, 0, "perPage"},
		{"page=-2", 0, 0, "page"},
	} {
		q, _ := query.Parse(tc.raw)
		p, err := paging.Parse(q)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want one naming %s", tc.raw, err, tc.err)
			}
			continue
		}
		if err != nil || p.Page != tc.page || p.PerPage != tc.perPage {
			t.Errorf("%q = %+v, %v; want page %d perPage %d", tc.raw, p, err, tc.page, tc.perPage)
		}
	}
}

func TestEnvelope(t *testing.T) {
	q, _ := query.Parse("type=User&type=Department")
	base := "http://h/restapi/v1.0/account/1/extension"

	self, info, nav := paging.Envelope(base, q, paging.Page{Page: 2, PerPage: 2}, 5, 2)
	if self != base+"?type=User&type=Department&page=2&perPage=2" {
		t.Errorf("self = %s", self)
	}
	if info.Page != 2 || info.TotalPages != 3 || info.TotalElements != 5 || info.PerPage != 2 ||
		info.PageStart == nil || *info.PageStart != 2 || info.PageEnd == nil || *info.PageEnd != 3 {
		t.Errorf("info = %+v", info)
	}
	if nav.FirstPage.URI != base+"?type=User&type=Department&page=1&perPage=2" ||
		nav.PreviousPage.URI != base+"?type=User&type=Department&page=1&perPage=2" ||
		nav.NextPage.URI != base+"?type=User&type=Department&page=3&perPage=2" ||
		nav.LastPage.URI != base+"?type=User&type=Department&page=3&perPage=2" {
		t.Errorf("nav = %+v %+v %+v %+v", nav.FirstPage, nav.PreviousPage, nav.NextPage, nav.LastPage)
	}

	// A single page has neither previous nor next.
	_, _, nav = paging.Envelope(base, query.Values{}, paging.Page{Page: 1, PerPage: 100}, 3, 3)
	if nav.PreviousPage != nil || nav.NextPage != nil || nav.FirstPage == nil || nav.LastPage == nil {
		t.Errorf("single page nav = %+v", nav)
	}

	// An empty list: one page, no pageStart/pageEnd (the captured platform shape).
	_, info, _ = paging.Envelope(base, query.Values{}, paging.Page{Page: 1, PerPage: 100}, 0, 0)
	if info.TotalPages != 1 || info.TotalElements != 0 || info.PageStart != nil || info.PageEnd != nil {
		t.Errorf("empty info = %+v", info)
	}
}
