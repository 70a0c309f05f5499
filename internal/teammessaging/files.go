package teammessaging

import (
	"context"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
)

// File is an uploaded file that posts attach.
type File struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Content     []byte `json:"content"`
}

// MaxFile is the upload limit (the spec's x-request-max-body-size of the files operation).
const MaxFile = 30 << 20

// UploadFile stores a file; with a chat, it also posts it there, as the platform does when the
// upload names a group.
func (s *Service) UploadFile(ctx context.Context, caller *rc.Principal, chatID string, f File) (Item, error) {
	var c Chat
	if chatID != "" {
		var err error
		if c, err = s.memberChat(ctx, caller, chatID); err != nil {
			return Item{}, err
		}
		if err := writable(c); err != nil {
			return Item{}, err
		}
	}
	if strings.TrimSpace(f.Name) == "" {
		f.Name = "file"
	}
	it, err := s.newItem(ctx, caller, FileKind, chatID)
	if err != nil {
		return Item{}, err
	}
	it.File = &f
	if err := s.store.InsertItem(ctx, it); err != nil {
		return Item{}, err
	}
	if chatID == "" {
		return it, nil
	}
	p := Post{ChatID: c.ID, AccountID: c.AccountID, Type: "TextMessage", CreatorID: caller.ExtensionID,
		Attachments: []Attachment{{ID: it.ID, Type: "File", Name: f.Name}}, Created: it.Created, Modified: it.Created}
	if err := s.store.InsertPost(ctx, &p); err != nil {
		return Item{}, err
	}
	s.publishPost(PostAdded, c, p)
	return it, nil
}

// FileContent returns an uploaded file by id. Its address is its only credential, as a
// content URI of the platform's is.
func (s *Service) FileContent(ctx context.Context, id string) (File, error) {
	it, err := s.store.Item(ctx, id)
	if notFound(err) || (err == nil && it.Kind != FileKind) {
		return File{}, rc.NotFound("fileId")
	}
	if err != nil {
		return File{}, err
	}
	return *it.File, nil
}
