package baseline

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gatecheck/gatecheck/stats"
)

// The indices are the extreme ones within alpha: one step further misses it.
func TestBoundIndicesAreTight(t *testing.T) {
	for _, c := range []struct {
		n     int
		q, al float64
	}{{200, 0.5, 1e-8}, {2000, 0.99, 1e-8}, {50, 0.5, 0.05}, {5000, 0.99, 1e-6}} {
		l, u := lowerIndex(c.n, c.q, c.al), upperIndex(c.n, c.q, c.al)
		if l < 1 || u > c.n || l > u {
			t.Fatalf("n=%d q=%g: l=%d u=%d", c.n, c.q, l, u)
		}
		if stats.BinomialCDF(l-1, c.n, c.q) > c.al || stats.BinomialCDF(l, c.n, c.q) <= c.al {
			t.Errorf("n=%d q=%g: lower index %d is not the last within alpha", c.n, c.q, l)
		}
		if stats.BinomialSF(u, c.n, c.q) > c.al || stats.BinomialSF(u-1, c.n, c.q) <= c.al {
			t.Errorf("n=%d q=%g: upper index %d is not the first within alpha", c.n, c.q, u)
		}
	}
	// Too few samples: no bound at all, never a made-up one.
	if l, u := lowerIndex(200, 0.99, 1e-8), upperIndex(200, 0.99, 1e-8); u != 201 || l < 1 {
		t.Errorf("200 samples bound no p99 from above at 1e-8: u=%d (l=%d)", u, l)
	}
	if l := lowerIndex(10, 0.5, 1e-8); l != 0 {
		t.Errorf("10 samples bound no median from below at 1e-8: l=%d", l)
	}
}

// Each bound misses the true quantile at most alpha of the time: 4000
// seeded trials (deterministic) of a skewed distribution at alpha 0.02.
func TestBoundsCoverTheTrueQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 34))
	const trials, alpha = 4000, 0.02
	for _, c := range []struct {
		n int
		q float64
	}{{101, 0.5}, {1000, 0.99}} {
		truth := -math.Log(1 - c.q) // exponential(1)'s quantile
		l, u := lowerIndex(c.n, c.q, alpha), upperIndex(c.n, c.q, alpha)
		xs := make([]float64, c.n)
		lowMiss, highMiss := 0, 0
		for range trials {
			for i := range xs {
				xs[i] = rng.ExpFloat64()
			}
			slices.Sort(xs)
			if xs[l-1] > truth {
				lowMiss++
			}
			if xs[u-1] < truth {
				highMiss++
			}
		}
		// Binomial(4000, ≤0.02): mean ≤ 80, sd ≈ 8.9; 80 + 6 sd = 134.
		if lowMiss > 134 || highMiss > 134 {
			t.Errorf("n=%d q=%g: misses %d low, %d high in %d trials at alpha %g", c.n, c.q, lowMiss, highMiss, trials, alpha)
		}
		if lowMiss == 0 && highMiss == 0 {
			t.Errorf("n=%d q=%g: no miss at all: the bounds are far looser than alpha", c.n, c.q)
		}
	}
}
