package addressbook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rc"
	"github.com/rcemu/rcemu/internal/rctest"
)

// BenchmarkContactList lists one address book of RCEMU_BENCH_CONTACTS (100,000) contacts over
// HTTP, as a client pages through it, and reports the latency percentiles of one request.
func BenchmarkContactList(b *testing.B) {
	n := rctest.EnvInt("RCEMU_BENCH_CONTACTS", 100000)
	a := rctest.MustOpenApp(b)
	u := a.User(0, "102")
	var ext, acc int64
	fmt.Sscan(u.ExtensionID, &ext)
	fmt.Sscan(u.AccountID, &acc)
	ctx := context.Background()
	t0 := time.Now()
	first := []string{"Ada", "Alan", "Barbara", "Charles", "Donald", "Edsger", "Frances", "Grace", "John", "Ken"}
	last := []string{"Adams", "Brown", "Clark", "Davis", "Evans", "Fisher", "Green", "Hughes", "Irving", "Jones"}
	for done := 0; done < n; {
		batch := make([]*rc.PersonalContact, 0, 5000)
		for ; done < n && len(batch) < cap(batch); done++ {
			batch = append(batch, &rc.PersonalContact{AccountID: acc, ExtensionID: ext, Availability: "Alive",
				ContactAttributes: rc.ContactAttributes{FirstName: first[done%10] + fmt.Sprint(done/10), LastName: last[(done/10)%10],
					Company: fmt.Sprintf("Company %d", done%97), MobilePhone: fmt.Sprintf("+1415%07d", done)}})
		}
		if err := a.Store.InsertContacts(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d contacts in %v", n, time.Since(t0).Round(time.Millisecond))
	tok := a.Login(u).AccessToken
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 30 * time.Second}
	for _, tc := range []struct{ name, q string }{
		{"first-page", ""},
		{"page-500", "?page=500"},
		{"sort-last-name", "?sortBy=LastName&perPage=50"},
		{"starts-with", "?startsWith=Grace12"},
		{"starts-with-wide", "?startsWith=g"},
		{"phone-number", "?phoneNumber=%2B14150054321"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest("GET", a.URL+"/restapi/v1.0/account/~/extension/~/address-book/contact"+tc.q, nil)
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
