package cache_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatecheck/gatecheck/gateway/cache"
)

// benchBody is a typical small JSON response.
var benchBody = []byte(`{"id":"0b6c6f0e-6a55-4c0e-9d1b-3f2f2b8f8c11","items":[1,2,3,4,5,6,7,8],"ok":true}`)

func benchStoreGetHit(b *testing.B, encrypt bool) {
	s := newStore(b, 1<<20)
	now := time.Unix(1_700_000_000, 0)
	s.Put("stage\x00/items\x00GET", &cache.Entry{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: append([]byte(nil), benchBody...), Expires: now.Add(time.Hour)}, encrypt)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e, err := s.Get("stage\x00/items\x00GET", now)
		if err != nil || e == nil || len(e.Body) != len(benchBody) {
			b.Fatalf("Get = %v, %v", e, err)
		}
	}
}

// BenchmarkStoreGetHit: a lookup of a fresh plaintext entry.
func BenchmarkStoreGetHit(b *testing.B) { benchStoreGetHit(b, false) }

// BenchmarkStoreGetHitEncrypted: the same with cacheDataEncrypted (AES-GCM open per hit).
func BenchmarkStoreGetHitEncrypted(b *testing.B) { benchStoreGetHit(b, true) }

// BenchmarkStorePutEvict: every Put of a new key into a full, small store
// evicts; bytes-held shows the store stays within its capacity.
func BenchmarkStorePutEvict(b *testing.B) {
	const capacity = 64 << 10
	s := newStore(b, capacity)
	now := time.Unix(1_700_000_000, 0)
	keys := make([]string, 4096) // precomputed so the loop measures the store
	for i := range keys {
		keys[i] = "stage\x00/items\x00GET\x00method.request.querystring.id=" + strconv.Itoa(i)
	}
	var maxHeld int64
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s.Put(keys[i%len(keys)], &cache.Entry{Status: 200, Body: benchBody, Expires: now.Add(time.Hour)}, false)
		if i%256 == 0 {
			if _, held := s.Stats(); held > maxHeld {
				maxHeld = held
			}
		}
		i++
	}
	b.StopTimer()
	n, held := s.Stats()
	if held > capacity || maxHeld > capacity {
		b.Fatalf("store holds %d bytes (max seen %d), capacity %d", held, maxHeld, capacity)
	}
	b.ReportMetric(float64(held), "bytes-held")
	b.ReportMetric(float64(maxHeld), "max-bytes-held")
	b.ReportMetric(float64(n), "entries")
}
