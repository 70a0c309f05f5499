package spec

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// compilerVersion changes whenever the compiled form or the compiler's output changes, so that
// caches written by an older rcemu are not read.
const compilerVersion = "3"

// CachedPath is where scripts/fetch-spec.sh puts the spec, relative to the repository.
const CachedPath = ".cache/spec/rc-public-openapi.yml"

// LoadOptions say where the compiled form is cached.
type LoadOptions struct {
	// CacheDir holds compiled documents, one file per spec hash. "" means DefaultCacheDir();
	// "off" disables the cache.
	CacheDir string
}

// LoadInfo describes how a document was obtained.
type LoadInfo struct {
	Path     string
	Cache    string // "memory" (already loaded by this process), "hit", "miss" or "off"
	CacheErr error  // a cache that could not be read or written (the load still succeeded)
	Duration time.Duration
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Document{} // by hash: one Document per process and spec
)

// Load reads a spec file and returns its compiled form, from the process, from the cache keyed
// by the file's SHA-256, or by compiling it (then writing the cache).
func Load(path string, opt LoadOptions) (*Document, LoadInfo, error) {
	start := time.Now()
	info := LoadInfo{Path: path}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, info, err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])

	loadedMu.Lock()
	defer loadedMu.Unlock()
	if d := loaded[hash]; d != nil {
		info.Cache, info.Duration = "memory", time.Since(start)
		return d, info, nil
	}
	dir := opt.CacheDir
	if dir == "" {
		dir = DefaultCacheDir()
	}
	var file string
	if dir == "off" || dir == "" {
		info.Cache = "off"
	} else {
		file = filepath.Join(dir, "spec-"+hash[:32]+"-v"+compilerVersion+".gob")
		d, err := readCache(file, hash)
		if err == nil {
			loaded[hash] = d
			info.Cache, info.Duration = "hit", time.Since(start)
			return d, info, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			info.CacheErr = err
		}
		info.Cache = "miss"
	}
	d, err := Compile(data)
	if err != nil {
		return nil, info, err
	}
	if file != "" {
		if err := writeCache(file, d); err != nil && info.CacheErr == nil {
			info.CacheErr = err
		}
	}
	loaded[hash] = d
	// The parser's garbage is several times the compiled form; give it back now rather than
	// carrying it as resident memory.
	debug.FreeOSMemory()
	info.Duration = time.Since(start)
	return d, info, nil
}

func readCache(file, hash string) (*Document, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var d Document
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<16)).Decode(&d); err != nil {
		return nil, fmt.Errorf("read spec cache %s: %w", file, err)
	}
	if d.Hash != hash {
		return nil, fmt.Errorf("spec cache %s holds another spec", file)
	}
	return &d, nil
}

func writeCache(file string, d *Document) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".spec-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<16)
	if err := gob.NewEncoder(w).Encode(d); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file) // atomic: concurrent starts never read half a file
}

// DefaultCacheDir is rcemu's directory in the user's cache ($XDG_CACHE_HOME/rcemu or
// ~/.cache/rcemu), or under the temporary directory when there is no home.
func DefaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "rcemu")
	}
	return filepath.Join(os.TempDir(), "rcemu-cache")
}

// DefaultPath finds the spec `rcemu serve` uses without --spec: .cache/spec/rc-public-openapi.yml
// in the working directory, else beside the binary or one directory up from it (bin/rcemu in a
// checkout). It returns "" when there is none, and the places it looked.
func DefaultPath() (string, []string) {
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		candidates = append(candidates, filepath.Join(wd, CachedPath))
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		candidates = append(candidates, filepath.Join(dir, CachedPath), filepath.Join(filepath.Dir(dir), CachedPath))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, candidates
		}
	}
	return "", candidates
}

// FindInModule looks for the cached spec in the module root above the working directory (where
// go.mod is), as tests run in package directories. RCEMU_SPEC, when set, wins. It returns ""
// when the spec has not been fetched.
func FindInModule() string {
	if p := os.Getenv("RCEMU_SPEC"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, CachedPath)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// String is a one-line description: title, version and size.
func (d *Document) String() string {
	return fmt.Sprintf("%s %s (%d operations, %d schemas, sha256 %s)", strings.TrimSpace(d.Title), d.Version,
		len(d.Operations), len(d.Schemas), d.Hash[:12])
}
