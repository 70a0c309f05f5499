// Package hookhttp POSTs WebHook notifications over plain HTTP/1.1 with as little work per
// request as the protocol allows: the request goes out in one write from the calling goroutine,
// which then reads the answer itself, on a pool of kept-alive connections per receiver.
//
// net/http's Transport spends two goroutines per connection and several channel hand-offs per
// request; in a fan-out of one event to a thousand subscriptions that was most of the cost of a
// delivery. Everything net/http offers beyond a POST with a byte body and a discarded answer —
// TLS, proxies, HTTP/2, redirects — is left to it: callers use net/http for https:// addresses.
package hookhttp

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Response is what a delivery needs to know of the receiver's answer.
type Response struct {
	Status      int
	HeaderBytes int   // the header lines as sent, each with its CRLF
	BodyBytes   int64 // read and discarded, up to MaxBody
}

// Header is one request header line.
type Header struct{ Name, Value string }

// Client keeps idle connections per host:port and sends POSTs on them. The zero value is not
// usable: make one with New.
type Client struct {
	// Timeout bounds a whole exchange: connecting, writing and reading the answer.
	Timeout time.Duration
	// MaxConnsPerHost bounds the requests in flight to one receiver. A fan-out to many
	// subscriptions of one receiver then takes turns on a few dozen kept-alive connections
	// instead of opening one per subscription: on loopback that costs both sides less CPU and
	// brings the last delivery of a burst sooner.
	MaxConnsPerHost int
	// MaxIdlePerHost is how many idle connections are kept per receiver.
	MaxIdlePerHost int
	// IdleTimeout drops connections that were idle longer (the receiver has likely closed them).
	IdleTimeout time.Duration
	// MaxBody is how much of an answer's body is read; a longer one costs the connection.
	MaxBody int64

	// SlotWait bounds the wait for one of a receiver's MaxConnsPerHost connections.
	SlotWait time.Duration

	mu        sync.Mutex
	idle      map[string][]*conn
	slots     map[string]chan struct{} // per host:port, MaxConnsPerHost long
	swept     time.Time
	closed    chan struct{}
	closeOnce sync.Once
}

type conn struct {
	net.Conn
	r        *bufio.Reader
	lastUsed time.Time
	deadline time.Time // as last set
}

// New makes a Client with the timeouts given and sensible limits.
func New(timeout time.Duration) *Client {
	return &Client{Timeout: timeout, MaxConnsPerHost: 64, MaxIdlePerHost: 64, IdleTimeout: 90 * time.Second, MaxBody: 1 << 20,
		SlotWait: 30 * time.Second, idle: map[string][]*conn{}, slots: map[string]chan struct{}{}, closed: make(chan struct{})}
}

// ErrScheme is returned for an address that is not http://.
var ErrScheme = errors.New("hookhttp: only http:// addresses")

// Target is a parsed receiver address; parse it once and POST to it many times.
type Target struct {
	hostPort string // what to dial
	head     []byte // "POST /path HTTP/1.1\r\nHost: ...\r\n" and the Authorization of a userinfo
}

// ParseTarget parses an http:// address.
func ParseTarget(address string) (*Target, error) {
	u, err := url.Parse(address)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, ErrScheme
	}
	hostPort := u.Host
	if u.Port() == "" {
		hostPort = net.JoinHostPort(u.Hostname(), "80")
	}
	head := []byte("POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n")
	if u.User != nil {
		pw, _ := u.User.Password()
		head = append(head, "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw))+"\r\n"...)
	}
	return &Target{hostPort: hostPort, head: head}, nil
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Post sends body with the given headers and reads the answer. The timeout runs from when a
// connection to the receiver is free (waiting for one is rcemu's doing, not the receiver's).
// A request is sent at most once: only a kept-alive connection that fails before the request is
// written is replaced, as net/http does for a POST.
func (c *Client) Post(t *Target, headers []Header, body []byte) (Response, error) {
	for _, h := range headers {
		if !validHeader(h) {
			return Response{}, ErrHeader
		}
	}
	slots, err := c.acquire(t.hostPort)
	if err != nil {
		return Response{}, err
	}
	defer func() { <-slots }()

	bp := bufs.Get().(*[]byte)
	req := append((*bp)[:0], t.head...)
	for _, h := range headers {
		req = append(req, h.Name...)
		req = append(req, ": "...)
		req = append(req, h.Value...)
		req = append(req, "\r\n"...)
	}
	req = append(req, "Content-Length: "...)
	req = strconv.AppendInt(req, int64(len(body)), 10)
	req = append(req, "\r\n\r\n"...)
	req = append(req, body...)
	defer func() {
		*bp = req[:0]
		bufs.Put(bp)
	}()

	deadline := time.Now().Add(c.Timeout)
	fresh := false
	for {
		cn, reused, err := c.get(t.hostPort, deadline, fresh)
		if err != nil {
			return Response{}, err
		}
		res, written, keep, err := exchange(cn, req, deadline, c.MaxBody)
		if err == nil {
			if keep {
				c.put(t.hostPort, cn)
			} else {
				cn.Close()
			}
			return res, nil
		}
		cn.Close()
		if reused && !written && time.Now().Before(deadline) {
			fresh = true // the receiver closed it meanwhile; so it may have closed the others
			continue
		}
		return res, err
	}
}

// ErrBusy is returned when no connection to the receiver came free within SlotWait.
var ErrBusy = errors.New("hookhttp: timed out waiting for a connection to the receiver")

// ErrClosed is returned by a Post that had not started when Close was called.
var ErrClosed = errors.New("hookhttp: client closed")

func (c *Client) acquire(hostPort string) (chan struct{}, error) {
	c.mu.Lock()
	slots := c.slots[hostPort]
	if slots == nil {
		slots = make(chan struct{}, max(1, c.MaxConnsPerHost))
		c.slots[hostPort] = slots
	}
	c.mu.Unlock()
	select {
	case <-c.closed:
		return nil, ErrClosed
	case slots <- struct{}{}:
		return slots, nil
	default:
	}
	t := time.NewTimer(c.SlotWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return slots, nil
	case <-t.C:
		return nil, ErrBusy
	case <-c.closed:
		return nil, ErrClosed
	}
}

// get returns a kept-alive connection to hostPort that is still open, or a new one (always a
// new one if fresh).
func (c *Client) get(hostPort string, deadline time.Time, fresh bool) (*conn, bool, error) {
	for !fresh {
		now := time.Now()
		c.mu.Lock()
		list := c.idle[hostPort]
		if len(list) == 0 {
			c.mu.Unlock()
			break
		}
		cn := list[len(list)-1]
		list[len(list)-1] = nil
		c.idle[hostPort] = list[:len(list)-1]
		c.mu.Unlock()
		if now.Sub(cn.lastUsed) <= c.IdleTimeout && open(cn) {
			return cn, true, nil
		}
		cn.Close()
	}
	nc, err := net.DialTimeout("tcp", hostPort, time.Until(deadline))
	if err != nil {
		return nil, false, err
	}
	return &conn{Conn: nc, r: bufio.NewReaderSize(nc, 4096)}, false, nil
}

// open reports whether an idle connection can carry a request: the receiver has not closed it
// and sent nothing unasked.
func open(cn *conn) bool {
	return cn.r.Buffered() == 0 && peerOpen(cn.Conn)
}

func (c *Client) put(hostPort string, cn *conn) {
	now := time.Now()
	cn.lastUsed = now
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		cn.Close()
		return
	default:
	}
	var stale []*conn
	if now.Sub(c.swept) >= sweepEvery {
		c.swept = now
		stale = c.sweep(now)
	}
	if len(c.idle[hostPort]) < c.MaxIdlePerHost {
		c.idle[hostPort] = append(c.idle[hostPort], cn)
	} else {
		stale = append(stale, cn)
	}
	c.mu.Unlock()
	for _, cn := range stale {
		cn.Close()
	}
}

const sweepEvery = time.Second

// sweep takes out the idle connections that expired or that their receiver closed, so that
// receivers that come and go (a test suite's) leave no sockets behind. With c.mu held.
func (c *Client) sweep(now time.Time) (stale []*conn) {
	for hp, list := range c.idle {
		kept := list[:0]
		for _, cn := range list {
			if now.Sub(cn.lastUsed) > c.IdleTimeout || !open(cn) {
				stale = append(stale, cn)
			} else {
				kept = append(kept, cn)
			}
		}
		clear(list[len(kept):])
		if len(kept) == 0 {
			delete(c.idle, hp)
		} else {
			c.idle[hp] = kept
		}
	}
	return stale
}

// CloseIdle closes the idle connections; the Client stays usable.
func (c *Client) CloseIdle() {
	c.mu.Lock()
	idle := c.idle
	c.idle = map[string][]*conn{}
	c.mu.Unlock()
	for _, list := range idle {
		for _, cn := range list {
			cn.Close()
		}
	}
}

// Close makes Posts that wait for a connection, and later ones, fail with ErrClosed, and closes
// the idle connections; exchanges under way finish and close theirs.
func (c *Client) Close() {
	c.closeOnce.Do(func() { close(c.closed) })
	c.CloseIdle()
}

// exchange writes one request and reads its answer. written reports whether the request went
// out whole (after which it must not be sent again); keep whether the connection can carry
// another request.
func exchange(cn *conn, req []byte, deadline time.Time, maxBody int64) (res Response, written, keep bool, err error) {
	// Setting a deadline costs a timer update in the runtime; back-to-back requests on one
	// connection share one set up to deadlineSlack earlier than theirs.
	if deadline.Sub(cn.deadline) > deadlineSlack {
		if err = cn.SetDeadline(deadline); err != nil {
			return res, false, false, err
		}
		cn.deadline = deadline
	}
	if _, err = cn.Write(req); err != nil {
		return res, false, false, err
	}
	res, keep, err = ReadResponse(cn.r, maxBody)
	return res, true, keep, err
}

const deadlineSlack = 50 * time.Millisecond

// ErrHeader is a request header that would not be one line.
var ErrHeader = errors.New("hookhttp: invalid request header")

func validHeader(h Header) bool {
	if h.Name == "" {
		return false
	}
	for i := 0; i < len(h.Name); i++ {
		if c := h.Name[i]; c <= ' ' || c == ':' || c >= 0x7f {
			return false
		}
	}
	for i := 0; i < len(h.Value); i++ {
		if c := h.Value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// ErrMalformed is an answer that is not HTTP/1.x.
var ErrMalformed = errors.New("hookhttp: malformed HTTP response")

const maxHeaderBytes = 64 << 10

// ReadResponse reads one answer to a POST from r, discarding its body past maxBody bytes, and
// reports whether the connection may be reused. Informational (1xx) answers before the final
// one are skipped.
func ReadResponse(r *bufio.Reader, maxBody int64) (res Response, keep bool, err error) {
	for {
		res, keep, err = readOne(r, maxBody)
		if err != nil || res.Status >= 200 || res.Status == 101 {
			return res, keep && res.Status != 101, err
		}
	}
}

func readOne(r *bufio.Reader, maxBody int64) (res Response, keep bool, err error) {
	line, n, err := readLine(r, maxHeaderBytes)
	if err != nil {
		return res, false, err
	}
	headerLeft := maxHeaderBytes - n
	// HTTP/1.x SSS reason
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return res, false, ErrMalformed
	}
	minor := line[7]
	if minor != '0' && minor != '1' {
		return res, false, ErrMalformed
	}
	if len(line) > 12 && line[12] != ' ' {
		return res, false, ErrMalformed
	}
	for _, ch := range line[9:12] {
		if ch < '0' || ch > '9' {
			return res, false, ErrMalformed
		}
		res.Status = res.Status*10 + int(ch-'0')
	}
	if res.Status < 100 {
		return res, false, ErrMalformed
	}
	keep = minor == '1'
	contentLength := int64(-1)
	chunked := false
	for {
		line, n, err := readLine(r, headerLeft)
		if err != nil {
			return res, false, err
		}
		headerLeft -= n
		if len(line) == 0 {
			break
		}
		res.HeaderBytes += n
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || name[len(name)-1] == ' ' || name[len(name)-1] == '\t' {
			return res, false, ErrMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case equalFold(name, "Content-Length"):
			v, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || v < 0 || (contentLength >= 0 && v != contentLength) {
				return res, false, ErrMalformed
			}
			contentLength = v
		case equalFold(name, "Transfer-Encoding"):
			if !equalFold(value, "chunked") {
				return res, false, ErrMalformed // nothing else is used in answers
			}
			chunked = true
		case equalFold(name, "Connection"):
			for _, tok := range bytes.Split(value, []byte(",")) {
				tok = bytes.TrimSpace(tok)
				if equalFold(tok, "close") {
					keep = false
				} else if equalFold(tok, "keep-alive") && minor == '0' {
					keep = true
				}
			}
		}
	}
	switch {
	case res.Status < 200 || res.Status == 204 || res.Status == 304:
		return res, keep, nil
	case chunked:
		var whole bool
		res.BodyBytes, whole, err = discardChunked(r, maxBody)
		if err != nil {
			return res, false, err
		}
		return res, keep && whole, nil
	case contentLength >= 0:
		if contentLength > maxBody {
			res.BodyBytes, err = io.Copy(io.Discard, io.LimitReader(r, maxBody))
			return res, false, err
		}
		res.BodyBytes, err = io.CopyN(io.Discard, r, contentLength)
		if err != nil {
			return res, false, unexpected(err)
		}
		return res, keep, nil
	default:
		// The body runs to the end of the connection.
		res.BodyBytes, err = io.Copy(io.Discard, io.LimitReader(r, maxBody))
		return res, false, err
	}
}

// readLine reads a CRLF- (or LF-) terminated line of at most limit bytes and returns it without
// the terminator, and how many bytes it took. A line longer than the buffer is gathered in a
// copy (answers with a large cookie are rare, not wrong).
func readLine(r *bufio.Reader, limit int) ([]byte, int, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) <= limit {
			line, err = r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if len(line) > limit {
		return nil, 0, ErrMalformed
	}
	if err != nil {
		return nil, 0, unexpected(err)
	}
	n := len(line)
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, n, nil
}

// discardChunked reads a chunked body up to maxBody bytes; whole reports that it was all read
// (a longer one is abandoned with its connection).
func discardChunked(r *bufio.Reader, maxBody int64) (total int64, whole bool, err error) {
	for {
		line, _, err := readLine(r, 4096)
		if err != nil {
			return total, false, err
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return total, false, ErrMalformed
		}
		if n == 0 {
			for { // trailers, then the empty line
				line, _, err := readLine(r, 4096)
				if err != nil {
					return total, false, err
				}
				if len(line) == 0 {
					return total, true, nil
				}
			}
		}
		if total+n > maxBody {
			m, err := io.CopyN(io.Discard, r, maxBody-total)
			return total + m, false, unexpected(err)
		}
		if _, err := io.CopyN(io.Discard, r, n); err != nil {
			return total, false, unexpected(err)
		}
		total += n
		line, _, err = readLine(r, 2)
		if err != nil || len(line) != 0 {
			return total, false, ErrMalformed
		}
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
