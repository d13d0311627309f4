package stats

import "math"

// RunsTest performs the Wald–Wolfowitz runs test of the hypothesis that
// the elements of a binary sequence are exchangeable (for a sequence of
// independent trials with a fixed success probability: independent), e.g.
// that canary routing decisions do not come in bursts or strict
// alternation.
//
// A run is a maximal block of equal consecutive values; runs is their
// number R. Conditional on the counts n1 (true) and n2 (false),
// N = n1 + n2, R has the exact mean and variance
//
//	μ  = 2·n1·n2/N + 1
//	σ² = 2·n1·n2·(2·n1·n2 - N) / (N²·(N - 1))
//
// and the statistic z = (R - μ)/σ is approximately standard normal; the
// two-sided p-value is P(|Z| >= |z|) = erfc(|z|/√2). No continuity
// correction is applied. z < 0 means too few runs (clustering, positive
// serial correlation), z > 0 too many runs (alternation).
//
// The normal approximation is valid when both n1 and n2 are at least
// about 20; for smaller counts the p-value is only indicative.
//
// If either count is 0 (including an empty sequence), or σ² = 0
// (n1 = n2 = 1), there is nothing to test: z = 0 and pValue = 1 (runs is
// still reported).
func RunsTest(seq []bool) (runs int, z, pValue float64) {
	var n1, n2 int
	for i, v := range seq {
		if v {
			n1++
		} else {
			n2++
		}
		if i == 0 || v != seq[i-1] {
			runs++
		}
	}
	if n1 == 0 || n2 == 0 {
		return runs, 0, 1
	}
	a, b := float64(n1), float64(n2)
	N := a + b
	mu := 2*a*b/N + 1
	v := 2 * a * b * (2*a*b - N) / (N * N * (N - 1))
	if !(v > 0) {
		return runs, 0, 1
	}
	z = (float64(runs) - mu) / math.Sqrt(v)
	return runs, z, normalTwoSidedP(z)
}

// LongestRun returns the length of the longest block of equal
// consecutive values (of either value) in seq, or 0 for an empty
// sequence. For n independent fair coin flips it is about log2(n).
func LongestRun(seq []bool) int {
	longest, cur := 0, 0
	for i, v := range seq {
		if i > 0 && v == seq[i-1] {
			cur++
		} else {
			cur = 1
		}
		longest = max(longest, cur)
	}
	return longest
}
