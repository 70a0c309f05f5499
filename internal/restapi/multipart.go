package restapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
)

// FilePart is one file of a multipart request.
type FilePart struct {
	Field       string // form field name ("attachment", "attachments"), or "" in multipart/mixed
	FileName    string
	ContentType string
	Content     []byte
	// Disposition is false when the part had no Content-Disposition header at all.
	Disposition bool
}

// Multipart is a multipart/form-data or multipart/mixed request taken apart the way the SDKs
// build them: an optional JSON part (named request.json, or the first application/json part),
// plain form fields, and files.
type Multipart struct {
	JSON   []byte
	Fields url.Values
	Files  []FilePart
}

// ReadMultipart parses a multipart body. A malformed body is 400 CMN-104; too large, 413.
func ReadMultipart(r *Request) (*Multipart, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, UnsupportedMediaType(r.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	out := &Multipart{Fields: url.Values{}}
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ReadError(err)
		}
		content, err := io.ReadAll(p)
		if err != nil {
			return nil, ReadError(err)
		}
		ct := p.Header.Get("Content-Type")
		pmt, _, _ := mime.ParseMediaType(ct)
		disp := p.Header.Get("Content-Disposition")
		name, file := p.FormName(), p.FileName()
		if disp != "" && name == "" && file == "" {
			// FormName only reads form-data; multipart/mixed parts say "attachment; filename=...".
			if _, dp, err := mime.ParseMediaType(disp); err == nil {
				name, file = dp["name"], dp["filename"]
			}
		}
		switch {
		case isJSONMediaType(pmt) && out.JSON == nil && (name == "request.json" || name == "json" || name == "" || file == "request.json" || mt == "multipart/mixed"):
			out.JSON = content
		case file == "" && disp != "" && (pmt == "" || pmt == "text/plain") && name != "":
			out.Fields.Add(name, string(content))
		default:
			if ct == "" {
				ct = "application/octet-stream"
			}
			out.Files = append(out.Files, FilePart{Field: name, FileName: file, ContentType: ct, Content: content,
				Disposition: disp != ""})
		}
	}
	return out, nil
}

// Decode fills v from the JSON part, or failing that from the form fields turned into the JSON
// body the resource expects by fieldsToJSON (nil: none are expected), and hands every file to
// onFile.
func (m *Multipart) Decode(v any, onFile func(FilePart) error, fieldsToJSON func(url.Values) ([]byte, error)) error {
	body := m.JSON
	if body == nil && fieldsToJSON != nil && len(m.Fields) > 0 {
		b, err := fieldsToJSON(m.Fields)
		if err != nil {
			return err
		}
		body = b
	}
	if body == nil {
		body = []byte("{}")
	}
	if err := decodeJSONBytes(bytes.TrimSpace(body), v); err != nil {
		return err
	}
	if onFile != nil {
		for _, f := range m.Files {
			if err := onFile(f); err != nil {
				return err
			}
		}
	}
	return nil
}
