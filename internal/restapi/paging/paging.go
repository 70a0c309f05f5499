// Package paging implements the page/perPage paging every classic RingCentral list shares: the
// parameters, their defaults and limits, and the paging + navigation blocks whose URIs echo the
// effective query.
package paging

import (
	"strconv"

	"github.com/rcemu/rcemu/internal/restapi/query"
)

// Defaults and limits from the spec's Page and PerPage parameters.
const (
	DefaultPerPage = 100
	MaxPerPage     = 1000
)

// Page is a parsed page request.
type Page struct {
	Page    int
	PerPage int
}

// Offset is the 0-based index of the page's first element.
func (p Page) Offset() int { return (p.Page - 1) * p.PerPage }

// Parse reads page and perPage. A perPage above the maximum is clamped as the platform does;
// anything non-numeric or below 1 is CMN-101.
func Parse(q query.Values) (Page, error) {
	page, err := q.Int("page", 1, 1, 1<<30)
	if err != nil {
		return Page{}, err
	}
	per, err := q.Int("perPage", DefaultPerPage, 1, 1<<30)
	if err != nil {
		return Page{}, err
	}
	if per > MaxPerPage {
		per = MaxPerPage
	}
	return Page{Page: page, PerPage: per}, nil
}

// Info is the `paging` block.
type Info struct {
	Page          int  `json:"page"`
	TotalPages    int  `json:"totalPages"`
	PerPage       int  `json:"perPage"`
	TotalElements int  `json:"totalElements"`
	PageStart     *int `json:"pageStart,omitempty"`
	PageEnd       *int `json:"pageEnd,omitempty"`
}

// Link is one navigation entry.
type Link struct {
	URI string `json:"uri"`
}

// Navigation is the `navigation` block.
type Navigation struct {
	FirstPage    *Link `json:"firstPage,omitempty"`
	NextPage     *Link `json:"nextPage,omitempty"`
	PreviousPage *Link `json:"previousPage,omitempty"`
	LastPage     *Link `json:"lastPage,omitempty"`
}

// Envelope computes paging and navigation for a page holding count of total elements. base is
// the list's absolute URI without query; q is the effective query (defaults included), whose
// page and perPage are rewritten for each link.
func Envelope(base string, q query.Values, p Page, total, count int) (self string, info Info, nav Navigation) {
	pages := (total + p.PerPage - 1) / p.PerPage
	if pages < 1 {
		pages = 1
	}
	info = Info{Page: p.Page, TotalPages: pages, PerPage: p.PerPage, TotalElements: total}
	if count > 0 {
		start, end := p.Offset(), p.Offset()+count-1
		info.PageStart, info.PageEnd = &start, &end
	}
	// The platform puts page and perPage last, after the filters and their defaults; the rest of
	// the query is the same in every link, so it is encoded once.
	c := q.Clone()
	c.Del("page")
	c.Del("perPage")
	prefix := base + "?"
	if rest := c.Encode(); rest != "" {
		prefix += rest + "&"
	}
	perPage := "&perPage=" + strconv.Itoa(p.PerPage)
	link := func(page int) *Link {
		return &Link{URI: prefix + "page=" + strconv.Itoa(page) + perPage}
	}
	nav.FirstPage = link(1)
	nav.LastPage = link(pages)
	if p.Page > 1 {
		nav.PreviousPage = link(p.Page - 1)
	}
	if p.Page < pages {
		nav.NextPage = link(p.Page + 1)
	}
	return link(p.Page).URI, info, nav
}

// OpenInfo is the `paging` block of lists that do not count their elements (call log, active
// calls): no totals, no last page.
type OpenInfo struct {
	Page      int  `json:"page"`
	PerPage   int  `json:"perPage"`
	PageStart *int `json:"pageStart,omitempty"`
	PageEnd   *int `json:"pageEnd,omitempty"`
}

// Open computes paging and navigation for a page of count elements of a list whose total is
// not known; more says whether a next page exists.
func Open(base string, q query.Values, p Page, count int, more bool) (self string, info OpenInfo, nav Navigation) {
	total := p.Offset() + count
	if more {
		total++
	}
	self, full, nav := Envelope(base, q, p, total, count)
	nav.LastPage = nil
	if !more {
		nav.NextPage = nil
	}
	return self, OpenInfo{Page: full.Page, PerPage: full.PerPage, PageStart: full.PageStart, PageEnd: full.PageEnd}, nav
}
