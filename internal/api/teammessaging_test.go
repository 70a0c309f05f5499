package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
	tm "github.com/rcemu/rcemu/internal/teammessaging"
)

const tmBase = "/team-messaging/v1"

// tmApp is an app with the seed's users logged in: ada (101, admin), grace (102) and alan (103)
// of the first account, marie (101) of the second.
type tmApp struct {
	*rctest.App
	t                       *testing.T
	ada, grace, alan, marie string
	adaID, graceID, alanID  string
	marieID                 string
}

func openTM(t *testing.T) *tmApp {
	a := rctest.MustOpenApp(t)
	x := &tmApp{App: a, t: t}
	login := func(acc int, ext string) (string, string) {
		u := a.User(acc, ext)
		return a.Login(u).AccessToken, u.ExtensionID
	}
	x.ada, x.adaID = login(0, "101")
	x.grace, x.graceID = login(0, "102")
	x.alan, x.alanID = login(0, "103")
	x.marie, x.marieID = login(1, "101")
	return x
}

func (x *tmApp) do(method, path, tok string, body any) *rctest.Response {
	x.t.Helper()
	return x.Do(rctest.Req{Method: method, Path: tmBase + path, Token: tok, JSON: body})
}

func (x *tmApp) must(r *rctest.Response, status int, what string) map[string]any {
	x.t.Helper()
	if r.Status != status {
		x.t.Fatalf("%s: want %d, got %d %s", what, status, r.Status, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.Map(x.t)
}

func (x *tmApp) wantError(r *rctest.Response, status int, code, param, what string) {
	x.t.Helper()
	if r.Status != status || r.ErrorCode(x.t) != code {
		x.t.Fatalf("%s: want %d %s, got %d %s", what, status, code, r.Status, r.Body)
	}
	if param != "" && r.Map(x.t)["parameterName"] != param {
		x.t.Fatalf("%s: want parameterName %s, got %s", what, param, r.Body)
	}
}

func tmRecords(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range m["records"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

func tmIDs(recs []map[string]any) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r["id"].(string))
	}
	return out
}

func memberIDs(c map[string]any) []string {
	var out []string
	for _, m := range c["members"].([]any) {
		out = append(out, m.(map[string]any)["id"].(string))
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func (x *tmApp) team(tok string, body map[string]any) string {
	x.t.Helper()
	return x.must(x.do("POST", "/teams", tok, body), 201, "create team")["id"].(string)
}

// upload sends a file to POST /files (into a chat when chat is set) and returns its id.
func (x *tmApp) upload(tok, chat, name, content string) string {
	x.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("body", name)
	fw.Write([]byte(content))
	mw.Close()
	q := "?name=" + url.QueryEscape(name)
	if chat != "" {
		q += "&groupId=" + chat
	}
	r := x.Do(rctest.Req{Method: "POST", Path: tmBase + "/files" + q, Token: tok, Raw: b.String(),
		Header: map[string][]string{"Content-Type": {mw.FormDataContentType()}}})
	if r.Status != 200 {
		x.t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var files []map[string]any
	r.JSON(x.t, &files)
	if len(files) != 1 || files[0]["name"] != name {
		x.t.Fatalf("upload answer: %s", r.Body)
	}
	return files[0]["id"].(string)
}

func (x *tmApp) post(tok, chat, text string) map[string]any {
	x.t.Helper()
	return x.must(x.do("POST", "/chats/"+chat+"/posts", tok, map[string]any{"text": text}), 201, "post")
}

func TestTMPersonalAndEveryoneChats(t *testing.T) {
	x := openTM(t)
	all := tmRecords(x.must(x.do("GET", "/chats", x.ada, nil), 200, "list chats"))
	types := map[string]map[string]any{}
	for _, c := range all {
		types[c["type"].(string)] = c
	}
	personal, everyone := types["Personal"], types["Everyone"]
	if personal == nil || everyone == nil || len(all) != 2 {
		t.Fatalf("a fresh user has their Personal and the Everyone chat only: %v", all)
	}
	if got := memberIDs(personal); !slices.Equal(got, []string{x.adaID}) {
		t.Fatalf("personal members: %v", got)
	}
	// The department extension is not a person.
	if got := memberIDs(everyone); !slices.Equal(got, sorted(x.adaID, x.graceID, x.alanID)) {
		t.Fatalf("everyone members: %v", got)
	}
	if everyone["name"] != "Example Company" {
		t.Fatalf("everyone name: %v", everyone)
	}
	only := tmRecords(x.must(x.do("GET", "/chats?type=Personal&type=Team", x.ada, nil), 200, "types"))
	if len(only) != 1 || only[0]["type"] != "Personal" {
		t.Fatalf("type union: %v", only)
	}
	x.wantError(x.do("GET", "/chats?type=Bogus", x.ada, nil), 400, "CMN-101", "type", "bad type")
	x.wantError(x.do("GET", "/chats?recordCount=251", x.ada, nil), 400, "CMN-101", "recordCount", "recordCount over 250")

	// Grace's Personal chat is invisible to Ada; Marie's Everyone chat is another account's.
	gracePersonal := tm.PersonalID(mustInt(t, x.graceID))
	x.wantError(x.do("GET", "/chats/"+gracePersonal, x.ada, nil), 404, "CMN-102", "chatId", "someone else's personal chat")
	marieEveryone := tmRecords(x.must(x.do("GET", "/chats?type=Everyone", x.marie, nil), 200, "marie's chats"))[0]["id"].(string)
	x.wantError(x.do("GET", "/chats/"+marieEveryone, x.ada, nil), 404, "CMN-102", "chatId", "another account's everyone chat")
	x.wantError(x.do("POST", "/chats/"+marieEveryone+"/posts", x.ada, map[string]any{"text": "hi"}), 404, "CMN-102", "chatId", "post to another account")

	ev := x.must(x.do("GET", "/everyone", x.grace, nil), 200, "everyone")
	if ev["id"] != everyone["id"] || ev["type"] != "Everyone" {
		t.Fatalf("everyone: %v", ev)
	}
	renamed := x.must(x.do("PATCH", "/everyone", x.grace, map[string]any{"name": "All of us"}), 200, "rename everyone")
	if renamed["name"] != "All of us" || x.must(x.do("GET", "/chats/"+everyone["id"].(string), x.alan, nil), 200, "everyone chat")["name"] != "All of us" {
		t.Fatalf("rename did not stick: %v", renamed)
	}
	x.post(x.alan, everyone["id"].(string), "hello everyone")
	x.post(x.ada, personal["id"].(string), "note to self")

	// Derived chats exist again after a reset, with the seed's name and no posts.
	if err := x.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok := x.Login(x.User(0, "101")).AccessToken
	ev = x.must(x.do("GET", "/chats/"+everyone["id"].(string), tok, nil), 200, "everyone after reset")
	if ev["name"] != "Example Company" {
		t.Fatalf("reset kept the rename: %v", ev)
	}
	if posts := tmRecords(x.must(x.do("GET", "/chats/"+everyone["id"].(string)+"/posts", tok, nil), 200, "posts after reset")); len(posts) != 0 {
		t.Fatalf("reset kept posts: %v", posts)
	}
	x.must(x.do("GET", "/chats/"+personal["id"].(string), tok, nil), 200, "personal after reset")
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTMTeamMembershipRules(t *testing.T) {
	x := openTM(t)
	created := x.must(x.do("POST", "/teams", x.ada, map[string]any{"name": "Engines", "description": "analytical",
		"members": []map[string]any{{"id": x.graceID}}}), 201, "create")
	if created["type"] != "Team" || created["public"] != false || created["status"] != "Active" || created["name"] != "Engines" {
		t.Fatalf("created: %v", created)
	}
	team := created["id"].(string)
	chat := x.must(x.do("GET", "/chats/"+team, x.grace, nil), 200, "member reads chat")
	if got := memberIDs(chat); !slices.Equal(got, sorted(x.adaID, x.graceID)) {
		t.Fatalf("members: %v", got)
	}
	// Alan is not in the private team: it does not exist for him.
	x.wantError(x.do("GET", "/teams/"+team, x.alan, nil), 404, "CMN-102", "chatId", "outsider reads team")
	x.wantError(x.do("GET", "/chats/"+team+"/posts", x.alan, nil), 404, "CMN-102", "chatId", "outsider lists posts")
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.alan, map[string]any{"text": "let me in"}), 404, "CMN-102", "chatId", "outsider posts")
	x.wantError(x.do("POST", "/teams/"+team+"/join", x.alan, nil), 404, "CMN-102", "chatId", "outsider joins private team")
	x.wantError(x.do("PATCH", "/teams/"+team, x.alan, map[string]any{"name": "Mine"}), 404, "CMN-102", "chatId", "outsider renames")
	if slices.Contains(tmIDs(tmRecords(x.must(x.do("GET", "/chats", x.alan, nil), 200, "alan's chats"))), team) {
		t.Fatal("alan lists a private team he is not in")
	}
	x.wantError(x.do("GET", "/teams/"+team, x.marie, nil), 404, "CMN-102", "chatId", "other account reads team")

	// A public team: visible and joinable, but its posts are for members.
	pub := x.team(x.ada, map[string]any{"name": "Lobby", "public": true})
	if !slices.Contains(tmIDs(tmRecords(x.must(x.do("GET", "/teams", x.alan, nil), 200, "alan's teams"))), pub) {
		t.Fatal("alan does not list the public team")
	}
	x.must(x.do("GET", "/teams/"+pub, x.alan, nil), 200, "outsider reads public team")
	x.wantError(x.do("GET", "/chats/"+pub+"/posts", x.alan, nil), 403, "CMN-101", "chatId", "outsider reads public posts")
	x.wantError(x.do("POST", "/chats/"+pub+"/posts", x.alan, map[string]any{"text": "hi"}), 403, "CMN-101", "chatId", "outsider posts to public team")
	x.must(x.do("POST", "/teams/"+pub+"/join", x.alan, nil), 204, "join")
	x.must(x.do("POST", "/teams/"+pub+"/join", x.alan, nil), 204, "join twice")
	x.post(x.alan, pub, "joined")
	if ps := tmRecords(x.must(x.do("GET", "/chats/"+pub+"/posts", x.alan, nil), 200, "lobby posts")); len(ps) != 2 ||
		ps[1]["type"] != "PersonJoined" || ps[1]["creatorId"] != x.alanID || ps[0]["text"] != "joined" {
		t.Fatalf("the join is not announced by a PersonJoined post: %v", ps)
	}
	x.must(x.do("POST", "/teams/"+pub+"/leave", x.alan, nil), 204, "leave")
	x.wantError(x.do("POST", "/chats/"+pub+"/posts", x.alan, map[string]any{"text": "again"}), 403, "CMN-101", "chatId", "post after leaving")
	x.wantError(x.do("GET", "/teams/"+pub, x.marie, nil), 404, "CMN-102", "chatId", "public to its account only")

	// PATCH, add, remove, archive.
	p := x.must(x.do("PATCH", "/teams/"+team, x.grace, map[string]any{"name": "Difference Engines", "public": true}), 200, "patch")
	if p["name"] != "Difference Engines" || p["public"] != true || p["description"] != "analytical" {
		t.Fatalf("patched: %v", p)
	}
	x.wantError(x.do("PATCH", "/teams/"+team, x.grace, map[string]any{"name": " "}), 400, "CMN-101", "name", "blank name")
	x.must(x.do("PATCH", "/teams/"+team, x.grace, map[string]any{"public": false}), 200, "private again")
	x.must(x.do("POST", "/teams/"+team+"/add", x.grace, map[string]any{"members": []map[string]any{{"email": "Alan.Turing@example.com"}}}), 204, "add by email")
	added := x.post(x.alan, team, "added")
	if ps := tmRecords(x.must(x.do("GET", "/chats/"+team+"/posts?recordCount=2", x.alan, nil), 200, "team posts")); ps[0]["id"] != added["id"] ||
		ps[1]["type"] != "PersonsAdded" || ps[1]["creatorId"] != x.graceID || !slices.Equal(toStrings(ps[1]["addedPersonIds"]), []string{x.alanID}) {
		t.Fatalf("the addition is not announced by a PersonsAdded post: %v", ps)
	}
	x.wantError(x.do("POST", "/teams/"+team+"/add", x.grace, map[string]any{"members": []map[string]any{{"id": x.marieID}}}), 400, "CMN-102", "members", "add someone of another account")
	x.must(x.do("POST", "/teams/"+team+"/remove", x.grace, map[string]any{"members": []map[string]any{{"id": x.alanID}}}), 204, "remove")
	x.wantError(x.do("GET", "/chats/"+team+"/posts", x.alan, nil), 404, "CMN-102", "chatId", "removed member reads")
	x.must(x.do("POST", "/teams/"+team+"/archive", x.ada, nil), 204, "archive")
	if s := x.must(x.do("GET", "/teams/"+team, x.ada, nil), 200, "archived")["status"]; s != "Archived" {
		t.Fatalf("status %v", s)
	}
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": "hi"}), 403, "CMN-101", "chatId", "post to archived team")
	x.must(x.do("POST", "/teams/"+team+"/unarchive", x.ada, nil), 204, "unarchive")
	x.post(x.ada, team, "back")

	// Only the creator (or an administrator) deletes.
	gt := x.team(x.grace, map[string]any{"name": "Grace's", "members": []map[string]any{{"id": x.alanID}}})
	x.wantError(x.do("DELETE", "/teams/"+gt, x.alan, nil), 403, "CMN-101", "chatId", "member deletes")
	x.must(x.do("DELETE", "/teams/"+gt, x.grace, nil), 204, "creator deletes")
	x.wantError(x.do("GET", "/teams/"+gt, x.grace, nil), 404, "CMN-102", "chatId", "deleted team")
	x.wantError(x.do("GET", "/teams/nonsense", x.grace, nil), 404, "CMN-102", "chatId", "garbage id")
}

func TestTMTeamBadInputChangesNothing(t *testing.T) {
	x := openTM(t)
	count := func() int { return len(tmRecords(x.must(x.do("GET", "/teams", x.ada, nil), 200, "teams"))) }
	before := count()
	x.wantError(x.do("POST", "/teams", x.ada, map[string]any{"description": "no name"}), 400, "CMN-100", "name", "missing name")
	x.wantError(x.do("POST", "/teams", x.ada, map[string]any{"name": "x", "members": []map[string]any{{"id": "999999"}}}), 400, "CMN-102", "members", "unknown member")
	x.wantError(x.do("POST", "/teams", x.ada, map[string]any{"name": "x", "members": []map[string]any{{"email": "nobody@example.com"}}}), 400, "CMN-102", "members", "unknown email")
	x.wantError(x.do("POST", "/teams", x.ada, map[string]any{"name": 5}), 400, "CMN-101", "name", "name of the wrong type")
	r := x.Do(rctest.Req{Method: "POST", Path: tmBase + "/teams", Token: x.ada, Raw: `{"name": "x"`, Header: map[string][]string{"Content-Type": {"application/json"}}})
	x.wantError(r, 400, "CMN-103", "", "malformed JSON")
	if after := count(); after != before {
		t.Fatalf("bad input created teams: %d → %d", before, after)
	}
}

func TestTMConversations(t *testing.T) {
	x := openTM(t)
	d := x.do("POST", "/conversations", x.ada, map[string]any{"members": []map[string]any{{"id": x.graceID}}})
	direct := x.must(d, 201, "open direct")
	if direct["type"] != "Direct" || !slices.Equal(memberIDs(direct), sorted(x.adaID, x.graceID)) {
		t.Fatalf("direct: %v", direct)
	}
	// The same member set, however named, is the same conversation.
	again := x.must(x.do("POST", "/conversations", x.grace, map[string]any{"members": []map[string]any{{"email": "ada.lovelace@example.com"}, {"id": x.graceID}}}), 200, "reopen")
	if again["id"] != direct["id"] {
		t.Fatalf("reopened %v, want %v", again["id"], direct["id"])
	}
	group := x.must(x.do("POST", "/conversations", x.ada, map[string]any{"members": []map[string]any{{"id": x.graceID}, {"id": x.alanID}}}), 201, "open group")
	if group["type"] != "Group" || group["id"] == direct["id"] {
		t.Fatalf("group: %v", group)
	}
	personal := x.must(x.do("POST", "/conversations", x.ada, map[string]any{"members": []map[string]any{}}), 200, "personal")
	if personal["type"] != "Personal" {
		t.Fatalf("personal: %v", personal)
	}
	x.wantError(x.do("POST", "/conversations", x.ada, map[string]any{"members": []map[string]any{{"id": x.marieID}}}), 400, "CMN-102", "members", "other account")
	many := make([]map[string]any, 17)
	for i := range many {
		many[i] = map[string]any{"id": x.graceID}
	}
	x.wantError(x.do("POST", "/conversations", x.ada, map[string]any{"members": many}), 400, "CMN-101", "members", "too many")

	list := tmIDs(tmRecords(x.must(x.do("GET", "/conversations", x.ada, nil), 200, "list")))
	if !slices.Equal(sorted(list...), sorted(personal["id"].(string), direct["id"].(string), group["id"].(string))) {
		t.Fatalf("conversations: %v", list)
	}
	x.must(x.do("GET", "/conversations/"+direct["id"].(string), x.grace, nil), 200, "member reads")
	x.wantError(x.do("GET", "/conversations/"+direct["id"].(string), x.alan, nil), 404, "CMN-102", "chatId", "outsider reads direct")
	x.wantError(x.do("POST", "/chats/"+direct["id"].(string)+"/posts", x.alan, map[string]any{"text": "psst"}), 404, "CMN-102", "chatId", "outsider posts to direct")
	team := x.team(x.ada, map[string]any{"name": "T"})
	x.wantError(x.do("GET", "/conversations/"+team, x.ada, nil), 404, "CMN-102", "chatId", "a team is not a conversation")
}

func TestTMPosts(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Posts", "members": []map[string]any{{"id": x.graceID}}})
	text := "Hi ![:Person](" + x.graceID + ") see ![:Team](" + team + ") and ![:Bogus](1)"
	file := x.upload(x.ada, "", "plan.txt", "the plan")
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": "x",
		"attachments": []map[string]any{{"id": "42", "type": "Card"}}}), 400, "CMN-102", "attachments.id", "unknown attachment")
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": "x",
		"attachments": []map[string]any{{"id": file, "type": "Note"}}}), 400, "CMN-102", "attachments.id", "a file attached as a note")
	p := x.must(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": text,
		"attachments": []map[string]any{{"id": file, "type": "File"}}}), 201, "create")
	if p["text"] != text || p["creatorId"] != x.adaID || p["groupId"] != team || p["type"] != "TextMessage" || p["creationTime"] == nil {
		t.Fatalf("post: %v", p)
	}
	ms := p["mentions"].([]any)
	if len(ms) != 2 || ms[0].(map[string]any)["name"] != "Grace Hopper" || ms[1].(map[string]any)["name"] != "Posts" {
		t.Fatalf("mentions: %v", ms)
	}
	if at := p["attachments"].([]any); len(at) != 1 || at[0].(map[string]any)["id"] != file || at[0].(map[string]any)["name"] != "plan.txt" ||
		at[0].(map[string]any)["contentUri"] != x.URL+"/team-messaging/files/"+file {
		t.Fatalf("attachments: %v", at)
	}
	pid := p["id"].(string)
	got := x.must(x.do("GET", "/chats/"+team+"/posts/"+pid, x.grace, nil), 200, "read")
	if got["text"] != text {
		t.Fatalf("read: %v", got)
	}
	x.wantError(x.do("PATCH", "/chats/"+team+"/posts/"+pid, x.grace, map[string]any{"text": "mine now"}), 403, "CMN-101", "postId", "edit another's post")
	x.wantError(x.do("DELETE", "/chats/"+team+"/posts/"+pid, x.grace, nil), 403, "CMN-101", "postId", "delete another's post")
	x.must(x.do("GET", "/chats/"+team+"/posts", x.ada, nil), 200, "list before the edit") // the list keeps what it decoded
	x.Clock.Advance(time.Minute)
	ed := x.must(x.do("PATCH", "/chats/"+team+"/posts/"+pid, x.ada, map[string]any{"text": "edited"}), 200, "edit")
	if ed["text"] != "edited" || ed["lastModifiedTime"] == ed["creationTime"] || len(ed["mentions"].([]any)) != 0 {
		t.Fatalf("edited: %v", ed)
	}
	if l := tmRecords(x.must(x.do("GET", "/chats/"+team+"/posts", x.grace, nil), 200, "list after the edit")); l[0]["text"] != "edited" {
		t.Fatalf("the list shows the post before its edit: %v", l[0])
	}

	// Bad posts change nothing.
	count := func() int {
		return len(tmRecords(x.must(x.do("GET", "/chats/"+team+"/posts?recordCount=250", x.ada, nil), 200, "list")))
	}
	before := count()
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": strings.Repeat("é", tm.MaxPostText+1)}), 400, "CMN-101", "text", "oversize")
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": "  "}), 400, "CMN-100", "text", "empty")
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": "x", "attachments": []map[string]any{{"id": "1", "type": "Movie"}}}), 400, "CMN-101", "attachments.type", "bad attachment")
	x.wantError(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": "x", "parentPostId": "999999"}), 400, "CMN-102", "parentPostId", "unknown parent")
	x.wantError(x.do("POST", "/chats/999999/posts", x.ada, map[string]any{"text": "x"}), 404, "CMN-102", "chatId", "unknown chat")
	x.wantError(x.do("PATCH", "/chats/"+team+"/posts/"+pid, x.ada, map[string]any{"text": strings.Repeat("a", tm.MaxPostText+1)}), 400, "CMN-101", "text", "oversize edit")
	x.must(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": strings.Repeat("é", tm.MaxPostText)}), 201, "longest post")
	if after := count(); after != before+1 {
		t.Fatalf("bad posts were stored: %d → %d", before, after)
	}

	// Threads.
	reply := x.must(x.do("POST", "/chats/"+team+"/posts", x.grace, map[string]any{"text": "reply", "parentPostId": pid}), 201, "reply")
	if reply["threadId"] != pid || reply["parentPostId"] != pid {
		t.Fatalf("reply: %v", reply)
	}
	x.must(x.do("POST", "/chats/"+team+"/posts", x.ada, map[string]any{"text": "reply 2", "threadId": pid}), 201, "reply by thread")
	thread := tmRecords(x.must(x.do("GET", "/chats/"+team+"/threads/"+pid+"/posts", x.ada, nil), 200, "thread"))
	if len(thread) != 2 || thread[0]["text"] != "reply 2" || thread[1]["text"] != "reply" {
		t.Fatalf("thread: %v", thread)
	}
	if x.must(x.do("GET", "/chats/"+team+"/posts/"+pid, x.ada, nil), 200, "parent")["isParent"] != true {
		t.Fatal("the parent is not marked isParent")
	}
	x.wantError(x.do("GET", "/chats/"+team+"/threads/999999/posts", x.ada, nil), 404, "CMN-102", "threadId", "unknown thread")

	x.must(x.do("DELETE", "/chats/"+team+"/posts/"+pid, x.ada, nil), 204, "delete")
	x.wantError(x.do("GET", "/chats/"+team+"/posts/"+pid, x.ada, nil), 404, "CMN-102", "postId", "deleted")
	x.wantError(x.do("DELETE", "/chats/"+team+"/posts/"+pid, x.ada, nil), 404, "CMN-102", "postId", "delete twice")
}

func TestTMPostPaging(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Paging"})
	other := x.team(x.ada, map[string]any{"name": "Other"})
	var want []string
	for i := range 7 {
		want = append(want, x.post(x.ada, team, "p"+string(rune('0'+i)))["id"].(string))
		x.post(x.ada, other, "noise")
	}
	slices.Reverse(want) // newest first
	page := func(q string) ([]string, map[string]any) {
		m := x.must(x.do("GET", "/chats/"+team+"/posts?"+q, x.ada, nil), 200, "page "+q)
		nav, _ := m["navigation"].(map[string]any)
		return tmIDs(tmRecords(m)), nav
	}
	p1, nav1 := page("recordCount=3")
	if !slices.Equal(p1, want[:3]) || nav1["prevPageToken"] != nil || nav1["nextPageToken"] == nil {
		t.Fatalf("page 1: %v %v", p1, nav1)
	}
	// The token remembers recordCount.
	p2, nav2 := page("pageToken=" + url.QueryEscape(nav1["nextPageToken"].(string)))
	if !slices.Equal(p2, want[3:6]) || nav2["prevPageToken"] == nil || nav2["nextPageToken"] == nil {
		t.Fatalf("page 2: %v %v", p2, nav2)
	}
	p3, nav3 := page("pageToken=" + url.QueryEscape(nav2["nextPageToken"].(string)))
	if !slices.Equal(p3, want[6:]) || nav3["nextPageToken"] != nil {
		t.Fatalf("page 3: %v %v", p3, nav3)
	}
	back, navBack := page("pageToken=" + url.QueryEscape(nav2["prevPageToken"].(string)))
	if !slices.Equal(back, want[:3]) || navBack["prevPageToken"] != nil {
		t.Fatalf("back to page 1: %v %v", back, navBack)
	}
	x.wantError(x.do("GET", "/chats/"+team+"/posts?pageToken=garbage", x.ada, nil), 400, "CMN-101", "pageToken", "garbage token")
	x.wantError(x.do("GET", "/chats/"+other+"/posts?pageToken="+url.QueryEscape(nav1["nextPageToken"].(string)), x.ada, nil), 400, "CMN-101", "pageToken", "another chat's token")

	// Chat lists page too, oldest first.
	for i := range 4 {
		x.team(x.ada, map[string]any{"name": "t" + string(rune('0'+i))})
	}
	all := tmIDs(tmRecords(x.must(x.do("GET", "/chats?recordCount=250", x.ada, nil), 200, "all chats")))
	var walked []string
	q := "recordCount=2"
	for range 10 {
		m := x.must(x.do("GET", "/chats?"+q, x.ada, nil), 200, "chats page")
		walked = append(walked, tmIDs(tmRecords(m))...)
		next, _ := m["navigation"].(map[string]any)["nextPageToken"].(string)
		if next == "" {
			break
		}
		q = "pageToken=" + url.QueryEscape(next)
	}
	if !slices.Equal(walked, all) || len(all) != 8 {
		t.Fatalf("walked %v, want %v", walked, all)
	}
}

func TestTMFavoritesAndRecent(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Fav", "members": []map[string]any{{"id": x.graceID}}})
	direct := x.must(x.do("POST", "/conversations", x.ada, map[string]any{"members": []map[string]any{{"id": x.alanID}}}), 201, "direct")["id"].(string)
	x.must(x.do("POST", "/chats/"+team+"/favorite", x.ada, nil), 204, "favorite")
	x.must(x.do("POST", "/chats/"+direct+"/favorite", x.ada, nil), 204, "favorite direct")
	if got := tmIDs(tmRecords(x.must(x.do("GET", "/favorites", x.ada, nil), 200, "favorites"))); !slices.Equal(got, []string{team, direct}) {
		t.Fatalf("favorites: %v", got)
	}
	if got := tmRecords(x.must(x.do("GET", "/favorites", x.grace, nil), 200, "grace's favorites")); len(got) != 0 {
		t.Fatalf("favorites are per person: %v", got)
	}
	x.wantError(x.do("POST", "/chats/"+direct+"/favorite", x.grace, nil), 404, "CMN-102", "chatId", "favorite an invisible chat")
	x.must(x.do("POST", "/chats/"+team+"/unfavorite", x.ada, nil), 204, "unfavorite")
	if got := tmIDs(tmRecords(x.must(x.do("GET", "/favorites", x.ada, nil), 200, "favorites"))); !slices.Equal(got, []string{direct}) {
		t.Fatalf("after unfavorite: %v", got)
	}

	x.post(x.ada, direct, "first")
	x.post(x.ada, team, "second")
	recent := tmIDs(tmRecords(x.must(x.do("GET", "/recent/chats?recordCount=2", x.ada, nil), 200, "recent")))
	if !slices.Equal(recent, []string{team, direct}) {
		t.Fatalf("recent: %v", recent)
	}
}

func TestTMPersonsAndCompanies(t *testing.T) {
	x := openTM(t)
	me := x.must(x.do("GET", "/persons/~", x.ada, nil), 200, "me")
	if me["id"] != x.adaID || me["firstName"] != "Ada" || me["lastName"] != "Lovelace" || me["email"] != "ada.lovelace@example.com" {
		t.Fatalf("me: %v", me)
	}
	if g := x.must(x.do("GET", "/persons/"+x.graceID, x.ada, nil), 200, "grace"); g["firstName"] != "Grace" || g["companyId"] != me["companyId"] {
		t.Fatalf("grace: %v", g)
	}
	x.wantError(x.do("GET", "/persons/"+x.marieID, x.ada, nil), 404, "CMN-102", "personId", "person of another account")
	x.wantError(x.do("GET", "/persons/171860008", x.ada, nil), 404, "CMN-102", "personId", "a department is no person")
	bulk := x.Do(rctest.Req{Path: tmBase + "/persons/" + x.graceID + "," + x.marieID, Token: x.ada,
		Header: map[string][]string{"Accept": {"application/vnd.ringcentral.multipart+json"}}})
	if bulk.Status != 207 || !bytes.Contains(bulk.Body, []byte(`"Grace"`)) || !bytes.Contains(bulk.Body, []byte(`404`)) {
		t.Fatalf("bulk: %d %s", bulk.Status, bulk.Body)
	}
	co := x.must(x.do("GET", "/companies/~", x.ada, nil), 200, "company")
	if co["id"] != me["companyId"] || co["name"] != "Example Company" {
		t.Fatalf("company: %v", co)
	}
	x.must(x.do("GET", "/companies/"+co["id"].(string), x.grace, nil), 200, "company by id")
	x.wantError(x.do("GET", "/companies/"+co["id"].(string), x.marie, nil), 404, "CMN-102", "companyId", "another company")
}

// tmHook subscribes the caller to the team-messaging filters with a WebHook receiver of its own.
func (x *tmApp) tmHook(tok string) *voiceReceiver {
	x.t.Helper()
	rv := newVoiceReceiver(x.t)
	x.must(x.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: tok, JSON: map[string]any{
		"eventFilters": []string{"/team-messaging/v1/posts", "/team-messaging/v1/groups"},
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": rv.URL + "/hook"}}}), 200, "subscribe")
	return rv
}

func eventOf(eventType, id string) func(map[string]any) bool {
	return func(b map[string]any) bool { return b["eventType"] == eventType && b["id"] == id }
}

func TestTMEventsReachMembersOnly(t *testing.T) {
	x := openTM(t)
	ada, grace, alan := x.tmHook(x.ada), x.tmHook(x.grace), x.tmHook(x.alan)
	team := x.team(x.ada, map[string]any{"name": "Events", "members": []map[string]any{{"id": x.graceID}}})
	joined := grace.waitFor(t, eventOf("GroupJoined", team))
	if joined["type"] != "Team" || joined["name"] != "Events" || joined["isPublic"] != false ||
		!slices.Equal(sorted(toStrings(joined["members"])...), sorted(x.adaID, x.graceID)) {
		t.Fatalf("GroupJoined: %v", joined)
	}
	p := x.post(x.ada, team, "hello ![:Person]("+x.graceID+")")
	pid := p["id"].(string)
	added := grace.waitFor(t, eventOf("PostAdded", pid))
	if added["groupId"] != team || added["text"] != p["text"] || added["creatorId"] != x.adaID || added["type"] != "TextMessage" ||
		added["creationTime"] != p["creationTime"] {
		t.Fatalf("PostAdded: %v", added)
	}
	if m := added["mentions"].([]any); len(m) != 1 || m[0].(map[string]any)["id"] != x.graceID {
		t.Fatalf("PostAdded mentions: %v", added)
	}
	ada.waitFor(t, eventOf("PostAdded", pid))
	x.must(x.do("PATCH", "/chats/"+team+"/posts/"+pid, x.ada, map[string]any{"text": "changed"}), 200, "edit")
	if ch := grace.waitFor(t, eventOf("PostChanged", pid)); ch["text"] != "changed" {
		t.Fatalf("PostChanged: %v", ch)
	}
	x.must(x.do("DELETE", "/chats/"+team+"/posts/"+pid, x.ada, nil), 204, "delete")
	if rm := grace.waitFor(t, eventOf("PostRemoved", pid)); rm["groupId"] != team {
		t.Fatalf("PostRemoved: %v", rm)
	}
	x.must(x.do("PATCH", "/teams/"+team, x.ada, map[string]any{"name": "Renamed"}), 200, "rename")
	if rn := grace.waitFor(t, eventOf("GroupRenamed", team)); rn["name"] != "Renamed" {
		t.Fatalf("GroupRenamed: %v", rn)
	}
	x.must(x.do("POST", "/teams/"+team+"/leave", x.grace, nil), 204, "leave")
	grace.waitFor(t, eventOf("GroupLeft", team))
	if ch := ada.waitFor(t, eventOf("GroupChanged", team)); !slices.Equal(toStrings(ch["members"]), []string{x.adaID}) {
		t.Fatalf("GroupChanged: %v", ch)
	}
	x.post(x.ada, team, "after grace left")

	// A post in a chat Alan is not in never reaches him; one in the Everyone chat does.
	everyone := x.must(x.do("GET", "/everyone", x.alan, nil), 200, "everyone")["id"].(string)
	ep := x.post(x.grace, everyone, "all hands")["id"].(string)
	alan.waitFor(t, eventOf("PostAdded", ep))
	ada.waitFor(t, eventOf("PostAdded", ep))
	for _, n := range alan.settle() {
		if b := n.note["body"].(map[string]any); b["id"] == team || b["groupId"] == team {
			t.Fatalf("alan got an event of a team he is not in: %s", n.raw)
		}
	}
	for _, n := range grace.settle() {
		if b := n.note["body"].(map[string]any); b["groupId"] == team && b["text"] == "after grace left" {
			t.Fatalf("grace got a post after leaving: %s", n.raw)
		}
	}
	if n := ada.notes(); n[0].note["event"] != "/team-messaging/v1/groups" && n[0].note["event"] != "/team-messaging/v1/posts" {
		t.Fatalf("event: %s", n[0].raw)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func TestTMEventFilters(t *testing.T) {
	x := openTM(t)
	rv := newVoiceReceiver(t)
	hook := map[string]any{"transportType": "WebHook", "address": rv.URL + "/hook"}
	for _, f := range []string{"/team-messaging/v1/posts", "/team-messaging/v1/groups", "/team-messaging/v1/chats", "/restapi/v1.0/glip/posts"} {
		r := x.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: x.ada, JSON: map[string]any{
			"eventFilters": []string{f}, "deliveryMode": hook}})
		if r.Status != 200 || !slices.Equal(toStrings(r.Map(t)["eventFilters"]), []string{f}) {
			t.Fatalf("subscribe %s: %d %s", f, r.Status, r.Body)
		}
	}
	r := x.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: x.ada, JSON: map[string]any{
		"eventFilters": []string{"/team-messaging/v1/bogus"}, "deliveryMode": hook}})
	x.wantError(r, 400, "SUB-508", "eventFilters", "unknown filter")
}

func TestTMPostEventOverWebSocket(t *testing.T) {
	x := openTM(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	grace, err := rctest.OpenWSSession(ctx, x.URL, x.grace, "/team-messaging/v1/posts")
	if err != nil {
		t.Fatal(err)
	}
	defer grace.CloseNow()
	alan, err := rctest.OpenWSSession(ctx, x.URL, x.alan, "/team-messaging/v1/posts")
	if err != nil {
		t.Fatal(err)
	}
	defer alan.CloseNow()
	team := x.team(x.ada, map[string]any{"name": "WS", "members": []map[string]any{{"id": x.graceID}}})
	pid := x.post(x.ada, team, "over the socket")["id"].(string)
	_, frame, err := grace.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var parts []map[string]any
	if err := json.Unmarshal(frame, &parts); err != nil || len(parts) != 2 {
		t.Fatalf("frame: %s", frame)
	}
	body := parts[1]["body"].(map[string]any)
	if parts[1]["event"] != "/team-messaging/v1/posts" || body["id"] != pid || body["eventType"] != "PostAdded" || parts[1]["ownerId"] != x.graceID {
		t.Fatalf("notification: %s", frame)
	}
	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	if _, f, err := alan.Read(short); err == nil {
		t.Fatalf("alan received %s", f)
	}
}

func TestTMStateSurvivesExportAndImport(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Kept", "members": []map[string]any{{"id": x.graceID}}})
	p := x.post(x.ada, team, "kept post")
	x.must(x.do("POST", "/chats/"+team+"/favorite", x.grace, nil), 204, "favorite")
	task := x.must(x.do("POST", "/chats/"+team+"/tasks", x.ada, map[string]any{"subject": "kept", "assignees": []map[string]any{}}), 201, "task")
	state := x.Do(rctest.Req{Path: "/_rcemu/state"})
	if state.Status != 200 {
		t.Fatalf("export: %d %s", state.Status, state.Body)
	}
	if err := x.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := x.Do(rctest.Req{Method: "PUT", Path: "/_rcemu/state", Raw: string(state.Body), Header: map[string][]string{"Content-Type": {"application/json"}}}); r.Status >= 300 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	tok := x.Login(x.User(0, "102")).AccessToken
	if got := x.must(x.do("GET", "/chats/"+team+"/posts/"+p["id"].(string), tok, nil), 200, "post after import"); got["text"] != "kept post" {
		t.Fatalf("post: %v", got)
	}
	if got := tmIDs(tmRecords(x.must(x.do("GET", "/favorites", tok, nil), 200, "favorites"))); !slices.Equal(got, []string{team}) {
		t.Fatalf("favorites: %v", got)
	}
	x.must(x.do("GET", "/tasks/"+task["id"].(string), tok, nil), 200, "task after import")
	// New ids do not collide with imported ones.
	other := x.team(tok, map[string]any{"name": "New"})
	np := x.post(tok, team, "new post")
	if other == team || np["id"] == p["id"] {
		t.Fatalf("ids reused after import: team %s/%s post %v/%v", other, team, np["id"], p["id"])
	}
}

// TestTMBadBodiesNeverServerErrors throws malformed and ill-typed bodies at every team-messaging
// write: each is a 4xx, and none changes the chats or posts.
func TestTMBadBodiesNeverServerErrors(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Target", "members": []map[string]any{{"id": x.graceID}}})
	p := x.post(x.ada, team, "original")["id"].(string)
	snapshot := func() string {
		a := x.do("GET", "/chats?recordCount=250", x.ada, nil).Body
		b := x.do("GET", "/chats/"+team+"/posts?recordCount=250", x.ada, nil).Body
		return string(a) + string(b)
	}
	before := snapshot()
	universal := []string{`null`, `[]`, `[1,2]`, `"text"`, `42`, `{`, strings.Repeat(`[`, 100), strings.Repeat(`{"a":`, 100)}
	routes := []struct {
		method, path string
		bad          []string
	}{
		{"POST", "/teams", []string{`{"name":["x"]}`, `{"name":"x","members":"101"}`, `{"name":"x","members":[{"id":5}]}`,
			`{"name":"x","members":[{"id":"-1"}]}`, `{"name":"x","members":[{}]}`, `{"name":"x","public":"yes"}`}},
		{"PATCH", "/teams/" + team, []string{`{"name":["x"]}`, `{"public":"yes"}`, `{"name":""}`}},
		{"POST", "/teams/" + team + "/add", []string{`{"members":"101"}`, `{"members":[{"id":5}]}`, `{"members":[]}`, `{"members":[{}]}`}},
		{"POST", "/teams/" + team + "/remove", []string{`{"members":"101"}`, `{"members":[]}`, `{"members":[{"email":"a@b.c"}]}`}},
		{"POST", "/conversations", []string{`{"members":"101"}`, `{"members":[{"id":"abc"}]}`}},
		{"POST", "/chats/" + team + "/posts", []string{`{"text":5}`, `{"attachments":{}}`, `{"text":"x","attachments":[{"id":"1"}]}`,
			`{"text":"x","parentPostId":5}`, `{}`}},
		{"PATCH", "/chats/" + team + "/posts/" + p, []string{`{"text":5}`, `{"text":""}`}},
		{"PATCH", "/everyone", []string{`{"name":5}`, `{"name":""}`}},
		{"POST", "/chats/" + team + "/tasks", []string{`{"subject":"x","assignees":"all"}`, `{"subject":5,"assignees":[]}`,
			`{"subject":"x","assignees":[],"dueDate":"soon"}`}},
		{"POST", "/chats/" + team + "/notes", []string{`{"title":{}}`, `{"title":""}`}},
		{"POST", "/events", []string{`{"startTime":"tomorrow","endTime":"later","title":"x"}`, `{"title":"x"}`}},
		{"POST", "/chats/" + team + "/adaptive-cards", []string{`{"type":"AdaptiveCard"}`, `{"version":"1.3"}`}},
	}
	for _, rt := range routes {
		for _, b := range append(slices.Clone(universal), rt.bad...) {
			r := x.Do(rctest.Req{Method: rt.method, Path: tmBase + rt.path, Token: x.ada, Raw: b,
				Header: map[string][]string{"Content-Type": {"application/json"}}})
			if r.Status != 400 {
				t.Errorf("%s %s %q: %d %s", rt.method, rt.path, b, r.Status, r.Body)
			}
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("refused bodies changed state:\n%s\n%s", before, after)
	}
}

func TestTMChatsAndLegacyFilters(t *testing.T) {
	x := openTM(t)
	rv := newVoiceReceiver(t)
	x.must(x.Do(rctest.Req{Method: "POST", Path: "/restapi/v1.0/subscription", Token: x.alan, JSON: map[string]any{
		"eventFilters": []string{"/team-messaging/v1/chats", "/restapi/v1.0/glip/posts"},
		"deliveryMode": map[string]any{"transportType": "WebHook", "address": rv.URL + "/hook"}}}), 200, "subscribe")
	team := x.team(x.ada, map[string]any{"name": "Legacy"})
	x.must(x.do("POST", "/teams/"+team+"/add", x.ada, map[string]any{"members": []map[string]any{{"id": x.alanID}}}), 204, "add alan")
	pid := x.post(x.ada, team, "to the old bots")["id"].(string)
	rv.waitFor(t, eventOf("GroupJoined", team))
	rv.waitFor(t, eventOf("PostAdded", pid))
	events := map[string]string{}
	for _, n := range rv.notes() {
		b := n.note["body"].(map[string]any)
		events[b["eventType"].(string)] = n.note["event"].(string)
	}
	if events["GroupJoined"] != "/team-messaging/v1/chats" || events["PostAdded"] != "/restapi/v1.0/glip/posts" {
		t.Fatalf("events: %v", events)
	}
}

// TestTMEveryoneFollowsTheDirectory: the Everyone chat's members are the account's users as they
// are now, even after a post has read them.
func TestTMEveryoneFollowsTheDirectory(t *testing.T) {
	x := openTM(t)
	everyone := x.must(x.do("GET", "/everyone", x.ada, nil), 200, "everyone")["id"].(string)
	x.post(x.ada, everyone, "before")
	r := x.Do(rctest.Req{Method: "PUT", Path: "/restapi/v1.0/account/~/extension/" + x.alanID, Token: x.ada, JSON: map[string]any{"type": "Department"}})
	if r.Status != 200 {
		t.Fatalf("make alan a department: %d %s", r.Status, r.Body)
	}
	if got := memberIDs(x.must(x.do("GET", "/chats/"+everyone, x.ada, nil), 200, "everyone")); !slices.Equal(got, sorted(x.adaID, x.graceID)) {
		t.Fatalf("members after alan became a department: %v", got)
	}
}
