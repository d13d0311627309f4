package hostile

import (
	"fmt"
	"strings"
)

// netHTTPHeaderLimit is where net/http refuses the request line and
// headers with its own 431: serving's MaxHeaderBytes (64 KiB) plus the
// 4 KiB it allows for its own bookkeeping. Probes stay clear of the
// boundary on both sides.
const netHTTPHeaderLimit = 64<<10 + 4<<10

// Gateway quotas (gateway/requestlimits): 10,240 bytes of header values
// in all, a URL of at most 10,240 characters.
const (
	maxHeaderValues = 10240
	maxURL          = 10240
)

func letters(n int, seed int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (i+seed)%26)
	}
	return string(b)
}

// HugeHeaders sends header values over the gateway's 10,240-byte quota
// (431 with a JSON message) and over net/http's limit (net/http's own
// plain-text 431).
func HugeHeaders() Category {
	sizes := []int{maxHeaderValues + 1, 12000, 20000, 40000, 60000, 75000, 100000, 200000}
	return Category{
		Name:    "huge-headers",
		Allowed: []string{"431"},
		Weight:  4,
		New: func(i int, env *Env) Probe {
			rng := env.rng("huge-headers", i)
			n := pick(rng, sizes)
			var hs []string
			switch i % 3 {
			case 0: // one header
				hs = []string{"X-Huge: " + letters(n, i)}
			case 1: // a few large ones
				for k := 0; k*8000 < n; k++ {
					hs = append(hs, fmt.Sprintf("X-Huge-%d: %s", k, letters(min(8000, n-k*8000), k)))
				}
			default: // a huge Cookie on a route that does not exist
				hs = []string{"Cookie: a=" + letters(n, i)}
			}
			raw := rawGet("/"+env.Stage+"/inspect", hs...)
			if len(raw) > netHTTPHeaderLimit {
				return rawProbe(raw, "431", netHTTPText)
			}
			return rawProbe(raw, "431", gatewayJSON("Request Header Fields Too Large"))
		},
	}
}

// ManyHeaders sends many small headers: under the quota they all reach
// the fixture; over it the gateway answers 431; over net/http's limit
// net/http does.
func ManyHeaders() Category {
	return Category{
		Name:    "many-headers",
		Allowed: []string{"200", "431"},
		Weight:  4,
		New: func(i int, env *Env) Probe {
			rng := env.rng("many-headers", i)
			count := []int{100, 500, 1000, 3000, 6000}[rng.IntN(5)]
			valueLen := []int{1, 4, 16}[rng.IntN(3)]
			sameName := rng.IntN(2) == 0
			hs := make([]string, count)
			values := len("gatecheck-hostile") // Host counts too
			for k := range hs {
				name := fmt.Sprintf("X-Many-%d", k)
				if sameName {
					name = "X-Many"
				}
				hs[k] = name + ": " + letters(valueLen, k)
				values += valueLen
			}
			raw := rawGet("/"+env.Stage+"/inspect/many", hs...)
			switch {
			case len(raw) > netHTTPHeaderLimit:
				return rawProbe(raw, "431", netHTTPText)
			case values > maxHeaderValues:
				return rawProbe(raw, "431", gatewayJSON("Request Header Fields Too Large"))
			}
			return rawProbe(raw, "200", func(r *response) string {
				doc, p := inspected(r)
				if p != "" {
					return p
				}
				got := 0
				for name, vs := range doc.Request.Headers {
					if strings.HasPrefix(name, "X-Many") {
						got += len(vs)
					}
				}
				if got != count {
					return fmt.Sprintf("the fixture got %d of the %d X-Many headers", got, count)
				}
				return ""
			})
		},
	}
}

// LongURLs sends paths and query strings around and over the 10,240
// character quota (414 with a JSON message) and over net/http's limit.
func LongURLs() Category {
	return Category{
		Name:    "long-urls",
		Allowed: []string{"200", "414", "431"},
		Weight:  4,
		New: func(i int, env *Env) Probe {
			rng := env.rng("long-urls", i)
			base := "/" + env.Stage + "/inspect/"
			n := []int{maxURL, maxURL + 1, 12000, 30000, 60000, 75000, 150000}[rng.IntN(7)]
			var target string
			if i%2 == 0 {
				target = base + letters(n-len(base), i)
			} else {
				target = base + "q?x=" + letters(n-len(base)-4, i)
			}
			raw := rawGet(target)
			switch {
			case len(raw) > netHTTPHeaderLimit:
				return rawProbe(raw, "431", netHTTPText)
			case len(target) > maxURL:
				return rawProbe(raw, "414", gatewayJSON("Request URI too long"))
			}
			return rawProbe(raw, "200", func(r *response) string { _, p := inspected(r); return p })
		},
	}
}
