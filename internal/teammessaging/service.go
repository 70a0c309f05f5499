// Package teammessaging is the platform's team messaging (/team-messaging/v1): chats of every
// type (each user's Personal chat, the account's Everyone chat, Direct and Group conversations,
// teams), their members, posts with mentions and attachments, favorites, and persons and
// companies drawn from the directory. Who may see and change what is decided here, in access.go;
// every change is published on the bus with its notification body and its audience (the chat's
// members). It knows neither HTTP nor SQL.
package teammessaging

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rcemu/rcemu/internal/events"
	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/store"
)

// ErrNotFound is what a Store returns for a row that does not exist; ErrConflict for a
// conversation whose member set is taken.
var (
	ErrNotFound = store.ErrNotFound
	ErrConflict = store.ErrConflict
)

// Chat types, and team statuses.
const (
	Personal = "Personal"
	Direct   = "Direct"
	Group    = "Group"
	Team     = "Team"
	Everyone = "Everyone"

	Active   = "Active"
	Archived = "Archived"
)

// ChatTypes are the values of the chat lists' `type` filter.
var ChatTypes = []string{Personal, Direct, Group, Team, Everyone}

// Limits from the spec's request descriptions.
const (
	MaxPostText        = 10000 // runes of a post's text
	MaxAttachments     = 25
	MaxConversationMem = 15 // members of a conversation besides the caller
	DefaultRecordCount = 30
	MaxRecordCount     = 250
	MaxBulkPersons     = 30
)

// Chat is a chat of any type. Personal and Everyone chats are derived from the directory and
// stored only once they change (an Everyone chat renamed).
type Chat struct {
	ID          string    `json:"id"`
	AccountID   int64     `json:"accountId"`
	Type        string    `json:"type"`
	Public      bool      `json:"public,omitempty"`
	Name        string    `json:"name,omitempty"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status,omitempty"`
	CreatorID   int64     `json:"creatorId,omitempty"`
	Created     time.Time `json:"creationTime"`
	Modified    time.Time `json:"lastModifiedTime"`
	// Key is a conversation's member set ("101,102"), unique per account; empty for teams.
	Key string `json:"key,omitempty"`
	// Members are kept beside the chat, not in its document; filled where a caller needs them.
	Members []int64 `json:"-"`
}

// Attachment is a file, note, event or card a post carries; Name is a file's.
type Attachment struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// Mention is a person, team or object named in a post's text.
type Mention struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// Post is a message in a chat. Num orders the posts of the store (newest last); the id is
// derived from it.
type Post struct {
	Num          int64  `json:"-"`
	ID           string `json:"id"`
	ChatID       string `json:"groupId"`
	AccountID    int64  `json:"accountId"`
	Type         string `json:"type"`
	Text         string `json:"text,omitempty"`
	CreatorID    int64  `json:"creatorId"`
	ParentPostID string `json:"parentPostId,omitempty"`
	ThreadID     string `json:"threadId,omitempty"`
	IsParent     bool   `json:"isParent,omitempty"`
	// AddedPersonIDs are who a PersonsAdded post announces.
	AddedPersonIDs []string     `json:"addedPersonIds,omitempty"`
	Attachments    []Attachment `json:"attachments,omitempty"`
	Mentions       []Mention    `json:"mentions,omitempty"`
	Created        time.Time    `json:"creationTime"`
	Modified       time.Time    `json:"lastModifiedTime"`
}

// PostFilter selects a page of a chat's posts: those before Before (newest first), or after
// After (oldest first), of one thread if ThreadID is set.
type PostFilter struct {
	ChatID   string
	ThreadID string
	Before   int64 // 0: from the newest
	After    int64
	Limit    int
}

// Store is what team messaging keeps, and the directory reads it needs.
type Store interface {
	// ReserveChatIDs reserves n consecutive chat serials and returns the first.
	ReserveChatIDs(ctx context.Context, n int) (int64, error)
	// InsertChat stores a chat and its members; ErrConflict if a conversation with the same
	// member set exists.
	InsertChat(ctx context.Context, c Chat) error
	// Chat returns a stored chat with its members.
	Chat(ctx context.Context, id string) (Chat, error)
	ConversationByKey(ctx context.Context, accountID int64, key string) (Chat, error)
	// UpdateChat replaces a chat's document, not its members.
	UpdateChat(ctx context.Context, c Chat) error
	// DeleteChat removes a chat with its members, posts and favorites.
	DeleteChat(ctx context.Context, id string) error
	AddMembers(ctx context.Context, chatID string, ids []int64) error
	RemoveMembers(ctx context.Context, chatID string, ids []int64) error
	IsMember(ctx context.Context, chatID string, personID int64) (bool, error)
	// ChatsOf lists the stored chats of the account the person belongs to, and its public
	// teams, without members.
	ChatsOf(ctx context.Context, accountID, personID int64) ([]Chat, error)
	Members(ctx context.Context, chatID string) ([]int64, error)

	// InsertPost stores a post, setting its Num and ID.
	InsertPost(ctx context.Context, p *Post) error
	Post(ctx context.Context, chatID, id string) (Post, error)
	UpdatePost(ctx context.Context, p Post) error
	DeletePost(ctx context.Context, chatID, id string) error
	ListPosts(ctx context.Context, f PostFilter) ([]Post, error)
	// AccountPosts returns up to limit posts of the account (of the given chats, if any), oldest
	// first.
	AccountPosts(ctx context.Context, accountID int64, chatIDs []string, limit int) ([]Post, error)
	// LastPostNums returns the Num of the newest post of each chat that has one.
	LastPostNums(ctx context.Context, chatIDs []string) (map[string]int64, error)

	// Favorites lists a person's favorite chats in the order they were added.
	Favorites(ctx context.Context, personID int64) ([]string, error)
	AddFavorite(ctx context.Context, personID int64, chatID string) error
	RemoveFavorite(ctx context.Context, personID int64, chatID string) error

	Account(ctx context.Context, id int64) (rc.Account, error)
	Extension(ctx context.Context, accountID, id int64) (rc.Extension, error)
	ExtensionByEmail(ctx context.Context, accountID int64, email string) (rc.Extension, error)
	// UserIDs lists the ids of the account's user extensions: the Everyone chat's members.
	UserIDs(ctx context.Context, accountID int64) ([]int64, error)

	ItemStore
}

// Service is team messaging.
type Service struct {
	store Store
	clock rc.Clock
	bus   *events.Bus

	mu  sync.Mutex
	ids struct{ next, end int64 }

	// renamed remembers each account's Everyone chat as renamed (nil: never), which every post
	// into that chat would otherwise read from the store; gen keeps a read that raced a rename
	// from being kept.
	renamedMu sync.Mutex
	renamedAt uint64
	renamed   map[int64]*Chat
}

// New builds a Service.
func New(st Store, clock rc.Clock, bus *events.Bus) *Service {
	return &Service{store: st, clock: clock, bus: bus}
}

// Reset forgets reserved ids: the store was replaced.
func (s *Service) Reset() {
	s.mu.Lock()
	s.ids.next, s.ids.end = 0, 0
	s.mu.Unlock()
	s.forgetRenames()
}

const idBlockSize = 64

// newChatID hands out chat ids from blocks reserved in the store, above the range of the ids
// derived for Personal and Everyone chats.
func (s *Service) newChatID(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids.next >= s.ids.end {
		first, err := s.store.ReserveChatIDs(ctx, idBlockSize)
		if err != nil {
			return "", err
		}
		s.ids.next, s.ids.end = first, first+idBlockSize
	}
	n := s.ids.next
	s.ids.next++
	return itoa(firstStoredChat + n), nil
}

func notFound(err error) bool { return errors.Is(err, ErrNotFound) }
