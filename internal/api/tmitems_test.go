package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rcemu/rcemu/internal/rctest"
)

func TestTMTasks(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Tasks", "members": []map[string]any{{"id": x.graceID}}})
	task := x.must(x.do("POST", "/chats/"+team+"/tasks", x.ada, map[string]any{"subject": "Build it",
		"assignees": []map[string]any{{"id": x.graceID}}, "dueDate": "2027-01-01T00:00:00Z"}), 201, "create")
	if task["subject"] != "Build it" || task["status"] != "Pending" || task["type"] != "Task" ||
		task["creator"].(map[string]any)["id"] != x.adaID || task["completenessCondition"] != "Simple" {
		t.Fatalf("task: %v", task)
	}
	id := task["id"].(string)
	count := func() int {
		return len(tmRecords(x.must(x.do("GET", "/chats/"+team+"/tasks", x.ada, nil), 200, "list")))
	}
	x.wantError(x.do("POST", "/chats/"+team+"/tasks", x.ada, map[string]any{"assignees": []map[string]any{}}), 400, "CMN-100", "subject", "no subject")
	x.wantError(x.do("POST", "/chats/"+team+"/tasks", x.ada, map[string]any{"subject": "x", "assignees": []map[string]any{{"id": x.marieID}}}), 400, "CMN-102", "assignees", "foreign assignee")
	x.wantError(x.do("POST", "/chats/"+team+"/tasks", x.ada, map[string]any{"subject": "x", "assignees": []map[string]any{}, "color": "Plaid"}), 400, "CMN-101", "color", "bad color")
	x.wantError(x.do("POST", "/chats/"+team+"/tasks", x.alan, map[string]any{"subject": "x", "assignees": []map[string]any{}}), 404, "CMN-102", "chatId", "outsider")
	if n := count(); n != 1 {
		t.Fatalf("refused tasks were stored: %d", n)
	}
	x.wantError(x.do("GET", "/tasks/"+id, x.alan, nil), 404, "CMN-102", "taskId", "outsider reads")
	p := x.must(x.do("PATCH", "/tasks/"+id, x.grace, map[string]any{"subject": "Build it twice"}), 200, "patch")
	if tmRecords(p)[0]["subject"] != "Build it twice" {
		t.Fatalf("patched: %v", p)
	}
	x.must(x.do("POST", "/tasks/"+id+"/complete", x.grace, map[string]any{"status": "Complete"}), 204, "complete")
	got := x.must(x.do("GET", "/tasks/"+id, x.ada, nil), 200, "read")
	if got["status"] != "Completed" || got["assignees"].([]any)[0].(map[string]any)["status"] != "Completed" {
		t.Fatalf("completed: %v", got)
	}
	if n := len(tmRecords(x.must(x.do("GET", "/chats/"+team+"/tasks?status=Pending", x.ada, nil), 200, "pending"))); n != 0 {
		t.Fatalf("status filter: %d", n)
	}
	x.wantError(x.do("DELETE", "/tasks/"+id, x.grace, nil), 403, "CMN-101", "taskId", "not the creator")
	x.must(x.do("DELETE", "/tasks/"+id, x.ada, nil), 204, "delete")
	x.wantError(x.do("GET", "/tasks/"+id, x.ada, nil), 404, "CMN-102", "taskId", "deleted")
}

func TestTMNotes(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Notes", "members": []map[string]any{{"id": x.graceID}}})
	note := x.must(x.do("POST", "/chats/"+team+"/notes", x.ada, map[string]any{"title": "Plan", "body": "Step one"}), 200, "create")
	if note["status"] != "Draft" || note["preview"] != "Step one" || note["type"] != "Note" {
		t.Fatalf("note: %v", note)
	}
	id := note["id"].(string)
	x.wantError(x.do("POST", "/chats/"+team+"/notes", x.ada, map[string]any{"body": "untitled"}), 400, "CMN-100", "title", "no title")
	x.must(x.do("POST", "/notes/"+id+"/lock", x.ada, nil), 204, "lock")
	x.wantError(x.do("PATCH", "/notes/"+id, x.grace, map[string]any{"body": "mine"}), 403, "CMN-101", "noteId", "locked by another")
	x.must(x.do("PATCH", "/notes/"+id+"?releaseLock=true", x.ada, map[string]any{"body": "Step two"}), 200, "patch and release")
	x.must(x.do("PATCH", "/notes/"+id, x.grace, map[string]any{"title": "Plan B"}), 200, "patch after release")
	pub := x.must(x.do("POST", "/notes/"+id+"/publish", x.grace, nil), 200, "publish")
	if pub["status"] != "Active" || pub["title"] != "Plan B" || pub["lastModifiedBy"].(map[string]any)["id"] != x.graceID {
		t.Fatalf("published: %v", pub)
	}
	if got := x.must(x.do("GET", "/notes/"+id, x.grace, nil), 200, "read"); got["body"] != "Step two" {
		t.Fatalf("body: %v", got)
	}
	if n := len(tmRecords(x.must(x.do("GET", "/chats/"+team+"/notes?status=Active", x.ada, nil), 200, "list"))); n != 1 {
		t.Fatalf("active notes: %d", n)
	}
	x.wantError(x.do("GET", "/notes/"+id, x.alan, nil), 404, "CMN-102", "noteId", "outsider")
	x.must(x.do("DELETE", "/notes/"+id, x.ada, nil), 204, "delete")
	x.wantError(x.do("GET", "/notes/"+id, x.ada, nil), 404, "CMN-102", "noteId", "deleted")
}

func TestTMCalendarEvents(t *testing.T) {
	x := openTM(t)
	body := map[string]any{"title": "Demo", "startTime": "2027-01-01T15:00:00Z", "endTime": "2027-01-01T16:00:00Z", "location": "Lab"}
	ev := x.must(x.do("POST", "/events", x.ada, body), 200, "create")
	if ev["title"] != "Demo" || ev["creatorId"] != x.adaID || ev["color"] != "Black" || ev["startTime"] != "2027-01-01T15:00:00.000Z" {
		t.Fatalf("event: %v", ev)
	}
	id := ev["id"].(string)
	x.wantError(x.do("POST", "/events", x.ada, map[string]any{"startTime": "2027-01-01T15:00:00Z", "endTime": "2027-01-01T16:00:00Z"}), 400, "CMN-100", "title", "no title")
	x.wantError(x.do("POST", "/events", x.ada, map[string]any{"title": "x", "startTime": "2027-01-01T15:00:00Z", "endTime": "2027-01-01T14:00:00Z"}), 400, "CMN-101", "endTime", "ends before it starts")
	x.wantError(x.do("GET", "/events/"+id, x.grace, nil), 404, "CMN-102", "eventId", "someone else's event")
	if got := tmIDs(tmRecords(x.must(x.do("GET", "/events", x.ada, nil), 200, "list"))); !slices.Equal(got, []string{id}) {
		t.Fatalf("events: %v", got)
	}
	body["title"] = "Demo, moved"
	if got := x.must(x.do("PUT", "/events/"+id, x.ada, body), 200, "replace"); got["title"] != "Demo, moved" || got["location"] != "Lab" {
		t.Fatalf("replaced: %v", got)
	}
	team := x.team(x.ada, map[string]any{"name": "Cal", "members": []map[string]any{{"id": x.graceID}}})
	gev := x.must(x.do("POST", "/groups/"+team+"/events", x.grace, body), 200, "group event")
	if got := tmIDs(tmRecords(x.must(x.do("GET", "/groups/"+team+"/events", x.ada, nil), 200, "group list"))); !slices.Equal(got, []string{gev["id"].(string)}) {
		t.Fatalf("group events: %v", got)
	}
	x.wantError(x.do("GET", "/groups/"+team+"/events", x.alan, nil), 404, "CMN-102", "chatId", "outsider lists group events")
	x.must(x.do("DELETE", "/events/"+id, x.ada, nil), 200, "delete")
	x.wantError(x.do("GET", "/events/"+id, x.ada, nil), 404, "CMN-102", "eventId", "deleted")
}

func TestTMAdaptiveCards(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Cards", "members": []map[string]any{{"id": x.graceID}}})
	card := map[string]any{"type": "AdaptiveCard", "version": "1.3", "body": []map[string]any{{"type": "Container",
		"items": []map[string]any{{"type": "TextBlock", "text": "Hello"}}}}}
	short := x.must(x.do("POST", "/chats/"+team+"/adaptive-cards", x.ada, card), 201, "create")
	id := short["id"].(string)
	if short["type"] != "AdaptiveCard" || short["version"] != "1.3" || short["body"] != nil || !slices.Equal(toStrings(short["chatIds"]), []string{team}) {
		t.Fatalf("short info: %v", short)
	}
	posts := tmRecords(x.must(x.do("GET", "/chats/"+team+"/posts", x.grace, nil), 200, "posts"))
	if len(posts) != 1 || posts[0]["attachments"].([]any)[0].(map[string]any)["id"] != id {
		t.Fatalf("the card's post: %v", posts)
	}
	full := x.must(x.do("GET", "/adaptive-cards/"+id, x.grace, nil), 200, "read")
	if full["body"].([]any)[0].(map[string]any)["items"].([]any)[0].(map[string]any)["text"] != "Hello" {
		t.Fatalf("full: %v", full)
	}
	x.wantError(x.do("POST", "/chats/"+team+"/adaptive-cards", x.ada, map[string]any{"type": "Card", "version": "1.3"}), 400, "CMN-101", "type", "not an adaptive card")
	x.wantError(x.do("PUT", "/adaptive-cards/"+id, x.grace, card), 403, "CMN-101", "cardId", "not the creator")
	x.wantError(x.do("GET", "/adaptive-cards/"+id, x.alan, nil), 404, "CMN-102", "cardId", "outsider")
	card["version"] = "1.4"
	x.must(x.do("PUT", "/adaptive-cards/"+id, x.ada, card), 200, "replace")
	if got := x.must(x.do("GET", "/adaptive-cards/"+id, x.ada, nil), 200, "read"); got["version"] != "1.4" {
		t.Fatalf("replaced: %v", got)
	}
	x.must(x.do("DELETE", "/adaptive-cards/"+id, x.ada, nil), 204, "delete")
	x.wantError(x.do("GET", "/adaptive-cards/"+id, x.ada, nil), 404, "CMN-102", "cardId", "deleted")
}

func TestTMIncomingWebhooks(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Hooks", "members": []map[string]any{{"id": x.graceID}}})
	wh := x.must(x.do("POST", "/groups/"+team+"/webhooks", x.grace, nil), 200, "create")
	id, uri := wh["id"].(string), wh["uri"].(string)
	if wh["status"] != "Active" || !strings.HasPrefix(uri, x.URL+"/webhook/v2/") || !slices.Equal(toStrings(wh["groupIds"]), []string{team}) {
		t.Fatalf("webhook: %v", wh)
	}
	post := func() *rctest.Response {
		return x.Do(rctest.Req{Method: "POST", Path: strings.TrimPrefix(uri, x.URL), JSON: map[string]any{"text": "from outside"}})
	}
	if r := post(); r.Status != 200 {
		t.Fatalf("incoming post: %d %s", r.Status, r.Body)
	}
	posts := tmRecords(x.must(x.do("GET", "/chats/"+team+"/posts", x.ada, nil), 200, "posts"))
	if len(posts) != 1 || posts[0]["text"] != "from outside" || posts[0]["creatorId"] != x.graceID {
		t.Fatalf("posts: %v", posts)
	}
	x.must(x.do("POST", "/webhooks/"+id+"/suspend", x.grace, nil), 200, "suspend")
	if r := post(); r.Status != 404 {
		t.Fatalf("a suspended webhook posted: %d %s", r.Status, r.Body)
	}
	x.must(x.do("POST", "/webhooks/"+id+"/activate", x.grace, nil), 200, "activate")
	if r := post(); r.Status != 200 {
		t.Fatalf("after activate: %d %s", r.Status, r.Body)
	}
	if got := tmIDs(tmRecords(x.must(x.do("GET", "/webhooks", x.grace, nil), 200, "mine"))); !slices.Equal(got, []string{id}) {
		t.Fatalf("my webhooks: %v", got)
	}
	if got := tmIDs(tmRecords(x.must(x.do("GET", "/groups/"+team+"/webhooks", x.ada, nil), 200, "group's"))); !slices.Equal(got, []string{id}) {
		t.Fatalf("group webhooks: %v", got)
	}
	if got := tmRecords(x.must(x.do("GET", "/webhooks/"+id, x.ada, nil), 200, "read")); got[0]["status"] != "Active" {
		t.Fatalf("read: %v", got)
	}
	x.wantError(x.do("GET", "/webhooks/"+id, x.alan, nil), 404, "CMN-102", "webhookId", "outsider")
	x.must(x.do("DELETE", "/webhooks/"+id, x.grace, nil), 200, "delete")
	if r := post(); r.Status != 404 {
		t.Fatalf("a deleted webhook posted: %d", r.Status)
	}
	if r := x.Do(rctest.Req{Method: "POST", Path: "/webhook/v2/nonsense", Raw: "{", Header: http.Header{"Content-Type": {"application/json"}}}); r.Status != 400 {
		t.Fatalf("malformed incoming post: %d %s", r.Status, r.Body)
	}
}

func TestTMFiles(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Files", "members": []map[string]any{{"id": x.graceID}}})
	id := x.upload(x.grace, team, "notes.txt", "hello file")
	posts := tmRecords(x.must(x.do("GET", "/chats/"+team+"/posts", x.ada, nil), 200, "posts"))
	if len(posts) != 1 || posts[0]["creatorId"] != x.graceID || posts[0]["attachments"].([]any)[0].(map[string]any)["name"] != "notes.txt" ||
		posts[0]["attachments"].([]any)[0].(map[string]any)["id"] != id {
		t.Fatalf("the upload's post: %v", posts)
	}
	uri := posts[0]["attachments"].([]any)[0].(map[string]any)["contentUri"].(string)
	got := x.Do(rctest.Req{Path: strings.TrimPrefix(uri, x.URL)})
	if got.Status != 200 || string(got.Body) != "hello file" || !strings.Contains(got.Header.Get("Content-Disposition"), "notes.txt") {
		t.Fatalf("download: %d %q %v", got.Status, got.Body, got.Header)
	}
	if r := x.Do(rctest.Req{Path: "/team-messaging/files/999"}); r.Status != 404 {
		t.Fatalf("unknown file: %d", r.Status)
	}
	// Outside the chat, no upload into it; no file part, no upload at all.
	r := x.Do(rctest.Req{Method: "POST", Path: tmBase + "/files?groupId=" + team, Token: x.alan, Raw: "--b\r\nContent-Disposition: form-data; name=\"body\"; filename=\"x\"\r\n\r\nx\r\n--b--\r\n",
		Header: map[string][]string{"Content-Type": {"multipart/form-data; boundary=b"}}})
	x.wantError(r, 404, "CMN-102", "chatId", "outsider uploads")
	r = x.Do(rctest.Req{Method: "POST", Path: tmBase + "/files", Token: x.alan, Raw: "--b--\r\n",
		Header: map[string][]string{"Content-Type": {"multipart/form-data; boundary=b"}}})
	x.wantError(r, 400, "CMN-100", "body", "no file")
	if n := len(tmRecords(x.must(x.do("GET", "/chats/"+team+"/posts", x.ada, nil), 200, "posts"))); n != 1 {
		t.Fatalf("refused uploads posted: %d", n)
	}
}

func TestTMDataExport(t *testing.T) {
	x := openTM(t)
	team := x.team(x.ada, map[string]any{"name": "Audited", "members": []map[string]any{{"id": x.graceID}}})
	x.post(x.ada, team, "by ada")
	x.post(x.grace, team, "by grace")
	everyone := x.must(x.do("GET", "/everyone", x.ada, nil), 200, "everyone")["id"].(string)
	x.post(x.grace, everyone, "elsewhere")
	posts := func(task map[string]any) []string {
		t.Helper()
		uri := task["datasets"].([]any)[0].(map[string]any)["uri"].(string)
		r := x.Do(rctest.Req{Path: strings.TrimPrefix(uri, x.URL)})
		var doc struct {
			Posts []struct {
				Text string `json:"text"`
			} `json:"posts"`
		}
		r.JSON(t, &doc)
		var out []string
		for _, p := range doc.Posts {
			out = append(out, p.Text)
		}
		return out
	}
	task := x.must(x.do("POST", "/data-export", x.ada, map[string]any{"chatIds": []string{team}}), 202, "export a chat")
	if task["status"] != "Completed" || task["creator"].(map[string]any)["firstName"] != "Ada" {
		t.Fatalf("task: %v", task)
	}
	if got := posts(task); !slices.Equal(got, []string{"by ada", "by grace"}) {
		t.Fatalf("exported: %v", got)
	}
	byGrace := x.must(x.do("POST", "/data-export", x.ada, map[string]any{"contacts": []map[string]any{{"id": x.graceID}}}), 202, "export a person")
	if got := posts(byGrace); !slices.Equal(got, []string{"by grace", "elsewhere"}) {
		t.Fatalf("exported: %v", got)
	}
	if got := x.must(x.do("GET", "/data-export/"+task["id"].(string), x.ada, nil), 200, "read"); got["id"] != task["id"] {
		t.Fatalf("read: %v", got)
	}
	list := x.must(x.do("GET", "/data-export?perPage=1", x.ada, nil), 200, "list")
	if len(list["tasks"].([]any)) != 1 || list["paging"].(map[string]any)["totalElements"] != float64(2) || list["navigation"].(map[string]any)["nextPage"] == nil {
		t.Fatalf("list: %v", list)
	}
	x.wantError(x.do("POST", "/data-export", x.grace, map[string]any{}), 403, "CMN-408", "", "not an administrator")
	x.wantError(x.do("POST", "/data-export", x.ada, map[string]any{"chatIds": []string{"999"}}), 400, "CMN-102", "chatIds", "unknown chat")
	x.wantError(x.do("POST", "/data-export", x.ada, map[string]any{"timeFrom": "2027-01-01T00:00:00Z", "timeTo": "2026-01-01T00:00:00Z"}), 400, "CMN-101", "timeFrom", "backwards period")
	x.wantError(x.do("GET", "/data-export/"+task["id"].(string), x.marie, nil), 404, "CMN-102", "taskId", "another account's export")
}
