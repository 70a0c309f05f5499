package teammessaging

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rcemu/rcemu/internal/rc"
)

// AttachmentTypes are what a new post may attach.
var AttachmentTypes = []string{"File", "Note", "Event", "Card"}

// PostChange is a post's create or PATCH body.
type PostChange struct {
	Text         *string      `json:"text"`
	ParentPostID string       `json:"parentPostId"`
	ThreadID     string       `json:"threadId"`
	Attachments  []Attachment `json:"attachments"`
}

func checkText(text string) error {
	if utf8.RuneCountInString(text) > MaxPostText {
		return rc.Invalid("text")
	}
	return nil
}

// attachments checks what a post attaches: each a file, note, event or card of the caller's
// account, by id (400 CMN-102 naming attachments.id for one that does not exist). Files keep
// their names.
func (s *Service) attachments(ctx context.Context, caller *rc.Principal, as []Attachment) ([]Attachment, error) {
	if len(as) > MaxAttachments {
		return nil, rc.Invalid("attachments")
	}
	out := make([]Attachment, 0, len(as))
	for _, a := range as {
		if a.ID == "" {
			return nil, rc.Missing("attachments.id")
		}
		if !slices.Contains(AttachmentTypes, a.Type) {
			return nil, rc.Invalid("attachments.type")
		}
		it, err := s.store.Item(ctx, a.ID)
		if notFound(err) || (err == nil && (it.Kind != a.Type || it.AccountID != caller.AccountID)) {
			return nil, rc.BadReference("attachments.id")
		}
		if err != nil {
			return nil, err
		}
		att := Attachment{ID: a.ID, Type: a.Type}
		if it.File != nil {
			att.Name = it.File.Name
		}
		out = append(out, att)
	}
	return out, nil
}

// mentions parses the mentions of a text and names the people and teams it mentions.
func (s *Service) mentions(ctx context.Context, caller *rc.Principal, text string) []Mention {
	ms := ParseMentions(text)
	for i := range ms {
		n, err := strconv.ParseInt(ms[i].ID, 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		switch ms[i].Type {
		case "Person":
			if e, err := s.person(ctx, caller.AccountID, n); err == nil {
				ms[i].Name = e.Name
			}
		case "Team":
			if c, err := s.visibleTeam(ctx, caller, ms[i].ID); err == nil {
				ms[i].Name = c.Name
			}
		}
	}
	return ms
}

// thread finds the thread a reply belongs to: its parent's, or the parent itself when the
// parent starts one.
func (s *Service) thread(ctx context.Context, chatID string, ch PostChange) (root Post, err error) {
	ref, param := ch.ParentPostID, "parentPostId"
	if ref == "" {
		ref, param = ch.ThreadID, "threadId"
	}
	p, err := s.store.Post(ctx, chatID, ref)
	if notFound(err) {
		return Post{}, rc.BadReference(param)
	}
	if err != nil {
		return Post{}, err
	}
	if p.ThreadID != "" && p.ThreadID != p.ID {
		if p, err = s.store.Post(ctx, chatID, p.ThreadID); notFound(err) {
			return Post{}, rc.BadReference(param) // its thread's first post is gone
		} else if err != nil {
			return Post{}, err
		}
	}
	if ch.ThreadID != "" && ch.ThreadID != p.ID {
		return Post{}, rc.Invalid("threadId")
	}
	return p, nil
}

// CreatePost posts into a chat the caller belongs to.
func (s *Service) CreatePost(ctx context.Context, caller *rc.Principal, chatID string, ch PostChange) (Post, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return Post{}, err
	}
	if err := writable(c); err != nil {
		return Post{}, err
	}
	text := ""
	if ch.Text != nil {
		text = *ch.Text
	}
	if strings.TrimSpace(text) == "" && len(ch.Attachments) == 0 {
		return Post{}, rc.Missing("text")
	}
	if err := checkText(text); err != nil {
		return Post{}, err
	}
	atts, err := s.attachments(ctx, caller, ch.Attachments)
	if err != nil {
		return Post{}, err
	}
	if len(atts) == 0 {
		atts = nil
	}
	now := s.clock.Now()
	p := Post{ChatID: c.ID, AccountID: c.AccountID, Type: "TextMessage", Text: text, CreatorID: caller.ExtensionID,
		Attachments: atts, Mentions: s.mentions(ctx, caller, text), Created: now, Modified: now}
	var root Post
	if ch.ParentPostID != "" || ch.ThreadID != "" {
		if root, err = s.thread(ctx, c.ID, ch); err != nil {
			return Post{}, err
		}
		p.ParentPostID = ch.ParentPostID
		if p.ParentPostID == "" {
			p.ParentPostID = root.ID
		}
		p.ThreadID = root.ID
	}
	if err := s.store.InsertPost(ctx, &p); err != nil {
		return Post{}, err
	}
	if root.ID != "" && !root.IsParent {
		root.IsParent = true
		if err := s.store.UpdatePost(ctx, root); err != nil && !notFound(err) {
			return Post{}, err
		}
	}
	s.publishPost(PostAdded, c, p)
	return p, nil
}

// Post returns a post of a chat the caller belongs to.
func (s *Service) Post(ctx context.Context, caller *rc.Principal, chatID, postID string) (Post, error) {
	if _, err := s.memberChat(ctx, caller, chatID); err != nil {
		return Post{}, err
	}
	return s.post(ctx, chatID, postID)
}

func (s *Service) post(ctx context.Context, chatID, postID string) (Post, error) {
	p, err := s.store.Post(ctx, chatID, postID)
	if notFound(err) {
		return p, rc.NotFound("postId")
	}
	return p, err
}

// ownPost is a post the caller wrote, in a chat they belong to that takes changes.
func (s *Service) ownPost(ctx context.Context, caller *rc.Principal, chatID, postID string) (Chat, Post, error) {
	c, err := s.memberChat(ctx, caller, chatID)
	if err != nil {
		return c, Post{}, err
	}
	p, err := s.post(ctx, chatID, postID)
	if err != nil {
		return c, p, err
	}
	if p.CreatorID != caller.ExtensionID {
		return c, p, forbidden("postId")
	}
	return c, p, writable(c)
}

// UpdatePost changes the text of the caller's post.
func (s *Service) UpdatePost(ctx context.Context, caller *rc.Principal, chatID, postID string, ch PostChange) (Post, error) {
	c, p, err := s.ownPost(ctx, caller, chatID, postID)
	if err != nil {
		return Post{}, err
	}
	if ch.Text == nil {
		return p, nil
	}
	if strings.TrimSpace(*ch.Text) == "" && len(p.Attachments) == 0 {
		return Post{}, rc.Invalid("text")
	}
	if err := checkText(*ch.Text); err != nil {
		return Post{}, err
	}
	p.Text, p.Mentions, p.Modified = *ch.Text, s.mentions(ctx, caller, *ch.Text), s.clock.Now()
	if err := s.store.UpdatePost(ctx, p); err != nil {
		if notFound(err) {
			return Post{}, rc.NotFound("postId")
		}
		return Post{}, err
	}
	s.publishPost(PostChanged, c, p)
	return p, nil
}

// DeletePost deletes the caller's post.
func (s *Service) DeletePost(ctx context.Context, caller *rc.Principal, chatID, postID string) error {
	c, p, err := s.ownPost(ctx, caller, chatID, postID)
	if err != nil {
		return err
	}
	if err := s.store.DeletePost(ctx, chatID, postID); err != nil {
		if notFound(err) {
			return rc.NotFound("postId")
		}
		return err
	}
	s.publishPost(PostRemoved, c, p)
	return nil
}

// ListPosts pages a chat's posts (of one thread, if threadID is set), newest first: the next
// page holds older posts, the previous newer ones.
func (s *Service) ListPosts(ctx context.Context, caller *rc.Principal, chatID, threadID string, pr PageRequest) (Page[Post], error) {
	if _, err := s.memberChat(ctx, caller, chatID); err != nil {
		return Page[Post]{}, err
	}
	if threadID != "" {
		if _, err := s.post(ctx, chatID, threadID); err != nil {
			if rc.IsNotFound(err) {
				return Page[Post]{}, rc.NotFound("threadId")
			}
			return Page[Post]{}, err
		}
	}
	cur := cursor{Kind: "posts", Chat: chatID, Thread: threadID, Count: recordCount(pr)}
	if pr.Token != "" {
		var err error
		if cur, err = readCursor(pr, "posts"); err != nil {
			return Page[Post]{}, err
		}
		if cur.Chat != chatID || cur.Thread != threadID {
			return Page[Post]{}, rc.Invalid("pageToken")
		}
	}
	posts, err := s.store.ListPosts(ctx, PostFilter{ChatID: chatID, ThreadID: threadID, Before: cur.Before, After: cur.After, Limit: cur.Count + 1})
	if err != nil {
		return Page[Post]{}, err
	}
	more := len(posts) > cur.Count
	posts = posts[:min(len(posts), cur.Count)]
	p := Page[Post]{Records: posts}
	if cur.After > 0 {
		slices.Reverse(p.Records) // fetched oldest first
	}
	if len(p.Records) == 0 {
		return p, nil
	}
	newest, oldest := p.Records[0].Num, p.Records[len(p.Records)-1].Num
	older, newer := cur, cur
	older.Before, older.After = oldest, 0
	newer.Before, newer.After = 0, newest
	switch {
	case cur.After > 0: // paging towards the newest
		p.Next = older.token()
		if more {
			p.Prev = newer.token()
		}
	default:
		if more {
			p.Next = older.token()
		}
		if cur.Before > 0 {
			p.Prev = newer.token()
		}
	}
	return p, nil
}
