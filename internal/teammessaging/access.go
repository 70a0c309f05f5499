package teammessaging

import (
	"context"
	"slices"
	"strconv"

	"github.com/rcemu/rcemu/internal/rc"
)

// Who may see and change a chat, decided here only:
//   - a chat of another account does not exist for the caller (404);
//   - a member sees the chat and its posts and may post;
//   - a public team is visible to everyone of its account (get, join), but its posts are for
//     members: a non-member gets 403 for them, as for changing the team;
//   - any other chat is invisible to non-members: 404, as for an unknown id;
//   - an archived team keeps its posts but takes no new ones and no new members (403);
//   - a post is changed or deleted by its author only (403), a team deleted by its creator or an
//     administrator (403).

// firstStoredChat is where the ids of created chats start. Below it are the ids derived from
// the directory: an account's Everyone chat is accountId·100+1, a user's Personal chat
// extensionId·100+2, so that they exist for every account and user without being stored and
// survive reset and import unchanged.
const firstStoredChat = 1_000_000_000_000_000

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// EveryoneID is the id of an account's Everyone chat.
func EveryoneID(accountID int64) string { return itoa(accountID*100 + 1) }

// PersonalID is the id of a user's Personal chat.
func PersonalID(extensionID int64) string { return itoa(extensionID*100 + 2) }

func chatNotFound() error { return rc.NotFound("chatId") }

// forbidden is the 403 of an operation on a resource the caller sees but may not change.
func forbidden(param string) error {
	e := rc.Invalid(param)
	e.Status = 403
	return e
}

// find returns a chat of the caller's account with its members, or 404.
func (s *Service) find(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Chat{}, chatNotFound()
	}
	if n < firstStoredChat {
		return s.derived(ctx, caller, id, n)
	}
	c, err := s.store.Chat(ctx, id)
	if notFound(err) || (err == nil && c.AccountID != caller.AccountID) {
		return Chat{}, chatNotFound()
	}
	return c, err
}

// derived builds an Everyone or Personal chat from the directory (and, for Everyone, the name
// and description it was given).
func (s *Service) derived(ctx context.Context, caller *rc.Principal, id string, n int64) (Chat, error) {
	switch n % 100 {
	case 1:
		if n/100 != caller.AccountID {
			return Chat{}, chatNotFound()
		}
		return s.everyone(ctx, caller.AccountID)
	case 2:
		e, err := s.store.Extension(ctx, caller.AccountID, n/100)
		if notFound(err) || (err == nil && !isPerson(e)) {
			return Chat{}, chatNotFound()
		}
		if err != nil {
			return Chat{}, err
		}
		return Chat{ID: id, AccountID: e.AccountID, Type: Personal, Created: e.CreationTime, Modified: e.CreationTime,
			Members: []int64{e.ID}}, nil
	}
	return Chat{}, chatNotFound()
}

func (s *Service) everyone(ctx context.Context, accountID int64) (Chat, error) {
	a, err := s.store.Account(ctx, accountID)
	if notFound(err) {
		return Chat{}, chatNotFound()
	}
	if err != nil {
		return Chat{}, err
	}
	c := Chat{ID: EveryoneID(accountID), AccountID: accountID, Type: Everyone, Name: a.CompanyName,
		Created: a.CreationTime, Modified: a.CreationTime}
	if c.Name == "" {
		c.Name = "Everyone"
	}
	o, err := s.everyoneRename(ctx, accountID, c.ID)
	if err != nil {
		return Chat{}, err
	}
	if o != nil {
		c.Name, c.Description, c.Modified = o.Name, o.Description, o.Modified
	}
	if c.Members, err = s.store.UserIDs(ctx, accountID); err != nil {
		return Chat{}, err
	}
	return c, nil
}

// isPerson says whether an extension takes part in team messaging.
func isPerson(e rc.Extension) bool { return e.Type == "User" }

func isMember(c Chat, ext int64) bool { return slices.Contains(c.Members, ext) }

func visible(c Chat, caller *rc.Principal) bool {
	return isMember(c, caller.ExtensionID) || (c.Type == Team && c.Public)
}

// visibleChat is a chat the caller may see, or 404.
func (s *Service) visibleChat(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	c, err := s.find(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if !visible(c, caller) {
		return Chat{}, chatNotFound()
	}
	return c, nil
}

// memberChat is a chat the caller belongs to: 404 if they cannot see it, 403 if they can but
// have not joined it.
func (s *Service) memberChat(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	c, err := s.visibleChat(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if !isMember(c, caller.ExtensionID) {
		return Chat{}, forbidden("chatId")
	}
	return c, nil
}

// memberTeam is memberChat for the team operations: any other type of chat is not a team.
func (s *Service) memberTeam(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	c, err := s.visibleTeam(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if !isMember(c, caller.ExtensionID) {
		return Chat{}, forbidden("chatId")
	}
	return c, nil
}

func (s *Service) visibleTeam(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	c, err := s.visibleChat(ctx, caller, id)
	if err == nil && c.Type != Team {
		return Chat{}, chatNotFound()
	}
	return c, err
}

// writable refuses an archived team.
func writable(c Chat) error {
	if c.Type == Team && c.Status == Archived {
		return forbidden("chatId")
	}
	return nil
}

// everyoneRename returns the Everyone chat's stored name and description, or nil if it was
// never renamed.
func (s *Service) everyoneRename(ctx context.Context, accountID int64, id string) (*Chat, error) {
	s.renamedMu.Lock()
	o, ok := s.renamed[accountID]
	gen := s.renamedAt
	s.renamedMu.Unlock()
	if ok {
		return o, nil
	}
	c, err := s.store.Chat(ctx, id)
	switch {
	case notFound(err):
		o = nil
	case err != nil:
		return nil, err
	default:
		o = &c
	}
	s.renamedMu.Lock()
	if s.renamedAt == gen {
		if s.renamed == nil {
			s.renamed = map[int64]*Chat{}
		}
		s.renamed[accountID] = o
	}
	s.renamedMu.Unlock()
	return o, nil
}

// forgetRenames drops what everyoneRename remembers: after a rename, a reset or an import.
func (s *Service) forgetRenames() {
	s.renamedMu.Lock()
	s.renamedAt++
	s.renamed = nil
	s.renamedMu.Unlock()
}
