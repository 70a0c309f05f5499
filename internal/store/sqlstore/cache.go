package sqlstore

import (
	"slices"
	"sync"

	"github.com/rcemu/rcemu/internal/rc"
)

// cache keeps accounts and extensions in memory: every authenticated request reads them, and
// reading them from SQLite (prepare, read transaction, JSON decode) cost more than the rest of
// the request. Writes go through this process, which drops what they touch, so one rcemu per
// database file sees its own writes. A generation counter keeps a read that raced a write from
// caching the value it read before the write.
type cache struct {
	mu  sync.RWMutex
	gen uint64
	ext map[int64]rc.Extension
	acc map[int64]rc.Account
	// numbers are the hosted phone numbers by E.164 form, and byExt each extension's; both are
	// read on every text sent, and change only with the whole state.
	numbers map[string]rc.PhoneNumber
	byExt   map[int64][]rc.PhoneNumber
	// users are each account's user ids (its Everyone chat), read on every post into that chat.
	users map[int64][]int64
}

func newCache() *cache {
	return &cache{ext: map[int64]rc.Extension{}, acc: map[int64]rc.Account{}, numbers: map[string]rc.PhoneNumber{},
		byExt: map[int64][]rc.PhoneNumber{}, users: map[int64][]int64{}}
}

// get and put read and fill one of the cache's maps; put keeps nothing if a write came between
// the read it caches and now (the generation moved).
func get[K comparable, V any](c *cache, m map[K]V, k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := m[k]
	return v, ok
}

func put[K comparable, V any](c *cache, gen uint64, m map[K]V, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		m[k] = v
	}
}

// through returns m[k] from the cache, or loads it and keeps it.
func through[K comparable, V any](c *cache, m map[K]V, k K, load func() (V, error)) (V, error) {
	if v, ok := get(c, m, k); ok {
		return v, nil
	}
	gen := c.generation()
	v, err := load()
	if err == nil {
		put(c, gen, m, k, v)
	}
	return v, err
}

func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *cache) dropExtension(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.ext, id)
	clear(c.users) // its type may have changed
}

// bump moves the generation without dropping anything: what is keyed by it elsewhere (the
// authenticated callers) is looked up again.
func (c *cache) bump() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// reset forgets everything; bulk writers call it after they commit.
func (c *cache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.ext)
	clear(c.acc)
	clear(c.users)
	clear(c.numbers)
	clear(c.byExt)
}

// decodedMessages keeps decoded messages by id, valid for the change sequence number they were
// read at; a message changes seq on every write, so a stale entry is never returned. It is
// bounded: past maxDecoded entries it starts over.
type decodedMessages struct {
	mu sync.Mutex
	m  map[int64]rc.Message
}

// A few thousand cover the pages apps read again and again; more would only hold memory.
const maxDecoded = 4096

func (d *decodedMessages) get(id, seq int64) (rc.Message, bool) {
	d.mu.Lock()
	m, ok := d.m[id]
	d.mu.Unlock()
	if !ok || m.Seq != seq {
		return rc.Message{}, false
	}
	// Callers change messages they read: hand out copies of the slices.
	m.To = slices.Clone(m.To)
	m.Attachments = slices.Clone(m.Attachments)
	return m, true
}

func (d *decodedMessages) put(m rc.Message) {
	m.To = slices.Clone(m.To)
	m.Attachments = slices.Clone(m.Attachments)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil || len(d.m) >= maxDecoded {
		d.m = make(map[int64]rc.Message)
	}
	d.m[m.ID] = m
}

func (d *decodedMessages) clear() {
	d.mu.Lock()
	d.m = nil
	d.mu.Unlock()
}

// ExtensionsGeneration is the cache's generation: every write of an extension or account, and
// every bulk write, moves it.
func (db *DB) ExtensionsGeneration() uint64 { return db.cache.generation() }
