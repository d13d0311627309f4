package cache

import (
	"bytes"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// Encryption at rest needs the stored bytes, which only the package sees.
func TestStoreEncryptsAtRest(t *testing.T) {
	clock := clockwork.NewFakeClock()
	plain := []byte("a response body that must not be stored in the clear")
	newStore := func() *Store {
		s, err := NewStore(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1, s2 := newStore(), newStore()
	for _, s := range []*Store{s1, s2} {
		s.Put("enc", &Entry{Status: 200, Body: bytes.Clone(plain), Expires: clock.Now().Add(time.Minute)}, true)
		s.Put("clear", &Entry{Status: 200, Body: bytes.Clone(plain), Expires: clock.Now().Add(time.Minute)}, false)
	}

	raw := s1.raw("enc")
	if len(raw) == 0 || bytes.Equal(raw, plain) || bytes.Contains(raw, plain) || bytes.Contains(raw, plain[:16]) {
		t.Fatalf("encrypted entry stored as %q; want ciphertext", raw)
	}
	if !bytes.Equal(s1.raw("clear"), plain) {
		t.Fatalf("unencrypted entry stored as %q; want the plaintext", s1.raw("clear"))
	}
	e, err := s1.Get("enc", clock.Now())
	if err != nil || e == nil || !bytes.Equal(e.Body, plain) {
		t.Fatalf("Get = %+v, %v; want the plaintext", e, err)
	}
	if !bytes.Equal(s1.raw("enc"), raw) {
		t.Fatal("Get changed the stored ciphertext")
	}

	// Each store has its own key: one cannot open the other's entries.
	raw2 := s2.raw("enc")
	if bytes.Equal(raw, raw2) {
		t.Fatal("two stores produced the same ciphertext")
	}
	if _, err := s2.open(raw); err == nil {
		t.Error("a store opened another store's ciphertext: the keys are shared")
	}
	if got, err := s1.open(raw); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("open own ciphertext = %q, %v", got, err)
	}

	// Tampering is detected rather than served.
	raw[len(raw)-1] ^= 1
	if e, err := s1.Get("enc", clock.Now()); err == nil {
		t.Errorf("Get of a tampered entry = %+v, want an error", e)
	}
	if _, err := s1.open([]byte("short")); err == nil {
		t.Error("open of a truncated entry succeeded")
	}
}
