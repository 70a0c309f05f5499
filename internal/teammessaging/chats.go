package teammessaging

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/rcemu/rcemu/internal/rc"
)

// MemberRef names a person by id or by email, as team and conversation bodies do.
type MemberRef struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
}

// TeamChange is a team's create or PATCH body; nil fields are not given.
type TeamChange struct {
	Name        *string     `json:"name"`
	Description *string     `json:"description"`
	Public      *bool       `json:"public"`
	Members     []MemberRef `json:"members"`
}

// person returns a user of the caller's account by id.
func (s *Service) person(ctx context.Context, accountID int64, id int64) (rc.Extension, error) {
	e, err := s.store.Extension(ctx, accountID, id)
	if err == nil && !isPerson(e) {
		err = ErrNotFound
	}
	return e, err
}

// resolveMembers turns member references into user ids of the caller's account: a reference to
// nobody there is 400 CMN-102 naming members.
func (s *Service) resolveMembers(ctx context.Context, caller *rc.Principal, refs []MemberRef) ([]int64, error) {
	var out []int64
	for _, r := range refs {
		var e rc.Extension
		var err error
		switch {
		case r.ID != "":
			n, perr := strconv.ParseInt(r.ID, 10, 64)
			if perr != nil || n <= 0 {
				return nil, rc.Invalid("members.id")
			}
			e, err = s.person(ctx, caller.AccountID, n)
		case r.Email != "":
			if !strings.Contains(r.Email, "@") {
				return nil, rc.Invalid("members.email")
			}
			e, err = s.store.ExtensionByEmail(ctx, caller.AccountID, strings.TrimSpace(r.Email))
			if err == nil && !isPerson(e) {
				err = ErrNotFound
			}
		default:
			return nil, rc.Missing("members.id")
		}
		if notFound(err) {
			return nil, rc.BadReference("members")
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, e.ID) {
			out = append(out, e.ID)
		}
	}
	return out, nil
}

// withMembers fills the members of chats on a page.
func (s *Service) withMembers(ctx context.Context, chats []Chat) error {
	for i := range chats {
		if chats[i].Members != nil {
			continue
		}
		m, err := s.store.Members(ctx, chats[i].ID)
		if err != nil {
			return err
		}
		chats[i].Members = m
	}
	return nil
}

// chatsOf is every chat the caller sees: their Personal chat, the Everyone chat, and the stored
// chats they belong to or may join, oldest first.
func (s *Service) chatsOf(ctx context.Context, caller *rc.Principal) ([]Chat, error) {
	var all []Chat
	if me, err := s.person(ctx, caller.AccountID, caller.ExtensionID); err == nil {
		all = append(all, Chat{ID: PersonalID(me.ID), AccountID: me.AccountID, Type: Personal, Created: me.CreationTime,
			Modified: me.CreationTime, Members: []int64{me.ID}})
		ev, err := s.everyone(ctx, caller.AccountID)
		if err != nil {
			return nil, err
		}
		all = append(all, ev)
	} else if !notFound(err) {
		return nil, err
	}
	stored, err := s.store.ChatsOf(ctx, caller.AccountID, caller.ExtensionID)
	if err != nil {
		return nil, err
	}
	all = append(all, stored...)
	slices.SortStableFunc(all, func(a, b Chat) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.ID), len(b.ID)); c != 0 { // ids are decimal: shorter is smaller
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return all, nil
}

func ofTypes(all []Chat, types []string) []Chat {
	if len(types) == 0 {
		return all
	}
	return slices.DeleteFunc(all, func(c Chat) bool { return !slices.Contains(types, c.Type) })
}

// listChats pages the caller's chats of some types.
func (s *Service) listChats(ctx context.Context, caller *rc.Principal, kind string, types []string, pr PageRequest) (Page[Chat], error) {
	cur := cursor{Kind: kind, Types: types, Count: recordCount(pr)}
	if pr.Token != "" {
		var err error
		if cur, err = readCursor(pr, kind); err != nil {
			return Page[Chat]{}, err
		}
	}
	all, err := s.chatsOf(ctx, caller)
	if err != nil {
		return Page[Chat]{}, err
	}
	all = ofTypes(all, cur.Types)
	p := offsetPage(all, cur)
	p.Records = slices.Clone(p.Records)
	return p, s.withMembers(ctx, p.Records)
}

// ListChats pages the chats the caller belongs to and the public teams they may join, oldest
// first, of the given types (all if none).
func (s *Service) ListChats(ctx context.Context, caller *rc.Principal, types []string, pr PageRequest) (Page[Chat], error) {
	return s.listChats(ctx, caller, "chats", types, pr)
}

// ListTeams pages the teams the caller belongs to and the public ones they may join.
func (s *Service) ListTeams(ctx context.Context, caller *rc.Principal, pr PageRequest) (Page[Chat], error) {
	return s.listChats(ctx, caller, "teams", []string{Team}, pr)
}

// ListConversations pages the caller's Personal, Direct and Group chats (never public, so all
// the caller's own).
func (s *Service) ListConversations(ctx context.Context, caller *rc.Principal, pr PageRequest) (Page[Chat], error) {
	return s.listChats(ctx, caller, "conversations", []string{Personal, Direct, Group}, pr)
}

// RecentChats lists the chats the caller belongs to, the most recently posted into first.
func (s *Service) RecentChats(ctx context.Context, caller *rc.Principal, types []string, count int) ([]Chat, error) {
	all, err := s.chatsOf(ctx, caller)
	if err != nil {
		return nil, err
	}
	if err := s.withMembers(ctx, all); err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(ofTypes(all, types), func(c Chat) bool { return !isMember(c, caller.ExtensionID) })
	ids := make([]string, len(all))
	for i, c := range all {
		ids[i] = c.ID
	}
	last, err := s.store.LastPostNums(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(all, func(a, b Chat) int {
		if c := cmp.Compare(last[b.ID], last[a.ID]); c != 0 {
			return c
		}
		return b.Modified.Compare(a.Modified)
	})
	return all[:min(len(all), count)], nil
}

// Chat returns a chat the caller sees.
func (s *Service) Chat(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	return s.visibleChat(ctx, caller, id)
}

// Team returns a team the caller sees.
func (s *Service) Team(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	return s.visibleTeam(ctx, caller, id)
}

// Conversation returns a Personal, Direct or Group chat of the caller.
func (s *Service) Conversation(ctx context.Context, caller *rc.Principal, id string) (Chat, error) {
	c, err := s.find(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if (c.Type != Personal && c.Type != Direct && c.Type != Group) || !isMember(c, caller.ExtensionID) {
		return Chat{}, chatNotFound()
	}
	return c, nil
}

// Everyone returns the caller's account's Everyone chat.
func (s *Service) Everyone(ctx context.Context, caller *rc.Principal) (Chat, error) {
	return s.everyone(ctx, caller.AccountID)
}

// UpdateEveryone renames the Everyone chat or changes its description.
func (s *Service) UpdateEveryone(ctx context.Context, caller *rc.Principal, ch TeamChange) (Chat, error) {
	c, err := s.everyone(ctx, caller.AccountID)
	if err != nil {
		return c, err
	}
	if ch.Name != nil && strings.TrimSpace(*ch.Name) == "" {
		return Chat{}, rc.Invalid("name")
	}
	renamed := applyNames(&c, ch)
	if !renamed {
		return c, nil
	}
	c.Modified = s.clock.Now()
	doc := c
	doc.Members = nil
	err = s.store.UpdateChat(ctx, doc)
	if notFound(err) {
		if err = s.store.InsertChat(ctx, doc); errors.Is(err, ErrConflict) { // renamed meanwhile
			err = s.store.UpdateChat(ctx, doc)
		}
	}
	s.forgetRenames()
	if err != nil {
		return Chat{}, err
	}
	s.publishChat(GroupRenamed, c, c.Members)
	return c, nil
}

func applyNames(c *Chat, ch TeamChange) bool {
	changed := false
	if ch.Name != nil && *ch.Name != c.Name {
		c.Name, changed = *ch.Name, true
	}
	if ch.Description != nil && *ch.Description != c.Description {
		c.Description, changed = *ch.Description, true
	}
	return changed
}

// CreateTeam creates a team with the caller and the given members.
func (s *Service) CreateTeam(ctx context.Context, caller *rc.Principal, ch TeamChange) (Chat, error) {
	if ch.Name == nil || strings.TrimSpace(*ch.Name) == "" {
		return Chat{}, rc.Missing("name")
	}
	if _, err := s.person(ctx, caller.AccountID, caller.ExtensionID); err != nil {
		if notFound(err) {
			return Chat{}, forbidden("extensionId")
		}
		return Chat{}, err
	}
	members, err := s.resolveMembers(ctx, caller, ch.Members)
	if err != nil {
		return Chat{}, err
	}
	members = append([]int64{caller.ExtensionID}, slices.DeleteFunc(members, func(id int64) bool { return id == caller.ExtensionID })...)
	id, err := s.newChatID(ctx)
	if err != nil {
		return Chat{}, err
	}
	now := s.clock.Now()
	c := Chat{ID: id, AccountID: caller.AccountID, Type: Team, Name: *ch.Name, Status: Active, CreatorID: caller.ExtensionID,
		Created: now, Modified: now, Members: members}
	if ch.Description != nil {
		c.Description = *ch.Description
	}
	if ch.Public != nil {
		c.Public = *ch.Public
	}
	if err := s.store.InsertChat(ctx, c); err != nil {
		return Chat{}, err
	}
	s.publishChat(GroupJoined, c, c.Members)
	return c, nil
}

// UpdateTeam changes a team's name, description or access level; members only.
func (s *Service) UpdateTeam(ctx context.Context, caller *rc.Principal, id string, ch TeamChange) (Chat, error) {
	c, err := s.memberTeam(ctx, caller, id)
	if err != nil {
		return c, err
	}
	if ch.Name != nil && strings.TrimSpace(*ch.Name) == "" {
		return Chat{}, rc.Invalid("name")
	}
	renamed := applyNames(&c, ch)
	access := ch.Public != nil && *ch.Public != c.Public
	if access {
		c.Public = *ch.Public
	}
	if !renamed && !access {
		return c, nil
	}
	c.Modified = s.clock.Now()
	if err := s.store.UpdateChat(ctx, c); err != nil {
		if notFound(err) {
			return Chat{}, chatNotFound()
		}
		return Chat{}, err
	}
	if renamed {
		s.publishChat(GroupRenamed, c, c.Members)
	}
	if access {
		s.publishChat(GroupChanged, c, c.Members)
	}
	return c, nil
}

// DeleteTeam deletes a team with its posts; its creator or an administrator only.
func (s *Service) DeleteTeam(ctx context.Context, caller *rc.Principal, id string) error {
	c, err := s.memberTeam(ctx, caller, id)
	if err != nil {
		return err
	}
	if c.CreatorID != caller.ExtensionID && !caller.Admin {
		return forbidden("chatId")
	}
	if err := s.store.DeleteChat(ctx, id); err != nil {
		if notFound(err) {
			return chatNotFound()
		}
		return err
	}
	s.publishChat(GroupLeft, c, c.Members)
	return nil
}

// JoinTeam adds the caller to a team they see; joining twice changes nothing.
func (s *Service) JoinTeam(ctx context.Context, caller *rc.Principal, id string) error {
	c, err := s.visibleTeam(ctx, caller, id)
	if err != nil || isMember(c, caller.ExtensionID) {
		return err
	}
	if err := writable(c); err != nil {
		return err
	}
	if _, err := s.person(ctx, caller.AccountID, caller.ExtensionID); err != nil {
		if notFound(err) {
			return forbidden("extensionId")
		}
		return err
	}
	return s.addMembers(ctx, caller, c, []int64{caller.ExtensionID})
}

// LeaveTeam takes the caller out of a team; leaving one they are not in changes nothing.
func (s *Service) LeaveTeam(ctx context.Context, caller *rc.Principal, id string) error {
	c, err := s.visibleTeam(ctx, caller, id)
	if err != nil || !isMember(c, caller.ExtensionID) {
		return err
	}
	return s.removeMembers(ctx, c, []int64{caller.ExtensionID})
}

// AddTeamMembers adds people to a team the caller belongs to.
func (s *Service) AddTeamMembers(ctx context.Context, caller *rc.Principal, id string, refs []MemberRef) error {
	c, err := s.memberTeam(ctx, caller, id)
	if err != nil {
		return err
	}
	if err := writable(c); err != nil {
		return err
	}
	if len(refs) == 0 {
		return rc.Missing("members")
	}
	ids, err := s.resolveMembers(ctx, caller, refs)
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(m int64) bool { return isMember(c, m) })
	return s.addMembers(ctx, caller, c, ids)
}

// RemoveTeamMembers takes people out of a team the caller belongs to.
func (s *Service) RemoveTeamMembers(ctx context.Context, caller *rc.Principal, id string, refs []MemberRef) error {
	c, err := s.memberTeam(ctx, caller, id)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return rc.Missing("members")
	}
	for _, r := range refs {
		if r.ID == "" {
			return rc.Missing("members.id")
		}
	}
	ids, err := s.resolveMembers(ctx, caller, refs)
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(m int64) bool { return !isMember(c, m) })
	return s.removeMembers(ctx, c, ids)
}

// addMembers adds people to a team, and a post that says so: PersonJoined when the caller joined,
// PersonsAdded with their ids when someone added them.
func (s *Service) addMembers(ctx context.Context, caller *rc.Principal, c Chat, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.store.AddMembers(ctx, c.ID, ids); err != nil {
		if notFound(err) { // deleted meanwhile
			return chatNotFound()
		}
		return err
	}
	before := c.Members
	c.Members = append(slices.Clone(before), ids...)
	now := s.clock.Now()
	p := Post{ChatID: c.ID, AccountID: c.AccountID, Type: "PersonJoined", CreatorID: caller.ExtensionID, Created: now, Modified: now}
	if len(ids) > 1 || ids[0] != caller.ExtensionID {
		p.Type = "PersonsAdded"
		for _, id := range ids {
			p.AddedPersonIDs = append(p.AddedPersonIDs, itoa(id))
		}
	}
	if err := s.store.InsertPost(ctx, &p); err != nil {
		return err
	}
	s.publishChat(GroupJoined, c, ids)
	s.publishChat(GroupChanged, c, before)
	s.publishPost(PostAdded, c, p)
	return nil
}

func (s *Service) removeMembers(ctx context.Context, c Chat, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.store.RemoveMembers(ctx, c.ID, ids); err != nil {
		return err
	}
	c.Members = slices.DeleteFunc(slices.Clone(c.Members), func(m int64) bool { return slices.Contains(ids, m) })
	s.publishChat(GroupLeft, c, ids)
	s.publishChat(GroupChanged, c, c.Members)
	return nil
}

// SetArchived archives or unarchives a team the caller belongs to.
func (s *Service) SetArchived(ctx context.Context, caller *rc.Principal, id string, archived bool) error {
	c, err := s.memberTeam(ctx, caller, id)
	if err != nil {
		return err
	}
	status := Active
	if archived {
		status = Archived
	}
	if c.Status == status {
		return nil
	}
	c.Status, c.Modified = status, s.clock.Now()
	if err := s.store.UpdateChat(ctx, c); err != nil {
		if notFound(err) {
			return chatNotFound()
		}
		return err
	}
	s.publishChat(GroupChanged, c, c.Members)
	return nil
}

// OpenConversation returns the conversation of the caller and the given people, creating it if
// it does not exist (created reports which). No one but the caller is their Personal chat.
func (s *Service) OpenConversation(ctx context.Context, caller *rc.Principal, refs []MemberRef) (c Chat, created bool, err error) {
	if len(refs) > MaxConversationMem+1 {
		return Chat{}, false, rc.Invalid("members")
	}
	me, err := s.person(ctx, caller.AccountID, caller.ExtensionID)
	if notFound(err) {
		return Chat{}, false, forbidden("extensionId")
	}
	if err != nil {
		return Chat{}, false, err
	}
	ids, err := s.resolveMembers(ctx, caller, refs)
	if err != nil {
		return Chat{}, false, err
	}
	ids = slices.DeleteFunc(ids, func(id int64) bool { return id == me.ID })
	if len(ids) > MaxConversationMem {
		return Chat{}, false, rc.Invalid("members")
	}
	if len(ids) == 0 {
		c, err := s.find(ctx, caller, PersonalID(me.ID))
		return c, false, err
	}
	members := append([]int64{me.ID}, ids...)
	key := memberKey(members)
	if c, err := s.store.ConversationByKey(ctx, caller.AccountID, key); err == nil || !notFound(err) {
		return c, false, err
	}
	id, err := s.newChatID(ctx)
	if err != nil {
		return Chat{}, false, err
	}
	now := s.clock.Now()
	c = Chat{ID: id, AccountID: caller.AccountID, Type: Group, CreatorID: me.ID, Created: now, Modified: now, Key: key, Members: members}
	if len(members) == 2 {
		c.Type = Direct
	}
	err = s.store.InsertChat(ctx, c)
	if errors.Is(err, ErrConflict) { // opened by a concurrent request
		c, err = s.store.ConversationByKey(ctx, caller.AccountID, key)
		return c, false, err
	}
	if err != nil {
		return Chat{}, false, err
	}
	s.publishChat(GroupJoined, c, c.Members)
	return c, true, nil
}

// memberKey names a member set whatever its order.
func memberKey(ids []int64) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = itoa(id)
	}
	return strings.Join(parts, ",")
}

// Favorites lists the caller's favorite chats that they still see.
func (s *Service) Favorites(ctx context.Context, caller *rc.Principal, count int) ([]Chat, error) {
	ids, err := s.store.Favorites(ctx, caller.ExtensionID)
	if err != nil {
		return nil, err
	}
	out := []Chat{}
	for _, id := range ids {
		if len(out) == count {
			break
		}
		c, err := s.visibleChat(ctx, caller, id)
		if rc.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Favorite adds a chat the caller sees to their favorites, or takes it out.
func (s *Service) Favorite(ctx context.Context, caller *rc.Principal, id string, on bool) error {
	if _, err := s.visibleChat(ctx, caller, id); err != nil {
		return err
	}
	if on {
		return s.store.AddFavorite(ctx, caller.ExtensionID, id)
	}
	return s.store.RemoveFavorite(ctx, caller.ExtensionID, id)
}

// Person returns a user of the caller's account; "~" is the caller.
func (s *Service) Person(ctx context.Context, caller *rc.Principal, id string) (rc.Extension, error) {
	n := caller.ExtensionID
	if id != "~" {
		var err error
		if n, err = strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			return rc.Extension{}, rc.NotFound("personId")
		}
	}
	e, err := s.person(ctx, caller.AccountID, n)
	if notFound(err) {
		return e, rc.NotFound("personId")
	}
	return e, err
}

// Company returns the caller's account; "~" names it too.
func (s *Service) Company(ctx context.Context, caller *rc.Principal, id string) (rc.Account, error) {
	if id != "~" && id != itoa(caller.AccountID) {
		return rc.Account{}, rc.NotFound("companyId")
	}
	a, err := s.store.Account(ctx, caller.AccountID)
	if notFound(err) {
		return a, rc.NotFound("companyId")
	}
	return a, err
}
