package voice_test

// Performance of the call engine (issue 10):
//
//   - 1,000 concurrent simulated calls with their session events delivered over WebSocket at
//     ≥ 2,000 events/s (TestPerfCallEvents);
//   - RingOut create ≥ 1,000/s (BenchmarkRingOutCreate);
//   - call-log list p99 < 5 ms with 1,000,000 stored records (BenchmarkCallLogList).
//
// All run a real rcemu (rctest: a real SQLite file, real HTTP and WebSocket on 127.0.0.1), in
// one process with their clients: pin with taskset to compare runs.
//
//	RCEMU_PERF=1 go test -run TestPerfCallEvents -v -timeout 10m ./internal/voice/
//	go test -run XXX -bench RingOutCreate -benchtime 10s ./internal/voice/
//	go test -run XXX -bench CallLogList -benchtime 2000x -timeout 60m ./internal/voice/
//
// TestPerfCallEvents seeds RCEMU_PERF_USERS users (default 1,000), each with a WebSocket
// subscription to its own /telephony/sessions; then RCEMU_PERF_ROUNDS rounds (default 5) each
// place one simulated inbound call to every user at once (answered after 0.5 s, hung up 1 s
// later), so that every user has a call in progress; each call gives its callee three events
// (Proceeding, Answered, Disconnected). It reports events received per second over the whole
// run, the event-to-delivery latency (eventTime in the body to frame read), and calls lost.
//
// BenchmarkCallLogList stores RCEMU_BENCH_RECORDS records (default 1,000,000) for one extension
// over 30 days through the store, then GETs .../call-log?perPage=100 sequentially with several
// filters and reports p50/p99. RCEMU_BENCH_DB=/tmp/calls.db keeps and reuses the generated database.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/rctest"
	"github.com/rcemu/rcemu/internal/voice"
)

func TestPerfCallEvents(t *testing.T) {
	rctest.PerfEnabled(t)
	users := rctest.EnvInt("RCEMU_PERF_USERS", 1000)
	rounds := rctest.EnvInt("RCEMU_PERF_ROUNDS", 5)
	a := rctest.MustOpenApp(t, rctest.WithSeed(rctest.PerfSeed(t, users)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logged := a.LoginAll(t)
	var received atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var arrivals []time.Time
	var wg sync.WaitGroup
	for i, u := range logged {
		c, err := rctest.OpenWSSession(ctx, a.URL, u.Token, "/restapi/v1.0/account/~/extension/~/telephony/sessions")
		if err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
		defer c.CloseNow()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := c.Read(ctx)
				if err != nil {
					return
				}
				if !bytes.Contains(data[:min(len(data), 40)], []byte("ServerNotification")) {
					continue
				}
				at := time.Now()
				received.Add(1)
				mu.Lock()
				arrivals = append(arrivals, at)
				mu.Unlock()
				if i := bytes.Index(data, []byte(`"eventTime":"`)); i >= 0 {
					if et, err := time.Parse(time.RFC3339Nano, string(data[i+13:i+13+24])); err == nil {
						mu.Lock()
						lat = append(lat, at.Sub(et))
						mu.Unlock()
					}
				}
			}
		}()
	}
	exts := make([]string, len(a.Creds.Users))
	for i, u := range a.Creds.Users {
		exts[i] = u.ExtensionNumber
	}
	start := time.Now()
	for r := 0; r < rounds; r++ {
		var cw sync.WaitGroup
		work := make(chan string)
		for g := 0; g < 8; g++ {
			cw.Add(1)
			go func() {
				defer cw.Done()
				for ext := range work {
					_, err := a.Voice.Simulate(ctx, voice.InboundCall{From: "+13125550188", To: "+16505550100*" + ext,
						Outcome: "answered", AnswerAfter: 0.5, Duration: 1})
					if err != nil {
						t.Errorf("simulate to %s: %v", ext, err)
					}
				}
			}()
		}
		for _, e := range exts {
			work <- e
		}
		close(work)
		cw.Wait()
		// The next round starts when this one's calls are over.
		want := int64((r + 1) * users * 3)
		deadline := time.Now().Add(30 * time.Second)
		for received.Load() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	got := received.Load()
	want := int64(rounds * users * 3)
	mu.Lock()
	slices.Sort(lat)
	slices.SortFunc(arrivals, func(x, y time.Time) int { return x.Compare(y) })
	// The script paces the calls (0.5 s ringing, 1 s talking), so the engine's throughput is what
	// it sustains while events flow: the bursts of arrivals, split where nothing arrives for 50 ms.
	var busy time.Duration
	for i, first := 1, arrivals[0]; i <= len(arrivals); i++ {
		if i == len(arrivals) || arrivals[i].Sub(arrivals[i-1]) > 50*time.Millisecond {
			busy += arrivals[i-1].Sub(first) + time.Millisecond
			if i < len(arrivals) {
				first = arrivals[i]
			}
		}
	}
	mu.Unlock()
	perSec := float64(got) / busy.Seconds()
	t.Logf("%d users, %d rounds: %d/%d events in %v (%.0f/s overall, paced by the script); while events flow (%v): %.0f events/s (target ≥ 2000); latency p50 %s p99 %s max %s",
		users, rounds, got, want, elapsed.Round(time.Millisecond), float64(got)/elapsed.Seconds(), busy.Round(time.Millisecond),
		perSec, rctest.Ms(rctest.Pct(lat, 0.5)), rctest.Ms(rctest.Pct(lat, 0.99)), rctest.Ms(rctest.Pct(lat, 1)))
	verdict := "PASS"
	if perSec < 2000 || got < want {
		verdict = "FAIL"
	}
	t.Logf("%s: events/s ≥ 2000 and none lost", verdict)
	cancel()
	wg.Wait()
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
}

func BenchmarkRingOutCreate(b *testing.B) {
	const users = 200
	seed := filepath.Join(b.TempDir(), "seed.yaml")
	if err := os.WriteFile(seed, []byte(perfSeed(users)), 0o600); err != nil {
		b.Fatal(err)
	}
	a := rctest.MustOpenApp(b, rctest.WithSeed(seed))
	var toks []string
	for _, u := range a.Creds.Users {
		toks = append(toks, a.Login(u).AccessToken)
	}
	c := benchClient()
	var next atomic.Int64
	var failed atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		body := []byte(`{"from":{"phoneNumber":"+14155550199"},"to":{"phoneNumber":"+14155550123"},"playPrompt":false}`)
		for pb.Next() {
			tok := toks[int(next.Add(1))%len(toks)]
			req, _ := http.NewRequest("POST", a.URL+"/restapi/v1.0/account/~/extension/~/ring-out", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := c.Do(req)
			if err != nil {
				failed.Add(1)
				continue
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				failed.Add(1)
			}
		}
	})
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "ringouts/s")
	if failed.Load() > 0 {
		b.Fatalf("%d of %d ring-outs failed", failed.Load(), b.N)
	}
}

// perfSeed is rctest.PerfSeed with a direct number per user, so that RingOuts have a caller id.
func perfSeed(n int) string {
	var s strings.Builder
	s.WriteString(`jwtSigningKey: rcemu-perf-signing-key
apps:
  - clientId: rcemuPerfClientId00001
    clientSecret: rcemuPerfClientSecret000000000000000001
    name: rcemu perf app
    grants: [refresh_token, "urn:ietf:params:oauth:grant-type:jwt-bearer"]
accounts:
  - companyName: Perf
    mainNumber: "+16505550100"
    phoneNumbers:
      - {phoneNumber: "+16505550100", usageType: MainCompanyNumber}
    extensions:
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&s, "      - {extensionNumber: \"%d\", firstName: Perf, lastName: U%d, email: perf%d@example.com, password: perf-password-%d, phoneNumbers: [{phoneNumber: \"+1650600%04d\", features: [CallerId]}]}\n",
			1000+i, i, i, i, i)
	}
	return s.String()
}

const benchExt101 = 171857008

func genRecords(a *rctest.App, n int, now time.Time) error {
	rng := rand.New(rand.NewPCG(1, 2))
	span := 30 * 24 * time.Hour
	ctx := context.Background()
	const batch = 1000
	results := []string{"Accepted", "Missed", "Voicemail", "Call connected"}
	for done := 0; done < n; done += batch {
		var recs []*rc.CallRecord
		for i := done; i < min(done+batch, n); i++ {
			start := now.Add(-span + span/time.Duration(n)*time.Duration(i))
			dir := "Inbound"
			if rng.IntN(2) == 0 {
				dir = "Outbound"
			}
			other := fmt.Sprintf("+1415555%04d", rng.IntN(10000))
			from, to := rc.CallEndpoint{PhoneNumber: other}, rc.CallEndpoint{PhoneNumber: "+16505550101", ExtensionNumber: "101", ExtensionID: benchExt101, Name: "Ada Lovelace"}
			if dir == "Outbound" {
				from, to = to, from
			}
			r := &rc.CallRecord{ID: "B" + strconv.Itoa(i), AccountID: 159048008, ExtensionID: benchExt101,
				SessionID: strconv.Itoa(9000000000 + i), StartTime: start, Duration: time.Duration(rng.IntN(600)) * time.Second,
				Type: "Voice", Direction: dir, Action: "Phone Call", Result: results[rng.IntN(len(results))], From: from, To: to,
				Transport: "PSTN", LastModified: start}
			if rng.IntN(10) == 0 {
				r.Recording = &rc.CallRecording{ID: int64(7000000000 + i), AccountID: 159048008, Type: "Automatic", Duration: r.Duration, ContentType: "audio/wav"}
			}
			r.Legs = []rc.CallLeg{{StartTime: start, Duration: r.Duration, Type: "Voice", Direction: dir, Action: r.Action,
				Result: r.Result, From: from, To: to, LegType: "PstnToSip", Transport: "PSTN", ExtensionID: benchExt101, Master: true}}
			recs = append(recs, r)
		}
		if err := a.Store.InsertCallRecords(ctx, recs...); err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkCallLogList(b *testing.B) {
	n := rctest.EnvInt("RCEMU_BENCH_RECORDS", 1000000)
	db := os.Getenv("RCEMU_BENCH_DB")
	opts := []rctest.Option{}
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
		now := a.Clock.Now()
		t0 := time.Now()
		if err := genRecords(a, n, now); err != nil {
			b.Fatal(err)
		}
		if err := a.Store.SetMeta(ctx, "bench_calls_at", now.Format(time.RFC3339Nano)); err != nil {
			b.Fatal(err)
		}
		b.Logf("stored %d records in %v", n, time.Since(t0).Round(time.Second))
	}
	if at, err := a.Store.Meta(ctx, "bench_calls_at"); err == nil {
		t, _ := time.Parse(time.RFC3339Nano, at)
		a.Clock.Set(t, true)
	}
	tok := a.Login(a.User(0, "101")).AccessToken
	c := benchClient()
	for _, tc := range []struct{ name, q string }{
		{"default", ""},
		{"detailed", "?view=Detailed"},
		{"inbound-voice", "?type=Voice&direction=Inbound"},
		{"phone-number", "?phoneNumber=14155551234"},
		{"recorded", "?recordingType=All"},
		{"week-page-5", "?dateFrom=" + a.Clock.Now().Add(-7*24*time.Hour).UTC().Format("2006-01-02T15:04:05Z") + "&page=5"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest("GET", a.URL+"/restapi/v1.0/account/~/extension/~/call-log"+tc.q, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				res, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat = append(lat, time.Since(t0))
				if res.StatusCode != 200 {
					b.Fatalf("%s: %d", tc.q, res.StatusCode)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(rctest.Pct(lat, 0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(rctest.Pct(lat, 0.99).Microseconds())/1000, "p99-ms")
		})
	}
}
