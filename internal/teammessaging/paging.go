package teammessaging

import (
	"github.com/rcemu/rcemu/internal/rc"
)

// PageRequest is recordCount and pageToken as the client sent them; RecordCount 0 means not
// sent.
type PageRequest struct {
	RecordCount int
	Token       string
}

// Page is one page of a token-paged list.
type Page[T any] struct {
	Records    []T
	Prev, Next string
}

// cursor is what a page token holds. Tokens carry the list's filters, as the platform's do, so
// that a client need not send them again; they are opaque to clients.
type cursor struct {
	Kind   string   `json:"k"`
	Chat   string   `json:"c,omitempty"`
	Thread string   `json:"h,omitempty"`
	Types  []string `json:"t,omitempty"`
	Before int64    `json:"b,omitempty"`
	After  int64    `json:"a,omitempty"`
	Offset int      `json:"o,omitempty"`
	Count  int      `json:"n"`
}

func (c cursor) token() string { return rc.EncodeToken(c) }

// readCursor decodes a page token of the given kind; a token of another list, or garbage, is an
// invalid pageToken.
func readCursor(pr PageRequest, kind string) (cursor, error) {
	var c cursor
	if !rc.DecodeToken(pr.Token, &c) || c.Kind != kind ||
		c.Before < 0 || c.After < 0 || c.Offset < 0 || c.Count < 1 || c.Count > MaxRecordCount {
		return cursor{}, rc.Invalid("pageToken")
	}
	if pr.RecordCount > 0 {
		c.Count = pr.RecordCount
	}
	return c, nil
}

func recordCount(pr PageRequest) int {
	if pr.RecordCount > 0 {
		return min(pr.RecordCount, MaxRecordCount)
	}
	return DefaultRecordCount
}

// offsetPage cuts a page out of a whole list for an offset cursor.
func offsetPage[T any](all []T, cur cursor) Page[T] {
	off := min(cur.Offset, len(all))
	end := min(off+cur.Count, len(all))
	p := Page[T]{Records: all[off:end]}
	if end < len(all) {
		next := cur
		next.Offset = end
		p.Next = next.token()
	}
	if off > 0 {
		prev := cur
		prev.Offset = max(0, off-cur.Count)
		p.Prev = prev.token()
	}
	return p
}
