package messaging_test

// Benchmarks for the messaging targets of issue 3:
//
//   - message-store list p99 < 5 ms with 1,000,000 stored messages;
//   - sustained POST .../sms between hosted numbers ≥ 2,000 per second (2 cores).
//
// Both run a real rcemu (rctest: a real SQLite file, real HTTP on 127.0.0.1).
//
// BenchmarkMessageStoreList generates RCEMU_BENCH_MESSAGES messages (default 1,000,000) through
// the store (store.Messages.InsertMessages, batches of 1,000, one transaction each) into ext 101's
// store, spread over the 30 days before now, in time order; then it sends sequential GETs of
// .../message-store?perPage=100 over one keep-alive connection, one sub-benchmark per filter, and
// reports p50/p99/max in ms. Run every filter with the same request count:
//
//	go test -run XXX -bench MessageStoreList -benchtime 2000x -timeout 60m ./internal/messaging/
//
// Each filter gets at most RCEMU_BENCH_CASE_SECONDS (default 60) seconds; a slower one is
// measured on the requests that fitted (the reqs metric). A filter whose first answer takes
// longer than RCEMU_BENCH_TIMEOUT_SECONDS (default 30) is reported as timed out. -bench 'MessageStoreList/^default$'
// runs one filter (the store is still generated first).
//
// Generation takes minutes. RCEMU_BENCH_DB=/tmp/msgs.db keeps the generated database and reuses
// it on later runs (the emulator clock is set back to the generation time, so the default 24-hour
// window holds the same messages), which also keeps generation out of a CPU profile:
//
//	RCEMU_BENCH_DB=/tmp/msgs.db go test -run XXX -bench 'MessageStoreList/default' -benchtime 2000x \
//	    -cpuprofile /tmp/list.cpu ./internal/messaging/
//	go tool pprof -top -cum /tmp/list.cpu
//
// BenchmarkSendSMS posts SMS from ext 101 (+16505550101) to +16505550102 from 16 goroutines
// (8×GOMAXPROCS on two CPUs), one keep-alive connection each, and reports req/s and p50/p99.
// Client and server share the process (and the CPUs); `go run ./bench/load -scenario sms` is the
// same load from a separate process.
//
//	go test -run XXX -bench SendSMS -benchtime 10s ./internal/messaging/

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/rctest"
)

const (
	benchAccount = 159048008
	benchExt101  = 171857008 // Ada Lovelace, +16505550101
	benchExt102  = 171858008 // Grace Hopper, +16505550102
	benchExt103  = 171859008 // Alan Turing, +16505550103
	benchNumber  = "+16505550101"

	listTargetP99 = 5 * time.Millisecond
	smsTarget     = 2000.0 // POST .../sms per second

	metaGeneratedAt = "bench_generated_at"
	metaGenerated   = "bench_generated_messages"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchContacts are the outside numbers ext 101 texts with; a few are frequent.
func benchContacts() []string {
	out := make([]string, 400)
	for i := range out {
		out[i] = fmt.Sprintf("+1415%07d", 5550000+i)
	}
	return out
}

var benchTexts = []string{
	"On my way.",
	"Can you call me back when you have a minute?",
	"Your verification code is 482913. It expires in 10 minutes.",
	"Thanks! See you tomorrow at the office, I'll bring the printed slides and the updated budget sheet.",
	"The delivery is scheduled for Tuesday between 9 am and 1 pm. Reply STOP to opt out of notifications.",
	"ok",
	"Meeting moved to 3pm, room B. Please confirm that the projector works before the clients arrive.",
	"Lunch?",
}

// genMessage makes the i-th message of ext 101's history, created at t. The mix: 85% SMS (with
// the text kept as a Text attachment, as SendText does), 8% Pager, 4% VoiceMail, 3% Fax; 55%
// inbound, 15% of inbound unread; 2% deleted, 1% purged; a Zipf-like choice of 400 contacts.
func genMessage(rng *rand.Rand, contacts []string, t time.Time) *rc.Message {
	m := &rc.Message{AccountID: benchAccount, ExtensionID: benchExt101, Availability: "Alive", Priority: "Normal",
		CreationTime: t, LastModifiedTime: t}
	inbound := rng.IntN(100) < 55
	m.Direction, m.ReadStatus = "Outbound", "Read"
	if inbound {
		m.Direction = "Inbound"
		if rng.IntN(100) < 15 {
			m.ReadStatus = "Unread"
		}
	}
	// Zipf-like: a few contacts get most of the traffic.
	contact := contacts[min(len(contacts)-1, int(float64(len(contacts))*rng.Float64()*rng.Float64()*rng.Float64()))]
	text := benchTexts[rng.IntN(len(benchTexts))]
	switch k := rng.IntN(100); {
	case k < 85:
		m.Type, m.Subject = "SMS", text
		if inbound {
			m.From, m.To, m.MessageStatus = rc.Party{PhoneNumber: contact}, []rc.Party{{PhoneNumber: benchNumber, Name: "Ada Lovelace"}}, "Received"
		} else {
			dt := t.Add(2 * time.Second)
			m.From = rc.Party{PhoneNumber: benchNumber, Name: "Ada Lovelace"}
			m.To = []rc.Party{{PhoneNumber: contact, MessageStatus: "Delivered"}}
			m.MessageStatus, m.SMSDeliveryTime, m.SMSAttempts, m.SegmentCount, m.External = "Delivered", &dt, 1, 1, true
		}
		m.ConversationID = rc.ConversationID(benchNumber, contact)
		m.Attachments = []rc.Attachment{{Type: "Text", ContentType: "text/plain", Size: len(text), Content: []byte(text)}}
	case k < 93:
		peer := rc.Party{ExtensionNumber: "102", ExtensionID: benchExt102, Name: "Grace Hopper"}
		if rng.IntN(2) == 0 {
			peer = rc.Party{ExtensionNumber: "103", ExtensionID: benchExt103, Name: "Alan Turing"}
		}
		me := rc.Party{ExtensionNumber: "101", ExtensionID: benchExt101, Name: "Ada Lovelace"}
		m.Type, m.Subject = "Pager", text
		if inbound {
			m.From, m.To, m.MessageStatus = peer, []rc.Party{me}, "Received"
		} else {
			m.From, m.To, m.MessageStatus = me, []rc.Party{peer, me}, "Sent"
		}
		m.ConversationID = rc.ConversationID(strconv.FormatInt(benchExt101, 10), strconv.FormatInt(peer.ExtensionID, 10))
		m.Attachments = []rc.Attachment{{Type: "Text", ContentType: "text/plain", Size: len(text), Content: []byte(text)}}
	case k < 97:
		m.Type, m.Direction, m.MessageStatus, m.VMTranscription = "VoiceMail", "Inbound", "Received", "NotAvailable"
		if m.ReadStatus == "Read" && rng.IntN(100) < 15 {
			m.ReadStatus = "Unread"
		}
		m.From, m.To = rc.Party{PhoneNumber: contact}, []rc.Party{{PhoneNumber: benchNumber, Name: "Ada Lovelace"}}
		d := 5 + rng.IntN(60)
		// Metadata only: no content rows, to keep the file small (they are never read here).
		m.Attachments = []rc.Attachment{{Type: "AudioRecording", ContentType: "audio/mpeg", FileName: "voicemail.mp3", Size: d * 4000, VMDuration: d}}
	default:
		m.Type, m.FaxResolution, m.FaxPageCount = "Fax", "High", 1+rng.IntN(5)
		if inbound {
			m.MessageStatus = "Received"
			m.From, m.To = rc.Party{PhoneNumber: contact}, []rc.Party{{PhoneNumber: "+16505550199"}}
		} else {
			m.MessageStatus = "Sent"
			m.From, m.To = rc.Party{PhoneNumber: "+16505550199"}, []rc.Party{{PhoneNumber: contact, MessageStatus: "Sent"}}
		}
		m.Attachments = []rc.Attachment{{Type: "RenderedDocument", ContentType: "application/pdf", FileName: "fax.pdf", Size: 20000 * m.FaxPageCount}}
	}
	switch k := rng.IntN(100); {
	case k < 2:
		m.Availability = "Deleted"
	case k < 3:
		m.Availability, m.Attachments = "Purged", nil
	}
	return m
}

// listEnv is the running emulator with a generated message store, shared by the list
// sub-benchmarks.
type listEnv struct {
	app     *rctest.App
	token   string
	conv    int64  // the conversation of the most frequent contact
	contact string // the most frequent contact
	total   int
}

func openListEnv(b *testing.B) *listEnv {
	ctx := context.Background()
	n := envInt("RCEMU_BENCH_MESSAGES", 1_000_000)
	path := os.Getenv("RCEMU_BENCH_DB")
	keep := path != ""
	if !keep {
		path = filepath.Join(b.TempDir(), "messages.db")
	}
	a := rctest.MustOpenApp(b, rctest.WithDB(path))
	contacts := benchContacts()
	env := &listEnv{app: a, contact: contacts[0], conv: rc.ConversationID(benchNumber, contacts[0]), total: n}

	if raw, err := a.Store.Meta(ctx, metaGenerated); err == nil && raw == strconv.Itoa(n) {
		at, err := a.Store.Meta(ctx, metaGeneratedAt)
		t, perr := time.Parse(time.RFC3339Nano, at)
		if err != nil || perr != nil {
			b.Fatalf("%s: bad %s meta: %v %v", path, metaGeneratedAt, err, perr)
		}
		// Back to the generation time, so that "the last 24 hours" are the same messages.
		a.App.Clock.Set(t, false)
		b.Logf("reusing %s: %d messages generated at %s (emulator clock set there)", path, n, at)
	} else {
		if keep {
			if err == nil {
				b.Fatalf("%s holds a store generated with %s messages; remove it or set RCEMU_BENCH_MESSAGES=%s", path, raw, raw)
			}
		}
		now := a.App.Clock.Now()
		start := now.Add(-30 * 24 * time.Hour)
		step := (30 * 24 * time.Hour) / time.Duration(n)
		rng := rand.New(rand.NewPCG(1, 2))
		const batch = 1000
		msgs := make([]*rc.Message, 0, batch)
		t0 := time.Now()
		for i := range n {
			// In time order, with jitter inside each step: ids grow with time, as they do live.
			at := start.Add(time.Duration(i)*step + time.Duration(rng.Int64N(int64(step)))).Truncate(time.Millisecond)
			msgs = append(msgs, genMessage(rng, contacts, at))
			if len(msgs) == batch || i == n-1 {
				if err := a.Store.InsertMessages(ctx, msgs...); err != nil {
					b.Fatalf("insert at %d: %v", i, err)
				}
				msgs = msgs[:0]
			}
			if (i+1)%100_000 == 0 {
				b.Logf("generated %d messages in %v", i+1, time.Since(t0).Round(time.Millisecond))
			}
		}
		took := time.Since(t0)
		b.Logf("generated %d messages through store.InsertMessages (batches of %d) in %v: %.0f messages/s",
			n, batch, took.Round(time.Millisecond), float64(n)/took.Seconds())
		if err := a.Store.SetMeta(ctx, metaGeneratedAt, now.UTC().Format(time.RFC3339Nano)); err != nil {
			b.Fatal(err)
		}
		if err := a.Store.SetMeta(ctx, metaGenerated, strconv.Itoa(n)); err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(path); err == nil {
			b.Logf("database file %s: %.0f MB (plus WAL)", path, float64(fi.Size())/1e6)
		}
	}
	env.token = a.Login(a.User(0, "101")).AccessToken
	if keep {
		at, _ := a.Store.Meta(ctx, metaGeneratedAt)
		fmt.Printf("the same store from a separate process: go run ./bench/load -scenario list -db %s -clock %s\n", path, at)
	}
	return env
}

type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(l))
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(len(s)-1, i))]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func benchClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64,
		DisableCompression: true, IdleConnTimeout: 30 * time.Second}}
}

// get sends one GET and checks the answer is a 200 with records; it returns the record count and
// the total. A transport error (the client's timeout) is returned, anything else fails the
// benchmark.
func (e *listEnv) get(b *testing.B, c *http.Client, path string) (int, int, error) {
	req, err := http.NewRequest(http.MethodGet, e.app.URL+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return 0, 0, err
	}
	if res.StatusCode != 200 {
		b.Fatalf("GET %s: %d %.300s", path, res.StatusCode, body)
	}
	var page struct {
		Records []json.RawMessage `json:"records"`
		Paging  struct {
			TotalElements int `json:"totalElements"`
		} `json:"paging"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		b.Fatalf("GET %s: %v", path, err)
	}
	return len(page.Records), page.Paging.TotalElements, nil
}

// BenchmarkMessageStoreList measures GET .../message-store with 1,000,000 stored messages: see
// the file comment. Metrics: p50-ms, p99-ms, max-ms (sequential requests, one connection).
func BenchmarkMessageStoreList(b *testing.B) {
	env := openListEnv(b)
	const store = "/restapi/v1.0/account/~/extension/~/message-store"
	monthAgo := url.QueryEscape(env.app.App.Clock.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339))
	cases := []struct{ name, query string }{
		// The target: the default filters (availability=Alive, dateFrom = 24 h ago), one page of 100.
		{"default", "?perPage=100"},
		{"messageType=SMS", "?messageType=SMS&perPage=100"},
		{"readStatus=Unread", "?readStatus=Unread&perPage=100"},
		{"phoneNumber", "?phoneNumber=" + url.QueryEscape(env.contact) + "&perPage=100"},
		{"conversationId", "?conversationId=" + strconv.FormatInt(env.conv, 10) + "&perPage=100"},
		{"inbox=Inbound+SMS+Unread", "?direction=Inbound&messageType=SMS&readStatus=Unread&perPage=100"},
		// Beyond the default window: the whole month (every stored message matches the date filter).
		{"dateFrom=30d", "?dateFrom=" + monthAgo + "&perPage=100"},
		{"dateFrom=30d+conversationId", "?dateFrom=" + monthAgo + "&conversationId=" + strconv.FormatInt(env.conv, 10) + "&perPage=100"},
		{"distinctConversations", "?distinctConversations=true&perPage=100"},
	}
	// Each filter gets at most this much time; a filter slower than about budget/b.N per request
	// is measured on fewer requests (the reqs metric says how many).
	budget := time.Duration(envInt("RCEMU_BENCH_CASE_SECONDS", 60)) * time.Second
	// A request slower than this is not waited for: the filter is reported as timed out.
	timeout := time.Duration(envInt("RCEMU_BENCH_TIMEOUT_SECONDS", 30)) * time.Second
	type row struct {
		name              string
		n, records, total int
		p50, p99, max     time.Duration
		timedOut          bool
	}
	var rows []row
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cl := benchClient(timeout)
			defer cl.CloseIdleConnections()
			r := row{name: c.name}
			defer func() {
				if len(rows) > 0 && rows[len(rows)-1].name == c.name {
					rows[len(rows)-1] = r // the framework reruns a sub-benchmark with a larger b.N
				} else {
					rows = append(rows, r)
				}
			}()
			// The first request warms the connection and the caches, and gives the totals.
			var err error
			if r.records, r.total, err = env.get(b, cl, store+c.query); err != nil {
				r.timedOut = true
				b.Skipf("GET %s: %v: no answer within %v, not measured", c.query, err, timeout)
			}
			lat := make(latencies, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				t0 := time.Now()
				if _, _, err := env.get(b, cl, store+c.query); err != nil {
					b.Fatalf("GET %s: %v", c.query, err)
				}
				lat = append(lat, time.Since(t0))
				if time.Since(start) > budget {
					break // a slow filter: report on the requests that fitted in the budget
				}
			}
			b.StopTimer()
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			b.ReportMetric(float64(sum)/float64(len(lat)), "ns/op") // per request sent, also when cut short
			b.ReportMetric(float64(len(lat)), "reqs")
			r.n, r.p50, r.p99, r.max = len(lat), lat.quantile(0.50), lat.quantile(0.99), lat.quantile(1)
			b.ReportMetric(ms(r.p50), "p50-ms")
			b.ReportMetric(ms(r.p99), "p99-ms")
			b.ReportMetric(ms(r.max), "max-ms")
			b.ReportMetric(float64(r.total), "matching")
		})
	}
	var out strings.Builder
	fmt.Fprintf(&out, "message-store list, %d messages in ext 101's store, perPage=100, sequential, one connection:\n", env.total)
	fmt.Fprintf(&out, "%-30s %6s %8s %9s %9s %9s %9s\n", "filter", "reqs", "matching", "p50 ms", "p99 ms", "max ms", "< 5 ms")
	for _, r := range rows {
		if r.timedOut {
			fmt.Fprintf(&out, "%-30s %6s %8s %9s %9s %9s %9s\n", r.name, "-", "?", fmt.Sprintf("> %.0f s", timeout.Seconds()), "-", "-", "FAIL")
			continue
		}
		fmt.Fprintf(&out, "%-30s %6d %8d %9.2f %9.2f %9.2f %9s\n", r.name, r.n, r.total, ms(r.p50), ms(r.p99), ms(r.max),
			map[bool]string{true: "PASS", false: "FAIL"}[r.p99 < listTargetP99])
	}
	fmt.Print(out.String()) // b.Log of a parent benchmark is not shown without -v
}

// BenchmarkSendSMS measures sustained POST .../sms from ext 101 to +16505550102 (a hosted number:
// an outbound and an inbound copy per request) from 16 goroutines with a keep-alive connection
// each. Metrics: req/s, p50-ms, p99-ms.
func BenchmarkSendSMS(b *testing.B) {
	a := rctest.MustOpenApp(b)
	tok := a.Login(a.User(0, "101")).AccessToken
	target := a.URL + "/restapi/v1.0/account/~/extension/~/sms"
	body := []byte(`{"from":{"phoneNumber":"+16505550101"},"to":[{"phoneNumber":"+16505550102"}],"text":"Load test: hello from Ada"}`)
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 64, DisableCompression: true,
		IdleConnTimeout: 30 * time.Second, ResponseHeaderTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	post := func() error {
		req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := tr.RoundTrip(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		return err
	}
	if err := post(); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var all latencies
	b.ReportAllocs()
	b.SetParallelism(8) // 16 goroutines on two CPUs
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var lat latencies
		for pb.Next() {
			s := time.Now()
			if err := post(); err != nil {
				b.Errorf("POST sms: %v", err)
				return
			}
			lat = append(lat, time.Since(s))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	el := time.Since(t0)
	b.StopTimer()
	rate := float64(len(all)) / el.Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(ms(all.quantile(0.50)), "p50-ms")
	b.ReportMetric(ms(all.quantile(0.99)), "p99-ms")
	if len(all) > 1000 {
		b.Logf("%d SMS in %v: %.0f req/s (target ≥ %.0f: %s), p50 %.2f ms, p99 %.2f ms", len(all), el.Round(time.Millisecond), rate,
			smsTarget, map[bool]string{true: "PASS", false: "FAIL"}[rate >= smsTarget], ms(all.quantile(0.5)), ms(all.quantile(0.99)))
	}
}
