package cache_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/gatecheck/gatecheck/gateway/cache"
	"github.com/gatecheck/gatecheck/gateway/restapi"
)

// entryOverhead mirrors the store's per-entry allowance for headers: an
// entry costs len(key) + len(body) + entryOverhead bytes.
const entryOverhead = 256

func newStore(t testing.TB, capacity int64) *cache.Store {
	t.Helper()
	s, err := cache.NewStore(capacity)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func entry(body string, expires time.Time) *cache.Entry {
	return &cache.Entry{Status: http.StatusOK, Header: http.Header{"X-Test": {"1"}}, Body: []byte(body), Expires: expires}
}

func mustGet(t *testing.T, s *cache.Store, key string, now time.Time) *cache.Entry {
	t.Helper()
	e, err := s.Get(key, now)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return e
}

func TestStoreGetPut(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newStore(t, 1<<20)
	if e := mustGet(t, s, "missing", clock.Now()); e != nil {
		t.Fatalf("Get of a missing key = %+v, want nil", e)
	}
	s.Put("k", entry("hello", clock.Now().Add(time.Minute)), false)
	e := mustGet(t, s, "k", clock.Now())
	if e == nil || string(e.Body) != "hello" || e.Status != http.StatusOK || e.Header.Get("X-Test") != "1" {
		t.Fatalf("Get = %+v, want the stored entry", e)
	}
	// Put replaces, and the bytes held are those of the new entry only.
	s.Put("k", entry("bye", clock.Now().Add(time.Minute)), false)
	if e := mustGet(t, s, "k", clock.Now()); e == nil || string(e.Body) != "bye" {
		t.Fatalf("after replacing, Get = %+v, want bye", e)
	}
	n, b := s.Stats()
	if n != 1 || b != int64(len("k")+len("bye")+entryOverhead) {
		t.Fatalf("Stats = %d entries, %d bytes; want 1, %d", n, b, len("k")+len("bye")+entryOverhead)
	}
}

func TestStoreExpiry(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newStore(t, 1<<20)
	expires := clock.Now().Add(10 * time.Second)
	s.Put("k", entry("v", expires), false)

	clock.Advance(10*time.Second - time.Nanosecond)
	if e := mustGet(t, s, "k", clock.Now()); e == nil {
		t.Fatal("entry expired 1 ns before Expires")
	}
	clock.Advance(time.Nanosecond) // now == Expires: expired
	if e := mustGet(t, s, "k", clock.Now()); e != nil {
		t.Fatalf("entry still served at exactly Expires: %+v", e)
	}
	if n, b := s.Stats(); n != 0 || b != 0 {
		t.Fatalf("an expired entry is still held after Get: %d entries, %d bytes", n, b)
	}
	// An entry that is already expired when stored is never served.
	s.Put("old", entry("v", clock.Now()), false)
	if e := mustGet(t, s, "old", clock.Now()); e != nil {
		t.Fatal("an entry stored already expired was served")
	}
}

func TestStoreLRUWithinCapacity(t *testing.T) {
	clock := clockwork.NewFakeClock()
	later := clock.Now().Add(time.Hour)
	const body = "0123456789"
	size := int64(len("k00") + len(body) + entryOverhead) // every key below is 3 bytes
	capacity := 3 * size
	s := newStore(t, capacity)

	for i := range 3 {
		s.Put(fmt.Sprintf("k%02d", i), entry(body, later), false)
	}
	if n, b := s.Stats(); n != 3 || b != capacity {
		t.Fatalf("Stats = %d, %d; want 3 entries filling %d bytes", n, b, capacity)
	}
	// k00 is the least recently used; reading it makes k01 the oldest.
	if mustGet(t, s, "k00", clock.Now()) == nil {
		t.Fatal("k00 missing")
	}
	s.Put("k03", entry(body, later), false)
	if mustGet(t, s, "k01", clock.Now()) != nil {
		t.Error("k01, the least recently used, was not evicted")
	}
	for _, k := range []string{"k00", "k02", "k03"} {
		if mustGet(t, s, k, clock.Now()) == nil {
			t.Errorf("%s was evicted; only the least recently used should be", k)
		}
	}

	// Many entries of varying sizes: the bytes held never exceed capacity,
	// and the most recent entry is always kept.
	for i := range 500 {
		key := "key" + strconv.Itoa(i)
		s.Put(key, entry(string(bytes.Repeat([]byte{'x'}, i%97)), later), false)
		n, b := s.Stats()
		if b > capacity || b <= 0 || n < 1 {
			t.Fatalf("after %d puts: %d entries, %d bytes; capacity %d", i+1, n, b, capacity)
		}
		if mustGet(t, s, key, clock.Now()) == nil {
			t.Fatalf("the entry just stored (%s) is not held", key)
		}
	}
}

func TestStoreEntryLargerThanCapacity(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newStore(t, 300)
	s.Put("a", entry("small", clock.Now().Add(time.Minute)), false)
	s.Put("b", entry(string(make([]byte, 100)), clock.Now().Add(time.Minute)), false) // 357 bytes > 300
	if mustGet(t, s, "b", clock.Now()) != nil {
		t.Error("an entry larger than the whole store was stored")
	}
	if mustGet(t, s, "a", clock.Now()) == nil {
		t.Error("storing an entry that cannot fit evicted others")
	}
}

func TestStoreMaxEntryBytes(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newStore(t, 8<<20)
	later := clock.Now().Add(time.Minute)
	s.Put("max", &cache.Entry{Status: 200, Body: make([]byte, cache.MaxEntryBytes), Expires: later}, false)
	if mustGet(t, s, "max", clock.Now()) == nil {
		t.Error("a body of exactly MaxEntryBytes was not stored")
	}
	s.Put("over", &cache.Entry{Status: 200, Body: make([]byte, cache.MaxEntryBytes+1), Expires: later}, false)
	if mustGet(t, s, "over", clock.Now()) != nil {
		t.Error("a body over MaxEntryBytes was stored")
	}
	s.Put("over-enc", &cache.Entry{Status: 200, Body: make([]byte, cache.MaxEntryBytes+1), Expires: later}, true)
	if mustGet(t, s, "over-enc", clock.Now()) != nil {
		t.Error("an encrypted body over MaxEntryBytes was stored")
	}
	// An over-limit Put is not cached, and the entry it would replace is
	// dropped: after Put(k, …), Get(k) never returns an older response.
	s.Put("max", &cache.Entry{Status: 200, Body: make([]byte, cache.MaxEntryBytes+1), Expires: later}, false)
	if e := mustGet(t, s, "max", clock.Now()); e != nil {
		t.Error("an over-limit Put left the older entry to be served")
	}
	if n, b := s.Stats(); n != 0 || b != 0 {
		t.Errorf("Stats = %d entries, %d bytes; want an empty store", n, b)
	}
}

func TestStoreFlushAndResize(t *testing.T) {
	clock := clockwork.NewFakeClock()
	later := clock.Now().Add(time.Minute)
	s := newStore(t, 1<<20)
	for i := range 10 {
		s.Put(strconv.Itoa(i), entry("v", later), i%2 == 0)
	}
	s.Flush()
	if n, b := s.Stats(); n != 0 || b != 0 {
		t.Fatalf("after Flush: %d entries, %d bytes", n, b)
	}
	if mustGet(t, s, "1", clock.Now()) != nil {
		t.Fatal("entry served after Flush")
	}

	for i := range 10 {
		s.Put(strconv.Itoa(i), entry("v", later), false)
	}
	s.Resize(2 << 20)
	if n, b := s.Stats(); n != 0 || b != 0 {
		t.Fatalf("after Resize: %d entries, %d bytes; a new size is a new, empty cluster", n, b)
	}
	// The new capacity applies.
	s.Resize(600)
	for i := range 10 {
		s.Put(strconv.Itoa(i), entry("v", later), false)
	}
	if n, b := s.Stats(); b > 600 || n != 2 {
		t.Fatalf("after Resize(600): %d entries, %d bytes; want 2 entries within 600 bytes", n, b)
	}
}

func TestStoreEncryptedRoundTrip(t *testing.T) {
	clock := clockwork.NewFakeClock()
	s := newStore(t, 1<<20)
	plain := []byte(`{"secret":"value"}`)
	in := &cache.Entry{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: bytes.Clone(plain), Expires: clock.Now().Add(time.Minute)}
	s.Put("k", in, true)
	for range 2 { // a Get does not disturb the stored ciphertext
		e := mustGet(t, s, "k", clock.Now())
		if e == nil || !bytes.Equal(e.Body, plain) || e.Status != 201 || e.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("Get = %+v, want the plaintext entry", e)
		}
	}
}

func TestCapacity(t *testing.T) {
	prev := int64(0)
	for _, size := range restapi.CacheClusterSizes {
		c, err := cache.Capacity(size)
		if err != nil {
			t.Errorf("Capacity(%q): %v", size, err)
			continue
		}
		gb, _ := strconv.ParseFloat(size, 64)
		if want := int64(gb * (1 << 30)); c != want || c <= prev {
			t.Errorf("Capacity(%q) = %d, want %d and more than the smaller size's %d", size, c, want, prev)
		}
		prev = c
	}
	if c, _ := cache.Capacity("0.5"); c != 1<<29 {
		t.Errorf("Capacity(0.5) = %d, want %d", c, 1<<29)
	}
	for _, bad := range []string{"", "0", "1", "0.50", "2", "237.0", "abc", "-0.5", " 0.5"} {
		if slices.Contains(restapi.CacheClusterSizes, bad) {
			t.Fatalf("%q is a valid size", bad)
		}
		if c, err := cache.Capacity(bad); err == nil {
			t.Errorf("Capacity(%q) = %d, want an error", bad, c)
		}
	}
}

// Resize is atomic: a Put racing with it never leaves the store holding
// more than the new capacity.
func TestStoreResizeConcurrentWithPut(t *testing.T) {
	clock := clockwork.NewFakeClock()
	later := clock.Now().Add(time.Hour)
	s := newStore(t, 1<<20)
	const small = 1000
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Put(strconv.Itoa(i%64), entry("0123456789", later), false)
		}
	}()
	for i := range 2000 {
		s.Resize(1 << 20)
		s.Resize(small)
		if _, b := s.Stats(); b > small {
			close(stop)
			<-done
			t.Fatalf("iteration %d: %d bytes held after Resize(%d)", i, b, small)
		}
	}
	close(stop)
	<-done
}
