package stats

import "math"

// lnSqrt2Pi is log(sqrt(2*pi)).
const lnSqrt2Pi = 0.918938533204672741780329736406

// ln2Pi is log(2*pi).
const ln2Pi = 1.837877066409345483560659472811

// tailEps is the relative truncation error allowed when a tail sum is cut
// off. It is below the float64 machine epsilon, so truncation is invisible.
const tailEps = 1e-17

// validBinom reports whether n >= 0 and p is a probability.
func validBinom(n int, p float64) bool {
	return n >= 0 && p >= 0 && p <= 1 // false for NaN p
}

// sferrInt holds stirlerr(n) for n = 0..15 (computed to 22 digits with
// arbitrary-precision arithmetic; identical to the integer entries of the
// table used by R's nmath/stirlerr.c).
var sferrInt = [16]float64{
	0,                          // n = 0 (never used: k = 0 and k = n are special-cased)
	0.08106146679532725821967,  // n = 1
	0.04134069595540929409382,  // n = 2
	0.02767792568499833914879,  // n = 3
	0.02079067210376509311152,  // n = 4
	0.01664469118982119216319,  // n = 5
	0.01387612882307074799875,  // n = 6
	0.01189670994589177009506,  // n = 7
	0.01041126526197209649748,  // n = 8
	0.009255462182712732917729, // n = 9
	0.008330563433362871256469, // n = 10
	0.007573675487951840794972, // n = 11
	0.006942840107209529865664, // n = 12
	0.00640899418800420706844,  // n = 13
	0.005951370112758847735624, // n = 14
	0.005554733551962801371039, // n = 15
}

// stirlerr returns the error of Stirling's approximation to log(n!):
//
//	stirlerr(n) = log(n!) - [ (n + 1/2)·log(n) - n + log(sqrt(2π)) ]
//
// For n <= 15 it is read from a table; for larger n the asymptotic series
//
//	stirlerr(n) = 1/(12n) - 1/(360n³) + 1/(1260n⁵) - 1/(1680n⁷) + 1/(1188n⁹) - …
//
// is used, truncated as in Loader (2000) so that the error is below 1e-16.
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if n <= 15 {
		return sferrInt[int(n)]
	}
	nn := n * n
	switch {
	case n > 500:
		return (s0 - s1/nn) / n
	case n > 80:
		return (s0 - (s1-s2/nn)/nn) / n
	case n > 35:
		return (s0 - (s1-(s2-s3/nn)/nn)/nn) / n
	default:
		return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
	}
}

// bd0 returns the "deviance" term
//
//	bd0(x, m) = x·log(x/m) + m - x  (>= 0)
//
// computed without cancellation when x ≈ m via the series
//
//	bd0(x, m) = (x-m)·v + 2x·Σ_{j>=1} v^(2j+1)/(2j+1),  v = (x-m)/(x+m),
//
// used when |x-m| < 0.1·(x+m) (Loader 2000).
func bd0(x, m float64) float64 {
	if math.Abs(x-m) < 0.1*(x+m) {
		v := (x - m) / (x + m)
		s := (x - m) * v
		ej := 2 * x * v
		v *= v
		for j := 1; j < 1000; j++ {
			ej *= v
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s1
			}
			s = s1
		}
		return s
	}
	return x*math.Log(x/m) + m - x
}

// BinomialPMF returns P(X = k) for X ~ Binomial(n, p):
//
//	P(X = k) = C(n, k) · p^k · (1-p)^(n-k).
//
// It is evaluated in log space with Loader's saddle-point expansion
// (C. Loader, "Fast and accurate computation of binomial probabilities",
// 2000; the algorithm of R's dbinom), which avoids the cancellation of
// log(n!) - log(k!) - log((n-k)!) for large n:
//
//	log P(X = k) = stirlerr(n) - stirlerr(k) - stirlerr(n-k)
//	               - bd0(k, n·p) - bd0(n-k, n·(1-p))
//	               - ½·log(2π·k·(n-k)/n)
//
// for 0 < k < n, and
//
//	P(X = 0) = (1-p)^n = exp(n·log1p(-p)),   P(X = n) = p^n.
//
// The relative error is ~1e-14 for moderate n, growing at most to about
// n·1e-16 in the extreme tails (from rounding 1-p). Results below ~1e-308
// underflow to 0.
//
// It returns 0 for k < 0 or k > n and NaN if n < 0 or p ∉ [0, 1].
func BinomialPMF(k, n int, p float64) float64 {
	if !validBinom(n, p) {
		return math.NaN()
	}
	if k < 0 || k > n {
		return 0
	}
	if n == 0 {
		return 1
	}
	if p == 0 {
		if k == 0 {
			return 1
		}
		return 0
	}
	if p == 1 {
		if k == n {
			return 1
		}
		return 0
	}
	q := 1 - p
	fn := float64(n)
	if k == 0 {
		if p < 0.1 {
			return math.Exp(-bd0(fn, fn*q) - fn*p)
		}
		return math.Exp(fn * math.Log1p(-p))
	}
	if k == n {
		if q < 0.1 {
			return math.Exp(-bd0(fn, fn*p) - fn*q)
		}
		return math.Exp(fn * math.Log(p))
	}
	fk := float64(k)
	lc := stirlerr(fn) - stirlerr(fk) - stirlerr(fn-fk) - bd0(fk, fn*p) - bd0(fn-fk, fn*q)
	lf := ln2Pi + math.Log(fk) + math.Log1p(-fk/fn)
	return math.Exp(lc - 0.5*lf)
}

// binomMode returns floor((n+1)·p) clamped to [0, n], a mode of
// Binomial(n, p). The PMF is non-decreasing on [0, mode] and
// non-increasing on [mode, n], because the ratio
//
//	P(X = i+1) / P(X = i) = (n-i)/(i+1) · p/(1-p)
//
// is decreasing in i and is >= 1 exactly when i+1 <= (n+1)·p.
func binomMode(n int, p float64) int {
	m := int(math.Floor(float64(n+1) * p))
	if m > n {
		m = n
	}
	if m < 0 {
		m = 0
	}
	return m
}

// lowerTail returns Σ_{i=0..k} P(X = i) for 0 <= k < mode, 0 < p < 1.
//
// Starting from t_k = P(X = k) it applies the recurrence
//
//	t_{i-1} = t_i · r_i,   r_i = i/(n-i+1) · (1-p)/p,
//
// whose ratios r_i are < 1 and decrease as i decreases (below the mode), so
// after adding t_{i-1} the remaining terms are bounded by the geometric
// series t_{i-1}·r_i/(1-r_i). Summation stops when that bound is below
// tailEps times the partial sum. All terms are positive, so the sum is
// accurate to a few ulps per term.
func lowerTail(k, n int, p float64) float64 {
	t := BinomialPMF(k, n, p)
	s := t
	qp := (1 - p) / p
	fn1 := float64(n + 1)
	for i := k; i > 0 && t > 0; i-- {
		fi := float64(i)
		r := fi / (fn1 - fi) * qp
		t *= r
		s += t
		if r < 1 && t*r <= tailEps*s*(1-r) {
			break
		}
	}
	return s
}

// upperTail returns Σ_{i=k..n} P(X = i) for mode < k <= n, 0 < p < 1,
// using the recurrence t_{i+1} = t_i · (n-i)/(i+1) · p/(1-p) with the same
// geometric stopping rule as lowerTail.
func upperTail(k, n int, p float64) float64 {
	t := BinomialPMF(k, n, p)
	s := t
	pq := p / (1 - p)
	fn := float64(n)
	for i := k; i < n && t > 0; i++ {
		fi := float64(i)
		r := (fn - fi) / (fi + 1) * pq
		t *= r
		s += t
		if r < 1 && t*r <= tailEps*s*(1-r) {
			break
		}
	}
	return s
}

// BinomialCDF returns P(X <= k) for X ~ Binomial(n, p):
//
//	P(X <= k) = Σ_{i=0..k} C(n, i) p^i (1-p)^(n-i).
//
// If k is below the mode m = floor((n+1)p) the (small) tail is summed
// directly, starting at P(X = k) and walking away from the mode with the
// ratio recurrence P(X = i-1) = P(X = i) · i/(n-i+1) · (1-p)/p; otherwise
// it returns 1 - P(X >= k+1) with the upper tail summed the same way.
// The tail that is summed is always the one away from the mode, so small
// probabilities keep full relative accuracy, and the number of terms is
// O(sqrt(n·p·(1-p))) rather than O(n).
//
// It returns 0 for k < 0, 1 for k >= n, and NaN if n < 0 or p ∉ [0, 1].
func BinomialCDF(k, n int, p float64) float64 {
	if !validBinom(n, p) {
		return math.NaN()
	}
	if k < 0 {
		return 0
	}
	if k >= n {
		return 1
	}
	if p == 0 {
		return 1
	}
	if p == 1 {
		return 0
	}
	if k < binomMode(n, p) {
		return lowerTail(k, n, p)
	}
	return 1 - upperTail(k+1, n, p)
}

// BinomialSF returns the survival function P(X >= k) for X ~ Binomial(n, p)
// (note: >= k, not > k), so that
//
//	BinomialCDF(k, n, p) + BinomialSF(k+1, n, p) = 1.
//
// It is computed like [BinomialCDF]: the tail away from the mode is summed
// directly and the other side is obtained by complement.
//
// It returns 1 for k <= 0, 0 for k > n, and NaN if n < 0 or p ∉ [0, 1].
func BinomialSF(k, n int, p float64) float64 {
	if !validBinom(n, p) {
		return math.NaN()
	}
	if k <= 0 {
		return 1
	}
	if k > n {
		return 0
	}
	if p == 0 {
		return 0
	}
	if p == 1 {
		return 1
	}
	if k > binomMode(n, p) {
		return upperTail(k, n, p)
	}
	return 1 - lowerTail(k-1, n, p)
}
