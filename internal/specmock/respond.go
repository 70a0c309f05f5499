package specmock

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"hash/fnv"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/restapi"
	"github.com/rcemu/rcemu/internal/restapi/apierror"
	"github.com/rcemu/rcemu/internal/restapi/paging"
	"github.com/rcemu/rcemu/internal/spec"
)

// Kinds of response bodies.
const (
	bodyNone  = iota // no content
	bodyJSON         // a template
	bodyBytes        // fixed bytes (audio, images, documents)
	bodyCSV          // CSV made from the JSON template
	bodyParts        // multipart/mixed holding the JSON template
)

// responses is what an operation answers, compiled on first use.
type responses struct {
	status      int
	contentType string
	kind        int
	tmpl        template
	raw         []byte
	etag        bool // the response documents an ETag header
	location    bool // a Location header (redirects, created resources)
	headers     [][2]string
	notModified bool // a 304 is documented: If-None-Match is honoured
	batch       bool // 207 multipart/mixed for several ids in an array path parameter
	batchParam  string
	failures    []string
}

func (o *operation) responses() *responses {
	o.once.Do(func() {
		o.resp = o.buildResponses()
		if len(o.resp.failures) > 0 && o.opt.Log != nil {
			o.opt.Log.Warn("spec: no schema-valid value could be generated", "operation", o.op.ID, "fields", o.resp.failures)
		}
	})
	return o.resp
}

func (o *operation) buildResponses() *responses {
	res := &responses{status: http.StatusOK}
	succ := o.op.Success()
	if succ == nil {
		res.kind = bodyNone
		return res
	}
	res.status, _ = strconv.Atoi(succ.Status)
	for _, h := range succ.Headers {
		switch strings.ToLower(h.Name) {
		case "etag":
			res.etag = true
		case "location":
			res.location = true
		default:
			if h.Required {
				res.headers = append(res.headers, [2]string{h.Name, o.headerValue(h)})
			}
		}
	}
	if o.op.Response(304) != nil && strings.HasPrefix(succ.Status, "2") {
		res.notModified, res.etag = true, true
	}
	if r207 := o.op.Response(207); r207 != nil && spec.FindMedia(r207.Content, "multipart/mixed") != nil {
		for _, p := range o.path {
			if o.isArray(p.Schema) {
				res.batch, res.batchParam = true, p.Name
			}
		}
	}
	if len(succ.Content) == 0 || res.status == http.StatusNoContent {
		res.kind = bodyNone
		return res
	}
	g := newGenerator(o.doc, o.op, false)
	if m := spec.FindMedia(succ.Content, "application/json"); m != nil && m.Schema != spec.None {
		res.kind, res.contentType = bodyJSON, jsonContentType(m.Type)
		res.tmpl = compile(g.body(m))
		res.failures = g.failures
		return res
	}
	m := &succ.Content[0]
	mt := strings.ToLower(m.Type)
	switch {
	case mt == "text/csv":
		res.kind, res.contentType = bodyCSV, "text/csv;charset=utf-8"
		if m.Schema != spec.None && o.isObjectish(m.Schema) {
			res.tmpl = compile(g.body(m))
		} else {
			res.tmpl = template{{lit: []byte(`{"records":[{"id":"1","value":"rcemu"}]}`)}}
		}
	case mt == "multipart/mixed" && m.Schema != spec.None && o.isObjectish(m.Schema):
		res.kind, res.contentType = bodyParts, "multipart/mixed"
		res.tmpl = compile(g.body(m))
	default:
		res.kind = bodyBytes
		res.contentType, res.raw = sampleBytes(mt)
	}
	res.failures = g.failures
	return res
}

func (o *operation) isObjectish(si int) bool {
	for _, i := range o.doc.AllOf(si) {
		s := o.doc.Schema(i)
		if s.Type == "object" || s.Type == "array" || len(s.Properties) > 0 || len(s.OneOf)+len(s.AnyOf) > 0 {
			return true
		}
	}
	return false
}

func jsonContentType(mt string) string {
	if strings.EqualFold(mt, "application/json") {
		return apierror.ContentType
	}
	return strings.ToLower(mt) + ";charset=utf-8"
}

func (o *operation) headerValue(h spec.Header) string {
	if s := o.doc.Schema(h.Schema); s != nil && len(s.Example) > 0 {
		if v, err := spec.DecodeJSON(s.Example); err == nil {
			if str, ok := v.(string); ok {
				return str
			}
			return string(s.Example)
		}
	}
	return "1"
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// context builds what the body depends on for this request.
func (o *operation) context(r *restapi.Request) *rctx {
	c := &rctx{base: r.Base(), params: make(map[string]string, len(o.path)), query: r.Query.Clone()}
	c.query.Del("access_token")
	acc, ext := r.AccountID, r.ExtensionID
	if p := r.Principal; p != nil {
		if acc == 0 {
			acc = p.AccountID
		}
		if ext == 0 {
			ext = p.ExtensionID
		}
	}
	c.account, c.extension = strconv.FormatInt(acc, 10), strconv.FormatInt(ext, 10)
	for _, p := range o.path {
		switch p.router {
		case "accountId":
			c.params[p.Name] = c.account
		case "extensionId":
			c.params[p.Name] = strconv.FormatInt(r.ExtensionID, 10)
		default:
			c.params[p.Name] = r.Param(p.router)
		}
	}
	c.selfPath = o.selfPath(c.params)
	now := o.opt.Clock.Now()
	c.now, c.today = rc.FormatTime(now), now.UTC().Format("2006-01-02")
	c.page = pageOf(r)
	return c
}

// pageOf reads page and perPage, which the operation's parameters have already validated: some
// operations also take perPage=max or all.
func pageOf(r *restapi.Request) paging.Page {
	p, err := paging.Parse(r.Query)
	if err == nil {
		return p
	}
	p = paging.Page{Page: 1, PerPage: paging.DefaultPerPage}
	if n, err := strconv.Atoi(strings.TrimSpace(r.Query.Get("page"))); err == nil && n > 0 {
		p.Page = n
	}
	switch per := strings.ToLower(strings.TrimSpace(r.Query.Get("perPage"))); per {
	case "max", "all":
		p.PerPage = paging.MaxPerPage
	default:
		if n, err := strconv.Atoi(per); err == nil && n > 0 {
			p.PerPage = min(n, paging.MaxPerPage)
		}
	}
	return p
}

// selfPath is the operation's path with the request's values.
func (o *operation) selfPath(params map[string]string) string {
	var b strings.Builder
	for i, seg := range o.pathSegs {
		if i > 0 {
			b.WriteByte('/')
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			b.WriteString(params[seg[1:len(seg)-1]])
			continue
		}
		b.WriteString(seg)
	}
	return b.String()
}

func (o *operation) respond(w http.ResponseWriter, r *restapi.Request) error {
	res := o.responses()
	c := o.context(r)
	h := w.Header()
	if res.location {
		h.Set("Location", c.base+c.selfPath)
	}
	for _, kv := range res.headers {
		h.Set(kv[0], kv[1])
	}
	if res.batch {
		if ids := strings.Split(c.params[res.batchParam], ","); len(ids) > 1 && res.kind == bodyJSON {
			return o.batch(w, res, c, ids)
		}
	}
	switch res.kind {
	case bodyNone:
		if res.status == http.StatusNoContent {
			return restapi.NoContent(w)
		}
		h.Set("Content-Length", "0")
		w.WriteHeader(res.status)
		return nil
	case bodyBytes:
		return o.write(w, r, res, res.contentType, res.raw)
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<16 {
			bufPool.Put(bp)
		}
	}()
	body := res.tmpl.render((*bp)[:0], c)
	*bp = body
	switch res.kind {
	case bodyCSV:
		return o.write(w, r, res, res.contentType, toCSV(body))
	case bodyParts:
		ct, b := multipartOf([][]byte{body})
		return o.write(w, r, res, ct, b)
	}
	return o.write(w, r, res, res.contentType, body)
}

func (o *operation) write(w http.ResponseWriter, r *restapi.Request, res *responses, ct string, body []byte) error {
	h := w.Header()
	if res.etag {
		f := fnv.New64a()
		_, _ = f.Write(body)
		tag := `"` + strconv.FormatUint(f.Sum64(), 16) + `"`
		h.Set("ETag", tag)
		if res.notModified && r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	h["Content-Type"] = []string{ct}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(res.status)
	_, err := w.Write(body)
	return err
}

// batch answers a request for several ids the platform's way: 207 and a multipart/mixed body
// whose first part lists each part's status.
func (o *operation) batch(w http.ResponseWriter, res *responses, c *rctx, ids []string) error {
	var b strings.Builder
	b.WriteString(`{"response":[`)
	for i := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"status":200}`)
	}
	b.WriteString("]}")
	parts := [][]byte{[]byte(b.String())}
	for _, id := range ids {
		ic := *c
		ic.params = maps.Clone(c.params)
		ic.params[res.batchParam] = strings.TrimSpace(id)
		ic.selfPath = o.selfPath(ic.params)
		ic.listDone = false
		parts = append(parts, res.tmpl.render(nil, &ic))
	}
	ct, body := multipartOf(parts)
	w.Header()["Content-Type"] = []string{ct}
	w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusMultiStatus)
	_, err := w.Write(body)
	return err
}

// multipartOf wraps JSON parts in a multipart/mixed body with a fixed boundary, so that the same
// request gives the same bytes.
func multipartOf(parts [][]byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary("Boundary_rcemu_0123456789")
	for _, p := range parts {
		pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {apierror.ContentType}})
		_, _ = pw.Write(p)
	}
	_ = mw.Close()
	return "multipart/mixed; boundary=" + mw.Boundary(), buf.Bytes()
}

// toCSV turns a generated body into CSV: the records of a list (or the object itself), one
// column per scalar field.
func toCSV(body []byte) []byte {
	v, err := spec.DecodeJSON(body)
	if err != nil {
		return nil
	}
	var rows []map[string]any
	if obj, ok := v.(map[string]any); ok {
		if recs, ok := obj["records"].([]any); ok {
			for _, r := range recs {
				if m, ok := r.(map[string]any); ok {
					rows = append(rows, m)
				}
			}
		} else {
			rows = []map[string]any{obj}
		}
	}
	cols := map[string]bool{}
	for _, r := range rows {
		for k, v := range r {
			switch v.(type) {
			case map[string]any, []any:
			default:
				cols[k] = true
			}
		}
	}
	header := make([]string, 0, len(cols))
	for k := range cols {
		header = append(header, k)
	}
	sort.Strings(header)
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(header)
	for _, r := range rows {
		rec := make([]string, len(header))
		for i, k := range header {
			if x, ok := r[k]; ok && x != nil {
				rec[i] = strings.Trim(string(mustJSON(x)), `"`)
			}
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return buf.Bytes()
}

// sampleBytes is a small valid file of the media type (a wildcard type gets a concrete one).
func sampleBytes(mt string) (string, []byte) {
	switch {
	case mt == "image/jpeg":
		return mt, jpegSample
	case mt == "image/gif":
		return mt, gifSample
	case strings.HasPrefix(mt, "image/"):
		return "image/png", pngSample
	case mt == "audio/mpeg":
		return mt, mp3Sample
	case strings.HasPrefix(mt, "audio/"):
		return "audio/wav", wavSample
	case strings.HasPrefix(mt, "video/"):
		return "video/mp4", mp4Sample
	case mt == "application/pdf":
		return mt, pdfSample
	case strings.HasPrefix(mt, "text/"):
		return mt + ";charset=utf-8", []byte("rcemu\n")
	}
	return "application/octet-stream", []byte("rcemu")
}

func mustDecode(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	// A 1×1 transparent PNG, GIF and JPEG.
	pngSample  = mustDecode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
	gifSample  = mustDecode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
	jpegSample = mustDecode("/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=")
	// 0.01 s of 8 kHz mono silence.
	wavSample = wav(80)
	// One silent MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz).
	mp3Sample = append([]byte{0xFF, 0xFB, 0x90, 0x64}, make([]byte, 413)...)
	// An ISO base media file with only its ftyp box.
	mp4Sample = []byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'}
	pdfSample = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
)

func wav(samples int) []byte {
	le32 := func(n int) []byte { return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)} }
	le16 := func(n int) []byte { return []byte{byte(n), byte(n >> 8)} }
	var b []byte
	b = append(b, "RIFF"...)
	b = append(b, le32(36+samples)...)
	b = append(b, "WAVEfmt "...)
	b = append(b, le32(16)...)
	b = append(b, le16(1)...)    // PCM
	b = append(b, le16(1)...)    // mono
	b = append(b, le32(8000)...) // sample rate
	b = append(b, le32(8000)...) // byte rate
	b = append(b, le16(1)...)    // block align
	b = append(b, le16(8)...)    // bits per sample
	b = append(b, "data"...)
	b = append(b, le32(samples)...)
	for i := 0; i < samples; i++ {
		b = append(b, 0x80)
	}
	return b
}
