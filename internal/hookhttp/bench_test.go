package hookhttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkFanout measures one burst of 1,000 POSTs of a 1 KB notification to one receiver (a
// net/http server in the process, as a test's would be), 1,000 goroutines as the notification
// service has: ns/op is the time from the first POST to the last answer — the floor under the
// event-to-delivery latency of a fan-out. Compare with net/http's client:
//
//	go test -run XXX -bench Fanout -benchtime 50x ./internal/hookhttp/
func BenchmarkFanout(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	body := []byte(`{"uuid":"1","event":"/restapi/v1.0/account/1/presence","body":"` + strings.Repeat("x", 1000) + `"}`)
	burst := func(b *testing.B, post func() error) {
		for i := 0; i < b.N; i++ {
			var wg sync.WaitGroup
			for j := 0; j < 1000; j++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := post(); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
		}
	}
	b.Run("hookhttp", func(b *testing.B) {
		c := New(10 * time.Second)
		defer c.CloseIdle()
		tg, _ := ParseTarget(srv.URL + "/hook")
		hs := []Header{{Name: "Content-Type", Value: "application/json"}}
		burst(b, func() error {
			_, err := c.Post(tg, hs, body)
			return err
		})
	})
	b.Run("net-http", func(b *testing.B) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}}
		defer c.CloseIdleConnections()
		burst(b, func() error {
			res, err := c.Post(srv.URL+"/hook", "application/json", strings.NewReader(string(body)))
			if err != nil {
				return err
			}
			io.Copy(io.Discard, res.Body)
			return res.Body.Close()
		})
	})
}
