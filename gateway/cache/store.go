// Package cache is API Gateway's stage cache (spec §5): per-stage response
// caching with a TTL, keys built only from the declared cache key
// parameters, client invalidation with Cache-Control: max-age=0, flushing,
// optional encryption at rest and hit/miss metrics.
package cache

import (
	"container/list"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"time"
)

// MaxEntryBytes is the largest response API Gateway caches (spec §5).
const MaxEntryBytes = 1 << 20

// Entry is a cached integration response.
type Entry struct {
	Status  int
	Header  http.Header
	Body    []byte // ciphertext when the store encrypts
	Expires time.Time
	size    int64
	sealed  bool // Body is AES-GCM ciphertext
}

// Store is one stage's cache cluster: an LRU bounded in bytes. Entries of
// methods with cacheDataEncrypted are held encrypted (AES-256-GCM, with a
// random key per store).
type Store struct {
	mu       sync.Mutex
	capacity int64
	used     int64
	order    *list.List // front = most recently used
	entries  map[string]*list.Element
	aead     cipher.AEAD
}

type item struct {
	key   string
	entry *Entry
}

// NewStore returns a store holding at most capacity bytes.
func NewStore(capacity int64) (*Store, error) {
	s := &Store{capacity: capacity, order: list.New(), entries: map[string]*list.Element{}}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return s, nil
}

// Resize changes the capacity; as on AWS, a new size means a new, empty
// cluster (spec §5: "changing capacity ... all cached data is lost").
func (s *Store) Resize(capacity int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked() // under the same lock: a racing Put must not land between flush and resize
	s.capacity = capacity
}

// Get returns a fresh entry with its body decrypted, or nil.
func (s *Store) Get(key string, now time.Time) (*Entry, error) {
	s.mu.Lock()
	el, ok := s.entries[key]
	if !ok {
		s.mu.Unlock()
		return nil, nil
	}
	e := el.Value.(*item).entry
	if !now.Before(e.Expires) {
		s.remove(el)
		s.mu.Unlock()
		return nil, nil
	}
	s.order.MoveToFront(el)
	s.mu.Unlock()
	if !e.sealed {
		return e, nil
	}
	body, err := s.open(e.Body)
	if err != nil {
		return nil, err
	}
	out := *e
	out.Body = body
	return &out, nil
}

// Put stores e under key (replacing any entry), encrypted if asked,
// evicting least recently used entries to stay within capacity. Bodies
// over MaxEntryBytes are not stored, but still drop the entry they replace
// (a max-age=0 refetch must not leave the old response to be served).
func (s *Store) Put(key string, e *Entry, encrypt bool) {
	fits := len(e.Body) <= MaxEntryBytes
	if fits && encrypt {
		e.Body, e.sealed = s.seal(e.Body), true
	}
	e.size = int64(len(key) + len(e.Body) + 256) // + a rough allowance for headers
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[key]; ok {
		s.remove(old)
	}
	if !fits || e.size > s.capacity {
		return
	}
	for s.used+e.size > s.capacity {
		s.remove(s.order.Back())
	}
	s.entries[key] = s.order.PushFront(&item{key: key, entry: e})
	s.used += e.size
}

// Flush empties the store.
func (s *Store) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
}

func (s *Store) flushLocked() {
	s.order.Init()
	s.entries = map[string]*list.Element{}
	s.used = 0
}

// Stats reports entries and bytes held.
func (s *Store) Stats() (entries int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries), s.used
}

// raw returns the stored (possibly encrypted) body, for tests of encryption.
func (s *Store) raw(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		return el.Value.(*item).entry.Body
	}
	return nil
}

func (s *Store) remove(el *list.Element) {
	it := s.order.Remove(el).(*item)
	delete(s.entries, it.key)
	s.used -= it.entry.size
}

func (s *Store) seal(plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, nil)
}

func (s *Store) open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("cache: corrupt entry")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], nil)
}
