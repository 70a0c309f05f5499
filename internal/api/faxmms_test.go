package api_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/messaging"
	"github.com/rcemu/rcemu/internal/rctest"
)

const (
	mmsPath = "/restapi/v1.0/account/~/extension/~/mms"
	faxPath = "/restapi/v1.0/account/~/extension/~/fax"
	// rcexBoundary is the fixed boundary @rc-ex/core writes its multipart bodies with.
	rcexBoundary = "ad05fc42-a66d-4a94-b807-f1c91136c17b"
)

// --- multipart bodies as the SDKs and the docs build them ---

type mpart struct {
	hdr  textproto.MIMEHeader
	body []byte
}

func header(kv ...string) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// rcexJSON is @rc-ex/core's envelope part.
func rcexJSON(t *testing.T, v any) mpart {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return mpart{header("Content-Disposition", `form-data; name="request.json"; filename="request.json"`,
		"Content-Type", "application/json"), b}
}

// formFile is a form-data file part.
func formFile(field, name, ct string, b []byte) mpart {
	h := header("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, name))
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	return mpart{h, b}
}

// docsField is a text field as the docs' fax example writes it (an empty filename, text/plain).
func docsField(name, value string) mpart {
	return mpart{header("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=""`, name),
		"Content-Transfer-Encoding", "8bit", "Content-Type", "text/plain"), []byte(value)}
}

// plainField is a text field as browsers and form libraries write it.
func plainField(name, value string) mpart {
	return mpart{header("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, name)), []byte(value)}
}

// mixedJSON is the root part of a multipart/mixed request.
func mixedJSON(t *testing.T, v any) mpart {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return mpart{header("Content-Type", "application/json"), b}
}

// mixedFile is an attachment part of a multipart/mixed request.
func mixedFile(name, ct string, b []byte) mpart {
	h := header("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, name))
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	return mpart{h, b}
}

func buildMultipart(t testing.TB, subtype, boundary string, parts ...mpart) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if boundary != "" {
		if err := w.SetBoundary(boundary); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range parts {
		pw, err := w.CreatePart(p.hdr)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.body)
	}
	w.Close()
	return "multipart/" + subtype + "; boundary=" + w.Boundary(), buf.String()
}

func (a *msgApp) post(path, tok, ct, body string) *rctest.Response {
	return a.Do(rctest.Req{Method: "POST", Path: path, Token: tok, Raw: body, Header: http.Header{"Content-Type": {ct}}})
}

func (a *msgApp) postParts(t *testing.T, path, tok, subtype string, parts ...mpart) *rctest.Response {
	t.Helper()
	ct, body := buildMultipart(t, subtype, "", parts...)
	return a.post(path, tok, ct, body)
}

func (a *msgApp) message(t *testing.T, tok string, id any) map[string]any {
	t.Helper()
	r := a.Do(rctest.Req{Path: fmt.Sprintf("/restapi/v1.0/account/~/extension/~/message-store/%.0f", id), Token: tok})
	if r.Status != 200 {
		t.Fatalf("message %v: %d %s", id, r.Status, r.Body)
	}
	return r.Map(t)
}

func (a *msgApp) download(t *testing.T, tok, uri string) *rctest.Response {
	t.Helper()
	r := a.Do(rctest.Req{Path: strings.TrimPrefix(uri, a.URL), Token: tok})
	if r.Status != 200 {
		t.Fatalf("download %s: %d %s", uri, r.Status, r.Body)
	}
	return r
}

// messagesState is the stored messages and attachment contents, to check that refused
// requests change nothing.
func (a *msgApp) messagesState(t *testing.T) string {
	t.Helper()
	var s struct {
		Tables map[string]json.RawMessage `json:"tables"`
	}
	a.Do(rctest.Req{Path: "/_rcemu/state"}).JSON(t, &s)
	if s.Tables["messages"] == nil {
		t.Fatal("state has no messages table")
	}
	return string(s.Tables["messages"]) + string(s.Tables["attachments"])
}

// refusal is a request a sender must refuse: parts sent as multipart/subtype, or else raw sent
// as ct.
type refusal struct {
	name    string
	path    string // "" for the sender under test
	subtype string
	parts   []mpart
	raw, ct string
	status  int
	code    string
	param   string // the error's parameterName, when set
}

// checkRefusals sends each request to path (or its own) and checks the error it gets.
func (a *msgApp) checkRefusals(t *testing.T, path string, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := cmp.Or(tc.path, path)
			var r *rctest.Response
			if tc.parts != nil {
				r = a.postParts(t, p, a.ada, tc.subtype, tc.parts...)
			} else {
				r = a.post(p, a.ada, tc.ct, tc.raw)
			}
			if r.Status != tc.status || r.ErrorCode(t) != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if tc.param != "" && paramName(t, r) != tc.param {
				t.Fatalf("parameterName = %q, want %q: %s", paramName(t, r), tc.param, r.Body)
			}
		})
	}
}

func paramName(t *testing.T, r *rctest.Response) string {
	var body struct {
		Errors []struct {
			ParameterName string `json:"parameterName"`
		} `json:"errors"`
	}
	r.JSON(t, &body)
	if len(body.Errors) == 0 {
		return ""
	}
	return body.Errors[0].ParameterName
}

func attachments(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, a := range m["attachments"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

func party(m map[string]any, i int) map[string]any {
	return m["to"].([]any)[i].(map[string]any)
}

// findInbound returns the newest inbound message of a type in a store whose attachments match.
func (a *msgApp) findInbound(t *testing.T, tok, typ string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	for _, m := range records(a.list(t, tok, "?direction=Inbound&messageType="+typ)) {
		if match(m) {
			return m
		}
	}
	return nil
}

// --- test documents ---

func pngImage(t *testing.T, seed uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = seed + uint8(i)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifImage(t *testing.T) []byte {
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White})
	img.SetColorIndex(1, 1, 1)
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nTEL:+16505550101\r\nEND:VCARD\r\n"

// tiffPages builds a little-endian TIFF with n image file directories.
func tiffPages(n int) []byte {
	b := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	for i := 0; i < n; i++ {
		ifd := make([]byte, 18)
		ifd[0] = 1
		ifd[2], ifd[3] = 0, 1 // tag 256
		if i < n-1 {
			next := len(b) + len(ifd)
			ifd[14], ifd[15] = byte(next), byte(next>>8)
		}
		b = append(b, ifd...)
	}
	return b
}

// --- MMS ---

// specDocumentsContent reports whether the spec documents a media type for readMessageContent
// (application/pdf, audio/*, image/*, video/*, and text/plain by rctest's deliberate list). The
// contract check fails a download of any other, such as an MMS's text/vcard, until rctest lists
// it as a deliberate difference; such attachments are checked by their metadata only.
func specDocumentsContent(ct string) bool {
	return ct == "application/pdf" || ct == "text/plain" || strings.HasPrefix(ct, "image/") ||
		strings.HasPrefix(ct, "audio/") || strings.HasPrefix(ct, "video/")
}

type sentFile struct {
	name, ct string
	content  []byte
}

func TestMMSBodyShapes(t *testing.T) {
	a := openMsgApp(t)
	pic, pic2, anim := pngImage(t, 1), pngImage(t, 99), gifImage(t)
	for _, tc := range []struct {
		name  string
		parts func() (string, []mpart)
		text  string
		to    []string
		files []sentFile // what the recipient should get, in order
	}{
		{
			name: "rc-ex request.json and attachments",
			parts: func() (string, []mpart) {
				return "form-data", []mpart{
					rcexJSON(t, map[string]any{"from": map[string]string{"phoneNumber": "+16505550101"},
						"to": []any{map[string]string{"phoneNumber": "+16505550102"}}, "text": "rc-ex says hi"}),
					formFile("attachments", "pic.png", "image/png", pic),
					formFile("attachments", "ada.vcf", "text/vcard", []byte(vcard)),
				}
			},
			text: "rc-ex says hi", to: []string{"+16505550102"},
			files: []sentFile{{"pic.png", "image/png", pic}, {"ada.vcf", "text/vcard", []byte(vcard)}},
		},
		{
			name: "docs form fields and attachment",
			parts: func() (string, []mpart) {
				return "form-data", []mpart{
					plainField("from", "+16505550101"), plainField("to", "+16505550102"), plainField("to", "+16505550103"),
					plainField("text", "form fields"), plainField("country", "US"),
					formFile("attachment", "other.png", "application/octet-stream", pic2),
				}
			},
			text: "form fields", to: []string{"+16505550102", "+16505550103"},
			files: []sentFile{{"other.png", "image/png", pic2}},
		},
		{
			name: "multipart/mixed without text",
			parts: func() (string, []mpart) {
				return "mixed", []mpart{
					mixedJSON(t, map[string]any{"from": map[string]string{"phoneNumber": "+16505550101"},
						"to": []any{map[string]string{"phoneNumber": "+16505550102"}}}),
					mixedFile("anim.gif", "image/gif", anim),
				}
			},
			to: []string{"+16505550102"}, files: []sentFile{{"anim.gif", "image/gif", anim}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, parts := tc.parts()
			r := a.postParts(t, mmsPath, a.ada, sub, parts...)
			if r.Status != 200 {
				t.Fatalf("send: %d %s", r.Status, r.Body)
			}
			sent := r.Map(t)
			if sent["type"] != "SMS" || sent["direction"] != "Outbound" || sent["messageStatus"] != "Queued" ||
				sent["readStatus"] != "Read" || len(sent["to"].([]any)) != len(tc.to) {
				t.Fatalf("sent = %v", sent)
			}
			want := len(tc.files)
			if tc.text != "" {
				want++
			}
			atts := attachments(sent)
			if len(atts) != want {
				t.Fatalf("sender's attachments = %v", atts)
			}
			if tc.text != "" && (atts[0]["type"] != "Text" || sent["subject"] != tc.text) {
				t.Fatalf("text part = %v, subject %v", atts[0], sent["subject"])
			}
			// Every hosted recipient gets the same bytes with the same type.
			for i, tok := range []string{a.grace, a.Login(a.User(0, "103")).AccessToken}[:len(tc.to)] {
				in := a.findInbound(t, tok, "SMS", func(m map[string]any) bool {
					return m["conversationId"] == sent["conversationId"] && len(attachments(m)) == want
				})
				if in == nil {
					t.Fatalf("recipient %s got nothing", tc.to[i])
				}
				got := attachments(in)[want-len(tc.files):]
				for j, f := range tc.files {
					if got[j]["type"] != "MmsAttachment" || got[j]["contentType"] != f.ct || got[j]["fileName"] != f.name ||
						got[j]["size"] != float64(len(f.content)) {
						t.Fatalf("attachment %d = %v, want %s %s", j, got[j], f.name, f.ct)
					}
					if !specDocumentsContent(f.ct) {
						continue // see specDocumentsContent
					}
					d := a.download(t, tok, got[j]["uri"].(string))
					if !bytes.Equal(d.Body, f.content) || d.Header.Get("Content-Type") != f.ct {
						t.Fatalf("download %d: %s, %d bytes, want %s, %d bytes", j, d.Header.Get("Content-Type"), len(d.Body), f.ct, len(f.content))
					}
				}
			}
		})
	}
	// The rc-ex fixed boundary works as any other.
	ct, body := buildMultipart(t, "form-data", rcexBoundary,
		rcexJSON(t, map[string]any{"from": map[string]string{"phoneNumber": "+16505550101"},
			"to": []any{map[string]string{"phoneNumber": "+12025550100"}}, "text": "outside"}),
		formFile("attachments", "pic.png", "image/png", pic))
	if r := a.post(mmsPath, a.ada, ct, body); r.Status != 200 {
		t.Fatalf("rc-ex boundary: %d %s", r.Status, r.Body)
	}
}

func TestMMSErrorsLeaveTheStoreUnchanged(t *testing.T) {
	a := openMsgApp(t)
	env := func() mpart {
		return rcexJSON(t, map[string]any{"from": map[string]string{"phoneNumber": "+16505550101"},
			"to": []any{map[string]string{"phoneNumber": "+16505550102"}}, "text": "x"})
	}
	pic := pngImage(t, 7)
	big := bytes.Repeat([]byte{0xAB}, 800<<10)
	var eleven []mpart
	eleven = append(eleven, env())
	for i := 0; i < 11; i++ {
		eleven = append(eleven, formFile("attachments", fmt.Sprintf("p%d.png", i), "image/png", pic))
	}
	before := a.messagesState(t)
	a.checkRefusals(t, mmsPath, []refusal{
		{name: "unsupported type", subtype: "form-data", parts: []mpart{env(), formFile("attachments", "setup.exe", "application/x-msdownload", []byte("MZ"))}, status: 415, code: "MSG-348"},
		{name: "unknown octet-stream", subtype: "form-data", parts: []mpart{env(), formFile("attachments", "blob.bin", "application/octet-stream", []byte("??"))}, status: 415, code: "MSG-348"},
		{name: "too large together", subtype: "form-data", parts: []mpart{env(), formFile("attachments", "a.png", "image/png", big), formFile("attachments", "b.png", "image/png", big)}, status: 400, code: "MSG-337"},
		{name: "more than ten", subtype: "form-data", parts: eleven, status: 400, code: "MSG-337"},
		{name: "empty file", subtype: "form-data", parts: []mpart{env(), formFile("attachments", "a.png", "image/png", nil)}, status: 400, code: "MSG-347"},
		{name: "no content disposition", subtype: "mixed", parts: []mpart{mixedJSON(t, map[string]any{"from": map[string]string{"phoneNumber": "+16505550101"}, "to": []any{map[string]string{"phoneNumber": "+16505550102"}}}), {header("Content-Type", "image/png"), pic}}, status: 400, code: "MSG-350"},
		{name: "no file name (mixed)", subtype: "mixed", parts: []mpart{mixedJSON(t, map[string]any{"from": map[string]string{"phoneNumber": "+16505550101"}, "to": []any{map[string]string{"phoneNumber": "+16505550102"}}}), {header("Content-Disposition", "attachment", "Content-Type", "image/png"), pic}}, status: 400, code: "MSG-351"},
		{name: "no file name (form)", subtype: "form-data", parts: []mpart{env(), {header("Content-Disposition", `form-data; name="attachment"`, "Content-Type", "image/png"), pic}}, status: 400, code: "MSG-351"},
		{name: "no attachment", subtype: "form-data", parts: []mpart{env()}, status: 400, code: "CMN-100", param: "attachments"},
		{name: "no attachment (JSON body)", raw: `{"from":{"phoneNumber":"+16505550101"},"to":[{"phoneNumber":"+16505550102"}],"text":"x"}`, ct: "application/json", status: 400, code: "CMN-100", param: "attachments"},
		{name: "not my number", subtype: "form-data", parts: []mpart{plainField("from", "+16505550102"), plainField("to", "+16505550103"), formFile("attachment", "a.png", "image/png", pic)}, status: 400, code: "MSG-245"},
		{name: "no to", subtype: "form-data", parts: []mpart{plainField("from", "+16505550101"), formFile("attachment", "a.png", "image/png", pic)}, status: 400, code: "CMN-100", param: "to"},
		{name: "bad envelope", subtype: "form-data", parts: []mpart{{header("Content-Disposition", `form-data; name="request.json"; filename="request.json"`, "Content-Type", "application/json"), []byte(`{"from":`)}, formFile("attachments", "a.png", "image/png", pic)}, status: 400, code: "CMN-103"},
		{name: "malformed multipart", raw: "--b\r\nContent-Type: text/plain\r\n\r\nno end", ct: "multipart/form-data; boundary=b", status: 400, code: "CMN-104"},
		{name: "multipart without boundary", raw: "x", ct: "multipart/form-data", status: 415, code: "AGW-415"},
		{name: "over 10 MB", raw: strings.Repeat("x", 10<<20+1), ct: "multipart/form-data; boundary=b", status: 413, code: "AGW-413"},
	})
	if after := a.messagesState(t); after != before {
		t.Fatal("refused MMS changed the store")
	}
}

// --- fax ---

func faxEnvelope(to ...string) map[string]any {
	var rcpt []any
	for _, n := range to {
		rcpt = append(rcpt, map[string]string{"phoneNumber": n})
	}
	return map[string]any{"to": rcpt}
}

func TestFaxPageCountsAndShapes(t *testing.T) {
	a := openMsgApp(t)
	pdf3 := messaging.BlankPDF(3)
	text70 := []byte(strings.Repeat("a line of text\n", 70))
	for _, tc := range []struct {
		name    string
		subtype string
		parts   []mpart
		pages   int
		cover   int
		res     string
		to      string
	}{
		{"rc-ex 3-page PDF", "form-data", []mpart{rcexJSON(t, faxEnvelope("+12025550100")), formFile("attachments", "doc.pdf", "application/pdf", pdf3)}, 3, 0, "Low", "+12025550100"},
		{"rc-ex 3-page PDF with a cover page", "form-data", []mpart{rcexJSON(t, map[string]any{"to": []any{map[string]string{"phoneNumber": "+12025550100", "name": "Bob"}},
			"coverIndex": 2, "coverPageText": "Please sign", "faxResolution": "High"}), formFile("attachments", "doc.pdf", "application/pdf", pdf3)}, 4, 2, "High", "+12025550100"},
		{"docs form-data example", "form-data", []mpart{docsField("coverPageText", ""), docsField("coverIndex", "2"), docsField("faxResolution", "High"),
			docsField("isoCode", "UK"), docsField("to", "18005554567"), docsField("to", "18005554568"),
			docsField("attachment", "attachment0"), docsField("attachment", "attachment1"), docsField("attachment", "attachment2")}, 4, 2, "High", "+18005554567"},
		{"docs multipart/mixed example", "mixed", []mpart{mixedJSON(t, map[string]any{"to": []any{map[string]string{"phoneNumber": "18005554567"}}, "faxResolution": "High"}),
			mixedFile("fax.txt", "", []byte("Hello, World!\n"))}, 1, 0, "High", "+18005554567"},
		{"several documents", "form-data", []mpart{rcexJSON(t, map[string]any{"to": []any{"+12025550100"}, "coverIndex": 1}),
			formFile("attachments", "doc.pdf", "application/pdf", pdf3), formFile("attachments", "notes.txt", "text/plain", text70),
			formFile("attachments", "scan.tiff", "image/tiff", tiffPages(2)), formFile("attachments", "logo.png", "image/png", pngImage(t, 3)),
			formFile("attachments", "letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("PK\x03\x04docx"))},
			1 + 3 + 2 + 2 + 1 + 1, 1, "Low", "+12025550100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.postParts(t, faxPath, a.ada, tc.subtype, tc.parts...)
			if r.Status != 200 {
				t.Fatalf("fax: %d %s", r.Status, r.Body)
			}
			fx := r.Map(t)
			if fx["type"] != "Fax" || fx["messageStatus"] != "Queued" || fx["direction"] != "Outbound" ||
				fx["faxPageCount"] != float64(tc.pages) || fx["coverIndex"] != float64(tc.cover) || fx["faxResolution"] != tc.res ||
				party(fx, 0)["messageStatus"] != "Queued" || party(fx, 0)["phoneNumber"] != tc.to || fx["from"].(map[string]any)["phoneNumber"] != "+16505550101" {
				t.Fatalf("fax = %v", fx)
			}
			atts := attachments(fx)
			if len(atts) != 1 || atts[0]["type"] != "RenderedDocument" || atts[0]["contentType"] != "application/pdf" {
				t.Fatalf("attachments = %v", atts)
			}
			// The rendered document has the pages the fax counts.
			doc := a.download(t, a.ada, atts[0]["uri"].(string))
			if doc.Header.Get("Content-Type") != "application/pdf" || messaging.PDFPages(doc.Body) != tc.pages {
				t.Fatalf("document: %s with %d pages", doc.Header.Get("Content-Type"), messaging.PDFPages(doc.Body))
			}
			// With no delays the fax is sent at once.
			if m := a.message(t, a.ada, fx["id"]); m["messageStatus"] != "Sent" || party(m, 0)["messageStatus"] != "Sent" || m["faxPageCount"] != float64(tc.pages) {
				t.Fatalf("stored fax = %v", m)
			}
		})
	}
}

func TestFaxToHostedNumberArrivesInbound(t *testing.T) {
	a := openMsgApp(t)
	pdf := messaging.BlankPDF(2)
	r := a.postParts(t, faxPath, a.ada, "form-data", rcexJSON(t, faxEnvelope("+16505550102")),
		formFile("attachments", "contract.pdf", "application/pdf", pdf))
	if r.Status != 200 {
		t.Fatalf("fax: %d %s", r.Status, r.Body)
	}
	sent := r.Map(t)
	if party(sent, 0)["name"] != "Grace Hopper" {
		t.Fatalf("recipient = %v", party(sent, 0))
	}
	in := a.findInbound(t, a.grace, "Fax", func(map[string]any) bool { return true })
	if in == nil {
		t.Fatal("Grace received no fax")
	}
	if in["readStatus"] != "Unread" || in["messageStatus"] != "Received" || in["faxPageCount"] != 2.0 ||
		in["from"].(map[string]any)["phoneNumber"] != "+16505550101" || party(in, 0)["phoneNumber"] != "+16505550102" {
		t.Fatalf("inbound fax = %v", in)
	}
	atts := attachments(in)
	if len(atts) != 1 || atts[0]["type"] != "RenderedDocument" || atts[0]["contentType"] != "application/pdf" {
		t.Fatalf("inbound attachments = %v", atts)
	}
	if d := a.download(t, a.grace, atts[0]["uri"].(string)); !bytes.Equal(d.Body, pdf) || d.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("Grace's document is not the PDF sent (%d bytes, %s)", len(d.Body), d.Header.Get("Content-Type"))
	}
	if m := a.message(t, a.ada, sent["id"]); m["messageStatus"] != "Sent" || party(m, 0)["messageStatus"] != "Sent" {
		t.Fatalf("sender's fax = %v", m)
	}
	// Hosted faxes stay out of the outbox.
	if ob := a.Do(rctest.Req{Path: "/_rcemu/outbox"}).Map(t)["records"].([]any); len(ob) != 0 {
		t.Fatalf("outbox = %v", ob)
	}
	// The company fax number reaches the account's operator; a fax to another account arrives too.
	if r := a.postParts(t, faxPath, a.grace, "form-data", rcexJSON(t, faxEnvelope("+14155550101")),
		formFile("attachments", "note.txt", "text/plain", []byte("hi Marie"))); r.Status != 200 {
		t.Fatalf("cross-account fax: %d %s", r.Status, r.Body)
	}
	if a.findInbound(t, a.marie, "Fax", func(m map[string]any) bool { return m["faxPageCount"] == 1.0 }) == nil {
		t.Fatal("Marie received no fax")
	}
}

func TestFaxReservedNumbersFail(t *testing.T) {
	a := openMsgApp(t)
	r := a.postParts(t, faxPath, a.ada, "form-data", rcexJSON(t, faxEnvelope("+12025550100", "+15005550410")),
		formFile("attachments", "doc.pdf", "application/pdf", messaging.BlankPDF(1)))
	if r.Status != 200 {
		t.Fatalf("fax: %d %s", r.Status, r.Body)
	}
	m := a.message(t, a.ada, r.Map(t)["id"])
	if m["messageStatus"] != "SendingFailed" || party(m, 0)["messageStatus"] != "Sent" || party(m, 0)["faxErrorCode"] != nil ||
		party(m, 1)["messageStatus"] != "SendingFailed" || party(m, 1)["faxErrorCode"] != "InvalidNumber" {
		t.Fatalf("fax = %v", m)
	}
	for number, code := range messaging.FaxErrorCodes {
		r := a.postParts(t, faxPath, a.ada, "form-data", plainField("to", number), formFile("attachment", "a.txt", "text/plain", []byte("x")))
		if r.Status != 200 {
			t.Fatalf("fax to %s: %d %s", number, r.Status, r.Body)
		}
		if m := a.message(t, a.ada, r.Map(t)["id"]); m["messageStatus"] != "SendingFailed" || party(m, 0)["faxErrorCode"] != code {
			t.Errorf("fax to %s = %v, want %s", number, m, code)
		}
	}
	// More than 200 pages: TooManyPages.
	r = a.postParts(t, faxPath, a.ada, "form-data", plainField("to", "+12025550100"),
		formFile("attachment", "long.txt", "text/plain", []byte(strings.Repeat("x\n", 66*200+1))))
	if r.Status != 200 {
		t.Fatalf("long fax: %d %s", r.Status, r.Body)
	}
	if m := a.message(t, a.ada, r.Map(t)["id"]); m["faxPageCount"] != 201.0 || party(m, 0)["faxErrorCode"] != "TooManyPages" {
		t.Fatalf("long fax = %v", m)
	}
}

func (a *msgApp) clock(t *testing.T, body map[string]any) {
	t.Helper()
	if r := a.Do(rctest.Req{Method: "POST", Path: "/_rcemu/clock", JSON: body}); r.Status != 200 {
		t.Fatalf("clock %v: %d %s", body, r.Status, r.Body)
	}
}

func (a *msgApp) now(t *testing.T) time.Time {
	t.Helper()
	var c struct {
		Now time.Time `json:"now"`
	}
	a.Do(rctest.Req{Path: "/_rcemu/clock"}).JSON(t, &c)
	if c.Now.IsZero() {
		t.Fatal("clock has no time")
	}
	return c.Now
}

func TestFaxSendTimeFollowsTheClock(t *testing.T) {
	a := openMsgApp(t)
	a.clock(t, map[string]any{"freeze": true})
	at := a.now(t).Add(20 * time.Minute) // within the access token's hour
	send := func(to string, pages int) map[string]any {
		r := a.postParts(t, faxPath, a.ada, "form-data", docsField("to", to), docsField("sendTime", at.Format(time.RFC3339Nano)),
			formFile("attachment", "doc.pdf", "application/pdf", messaging.BlankPDF(pages)))
		if r.Status != 200 {
			t.Fatalf("fax: %d %s", r.Status, r.Body)
		}
		return r.Map(t)
	}
	outside, hosted, cancelled := send("+12025550100", 3), send("+16505550102", 3), send("+16505550102", 5)
	// Deleting a scheduled fax cancels it.
	if r := a.Do(rctest.Req{Method: "DELETE", Path: fmt.Sprintf("/restapi/v1.0/account/~/extension/~/message-store/%.0f", cancelled["id"]), Token: a.ada}); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	status := func(id any) string { return a.message(t, a.ada, id)["messageStatus"].(string) }
	if status(outside["id"]) != "Queued" || status(hosted["id"]) != "Queued" {
		t.Fatal("a fax for later is not Queued")
	}
	if a.findInbound(t, a.grace, "Fax", func(map[string]any) bool { return true }) != nil {
		t.Fatal("the hosted recipient got the fax before its time")
	}
	a.clock(t, map[string]any{"advance": "19m"})
	if s := status(outside["id"]); s != "Queued" {
		t.Fatalf("a minute early: %s", s)
	}
	a.clock(t, map[string]any{"advance": "1m"})
	if s := status(outside["id"]); s != "Sent" {
		t.Fatalf("at sendTime: %s", s)
	}
	if s := status(hosted["id"]); s != "Sent" {
		t.Fatalf("hosted at sendTime: %s", s)
	}
	if a.findInbound(t, a.grace, "Fax", func(m map[string]any) bool { return m["faxPageCount"] == 3.0 }) == nil {
		t.Fatal("the hosted recipient's copy of a scheduled fax did not arrive at sendTime")
	}
	if s := status(cancelled["id"]); s != "Queued" {
		t.Fatalf("a deleted scheduled fax went out: %s", s)
	}
	if a.findInbound(t, a.grace, "Fax", func(m map[string]any) bool { return m["faxPageCount"] == 5.0 }) != nil {
		t.Fatal("a deleted scheduled fax arrived")
	}
}

func TestFaxDelaysAndDeliveryFailure(t *testing.T) {
	a := openMsgApp(t)
	a.clock(t, map[string]any{"freeze": true})
	if r := a.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/messaging", JSON: map[string]any{"sendDelaySeconds": 10}}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	r := a.postParts(t, faxPath, a.ada, "form-data", plainField("to", "+15005550412"), formFile("attachment", "a.pdf", "application/pdf", messaging.BlankPDF(1)))
	if r.Status != 200 {
		t.Fatalf("fax: %d %s", r.Status, r.Body)
	}
	id := r.Map(t)["id"]
	if m := a.message(t, a.ada, id); m["messageStatus"] != "Queued" {
		t.Fatalf("before the delay: %v", m)
	}
	a.clock(t, map[string]any{"advance": "10s"})
	m := a.message(t, a.ada, id)
	if m["messageStatus"] != "SendingFailed" || party(m, 0)["messageStatus"] != "SendingFailed" {
		t.Fatalf("after the delay: %v", m)
	}
	if party(m, 0)["faxErrorCode"] != "LineBusy" || m["deliveryErrorCode"] != nil {
		t.Fatalf("after the delay: %v", m)
	}
}

func TestFaxResend(t *testing.T) {
	a := openMsgApp(t)
	pdf := messaging.BlankPDF(2)
	orig := a.postParts(t, faxPath, a.ada, "form-data", rcexJSON(t, faxEnvelope("+15005550412")), formFile("attachments", "a.pdf", "application/pdf", pdf)).Map(t)
	r := a.Do(rctest.Req{Method: "POST", Path: faxPath, Token: a.ada, JSON: map[string]any{"originalMessageId": fmt.Sprintf("%.0f", orig["id"]),
		"to": []any{map[string]string{"phoneNumber": "+16505550102"}}}})
	if r.Status != 200 {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	re := r.Map(t)
	if re["id"] == orig["id"] || re["messageStatus"] != "Queued" || re["faxPageCount"] != 2.0 || party(re, 0)["phoneNumber"] != "+16505550102" {
		t.Fatalf("resent = %v", re)
	}
	in := a.findInbound(t, a.grace, "Fax", func(map[string]any) bool { return true })
	if in == nil || !bytes.Equal(a.download(t, a.grace, attachments(in)[0]["uri"].(string)).Body, pdf) {
		t.Fatalf("resent fax not received: %v", in)
	}
	// A scheduled fax is not resent; an unknown one is not found.
	a.clock(t, map[string]any{"freeze": true})
	later := a.postParts(t, faxPath, a.ada, "form-data", plainField("to", "+12025550100"), plainField("sendTime", a.now(t).Add(time.Hour).Format(time.RFC3339)),
		formFile("attachment", "a.txt", "text/plain", []byte("x"))).Map(t)
	before := a.messagesState(t)
	for _, tc := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"originalMessageId": fmt.Sprintf("%.0f", later["id"])}, 406, "MSG-343"},
		{map[string]any{"originalMessageId": "42"}, 400, "CMN-102"},
		{map[string]any{"originalMessageId": "4084361008"}, 400, "CMN-102"}, // an SMS
		{map[string]any{"originalMessageId": "x"}, 400, "CMN-101"},
	} {
		r := a.Do(rctest.Req{Method: "POST", Path: faxPath, Token: a.ada, JSON: tc.body})
		if r.Status != tc.status || r.ErrorCode(t) != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.body, r.Status, r.Body, tc.status, tc.code)
		}
	}
	if a.messagesState(t) != before {
		t.Fatal("refused resends changed the store")
	}
}

func TestFaxErrorsLeaveTheStoreUnchanged(t *testing.T) {
	a := openMsgApp(t)
	pdf := messaging.BlankPDF(1)
	doc := func() mpart { return formFile("attachments", "a.pdf", "application/pdf", pdf) }
	env := func(extra map[string]any) mpart {
		e := faxEnvelope("+12025550100")
		for k, v := range extra {
			e[k] = v
		}
		return rcexJSON(t, e)
	}
	before := a.messagesState(t)
	a.checkRefusals(t, faxPath, []refusal{
		{name: "no attachment", subtype: "form-data", parts: []mpart{env(nil)}, status: 400, code: "CMN-100", param: "attachment"},
		{name: "unparsable envelope", subtype: "form-data", parts: []mpart{{header("Content-Disposition", `form-data; name="request.json"; filename="request.json"`, "Content-Type", "application/json"), []byte(`{"to":[`)}, doc()}, status: 400, code: "MSG-349"},
		{name: "unparsable mixed envelope", subtype: "mixed", parts: []mpart{{header("Content-Type", "application/json"), []byte(`nope`)}, mixedFile("a.pdf", "application/pdf", pdf)}, status: 400, code: "MSG-349"},
		{name: "unsupported type", subtype: "form-data", parts: []mpart{env(nil), formFile("attachments", "clip.mp4", "video/mp4", []byte("....ftyp"))}, status: 415, code: "MSG-348"},
		{name: "department", path: "/restapi/v1.0/account/~/extension/171860008/fax", subtype: "form-data", parts: []mpart{env(nil), doc()}, status: 403, code: "MSG-340"},
		{name: "empty file", subtype: "form-data", parts: []mpart{env(nil), formFile("attachments", "a.pdf", "application/pdf", nil)}, status: 400, code: "MSG-347"},
		{name: "no content disposition", subtype: "mixed", parts: []mpart{mixedJSON(t, faxEnvelope("+12025550100")), {header("Content-Type", "application/pdf"), pdf}}, status: 400, code: "MSG-350"},
		{name: "no file name", subtype: "mixed", parts: []mpart{mixedJSON(t, faxEnvelope("+12025550100")), {header("Content-Disposition", "attachment", "Content-Type", "application/pdf"), pdf}}, status: 400, code: "MSG-351"},
		{name: "no to", subtype: "form-data", parts: []mpart{rcexJSON(t, map[string]any{"faxResolution": "High"}), doc()}, status: 400, code: "CMN-100", param: "to"},
		{name: "bad to", subtype: "form-data", parts: []mpart{plainField("to", "fax me"), doc()}, status: 400, code: "CMN-101", param: "to.phoneNumber"},
		{name: "bad resolution", subtype: "form-data", parts: []mpart{env(map[string]any{"faxResolution": "Ultra"}), doc()}, status: 400, code: "CMN-101", param: "faxResolution"},
		{name: "bad cover index", subtype: "form-data", parts: []mpart{env(map[string]any{"coverIndex": 14}), doc()}, status: 400, code: "CMN-101", param: "coverIndex"},
		{name: "cover index not a number", subtype: "form-data", parts: []mpart{plainField("to", "+12025550100"), plainField("coverIndex", "two"), doc()}, status: 400, code: "CMN-101", param: "coverIndex"},
		{name: "cover page text too long", subtype: "form-data", parts: []mpart{env(map[string]any{"coverPageText": strings.Repeat("x", 1025)}), doc()}, status: 400, code: "CMN-101", param: "coverPageText"},
		{name: "bad send time", subtype: "form-data", parts: []mpart{env(map[string]any{"sendTime": "tomorrow"}), doc()}, status: 400, code: "CMN-101", param: "sendTime"},
		{name: "bad iso code", subtype: "form-data", parts: []mpart{env(map[string]any{"isoCode": "USA"}), doc()}, status: 400, code: "CMN-101", param: "isoCode"},
		{name: "wrong media type", raw: "hello", ct: "text/plain", status: 415, code: "AGW-415"},
		{name: "JSON without originalMessageId", raw: `{"to":[{"phoneNumber":"+12025550100"}]}`, ct: "application/json", status: 400, code: "CMN-100", param: "attachment"},
	})
	if after := a.messagesState(t); after != before {
		t.Fatal("refused faxes changed the store")
	}
}

// FuzzFaxMMSMultipart sends arbitrary multipart bodies to the MMS and fax senders: whatever comes
// in, the answer is a success or a RingCentral-shaped client error, never a 5xx, and a refused
// request stores nothing.
func FuzzFaxMMSMultipart(f *testing.F) {
	a := rctest.MustOpenApp(f)
	tok := a.Login(a.User(0, "101")).AccessToken
	seed := func(path, subtype string, parts ...mpart) {
		ct, body := buildMultipart(f, subtype, "fuzzb", parts...)
		f.Add(path == faxPath, ct, []byte(body))
	}
	env := []byte(`{"from":{"phoneNumber":"+16505550101"},"to":[{"phoneNumber":"+16505550102"}],"text":"x"}`)
	jsonPart := mpart{header("Content-Disposition", `form-data; name="request.json"; filename="request.json"`, "Content-Type", "application/json"), env}
	seed(mmsPath, "form-data", jsonPart, formFile("attachments", "a.png", "image/png", []byte("\x89PNG\r\n\x1a\n")))
	seed(mmsPath, "mixed", mpart{header("Content-Type", "application/json"), env}, mixedFile("a.gif", "", []byte("GIF89a")))
	seed(mmsPath, "form-data", plainField("from", "+16505550101"), plainField("to", "+16505550102"), formFile("attachment", "x", "", nil))
	seed(faxPath, "form-data", docsField("to", "18005554567"), docsField("coverIndex", "2"), docsField("attachment", "hello"))
	seed(faxPath, "form-data", jsonPart, formFile("attachments", "a.pdf", "application/pdf", messaging.BlankPDF(2)))
	seed(faxPath, "mixed", mpart{header("Content-Type", "application/json"), []byte(`{"to":[1],"sendTime":"2030-01-01T00:00:00Z"}`)}, mixedFile("a.tif", "image/tiff", []byte("II*\x00\x08\x00\x00\x00\x00\x00")))
	f.Add(true, "multipart/mixed; boundary=x", []byte("--x\r\n\r\n--x--"))
	f.Add(false, "multipart/form-data; boundary=\"", []byte("--"))
	// Requests go straight to the app's handler, in the fuzzing goroutine, so that coverage does
	// not depend on the network.
	h := a.Handler()
	do := func(method, path, ct string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://rcemu.test"+path, bytes.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	// A send stores the sender's copy and the recipients' in one transaction, so the sender's
	// store tells whether anything was stored.
	count := func(t *testing.T) int {
		w := do("GET", "/restapi/v1.0/account/~/extension/~/message-store?perPage=1", "", nil)
		var l struct {
			Paging struct {
				TotalElements *int `json:"totalElements"`
			} `json:"paging"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil || l.Paging.TotalElements == nil {
			t.Fatalf("message-store: %d %s", w.Code, w.Body)
		}
		return *l.Paging.TotalElements
	}
	f.Fuzz(func(t *testing.T, fax bool, ct string, body []byte) {
		path := mmsPath
		if fax {
			path = faxPath
		}
		if strings.ContainsAny(ct, "\r\n\x00") {
			ct = "multipart/form-data; boundary=fuzzb"
		}
		before := count(t)
		w := do("POST", path, ct, body)
		res, b := w.Result(), w.Body.Bytes()
		if res.StatusCode >= 500 {
			t.Fatalf("%d for %q %q: %s", res.StatusCode, ct, body, b)
		}
		if res.StatusCode >= 400 {
			var e struct {
				ErrorCode string `json:"errorCode"`
				Message   string `json:"message"`
			}
			if err := json.Unmarshal(b, &e); err != nil || e.ErrorCode == "" || e.Message == "" {
				t.Fatalf("error body is not RingCentral-shaped: %s", b)
			}
			if after := count(t); after != before {
				t.Fatalf("a refused request (%d %s) stored %d messages", res.StatusCode, e.ErrorCode, after-before)
			}
		}
	})
}
