package app_test

// Benchmarks of rcemu's hot paths over real loopback HTTP (rctest runs the app on 127.0.0.1 with
// a real SQLite file). Client and server share the process, so ns/op and allocs/op count both
// sides; BenchmarkGetExtensionHandler calls the handler directly to isolate the server's share.
//
//	go test -run XXX -bench . -benchtime 2s ./internal/app/
//	go test -run XXX -bench GetExtension -benchtime 3s -cpuprofile /tmp/cpu.out ./internal/app/
//	go tool pprof -top /tmp/cpu.out

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/rctest"
)

// benchTransport is a keep-alive client transport with room for every parallel goroutine.
func benchTransport(b *testing.B) *http.Transport {
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second,
		DisableCompression: true, ResponseHeaderTimeout: 10 * time.Second}
	b.Cleanup(tr.CloseIdleConnections) // runs before the app closes (cleanups are LIFO)
	return tr
}

// benchGet loads an authenticated GET of path on a from 8×GOMAXPROCS goroutines (16 on two
// CPUs, as the load tool's default -c 16), one keep-alive connection each, reusing one request
// per goroutine; every answer must be a 200.
func benchGet(b *testing.B, a *rctest.App, path string) {
	tok := a.Login(a.User(0, "101")).AccessToken
	tr := benchTransport(b)
	target := a.URL + path

	get := func(req *http.Request) (int64, error) {
		res, err := tr.RoundTrip(req)
		if err != nil {
			return 0, err
		}
		n, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		return n, err
	}
	probe := benchNewGet(b, target, tok)
	size, err := get(probe)
	if err != nil {
		b.Fatalf("GET %s: %v", path, err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := benchNewGet(b, target, tok)
		for pb.Next() {
			if _, err := get(req); err != nil {
				b.Errorf("GET %s: %v", path, err)
				return
			}
		}
	})
}

func benchNewGet(b *testing.B, target, tok string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return req
}

// BenchmarkGetExtension is the `make bench` operation: GET /restapi/v1.0/account/~/extension/~.
func BenchmarkGetExtension(b *testing.B) {
	benchGet(b, rctest.MustOpenApp(b), "/restapi/v1.0/account/~/extension/~")
}

// BenchmarkListExtensions lists the account's extensions, one page of up to 100.
func BenchmarkListExtensions(b *testing.B) {
	benchGet(b, rctest.MustOpenApp(b), "/restapi/v1.0/account/~/extension?perPage=100")
}

// BenchmarkGetExtensionHandler is BenchmarkGetExtension without the network: the app's
// http.Handler is called directly, so time and allocations are the server's alone.
func BenchmarkGetExtensionHandler(b *testing.B) {
	benchHandler(b, rctest.MustOpenApp(b), "/restapi/v1.0/account/~/extension/~")
}

// benchHandler is benchGet without the network: authenticated GETs straight into a's handler.
func benchHandler(b *testing.B, a *rctest.App, path string) {
	tok := a.Login(a.User(0, "101")).AccessToken
	h := a.Handler()
	target := a.URL + path
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}

// BenchmarkTokenJWT is the token endpoint with the JWT grant, as SDKs log in. Every call opens
// a session (a write), so it runs from one goroutine.
func BenchmarkTokenJWT(b *testing.B) {
	a := rctest.MustOpenApp(b)
	u := a.User(0, "101")
	tr := benchTransport(b)
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {u.JWT}}.Encode()
	target := a.URL + "/restapi/oauth/token"
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(a.Creds.ClientID, a.Creds.ClientSecret)
		res, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || !strings.Contains(string(body), `"access_token"`) {
			b.Fatalf("token: %d %v %.200s", res.StatusCode, err, body)
		}
	}
}
