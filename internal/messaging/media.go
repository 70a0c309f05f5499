package messaging

import (
	"bytes"
	"fmt"
)

// pdfWriter numbers a PDF's objects from 1 in the order they are written and ends the file
// with their cross-reference table; object 1 must be the catalog.
type pdfWriter struct {
	b       bytes.Buffer
	offsets []int
}

func (w *pdfWriter) obj(body string) {
	w.offsets = append(w.offsets, w.b.Len())
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", len(w.offsets), body)
}

func (w *pdfWriter) finish() []byte {
	xref := w.b.Len()
	fmt.Fprintf(&w.b, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, o := range w.offsets {
		fmt.Fprintf(&w.b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&w.b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, xref)
	return w.b.Bytes()
}

// BlankPDF renders a minimal valid PDF of n blank Letter pages: the document of a simulated fax.
func BlankPDF(n int) []byte {
	var w pdfWriter
	w.b.WriteString("%PDF-1.4\n")
	w.obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := ""
	for i := 0; i < n; i++ {
		kids += fmt.Sprintf("%d 0 R ", 3+i)
	}
	w.obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, n))
	for i := 0; i < n; i++ {
		w.obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
	}
	return w.finish()
}

// SilentMP3 makes seconds of silence as MPEG-1 Layer III frames (32 kbit/s, 44.1 kHz, mono):
// the recording of a simulated voicemail.
func SilentMP3(seconds int) []byte {
	const frameLen = 104 // 144 * 32000 / 44100
	frames := seconds * 44100 / 1152
	frame := make([]byte, frameLen)
	frame[0], frame[1], frame[2], frame[3] = 0xFF, 0xFB, 0x10, 0xC4
	return bytes.Repeat(frame, max(frames, 1))
}
