package specfetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcemu/rcemu/internal/spec"
)

const tarballPath = "/" + Package + "/-/" + Package + "-" + Version + ".tgz"

// tgz builds an npm-style tarball holding the given files, in order.
func tgz(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// registry is a local double of the npm registry: it serves a packument (unless packument is
// "") and the tarball at the conventional path, and counts requests.
type registry struct {
	*httptest.Server
	hits      atomic.Int64
	packument func(base string) string
	tarball   []byte
}

func newRegistry(t *testing.T, tarball []byte) *registry {
	r := &registry{tarball: tarball}
	r.packument = func(base string) string {
		return fmt.Sprintf(`{"name":%q,"versions":{%q:{"dist":{"tarball":%q}}}}`, Package, Version, base+tarballPath)
	}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		switch req.URL.Path {
		case "/" + Package:
			if r.packument == nil {
				http.NotFound(w, req)
				return
			}
			w.Header().Set("Content-Type", "application/vnd.npm.install-v1+json")
			fmt.Fprint(w, r.packument(r.URL))
		case tarballPath:
			w.Write(r.tarball)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

const synthetic = "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths: {}\n"

func syntheticTarball(t *testing.T) []byte {
	return tgz(t, [2]string{"package/package.json", `{"name":"` + Package + `"}`}, [2]string{"package/" + FileName, synthetic})
}

func TestFetchVerifyKeep(t *testing.T) {
	reg := newRegistry(t, syntheticTarball(t))
	dir := filepath.Join(t.TempDir(), "spec")
	var out strings.Builder
	f := &Fetcher{Dir: dir, Registry: reg.URL + "/", Out: &out, sha256: hashOf(synthetic)}
	if _, ok := f.Cached(); ok {
		t.Fatal("cached before any fetch")
	}
	p, err := f.Ensure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != synthetic || p != filepath.Join(dir, FileName) {
		t.Fatalf("kept %q at %s", got, p)
	}
	want := "fetching the RingCentral OpenAPI spec (ringcentral-open-api-parser@0.15.9) from " + reg.URL + "…\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d files left in %s, want only the spec", len(entries), dir)
	}

	// Warm: the kept copy answers, with the registry gone.
	reg.Close()
	hits := reg.hits.Load()
	out.Reset()
	if p2, err := f.Ensure(context.Background()); err != nil || p2 != p {
		t.Fatalf("warm Ensure: %q, %v", p2, err)
	}
	if reg.hits.Load() != hits || out.Len() != 0 {
		t.Fatalf("a warm Ensure made a request or printed %q", out.String())
	}
	// A copy with another hash (another pinned version) is fetched again, here failing.
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Ensure(context.Background()); err == nil {
		t.Fatal("a copy with the wrong hash was used")
	}
}

// TestFetchRealSpec checks the recorded hash end to end, with a tarball built from the real file.
func TestFetchRealSpec(t *testing.T) {
	t.Setenv("RCEMU_SPEC", "") // the real file, not another spec a developer points at
	real := spec.FindInModule()
	if real == "" {
		t.Skip("the spec has not been fetched (make spec)")
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t, tgz(t, [2]string{"package/README.md", "x"}, [2]string{"package/" + FileName, string(data)}))
	f := &Fetcher{Dir: t.TempDir(), Registry: reg.URL}
	p, err := f.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Fatal("the kept copy differs from the real file")
	}
	if _, ok := f.Cached(); !ok {
		t.Fatal("the real copy is not seen as cached")
	}
}

func TestWrongHashRefused(t *testing.T) {
	reg := newRegistry(t, syntheticTarball(t))
	dir := filepath.Join(t.TempDir(), "spec")
	f := &Fetcher{Dir: dir, Registry: reg.URL} // the recorded hash, which the synthetic file lacks
	_, err := f.Fetch(context.Background())
	if err == nil {
		t.Fatal("a spec with the wrong hash was accepted")
	}
	for _, want := range []string{hashOf(synthetic), SHA256, "nothing written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s exists after a refused fetch (%v)", dir, err)
	}
}

func TestPackumentTarballHonoured(t *testing.T) {
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/files/x.tgz" {
			http.NotFound(w, r)
			return
		}
		w.Write(syntheticTarball(t))
	}))
	defer mirror.Close()
	reg := newRegistry(t, nil) // no tarball at the conventional place
	reg.packument = func(string) string {
		return fmt.Sprintf(`{"versions":{"0.1.0":{"dist":{"tarball":"x"}},%q:{"dist":{"tarball":%q}}}}`, Version, mirror.URL+"/files/x.tgz")
	}
	f := &Fetcher{Dir: t.TempDir(), Registry: reg.URL, sha256: hashOf(synthetic)}
	if _, err := f.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A packument of no use falls back to the conventional URL.
	for name, doc := range map[string]func(string) string{
		"absent":     nil,
		"garbage":    func(string) string { return "<html>" },
		"no version": func(string) string { return `{"versions":{}}` },
		"not a URL":  func(string) string { return `{"versions":{"` + Version + `":{"dist":{"tarball":"ftp://x/y.tgz"}}}}` },
		"no tarball": func(string) string { return `{"versions":{"` + Version + `":{"dist":{}}}}` },
	} {
		t.Run(name, func(t *testing.T) {
			reg := newRegistry(t, syntheticTarball(t))
			reg.packument = doc
			f := &Fetcher{Dir: t.TempDir(), Registry: reg.URL + "/", sha256: hashOf(synthetic)}
			if _, err := f.Fetch(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRegistryPrecedence(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{nil, DefaultRegistry},
		{map[string]string{"npm_config_registry": "https://npm.corp/"}, "https://npm.corp/"},
		{map[string]string{"NPM_CONFIG_REGISTRY": "https://NPM.corp/"}, "https://NPM.corp/"},
		{map[string]string{"npm_config_registry": "https://npm.corp/", "RCEMU_NPM_REGISTRY": "http://127.0.0.1:4873"}, "http://127.0.0.1:4873"},
		{map[string]string{"RCEMU_NPM_REGISTRY": "  ", "npm_config_registry": "https://npm.corp/"}, "https://npm.corp/"},
	} {
		if got := Registry(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}

func TestFetchErrors(t *testing.T) {
	// Incompressible filler before the spec, so that a cut lands inside the archive's data.
	filler := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range filler {
		filler[i] = byte(rng.IntN(256))
	}
	whole := tgz(t, [2]string{"package/filler.bin", string(filler)}, [2]string{"package/" + FileName, synthetic})
	cases := []struct {
		name    string
		handler http.HandlerFunc
		max     int64
		want    []string
	}{
		{name: "404", handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			want: []string{"404 Not Found", tarballPath}},
		{name: "truncated gzip", handler: func(w http.ResponseWriter, r *http.Request) { w.Write(whole[:len(whole)/2]) },
			want: []string{"damaged tarball", "unexpected EOF"}},
		{name: "not gzip", handler: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>hello</html>")) },
			want: []string{"not a gzip archive"}},
		{name: "no spec inside", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Write(tgz(t, [2]string{"package/package.json", "{}"}))
		}, want: []string{"no package/" + FileName}},
		{name: "oversize by Content-Length", max: 1000, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1001")
			w.Write(make([]byte, 1001))
		}, want: []string{"1001 bytes, more than the 1000 accepted"}},
		{name: "oversize streamed", max: 1000, handler: func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // chunked: no Content-Length
			w.Write(make([]byte, 5000))
		}, want: []string{"more than the 1000 bytes accepted"}},
		{name: "cut short", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(whole)))
			w.Write(whole[:100])
		}, want: []string{"unexpected EOF after 100 bytes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			dir := filepath.Join(t.TempDir(), "spec")
			f := &Fetcher{Dir: dir, Registry: srv.URL, sha256: hashOf(synthetic), maxTarball: c.max}
			_, err := f.Fetch(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("%s exists after a failed fetch", dir)
			}
		})
	}

	t.Run("bad registry", func(t *testing.T) {
		_, err := (&Fetcher{Dir: t.TempDir(), Registry: "registry.npmjs.org"}).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		_, err := (&Fetcher{Dir: t.TempDir(), Registry: srv.URL}).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "fetch "+Package+"@"+Version+": Get \""+srv.URL) {
			t.Fatalf("error %v", err)
		}
	})
}

// TestTimeoutAndProgress: a registry that stalls mid-tarball gets progress lines and is given up
// on when the whole fetch's time is up; so is a cancelled context.
func TestTimeoutAndProgress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != tarballPath {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", "2000000")
		for i := 0; ; i++ {
			if _, err := w.Write(make([]byte, 1000)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
	defer srv.Close()
	var out strings.Builder
	f := &Fetcher{Dir: t.TempDir(), Registry: srv.URL, Out: &out, Timeout: 2500 * time.Millisecond}
	start := time.Now()
	_, err := f.Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "gave up after 2.5s") {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %s", d)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 || len(lines) > 4 || !strings.Contains(lines[1], " of 2.0 MB (0%), 1s") {
		t.Fatalf("progress:\n%s", out.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = (&Fetcher{Dir: t.TempDir(), Registry: srv.URL}).Fetch(ctx)
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") || strings.Contains(err.Error(), "gave up") {
		t.Fatalf("error %v", err)
	}
}
