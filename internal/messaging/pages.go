package messaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"mime"
	"strings"
)

// Page counting: how many fax pages a document becomes. rcemu does not render documents the way
// the platform does; it counts what the document says it has: a PDF's page objects, a TIFF's
// image file directories, a text's lines in pages of 66. Anything else is one page.

// TextLinesPerPage is how many lines of a text document fit on a fax page.
const TextLinesPerPage = 66

// Document kinds PageCount tells apart.
const (
	KindPDF   = "pdf"
	KindTIFF  = "tiff"
	KindText  = "text"
	KindOther = "other"
)

// maxTIFFPages bounds the walk of a TIFF's directory chain (a crafted file could make it long).
const maxTIFFPages = 10000

// maxInflate bounds the bytes PDFPages decompresses from object streams, all streams together.
const maxInflate = 8 << 20

// DocumentKind says how a document's pages are counted: from its declared media type, or from
// its first bytes when the type says nothing more precise.
func DocumentKind(contentType string, content []byte) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	head := content[:min(len(content), 1024)]
	switch {
	case mt == "application/pdf" || mt == "application/x-pdf" || bytes.Contains(head, []byte("%PDF-")):
		return KindPDF
	case mt == "image/tiff" || mt == "image/tif" || isTIFF(content):
		return KindTIFF
	case strings.HasPrefix(mt, "text/"):
		return KindText
	}
	return KindOther
}

// PageCount returns the number of fax pages a document makes; never less than 1.
func PageCount(contentType string, content []byte) int {
	return pagesOf(DocumentKind(contentType, content), content)
}

// pagesOf is PageCount for a document whose kind is known.
func pagesOf(kind string, content []byte) int {
	switch kind {
	case KindPDF:
		return max(PDFPages(content), 1)
	case KindTIFF:
		return max(TIFFPages(content), 1)
	case KindText:
		return TextPages(content)
	}
	return 1
}

// TextPages is ceil(lines/66), at least 1. A last line without a newline counts.
func TextPages(b []byte) int {
	lines := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		lines++
	}
	return max((lines+TextLinesPerPage-1)/TextLinesPerPage, 1)
}

// PDFPages counts the page objects of a PDF: dictionaries with `/Type /Page` (not `/Pages`, the
// page tree's nodes), in the file and inside Flate-compressed object streams (PDF 1.5+ writers
// put page dictionaries there). A file with incremental updates that rewrite pages may count
// them twice; rcemu accepts that.
func PDFPages(b []byte) int {
	n := countPageObjects(b)
	budget := maxInflate
	for i := 0; i < len(b) && budget > 0; {
		j := bytes.Index(b[i:], []byte("stream"))
		if j < 0 {
			break
		}
		start := i + j
		i = start + len("stream")
		// The keyword "stream" (not "endstream"), then an end of line, starts the data.
		if start > 0 && isPDFRegular(b[start-1]) {
			continue
		}
		data := i
		if data < len(b) && b[data] == '\r' {
			data++
		}
		if data < len(b) && b[data] == '\n' {
			data++
		}
		if data == i {
			continue // no end of line: a name or text that happens to contain "stream"
		}
		end := bytes.Index(b[data:], []byte("endstream"))
		if end < 0 {
			break
		}
		dict := objectDictionary(b, start)
		i = data + end + len("endstream")
		if !bytes.Contains(dict, []byte("/ObjStm")) || !bytes.Contains(dict, []byte("/FlateDecode")) {
			continue
		}
		inflated := inflate(b[data:data+end], budget)
		budget -= len(inflated)
		n += countPageObjects(inflated)
	}
	return n
}

// objectDictionary returns the bytes between the start of the object that holds the stream at
// pos ("N G obj") and the stream keyword: the stream's dictionary, near enough.
func objectDictionary(b []byte, pos int) []byte {
	from := max(pos-4096, 0)
	k := bytes.LastIndex(b[from:pos], []byte("obj"))
	if k < 0 {
		return b[from:pos]
	}
	return b[from+k : pos]
}

func inflate(data []byte, limit int) []byte {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	defer zr.Close()
	out, _ := io.ReadAll(io.LimitReader(zr, int64(limit)))
	return out
}

// countPageObjects counts `/Type /Page` names (with any PDF white space between, and the name
// ending there) in b.
func countPageObjects(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		j := bytes.Index(b[i:], []byte("/Type"))
		if j < 0 {
			break
		}
		k := i + j + len("/Type")
		i = k
		if k < len(b) && isPDFRegular(b[k]) {
			continue // "/Types", another name
		}
		for k < len(b) && isPDFSpace(b[k]) {
			k++
		}
		if !bytes.HasPrefix(b[k:], []byte("/Page")) {
			continue
		}
		e := k + len("/Page")
		if e == len(b) || !isPDFRegular(b[e]) {
			n++
		}
		i = e
	}
	return n
}

func isPDFSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

// isPDFRegular reports whether c may continue a PDF name (neither white space nor a delimiter).
func isPDFRegular(c byte) bool {
	if isPDFSpace(c) {
		return false
	}
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return true
}

func isTIFF(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	return (b[0] == 'I' && b[1] == 'I' && (b[2] == 42 || b[2] == 43) && b[3] == 0) ||
		(b[0] == 'M' && b[1] == 'M' && b[2] == 0 && (b[3] == 42 || b[3] == 43))
}

// TIFFPages counts the image file directories of a TIFF (classic or BigTIFF) by following the
// chain of next-IFD offsets. It stops at the end of the chain, at an offset outside the file or
// one already visited, and at maxTIFFPages; a file that is not a TIFF has 0.
func TIFFPages(b []byte) int {
	if !isTIFF(b) || len(b) < 8 {
		return 0
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if b[0] == 'M' {
		bo = binary.BigEndian
	}
	big := bo.Uint16(b[2:4]) == 43
	size := uint64(len(b))
	var off uint64
	// An IFD: an entry count, the entries, the next IFD's offset.
	countLen, entryLen, nextLen := uint64(2), uint64(12), uint64(4)
	if big {
		if len(b) < 16 || bo.Uint16(b[4:6]) != 8 {
			return 0
		}
		off = bo.Uint64(b[8:16])
		countLen, entryLen, nextLen = 8, 20, 8
	} else {
		off = uint64(bo.Uint32(b[4:8]))
	}
	seen := map[uint64]bool{}
	n := 0
	for off != 0 && n < maxTIFFPages {
		if seen[off] || off > size || size-off < countLen {
			break
		}
		seen[off] = true
		var count uint64
		if big {
			count = bo.Uint64(b[off:])
		} else {
			count = uint64(bo.Uint16(b[off:]))
		}
		if count > size/entryLen {
			break
		}
		end := off + countLen + count*entryLen
		if end > size || size-end < nextLen {
			break
		}
		n++
		if big {
			off = bo.Uint64(b[end:])
		} else {
			off = uint64(bo.Uint32(b[end:]))
		}
	}
	return n
}
