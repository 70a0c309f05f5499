package messaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
)

// tiff builds a classic TIFF (little- or big-endian) with n image file directories of one
// entry each.
func tiff(n int, bigEndian bool) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	b := []byte("II*\x00\x00\x00\x00\x00")
	if bigEndian {
		bo = binary.BigEndian
		b = []byte("MM\x00*\x00\x00\x00\x00")
	}
	if n == 0 {
		return b
	}
	bo.PutUint32(b[4:], 8)
	for i := 0; i < n; i++ {
		ifd := make([]byte, 2+12+4)
		bo.PutUint16(ifd, 1)
		bo.PutUint16(ifd[2:], 256) // ImageWidth
		bo.PutUint16(ifd[4:], 3)
		bo.PutUint32(ifd[6:], 1)
		bo.PutUint32(ifd[10:], 1728)
		if i < n-1 {
			bo.PutUint32(ifd[14:], uint32(len(b)+len(ifd)))
		}
		b = append(b, ifd...)
	}
	return b
}

// bigTIFF builds a little-endian BigTIFF with n directories.
func bigTIFF(n int) []byte {
	bo := binary.LittleEndian
	b := []byte("II+\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00")
	for i := 0; i < n; i++ {
		ifd := make([]byte, 8+20+8)
		bo.PutUint64(ifd, 1)
		bo.PutUint16(ifd[8:], 256)
		if i < n-1 {
			bo.PutUint64(ifd[28:], uint64(len(b)+len(ifd)))
		}
		b = append(b, ifd...)
	}
	return b
}

// objStmPDF builds a PDF 1.5 whose n page dictionaries live in a Flate-compressed object
// stream, as modern writers produce.
func objStmPDF(n int) []byte {
	var inner bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&inner, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>\n")
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(inner.Bytes())
	zw.Close()
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	fmt.Fprintf(&b, "2 0 obj\n<</Type/Pages/Count %d/Kids[]>>\nendobj\n", n)
	fmt.Fprintf(&b, "3 0 obj\n<</Type/ObjStm/N %d/First 0/Filter/FlateDecode/Length %d>>\nstream\r\n", n, z.Len())
	b.Write(z.Bytes())
	b.WriteString("\r\nendstream\nendobj\n%%EOF\n")
	return b.Bytes()
}

func TestPDFPages(t *testing.T) {
	for _, tc := range []struct {
		name string
		pdf  []byte
		want int
	}{
		{"blank 1", BlankPDF(1), 1},
		{"blank 3", BlankPDF(3), 3},
		{"blank 17", BlankPDF(17), 17},
		{"no space", []byte("%PDF-1.4\n<</Type/Pages/Count 2>> <</Type/Page>> <</Type/Page/Parent 1 0 R>>"), 2},
		{"odd white space", []byte("%PDF-1.4\n<< /Type\r\n\t/Page >> << /Type /Page\x00>>"), 2},
		{"other names", []byte("%PDF-1.4\n<< /Type /PageLabel >> << /Types /Page >> << /Type /Pages >> << /Type /Page"), 1},
		{"object stream", objStmPDF(4), 4},
		{"written", WritePDF([][]string{{"a"}, {"b"}, {"/Type /Page", "<< /Type /Page >>"}}), 3},
		{"not a PDF", []byte("hello"), 0},
	} {
		if got := PDFPages(tc.pdf); got != tc.want {
			t.Errorf("%s: %d pages, want %d", tc.name, got, tc.want)
		}
	}
}

func TestTIFFPages(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want int
	}{
		{"LE 1", tiff(1, false), 1},
		{"LE 5", tiff(5, false), 5},
		{"BE 3", tiff(3, true), 3},
		{"BigTIFF 4", bigTIFF(4), 4},
		{"no IFD", tiff(0, false), 0},
		{"truncated", tiff(3, false)[:30], 1},
		{"not a TIFF", []byte("GIF89a..."), 0},
	} {
		if got := TIFFPages(tc.b); got != tc.want {
			t.Errorf("%s: %d pages, want %d", tc.name, got, tc.want)
		}
	}
	// A directory that points back at itself ends the walk.
	loop := tiff(2, false)
	binary.LittleEndian.PutUint32(loop[len(loop)-4:], 8)
	if got := TIFFPages(loop); got != 2 {
		t.Errorf("loop: %d pages, want 2", got)
	}
}

func TestPageCount(t *testing.T) {
	lines := func(n int) []byte { return []byte(strings.Repeat("line\n", n)) }
	for _, tc := range []struct {
		name, ct string
		b        []byte
		want     int
	}{
		{"pdf", "application/pdf", BlankPDF(3), 3},
		{"pdf sniffed", "application/octet-stream", BlankPDF(2), 2},
		{"pdf without pages", "application/pdf", []byte("%PDF-1.7 garbage"), 1},
		{"tiff", "image/tiff", tiff(4, false), 4},
		{"tiff sniffed", "", tiff(2, true), 2},
		{"text 1 line", "text/plain", []byte("hello"), 1},
		{"text 66", "text/plain; charset=utf-8", lines(66), 1},
		{"text 67", "text/plain", lines(67), 2},
		{"text 66 without final newline", "text/plain", bytes.TrimSuffix(lines(66), []byte("\n")), 1},
		{"text 133", "text/csv", lines(133), 3},
		{"image", "image/png", []byte("\x89PNG\r\n\x1a\n"), 1},
		{"word", "application/msword", []byte("DOC"), 1},
	} {
		if got := PageCount(tc.ct, tc.b); got != tc.want {
			t.Errorf("%s: %d pages, want %d", tc.name, got, tc.want)
		}
	}
}

func TestResolveType(t *testing.T) {
	for _, tc := range []struct {
		u    Upload
		want string
	}{
		{Upload{ContentType: "IMAGE/PNG"}, "image/png"},
		{Upload{ContentType: "text/plain; charset=UTF-8; format=flowed"}, "text/plain; charset=UTF-8"},
		{Upload{ContentType: "application/octet-stream", FileName: "a.JPG"}, "image/jpeg"},
		{Upload{FileName: "fax.txt"}, "text/plain"},
		{Upload{ContentType: "application/octet-stream", Content: BlankPDF(1)}, "application/pdf"},
		{Upload{ContentType: "application/octet-stream", Content: []byte("??")}, ""},
		{Upload{ContentType: "not a type;;", FileName: "x.gif"}, "image/gif"},
	} {
		if got := ResolveType(tc.u); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.u, got, tc.want)
		}
	}
}

func TestRenderFax(t *testing.T) {
	pdf := BlankPDF(3)
	docs := []faxDoc{{Upload: Upload{FileName: "a.pdf", Content: pdf}, contentType: "application/pdf", kind: KindPDF, pages: 3}}
	fx := Fax{From: rc.Party{PhoneNumber: "+16505550101", Name: "Ada"}, To: []rc.Party{{PhoneNumber: "+12025550100"}}}
	if got := renderFax(fx, docs, time.Unix(0, 0)); !bytes.Equal(got, pdf) {
		t.Fatal("a lone PDF without a cover page is not sent as it is")
	}
	fx.CoverIndex, fx.CoverPageText, fx.Pages = 2, strings.Repeat("(cover) /Type /Page \\ ", 100), 6
	text := []byte(strings.Repeat("x\n", 70))
	docs = append(docs, faxDoc{Upload: Upload{FileName: "b.txt", Content: text}, contentType: "text/plain", kind: KindText, pages: TextPages(text)})
	out := renderFax(fx, docs, time.Unix(0, 0))
	if n := PDFPages(out); n != 6 {
		t.Fatalf("rendered %d pages, want 1 cover + 3 + 2", n)
	}
	if !bytes.HasPrefix(out, []byte("%PDF-1.4")) || !bytes.Contains(out, []byte("%%EOF")) {
		t.Fatal("not a PDF")
	}
}

// FuzzPageCount throws arbitrary documents at the page counter and the PDF writer: no panic,
// at least one page, bounded TIFF walks, and a written PDF always has as many pages as it was
// given whatever text is on them.
func FuzzPageCount(f *testing.F) {
	f.Add("application/pdf", BlankPDF(3))
	f.Add("application/pdf", objStmPDF(2))
	f.Add("application/pdf", []byte("%PDF-1.5\n1 0 obj<</Type/ObjStm/Filter/FlateDecode>>stream\nxx\nendstream"))
	f.Add("application/pdf", []byte("stream\nendstream stream\r\n"))
	f.Add("image/tiff", tiff(3, false))
	f.Add("image/tiff", tiff(2, true))
	f.Add("image/tiff", bigTIFF(2))
	f.Add("image/tiff", []byte("II*\x00\xff\xff\xff\xff"))
	f.Add("image/tiff", []byte("II+\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add("text/plain", []byte("a\nb\nc"))
	f.Add("", []byte{})
	f.Add("application/octet-stream", []byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, ct string, b []byte) {
		n := PageCount(ct, b)
		if n < 1 {
			t.Fatalf("PageCount = %d", n)
		}
		if p := TIFFPages(b); p > maxTIFFPages || p < 0 {
			t.Fatalf("TIFFPages = %d", p)
		}
		_ = ResolveType(Upload{ContentType: ct, FileName: string(b[:min(len(b), 8)]), Content: b})
		if got := PDFPages(WritePDF([][]string{{string(b)}, {ct}})); got != 2 {
			t.Fatalf("written PDF has %d pages, want 2", got)
		}
	})
}
