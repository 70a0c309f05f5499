// Package stdpost POSTs WebHook requests with net/http, for what hookhttp's own client leaves to
// it: https:// receivers (TLS, proxies, HTTP/2) and validation handshakes, whose answer's
// headers matter. The notification service takes it as a dependency, so that it does not
// import net/http itself.
package stdpost

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/rcemu/rcemu/internal/hookhttp"
)

// Client posts with net/http.
type Client struct {
	c *http.Client
}

// New makes a Client whose exchanges last at most timeout. Redirects are not followed: the
// platform takes a receiver's 3xx as its answer.
func New(timeout time.Duration) *Client {
	return &Client{c: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		// A fan-out to an https:// receiver sends from many subscriptions at once: keep those
		// connections alive rather than opening new ones for every burst.
		Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 4096, IdleConnTimeout: 90 * time.Second}}}
}

// Post sends body to address with headers and reads up to maxBody of the answer. echo, when
// not "", names an answer header whose value is returned too.
func (s *Client) Post(ctx context.Context, address string, headers []hookhttp.Header, body []byte, maxBody int64, echo string) (hookhttp.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", address, bytes.NewReader(body))
	if err != nil {
		return hookhttp.Response{}, "", err
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for _, h := range headers {
		req.Header.Set(h.Name, h.Value)
	}
	res, err := s.c.Do(req)
	if err != nil {
		return hookhttp.Response{}, "", err
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(res.Body, maxBody))
	res.Body.Close()
	got := ""
	if echo != "" {
		got = res.Header.Get(echo)
	}
	return hookhttp.Response{Status: res.StatusCode, HeaderBytes: headerSize(res.Header), BodyBytes: n}, got, nil
}

func headerSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
