package specmock

import (
	"strconv"
	"unicode/utf8"

	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/restapi/query"
)

// part is one step of a compiled body: fixed bytes, then optionally a slot.
type part struct {
	lit   []byte
	slot  slot
	arg   string
	num   bool       // the slot is written as a bare number (fallback: lit of the fallback)
	fall  []byte     // for a number slot whose value is not a number
	items []template // slotRecords: every record
	list  *listInfo
	extra []extraField // slotPaging, slotNavigation: generated fields after the computed ones
}

type extraField struct {
	key  []byte // `,"name":`
	tmpl template
}

func extraFields(v *gval) []extraField {
	if v == nil {
		return nil
	}
	out := make([]extraField, len(v.keys))
	for i, k := range v.keys {
		out[i] = extraField{key: append(append([]byte(","), appendEscapedQuoted(nil, k)...), ':'), tmpl: compile(v.vals[i])}
	}
	return out
}

// template is a compiled body.
type template []part

type tbuilder struct {
	parts []part
	lit   []byte
}

func (b *tbuilder) text(s string)  { b.lit = append(b.lit, s...) }
func (b *tbuilder) bytes(p []byte) { b.lit = append(b.lit, p...) }
func (b *tbuilder) slot(p part) {
	p.lit = b.lit
	b.parts = append(b.parts, p)
	b.lit = nil
}
func (b *tbuilder) done() template {
	if len(b.lit) > 0 {
		b.parts = append(b.parts, part{lit: b.lit})
	}
	return b.parts
}

func compile(v *gval) template {
	b := &tbuilder{}
	b.value(v)
	return b.done()
}

func (b *tbuilder) value(v *gval) {
	switch v.kind {
	case 'l':
		b.bytes(v.lit)
	case 's':
		b.text(`"`)
		for _, p := range v.str {
			if p.slot == slotNone {
				b.bytes(appendEscaped(nil, p.text))
			} else {
				b.slot(part{slot: p.slot, arg: p.arg})
			}
		}
		b.text(`"`)
	case 'n':
		b.slot(part{slot: v.num.slot, arg: v.num.arg, num: true, fall: []byte(v.num.text)})
	case 'o':
		b.text("{")
		for i, k := range v.keys {
			if i > 0 {
				b.text(",")
			}
			b.bytes(appendEscapedQuoted(nil, k))
			b.text(":")
			b.value(v.vals[i])
		}
		b.text("}")
	case 'a':
		b.text("[")
		for i, it := range v.items {
			if i > 0 {
				b.text(",")
			}
			b.value(it)
		}
		b.text("]")
	case 'P':
		b.slot(part{slot: slotPaging, list: v.list, extra: extraFields(v.list.pagingExtra)})
	case 'N':
		b.slot(part{slot: slotNavigation, list: v.list, extra: extraFields(v.list.navExtra)})
	case 'R':
		p := part{slot: slotRecords, list: v.list}
		for _, it := range v.items {
			p.items = append(p.items, compile(it))
		}
		b.slot(p)
	}
}

// rctx is what a body depends on in one request.
type rctx struct {
	base      string
	account   string
	extension string
	params    map[string]string // path parameters by spec name
	missing   string            // the value of a parameter params lacks
	now       string
	today     string
	selfPath  string // the resource's path, ids resolved
	query     query.Values
	page      paging.Page

	// The list envelope, computed on first use.
	listDone bool
	listURI  string
	info     paging.Info
	nav      paging.Navigation
}

func (c *rctx) envelope(l *listInfo) {
	if c.listDone {
		return
	}
	c.listDone = true
	start := c.page.Offset()
	count := max(0, min(l.total-start, c.page.PerPage))
	c.listURI, c.info, c.nav = paging.Envelope(c.base+c.selfPath, c.query, c.page, l.total, count)
}

// render appends the body to dst.
func (t template) render(dst []byte, c *rctx) []byte {
	for i := range t {
		p := &t[i]
		dst = append(dst, p.lit...)
		switch p.slot {
		case slotNone:
		case slotBase:
			dst = appendEscaped(dst, c.base)
		case slotAccount:
			dst = appendID(dst, c.account, p)
		case slotExtension:
			dst = appendID(dst, c.extension, p)
		case slotParam:
			v, ok := c.params[p.arg]
			if !ok {
				v = c.missing
			}
			dst = appendID(dst, v, p)
		case slotNow:
			dst = append(dst, c.now...)
		case slotToday:
			dst = append(dst, c.today...)
		case slotListURI:
			if !c.listDone {
				// uri comes before paging in the object; both use the same envelope.
				c.envelope(&listInfo{total: c.totalHint(t)})
			}
			dst = appendEscaped(dst, c.listURI)
		case slotPaging:
			c.envelope(p.list)
			dst = appendPaging(dst, c.info, p.list.pagingKeys)
			dst = appendExtra(dst, p.extra, c)
		case slotNavigation:
			c.envelope(p.list)
			dst = appendNavigation(dst, c.nav, p.list.navKeys)
			dst = appendExtra(dst, p.extra, c)
		case slotRecords:
			c.envelope(p.list)
			dst = append(dst, '[')
			start := c.page.Offset()
			n := 0
			for i := start; i < len(p.items) && n < c.page.PerPage; i++ {
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = p.items[i].render(dst, c)
				n++
			}
			dst = append(dst, ']')
		}
	}
	return dst
}

// totalHint finds the list size in a template, for a uri rendered before the records.
func (c *rctx) totalHint(t template) int {
	for _, p := range t {
		if p.list != nil {
			return p.list.total
		}
	}
	return 0
}

func appendID(dst []byte, v string, p *part) []byte {
	if p.num {
		if v == "" || !isDigits(v) {
			return append(dst, p.fall...)
		}
		return append(dst, v...)
	}
	return appendEscaped(dst, v)
}

func isDigits(s string) bool {
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendExtra adds generated fields inside the block just written (before its closing brace).
func appendExtra(dst []byte, extra []extraField, c *rctx) []byte {
	if len(extra) == 0 {
		return dst
	}
	dst = dst[:len(dst)-1] // the block's '}'
	for i, f := range extra {
		key := f.key
		if i == 0 && len(dst) > 0 && dst[len(dst)-1] == '{' {
			key = key[1:] // no comma after '{'
		}
		dst = append(dst, key...)
		dst = f.tmpl.render(dst, c)
	}
	return append(dst, '}')
}

func appendPaging(dst []byte, in paging.Info, keys []string) []byte {
	dst = append(dst, '{')
	first := true
	field := func(k string, n int) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	for _, k := range keys {
		switch k {
		case "page":
			field(k, in.Page)
		case "totalPages":
			field(k, in.TotalPages)
		case "perPage":
			field(k, in.PerPage)
		case "totalElements":
			field(k, in.TotalElements)
		case "pageStart":
			if in.PageStart != nil {
				field(k, *in.PageStart)
			}
		case "pageEnd":
			if in.PageEnd != nil {
				field(k, *in.PageEnd)
			}
		}
	}
	return append(dst, '}')
}

func appendNavigation(dst []byte, nav paging.Navigation, keys []string) []byte {
	dst = append(dst, '{')
	first := true
	for _, k := range keys {
		var l *paging.Link
		switch k {
		case "firstPage":
			l = nav.FirstPage
		case "nextPage":
			l = nav.NextPage
		case "previousPage":
			l = nav.PreviousPage
		case "lastPage":
			l = nav.LastPage
		}
		if l == nil {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, `":{"uri":"`...)
		dst = appendEscaped(dst, l.URI)
		dst = append(dst, `"}`...)
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends s as the inside of a JSON string ('&', '<' and '>' kept, as the
// platform sends URIs).
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

func appendEscapedQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// sampleContext renders generated values while they are being chosen and in tests: every path
// parameter is a plausible numeric id.
func sampleContext() *rctx {
	return &rctx{base: "http://127.0.0.1:8080", account: "159048008", extension: "171857008",
		missing: "123456789", now: "2026-01-01T00:00:00.000Z", today: "2026-01-01",
		selfPath: "/restapi/v1.0/sample", page: paging.Page{Page: 1, PerPage: 100}}
}

func renderSample(v *gval) []byte { return compile(v).render(nil, sampleContext()) }
