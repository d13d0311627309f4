package stats

import (
	"fmt"
	"math"
	"sort"
)

// TieTolerance is the relative tolerance used by [BinomialTest] to decide
// that an outcome is "no more likely" than the observed one:
// P(X = i) <= P(X = k) · TieTolerance. It is the value used by R's
// binom.test (relErr = 1 + 1e-7), so that outcomes whose probabilities are
// mathematically equal but differ by rounding are treated as ties.
const TieTolerance = 1 + 1e-7

// BinomialTest returns the exact two-sided p-value for observing k
// successes in n trials under H0: p = p0, defined as the total probability
// of all outcomes that are no more likely than the observed one:
//
//	pvalue(k) = Σ_{i : f(i) <= f(k)·(1+1e-7)} f(i),   f(i) = P(X = i | n, p0),
//
// capped at 1. This is the definition of R's binom.test (and of scipy's
// binomtest); the factor 1+1e-7 ([TieTolerance]) makes ties robust to
// rounding. As in R, it is evaluated as two tail probabilities: with
// m = n·p0,
//
//	k = m:  pvalue = 1
//	k < m:  pvalue = P(X <= k) + P(X >= j),  j = min{ i >= ceil(m) : f(i) <= f(k)·(1+1e-7) }
//	k > m:  pvalue = P(X <= j) + P(X >= k),  j = max{ i <= floor(m) : f(i) <= f(k)·(1+1e-7) }
//
// (an empty set gives j = n+1, resp. j = -1, i.e. a zero tail). Because f
// is unimodal, j is found by bisection, so the cost is O(log n) PMF
// evaluations plus two tail sums.
//
// It returns NaN if n < 0, k ∉ [0, n] or p0 ∉ [0, 1].
func BinomialTest(k, n int, p0 float64) float64 {
	if !validBinom(n, p0) || k < 0 || k > n {
		return math.NaN()
	}
	d := BinomialPMF(k, n, p0)
	m := float64(n) * p0
	fk := float64(k)
	if fk == m {
		return 1
	}
	bound := d * TieTolerance
	var pv float64
	if fk < m {
		// f is non-increasing on [ceil(m), n]: find the first i there with
		// f(i) <= bound.
		start := int(math.Ceil(m))
		j := start + sort.Search(n-start+1, func(i int) bool {
			return BinomialPMF(start+i, n, p0) <= bound
		})
		pv = BinomialCDF(k, n, p0) + BinomialSF(j, n, p0)
	} else {
		// f is non-decreasing on [0, floor(m)]: find the last i there with
		// f(i) <= bound (j = -1 if none).
		end := int(math.Floor(m))
		j := sort.Search(end+1, func(i int) bool {
			return BinomialPMF(i, n, p0) > bound
		}) - 1
		pv = BinomialCDF(j, n, p0) + BinomialSF(k, n, p0)
	}
	return math.Min(1, pv)
}

// Acceptance returns the acceptance region [lo, hi] of the exact two-sided
// binomial test of H0: p = p0 at level alpha, i.e. the set
//
//	{ k ∈ [0, n] : BinomialTest(k, n, p0) > alpha },
//
// which is an interval containing the mode of Binomial(n, p0).
//
// Level guarantee: P(X < lo or X > hi | X ~ Binomial(n, p0)) <= alpha.
// Proof sketch: let a = lo-1 and b = hi+1 be the innermost rejected
// outcomes below and above. If f(b) <= f(a)·(1+1e-7) then the upper tail
// used by pvalue(a) starts at or before b, so
// P(X <= a) + P(X >= b) <= pvalue(a) <= alpha; otherwise
// f(a) < f(b) <= f(b)·(1+1e-7) and symmetrically the total is
// <= pvalue(b) <= alpha. (A missing side only makes the bound easier.)
//
// The p-value is non-decreasing in k on [0, mode] and non-increasing on
// [mode, n] (moving away from the mode shrinks both tails), so lo and hi
// are found by bisection: O(log n) calls of [BinomialTest].
//
// It panics if n < 0, p0 ∉ [0, 1] or alpha ∉ (0, 1).
func Acceptance(n int, p0, alpha float64) (lo, hi int) {
	if !validBinom(n, p0) {
		panic(fmt.Sprintf("stats.Acceptance: invalid n=%d, p0=%v", n, p0))
	}
	if !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("stats.Acceptance: alpha=%v not in (0, 1)", alpha))
	}
	mode := binomMode(n, p0)
	lo = sort.Search(mode+1, func(k int) bool {
		return BinomialTest(k, n, p0) > alpha
	})
	hi = mode + sort.Search(n-mode+1, func(i int) bool {
		return BinomialTest(mode+i, n, p0) <= alpha
	}) - 1
	// The p-value of the mode is 1 (up to rounding), so lo <= mode <= hi for
	// any alpha < 1; the clamps only guard against alpha within rounding
	// of 1, and widening the region can only lower the rejection rate.
	lo = min(lo, mode)
	hi = max(hi, mode)
	return lo, hi
}

// Power returns the probability that the exact two-sided test of
// H0: p = p0 at level alpha rejects when the true proportion is p1:
//
//	Power = P(X < lo | n, p1) + P(X > hi | n, p1)
//	      = BinomialCDF(lo-1, n, p1) + BinomialSF(hi+1, n, p1),
//
// where [lo, hi] = Acceptance(n, p0, alpha). Power(n, p0, p0, alpha) is the
// actual size of the test (<= alpha). As a function of p1 the power first
// decreases and then increases (its derivative is proportional to
// P(Y = hi) - P(Y = lo-1) for Y ~ Binomial(n-1, p1), which changes sign
// once); the minimum is near, but not necessarily at, p0, so the test may
// be slightly biased very close to p0.
//
// It panics on the same invalid arguments as [Acceptance] or if
// p1 ∉ [0, 1].
func Power(n int, p0, p1, alpha float64) float64 {
	if !(p1 >= 0 && p1 <= 1) {
		panic(fmt.Sprintf("stats.Power: p1=%v not in [0, 1]", p1))
	}
	lo, hi := Acceptance(n, p0, alpha)
	return powerOutside(n, lo, hi, p1)
}

// powerOutside returns P(X ∉ [lo, hi]) for X ~ Binomial(n, p1).
func powerOutside(n, lo, hi int, p1 float64) float64 {
	return BinomialCDF(lo-1, n, p1) + BinomialSF(hi+1, n, p1)
}

// maxSampleSize bounds the search of SampleSize.
const maxSampleSize = 1 << 31

// exactScanLimit is the largest gap between the Neyman–Pearson lower bound
// and the bisection result that SampleSize closes by an exhaustive scan.
const exactScanLimit = 4096

// fallbackWindow is the number of sample sizes below the bisection result
// that SampleSize examines when the exhaustive scan would be too long.
const fallbackWindow = 256

// SampleSize returns the smallest number of trials n for which the exact
// two-sided test of H0: p = p0 at level alpha (the check "k ∈
// Acceptance(n, p0, alpha)") has power at least `power` against both
// alternatives p0-delta and p0+delta, clamped to [0, 1]:
//
//	ok(n) ⇔ Power(n, p0, max(0, p0-delta), alpha) >= power
//	         and Power(n, p0, min(1, p0+delta), alpha) >= power.
//
// An alternative that clamps onto p0 itself (p0 = 0 or p0 = 1) cannot be
// detected and is skipped.
//
// Because the test is discrete, the power is not monotone in n (it has a
// sawtooth shape: it drops whenever an acceptance bound moves), so ok(n)
// does not imply ok(n+1) and plain bisection can miss smaller solutions.
// The search is therefore:
//
//  1. Doubling: n = 1, 2, 4, … until ok(n); bisection between the last
//     failure and that n gives nb with ok(nb) and !ok(nb-1).
//  2. Lower bound: by the Neyman–Pearson lemma, no level-alpha test can
//     be more powerful at p1 than the randomized one-sided likelihood-ratio
//     test of exact size alpha, whose power is non-decreasing in n (a test
//     may ignore an observation). The smallest n where that bound reaches
//     `power` for both alternatives, nlb, is found by bisection; every n
//     with ok(n) has n >= nlb.
//  3. If nb - nlb <= 4096, n = nlb, nlb+1, … are scanned and the first n
//     with ok(n) is returned: this is the exact smallest solution. Otherwise
//     (only for n of the order of 1e5 and more) the 256 sizes below nb are
//     scanned, the smallest solution n among them is taken and n is
//     decreased while ok(n-1) holds; the result satisfies ok(n) and
//     !ok(n-1) but is only approximately minimal (in practice within a few
//     percent, since nb - nlb is).
//
// The returned n always satisfies ok(n). It does not imply ok(n') for
// n' > n; callers that vary n should re-check with [Power]. It returns -1
// if no n <= 2³¹ is found.
//
// Example: SampleSize(0.10, 0.05, 1e-6, 0.99) = 2186 (found exactly, in
// ~2 ms), with Acceptance(2186, 0.10, 1e-6) = [153, 289], actual size
// 9.95e-7, power 0.99997 against p = 0.05 and 0.99015 against p = 0.15.
// The sawtooth is visible right after it: n = 2187 fails (the region grows
// to [153, 290] and the power against 0.15 drops to 0.98866), n = 2187..2199
// all fail, 2200 and 2201 pass, and passes and failures keep alternating up
// to n = 2227; the requirement holds for every n >= 2228 (checked up to
// 6000). A check whose n is not fixed exactly should use such a "stable"
// n, found by scanning upward with [Power].
//
// It panics if p0 ∉ [0, 1], delta <= 0, alpha ∉ (0, 1) or power ∉ (0, 1).
func SampleSize(p0, delta, alpha, power float64) int {
	n, _ := sampleSize(p0, delta, alpha, power)
	return n
}

// sampleSize implements SampleSize and also reports whether the result is
// provably the smallest solution.
func sampleSize(p0, delta, alpha, power float64) (n int, exact bool) {
	if !(p0 >= 0 && p0 <= 1) {
		panic(fmt.Sprintf("stats.SampleSize: p0=%v not in [0, 1]", p0))
	}
	if !(delta > 0 && delta <= 1) {
		panic(fmt.Sprintf("stats.SampleSize: delta=%v not in (0, 1]", delta))
	}
	if !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("stats.SampleSize: alpha=%v not in (0, 1)", alpha))
	}
	if !(power > 0 && power < 1) {
		panic(fmt.Sprintf("stats.SampleSize: power=%v not in (0, 1)", power))
	}
	var alts []float64
	if p1 := math.Max(0, p0-delta); p1 != p0 {
		alts = append(alts, p1)
	}
	if p1 := math.Min(1, p0+delta); p1 != p0 {
		alts = append(alts, p1)
	}
	ok := func(n int) bool {
		lo, hi := Acceptance(n, p0, alpha)
		for _, p1 := range alts {
			if powerOutside(n, lo, hi, p1) < power {
				return false
			}
		}
		return true
	}
	// A tiny slack keeps the bound a true lower bound despite rounding.
	npOK := func(n int) bool {
		for _, p1 := range alts {
			if npPower(n, p0, p1, alpha) < power-1e-12 {
				return false
			}
		}
		return true
	}

	// 1. Doubling, then bisection on (lo, hi] with !ok(lo), ok(hi).
	lo, hi := 0, 1
	for !ok(hi) {
		if hi >= maxSampleSize {
			return -1, false
		}
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	nb := hi

	// 2. Monotone Neyman–Pearson lower bound, by bisection on [1, nb].
	nlb := 1 + sort.Search(nb, func(i int) bool { return npOK(1 + i) })

	// 3. Close the gap.
	if nb-nlb <= exactScanLimit {
		for n := nlb; n < nb; n++ {
			if ok(n) {
				return n, true
			}
		}
		return nb, true
	}
	best := nb
	for n := nb - 1; n >= nb-fallbackWindow; n-- {
		if ok(n) {
			best = n
		}
	}
	for best-1 >= nlb && ok(best-1) {
		best--
	}
	return best, false
}

// npPower returns the power at p1 of the most powerful (randomized,
// one-sided, Neyman–Pearson) test of p0 against p1 with size exactly alpha.
// For p1 > p0 it rejects when X >= c and with probability g when X = c-1:
//
//	c = min{ c : P(X >= c | p0) <= alpha },
//	g = (alpha - P(X >= c | p0)) / P(X = c-1 | p0),
//	power = P(X >= c | p1) + g·P(X = c-1 | p1),
//
// and symmetrically for p1 < p0. By the Neyman–Pearson lemma this bounds
// the power at p1 of every test with size <= alpha, and it is
// non-decreasing in n.
func npPower(n int, p0, p1, alpha float64) float64 {
	if p1 > p0 {
		c := sort.Search(n+2, func(c int) bool { return BinomialSF(c, n, p0) <= alpha })
		g := 0.0
		if c >= 1 {
			if f := BinomialPMF(c-1, n, p0); f > 0 {
				g = math.Min(1, math.Max(0, (alpha-BinomialSF(c, n, p0))/f))
			}
		}
		return BinomialSF(c, n, p1) + g*BinomialPMF(c-1, n, p1)
	}
	// p1 < p0: reject when X <= c, randomize at c+1.
	// c = max{ c : P(X <= c | p0) <= alpha } ∈ [-1, n].
	c := sort.Search(n+2, func(i int) bool { return BinomialCDF(i, n, p0) > alpha }) - 1
	g := 0.0
	if c+1 <= n {
		if f := BinomialPMF(c+1, n, p0); f > 0 {
			g = math.Min(1, math.Max(0, (alpha-BinomialCDF(c, n, p0))/f))
		}
	}
	return BinomialCDF(c, n, p1) + g*BinomialPMF(c+1, n, p1)
}
