package teammessaging_test

// Performance of team messaging (issue 11):
//
//   - POST .../posts ≥ 2,000/s: `go run ./bench/load -scenario post` (rcemu and the bare net/http
//     handler in their own processes, pinned to a CPU each), or in-process BenchmarkCreatePost;
//   - listing the posts of a chat holding 1,000,000 posts, p99 < 5 ms (BenchmarkPostList);
//   - a post to a team of 1,000 members notifies every member's WebSocket subscription at
//     ≥ 5,000 notifications/s (TestPerfTeamFanout).
//
//	go test -run XXX -bench CreatePost -benchtime 10s ./internal/teammessaging/
//	RCEMU_BENCH_DB=/tmp/posts.db go test -run XXX -bench PostList -benchtime 2000x -timeout 30m ./internal/teammessaging/
//	RCEMU_PERF=1 go test -run TestPerfTeamFanout -v -timeout 10m ./internal/teammessaging/
//
// BenchmarkPostList stores RCEMU_BENCH_POSTS posts (default 1,000,000) in the Everyone chat of the
// default seed's first account (one in twenty a reply in a thread), then GETs pages sequentially:
// the newest 30, the newest 250, a page deep in the chat through a next-page token, and a thread.
// TestPerfTeamFanout seeds RCEMU_PERF_USERS users (1,000) in one team, each with a WebSocket
// subscription to /team-messaging/v1/posts, then posts RCEMU_PERF_POSTS posts (30) back to back
// and reports the notifications received per second from the first post to the last arrival,
// and the post-to-arrival latency.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
	tm "github.com/rcemu/rcemu/internal/teammessaging"
)

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
}

func send(c *http.Client, method, url, tok string, body []byte) (int, []byte, error) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

const (
	benchAccount = 159048008
	benchExt101  = 171857008
)

func BenchmarkCreatePost(b *testing.B) {
	a := rctest.MustOpenApp(b)
	tok := a.Login(a.User(0, "101")).AccessToken
	u := a.URL + "/team-messaging/v1/chats/" + tm.EveryoneID(benchAccount) + "/posts"
	body := []byte(`{"text":"bench ![:Person](171858008)"}`)
	c := benchClient()
	var failed atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, _, err := send(c, "POST", u, tok, body); err != nil || st != 201 {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "posts/s")
	if failed.Load() > 0 {
		b.Fatalf("%d of %d posts failed", failed.Load(), b.N)
	}
}

func genPosts(ctx context.Context, a *rctest.App, n int) error {
	chat := tm.EveryoneID(benchAccount)
	now := a.Clock.Now().Add(-30 * 24 * time.Hour)
	const batch = 5000
	var root string
	for done := 0; done < n; done += batch {
		var ps []*tm.Post
		for i := done; i < min(done+batch, n); i++ {
			at := now.Add(time.Duration(i) * time.Second)
			p := &tm.Post{ChatID: chat, AccountID: benchAccount, Type: "TextMessage", Text: "post " + strconv.Itoa(i),
				CreatorID: benchExt101, Created: at, Modified: at}
			if i%20 == 1 && root != "" {
				p.ThreadID, p.ParentPostID = root, root
			}
			ps = append(ps, p)
		}
		if err := a.Store.InsertPosts(ctx, ps); err != nil {
			return err
		}
		if root == "" {
			root = ps[0].ID
		}
	}
	return nil
}

func BenchmarkPostList(b *testing.B) {
	n := rctest.EnvInt("RCEMU_BENCH_POSTS", 1000000)
	db := os.Getenv("RCEMU_BENCH_DB")
	var opts []rctest.Option
	fresh := true
	if db != "" {
		if _, err := os.Stat(db); err == nil {
			fresh = false
		}
		opts = append(opts, rctest.WithDB(db))
	}
	a := rctest.MustOpenApp(b, opts...)
	ctx := context.Background()
	if fresh {
		t0 := time.Now()
		if err := genPosts(ctx, a, n); err != nil {
			b.Fatal(err)
		}
		b.Logf("stored %d posts in %v", n, time.Since(t0).Round(time.Second))
	}
	tok := a.Login(a.User(0, "101")).AccessToken
	c := benchClient()
	base := a.URL + "/team-messaging/v1/chats/" + tm.EveryoneID(benchAccount)
	// A token half-way down the chat: walk there once through the store's own order.
	st, body, err := send(c, "GET", base+"/posts?recordCount=1", tok, nil)
	if err != nil || st != 200 {
		b.Fatalf("first page: %d %s %v", st, body, err)
	}
	var first struct {
		Records []struct {
			ID string `json:"id"`
		} `json:"records"`
	}
	_ = json.Unmarshal(body, &first)
	newest, _ := strconv.ParseInt(first.Records[0].ID, 10, 64)
	deep := pageToken(b, c, base, tok, newest/2)
	root := strconv.FormatInt(newest-int64(n)+1, 10)
	for _, tc := range []struct{ name, path string }{
		{"newest-30", "/posts"},
		{"newest-250", "/posts?recordCount=250"},
		{"deep-page", "/posts?recordCount=30&pageToken=" + url.QueryEscape(deep)},
		{"deep-page-250", "/posts?pageToken=" + url.QueryEscape(deep)},
		{"thread", "/threads/" + root + "/posts"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				st, body, err := send(c, "GET", base+tc.path, tok, nil)
				lat = append(lat, time.Since(t0))
				if err != nil || st != 200 || !bytes.Contains(body, []byte(`"records":[{`)) {
					b.Fatalf("%s: %d %.200s %v", tc.path, st, body, err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(rctest.Pct(lat, 0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(rctest.Pct(lat, 0.99).Microseconds())/1000, "p99-ms")
		})
	}
}

// pageToken walks next-page tokens, 250 posts a page, down to the page that reaches post mid,
// and returns the token after it: a page half-way down the chat.
func pageToken(b *testing.B, c *http.Client, base, tok string, mid int64) string {
	b.Helper()
	next := ""
	q := "/posts?recordCount=250"
	for steps := 0; steps < 2000; steps++ {
		st, body, err := send(c, "GET", base+q, tok, nil)
		if err != nil || st != 200 {
			b.Fatalf("walk: %d %v", st, err)
		}
		var page struct {
			Records []struct {
				ID string `json:"id"`
			} `json:"records"`
			Navigation struct {
				Next string `json:"nextPageToken"`
			} `json:"navigation"`
		}
		_ = json.Unmarshal(body, &page)
		next = page.Navigation.Next
		last, _ := strconv.ParseInt(page.Records[len(page.Records)-1].ID, 10, 64)
		if next == "" || last <= mid {
			break
		}
		q = "/posts?recordCount=250&pageToken=" + url.QueryEscape(next)
	}
	return next
}

func TestPerfTeamFanout(t *testing.T) {
	rctest.PerfEnabled(t)
	users := rctest.EnvInt("RCEMU_PERF_USERS", 1000)
	posts := rctest.EnvInt("RCEMU_PERF_POSTS", 30)
	a := rctest.MustOpenApp(t, rctest.WithSeed(rctest.PerfSeed(t, users)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logged := a.LoginAll(t)
	c := benchClient()
	members := make([]map[string]string, 0, users)
	for _, u := range logged[1:] {
		members = append(members, map[string]string{"id": strconv.FormatInt(u.ExtensionID, 10)})
	}
	body, _ := json.Marshal(map[string]any{"name": "Fan-out", "members": members})
	st, res, err := send(c, "POST", a.URL+"/team-messaging/v1/teams", logged[0].Token, body)
	if err != nil || st != 201 {
		t.Fatalf("create team: %d %s %v", st, res, err)
	}
	var team struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(res, &team)

	var received atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var last time.Time
	sent := map[string]time.Time{}
	var wg sync.WaitGroup
	for i, u := range logged {
		ws, err := rctest.OpenWSSession(ctx, a.URL, u.Token, "/team-messaging/v1/posts")
		if err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
		defer ws.CloseNow()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := ws.Read(ctx)
				if err != nil {
					return
				}
				if !bytes.Contains(data[:min(len(data), 40)], []byte("ServerNotification")) {
					continue
				}
				at := time.Now()
				received.Add(1)
				id := ""
				if i := bytes.Index(data, []byte(`"id":"`)); i >= 0 {
					if j := bytes.IndexByte(data[i+6:], '"'); j >= 0 {
						id = string(data[i+6 : i+6+j])
					}
				}
				mu.Lock()
				if t0, ok := sent[id]; ok {
					lat = append(lat, at.Sub(t0))
				}
				last = at
				mu.Unlock()
			}
		}()
	}
	postURL := a.URL + "/team-messaging/v1/chats/" + team.ID + "/posts"
	start := time.Now()
	for i := 0; i < posts; i++ {
		t0 := time.Now()
		st, res, err := send(c, "POST", postURL, logged[0].Token, []byte(fmt.Sprintf(`{"text":"fan-out %d"}`, i)))
		if err != nil || st != 201 {
			t.Fatalf("post %d: %d %s %v", i, st, res, err)
		}
		var p struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(res, &p)
		mu.Lock()
		sent[p.ID] = t0
		mu.Unlock()
	}
	want := int64(posts * users)
	for deadline := time.Now().Add(30 * time.Second); received.Load() < want && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	got, end := received.Load(), last
	slices.Sort(lat)
	mu.Unlock()
	perSec := float64(got) / end.Sub(start).Seconds()
	t.Logf("%d members, %d posts: %d/%d notifications in %v: %.0f notifications/s (target ≥ 5000); post-to-arrival p50 %s p99 %s max %s; bus dropped %d",
		users, posts, got, want, end.Sub(start).Round(time.Millisecond), perSec,
		rctest.Ms(rctest.Pct(lat, 0.5)), rctest.Ms(rctest.Pct(lat, 0.99)), rctest.Ms(rctest.Pct(lat, 1)), a.Bus.Dropped())
	if got < want {
		t.Errorf("%d notifications lost", want-got)
	}
	verdict := "PASS"
	if perSec < 5000 || got < want {
		verdict = "FAIL"
	}
	t.Logf("%s: ≥ 5,000 notifications/s to the members, none lost", verdict)
	cancel()
	wg.Wait()
}
