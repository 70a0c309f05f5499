package messaging

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"mime"
	"path"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
)

// MMS limits from the platform's documentation ("Sending MMS") and the spec (createMMS).
const (
	MaxMMSAttachments = 10
	MaxMMSSize        = 1536 << 10 // 1.5 MB for all attachments of one message together
	MaxMMSBody        = 10 << 20   // createMMS's x-request-max-body-size
)

// Upload is one file of a multipart request as the client declared it.
type Upload struct {
	FileName    string
	ContentType string // "" or application/octet-stream are resolved from the name, then the bytes
	Content     []byte
}

// mmsTypes are the media types an MMS attachment may have: the table of "Sending MMS", plus
// the spellings clients commonly send for the same formats.
var mmsTypes = set(
	"image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/bmp", "image/x-bmp", "image/x-ms-bmp",
	"image/gif", "image/tiff", "image/svg+xml", "image/webp",
	"video/3gpp", "video/mp4", "video/mpeg", "video/avi", "video/msvideo", "video/x-msvideo", "video/x-flv",
	"video/x-ms-wmv", "video/quicktime", "video/webm", "video/ogg",
	"audio/mpeg", "audio/mp3", "audio/mp4", "audio/x-m4a", "audio/ogg", "audio/wav", "audio/x-wav", "audio/wave",
	"audio/vnd.wave", "audio/amr", "audio/3gpp",
	"text/vcard", "text/x-vcard", "text/directory",
	"application/zip", "application/x-zip-compressed", "application/gzip", "application/x-gzip",
	"application/rtf", "text/rtf", "application/pdf", "text/html", "text/plain", "text/csv", "text/calendar",
)

// typeByExt resolves a file whose declared type says nothing (application/octet-stream) from its
// extension: the extensions of the MMS and fax tables of the documentation.
var typeByExt = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".bmp": "image/bmp", ".gif": "image/gif",
	".tif": "image/tiff", ".tiff": "image/tiff", ".svg": "image/svg+xml", ".webp": "image/webp",
	".pcx": "image/x-pcx", ".tga": "image/x-tga", ".psd": "image/vnd.adobe.photoshop",
	".3gp": "video/3gpp", ".mp4": "video/mp4", ".m4v": "video/mp4", ".mpeg": "video/mpeg", ".mpg": "video/mpeg",
	".avi": "video/avi", ".flv": "video/x-flv", ".wmv": "video/x-ms-wmv", ".mov": "video/quicktime",
	".qt": "video/quicktime", ".webm": "video/webm", ".ogg": "video/ogg",
	".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".oga": "audio/ogg", ".wav": "audio/wav", ".amr": "audio/amr",
	".vcf": "text/vcard", ".vcard": "text/vcard", ".zip": "application/zip", ".gz": "application/gzip",
	".gzip": "application/gzip", ".rtf": "application/rtf", ".pdf": "application/pdf", ".html": "text/html",
	".htm": "text/html", ".txt": "text/plain", ".log": "text/plain", ".err": "text/plain", ".c": "text/plain",
	".h": "text/plain", ".cpp": "text/plain", ".hpp": "text/plain", ".csv": "text/csv", ".ics": "text/calendar",
	".xml": "application/xml",
	".doc": "application/msword", ".dot": "application/msword", ".mcw": "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".xlsb": "application/vnd.ms-excel.sheet.binary.macroenabled.12",
	".ppt":  "application/vnd.ms-powerpoint",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".vsd":  "application/vnd.visio", ".vdx": "application/vnd.visio",
	".pub": "application/vnd.ms-publisher", ".wps": "application/vnd.ms-works", ".wri": "application/x-mswrite",
	".awd": "image/x-awd", ".wk1": "application/vnd.lotus-1-2-3", ".wk3": "application/vnd.lotus-1-2-3",
	".wk4": "application/vnd.lotus-1-2-3", ".wq1": "application/x-quattro-pro",
}

// magic recognises a few formats by their first bytes, for files declared as octet-stream
// whose name says nothing either.
var magic = []struct {
	prefix, contentType string
}{
	{"%PDF-", "application/pdf"}, {"\x89PNG\r\n\x1a\n", "image/png"}, {"\xff\xd8\xff", "image/jpeg"},
	{"GIF87a", "image/gif"}, {"GIF89a", "image/gif"}, {"II*\x00", "image/tiff"}, {"MM\x00*", "image/tiff"},
	{"BM", "image/bmp"}, {"PK\x03\x04", "application/zip"}, {"\x1f\x8b", "application/gzip"},
	{"{\\rtf", "application/rtf"}, {"BEGIN:VCARD", "text/vcard"}, {"BEGIN:VCALENDAR", "text/calendar"},
	{"ID3", "audio/mpeg"}, {"#!AMR", "audio/amr"},
}

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// ResolveType returns the media type an upload is stored with: the declared one (lower case;
// a text's charset kept), or for "" and application/octet-stream the type its file name's
// extension or its first bytes say. It returns "" when nothing says.
func ResolveType(u Upload) string {
	mt, params, err := mime.ParseMediaType(u.ContentType)
	if err != nil {
		mt = ""
	}
	if mt != "" && mt != "application/octet-stream" && mt != "binary/octet-stream" {
		if cs := params["charset"]; cs != "" && strings.HasPrefix(mt, "text/") {
			return mime.FormatMediaType(mt, map[string]string{"charset": cs})
		}
		return mt
	}
	if t, ok := typeByExt[strings.ToLower(path.Ext(u.FileName))]; ok {
		return t
	}
	for _, m := range magic {
		if bytes.HasPrefix(u.Content, []byte(m.prefix)) {
			return m.contentType
		}
	}
	return ""
}

func baseType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.TrimSpace(mt)
}

// checkUpload is what MMS attachments and fax documents share: the file is not empty (MSG-347)
// and the type it resolves to is one accept takes (415 MSG-348, naming the declared type when
// nothing resolved). It returns the resolved type.
func checkUpload(u Upload, accept func(contentType string) bool) (string, error) {
	if len(u.Content) == 0 {
		msg := "Attachment body is empty"
		if u.FileName != "" {
			msg += fmt.Sprintf(" [%s]", u.FileName)
		}
		return "", msgError(400, "MSG-347", msg, "attachment")
	}
	ct := ResolveType(u)
	if accept(ct) {
		return ct, nil
	}
	shown := cmp.Or(ct, u.ContentType, "application/octet-stream")
	return "", msgError(415, "MSG-348", fmt.Sprintf("Unsupported attachment media type [%s]", shown), "attachment")
}

// attachmentsTooLarge is MSG-337 for attachments over their size limit together.
func attachmentsTooLarge(total, limit int, param string) *rc.Error {
	return msgError(400, "MSG-337",
		fmt.Sprintf("Attachment size limit exceeded: %d bytes, the limit is %d bytes for all attachments", total, limit), param)
}

func mmsType(contentType string) bool { return mmsTypes[baseType(contentType)] }

// CheckMMS validates an MMS: the text part as an SMS (the text may be empty or absent), the
// sender's MmsSender feature, and the attachments: each non-empty (MSG-347) and of a type MMS
// carries (415 MSG-348), at least one (CMN-100), at most ten, and 1.5 MB together (MSG-337).
func (s *Service) CheckMMS(ctx context.Context, sender rc.Extension, req SMSRequest, files []Upload) (TextMessage, error) {
	atts := make([]rc.Attachment, 0, len(files))
	total := 0
	for _, f := range files {
		ct, err := checkUpload(f, mmsType)
		if err != nil {
			return TextMessage{}, err
		}
		total += len(f.Content)
		atts = append(atts, rc.Attachment{Type: "MmsAttachment", ContentType: ct, FileName: f.FileName,
			Size: len(f.Content), Content: f.Content})
	}
	if req.Text == nil {
		empty := ""
		req.Text = &empty
	}
	tm, err := s.CheckSMS(ctx, sender, req, true)
	if err != nil {
		return TextMessage{}, err
	}
	if len(atts) == 0 {
		return TextMessage{}, rc.Missing("attachments")
	}
	if len(atts) > MaxMMSAttachments {
		return TextMessage{}, msgError(400, "MSG-337",
			fmt.Sprintf("Attachment size limit exceeded: at most %d attachments per message", MaxMMSAttachments), "attachments")
	}
	if total > MaxMMSSize {
		return TextMessage{}, attachmentsTooLarge(total, MaxMMSSize, "attachments")
	}
	tm.Attachments = atts
	return tm, nil
}
