// Package specfetch downloads RingCentral's OpenAPI spec from the npm package that ships it
// (plain HTTPS, no npm needed), checks it against the SHA-256 recorded here, and keeps it in a
// directory, so that a fresh clone serves the whole API on its first start.
package specfetch

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// The package and file fetched. A new version needs a new SHA256, taken from a copy checked by
// hand: the hash is what makes a mirror's copy trustworthy.
const (
	Package  = "ringcentral-open-api-parser"
	Version  = "0.15.9"
	FileName = "rc-public-openapi.yml"
	SHA256   = "a54c9431bab2d8526da1bfb2ee0d4e92a7eae5b167d44dc9281cb6347309b30e"

	DefaultRegistry = "https://registry.npmjs.org/"
	DefaultTimeout  = 60 * time.Second
	// MaxTarball bounds what is read into memory; the real tarball is about 0.4 MB.
	MaxTarball = 64 << 20
)

// Registry is the npm registry to fetch from: RCEMU_NPM_REGISTRY, else npm's own
// npm_config_registry (so a machine set up for a mirror uses it), else npm's public registry.
func Registry(getenv func(string) string) string {
	// npm reads its environment case-insensitively; both spellings are common.
	for _, k := range []string{"RCEMU_NPM_REGISTRY", "npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
	}
	return DefaultRegistry
}

// Fetcher fetches the spec into Dir. The zero value but for Dir is ready to use.
type Fetcher struct {
	Dir      string        // the spec is kept as Dir/rc-public-openapi.yml
	Registry string        // registry base URL; "" is DefaultRegistry
	Out      io.Writer     // what it is doing, and progress on slow fetches; nil for silence
	Timeout  time.Duration // the whole fetch; 0 is DefaultTimeout
	Client   *http.Client  // nil: one with connect and header timeouts and the environment's proxy

	// Tests substitute a synthetic spec's hash and a smaller bound.
	sha256     string
	maxTarball int64
}

// Path is where the spec is (or will be) kept.
func (f *Fetcher) Path() string { return filepath.Join(f.Dir, FileName) }

// Cached returns the kept copy's path when there is one with the recorded hash. A copy with
// another hash (left by an rcemu that pinned another version) does not count.
func (f *Fetcher) Cached() (string, bool) {
	data, err := os.ReadFile(f.Path())
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(data)
	return f.Path(), hex.EncodeToString(sum[:]) == f.want()
}

// Ensure returns the kept copy, fetching it first when there is none.
func (f *Fetcher) Ensure(ctx context.Context) (string, error) {
	if p, ok := f.Cached(); ok {
		return p, nil
	}
	return f.Fetch(ctx)
}

// Fetch downloads the package's tarball, takes the spec out of it, checks its hash and writes it
// to Path atomically (a concurrent start reads the old copy or the new one, never half of one).
// Nothing is written when any step fails; the error says which and where.
func (f *Fetcher) Fetch(ctx context.Context) (string, error) {
	reg, err := url.Parse(strings.TrimRight(cmp.Or(f.Registry, DefaultRegistry), "/"))
	if err != nil || (reg.Scheme != "http" && reg.Scheme != "https") || reg.Host == "" {
		return "", fmt.Errorf("npm registry %q is not an http(s) URL", f.Registry)
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := f.Client
	if client == nil {
		client = newClient()
		defer client.CloseIdleConnections()
	}
	out := f.Out
	if out == nil {
		out = io.Discard
	}
	fmt.Fprintf(out, "fetching the RingCentral OpenAPI spec (%s@%s) from %s…\n", Package, Version, reg.Redacted())

	data, err := f.fetch(ctx, client, reg.String(), out)
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			err = fmt.Errorf("%w (gave up after %s)", err, timeout)
		}
		return "", fmt.Errorf("fetch %s@%s: %w", Package, Version, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != f.want() {
		return "", fmt.Errorf("%s of %s@%s from %s has SHA-256 %s, expected %s: refused, nothing written",
			FileName, Package, Version, reg.Redacted(), got, f.want())
	}
	if err := writeAtomic(f.Path(), data); err != nil {
		return "", fmt.Errorf("keep the spec: %w", err)
	}
	return f.Path(), nil
}

func (f *Fetcher) fetch(ctx context.Context, client *http.Client, reg string, out io.Writer) ([]byte, error) {
	tarball, err := tarballURL(ctx, client, reg)
	if err != nil {
		return nil, err
	}
	tgz, err := f.download(ctx, client, tarball, out)
	if err != nil {
		return nil, err
	}
	data, err := extract(tgz, f.limit())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redact(tarball), err)
	}
	return data, nil
}

// tarballURL asks the registry's packument where the tarball is, since mirrors rewrite tarball
// URLs, and falls back to the registry's conventional layout when the answer is of no use. A
// registry that cannot be reached at all is an error at once rather than a second wait.
func tarballURL(ctx context.Context, client *http.Client, reg string) (string, error) {
	conventional := reg + "/" + Package + "/-/" + Package + "-" + Version + ".tgz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg+"/"+Package, nil)
	if err != nil {
		return "", err
	}
	// The abbreviated form, as npm asks for it: a fraction of the full document.
	req.Header.Set("Accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8")
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return conventional, nil
	}
	var doc struct {
		Versions map[string]struct {
			Dist struct {
				Tarball string `json:"tarball"`
			} `json:"dist"`
		} `json:"versions"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 16<<20)).Decode(&doc); err != nil {
		return conventional, nil
	}
	u, err := url.Parse(doc.Versions[Version].Dist.Tarball)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return conventional, nil
	}
	return u.String(), nil
}

func (f *Fetcher) download(ctx context.Context, client *http.Client, tarball string, out io.Writer) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tarball, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", redact(tarball), res.Status)
	}
	limit := f.limit()
	if res.ContentLength > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d accepted", redact(tarball), res.ContentLength, limit)
	}
	var buf bytes.Buffer
	if res.ContentLength > 0 {
		buf.Grow(int(res.ContentLength))
	}
	now := time.Now()
	p := &progress{r: res.Body, total: res.ContentLength, out: out, start: now, last: now}
	if _, err := buf.ReadFrom(io.LimitReader(p, limit+1)); err != nil {
		return nil, fmt.Errorf("GET %s: %w after %d bytes", redact(tarball), err, p.n)
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("%s is more than the %d bytes accepted", redact(tarball), limit)
	}
	return buf.Bytes(), nil
}

// extract takes the spec out of an npm tarball held in memory.
func extract(tgz []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("not a gzip archive: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no package/%s in the tarball", FileName)
		}
		if err != nil {
			return nil, fmt.Errorf("damaged tarball: %w", err)
		}
		// npm puts a package under package/, but the top directory's name is not checked by npm.
		_, rest, _ := strings.Cut(path.Clean(h.Name), "/")
		if rest != FileName || h.Typeflag != tar.TypeReg {
			continue
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(io.LimitReader(tr, limit+1)); err != nil {
			return nil, fmt.Errorf("damaged tarball: %w", err)
		}
		if int64(buf.Len()) > limit {
			return nil, fmt.Errorf("%s is more than %d bytes", h.Name, limit)
		}
		return buf.Bytes(), nil
	}
}

func writeAtomic(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".rc-public-openapi-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp's 0600 would differ from the copy npm or tar leave
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// progress reports bytes received at most once a second, starting a second in, so a fast fetch
// prints nothing more than its first line.
type progress struct {
	r           io.Reader
	n, total    int64
	out         io.Writer
	start, last time.Time
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) >= time.Second {
		p.last = now
		mb := func(n int64) float64 { return float64(n) / 1e6 }
		if p.total > 0 {
			fmt.Fprintf(p.out, "  %.1f of %.1f MB (%d%%), %s\n", mb(p.n), mb(p.total), p.n*100/p.total, now.Sub(p.start).Round(time.Second))
		} else {
			fmt.Fprintf(p.out, "  %.1f MB, %s\n", mb(p.n), now.Sub(p.start).Round(time.Second))
		}
	}
	return n, err
}

func newClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

func (f *Fetcher) want() string { return cmp.Or(f.sha256, SHA256) }

func (f *Fetcher) limit() int64 {
	if f.maxTarball > 0 {
		return f.maxTarball
	}
	return MaxTarball
}

// redact keeps a registry's credentials out of messages.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}
