package stats

import "math"

// Coefficients of Acklam's rational approximations to the inverse normal
// CDF (P. J. Acklam, "An algorithm for computing the inverse normal
// cumulative distribution function", 2003); relative error < 1.15e-9
// before refinement.
var (
	acklamA = [6]float64{
		-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
		1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
	}
	acklamB = [5]float64{
		-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
		6.680131188771972e+01, -1.328068155288572e+01,
	}
	acklamC = [6]float64{
		-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
		-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
	}
	acklamD = [4]float64{
		7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
		3.754408661907416e+00,
	}
)

// normalQuantile returns Φ⁻¹(p), the inverse of the standard normal CDF
//
//	Φ(x) = ½·erfc(-x/√2).
//
// Acklam's algorithm gives a first approximation x0 (a rational function
// of p - ½ for 0.02425 <= p <= 0.97575 and of q = sqrt(-2·log(p)) in the
// tails). It is refined by one Halley step on Φ(x) - p = 0:
//
//	e = Φ(x0) - p,  u = e/φ(x0) = e·√(2π)·exp(x0²/2),  x = x0 - u/(1 + x0·u/2),
//
// which brings the relative error to ~1e-15. In the lower half Φ(x0) is
// computed with math.Erfc, so tiny tail probabilities keep full relative
// accuracy; the upper half uses the symmetry Φ⁻¹(p) = -Φ⁻¹(1-p).
// It returns -Inf for p = 0, +Inf for p = 1 and NaN outside [0, 1].
func normalQuantile(p float64) float64 {
	switch {
	case !(p >= 0 && p <= 1):
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case p > 0.5:
		return -normalQuantile(1 - p)
	}
	a, b, c, d := &acklamA, &acklamB, &acklamC, &acklamD
	const pLow = 0.02425
	var x float64
	if p < pLow {
		q := math.Sqrt(-2 * math.Log(p))
		x = (((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q + c[5]) /
			((((d[0]*q+d[1])*q+d[2])*q+d[3])*q + 1)
	} else {
		q := p - 0.5
		r := q * q
		x = (((((a[0]*r+a[1])*r+a[2])*r+a[3])*r+a[4])*r + a[5]) * q /
			(((((b[0]*r+b[1])*r+b[2])*r+b[3])*r+b[4])*r + 1)
	}
	// One Halley refinement step. e/φ(x0) is evaluated as
	// (Φ(x0)/p - 1)·√(2π)·exp(log(p) + x0²/2) so that it neither
	// underflows nor overflows for tiny p.
	r := 0.5*math.Erfc(-x/math.Sqrt2)/p - 1
	u := r * math.Sqrt(2*math.Pi) * math.Exp(math.Log(p)+x*x/2)
	return x - u/(1+x*u/2)
}

// ZForAlpha returns the two-sided standard normal critical value
//
//	z = Φ⁻¹(1 - alpha/2),
//
// i.e. P(|Z| > z) = alpha for Z ~ N(0, 1); for example 1.959963985 for
// alpha = 0.05 and 4.891638476 for alpha = 1e-6. It is computed as
// -Φ⁻¹(alpha/2) (see normalQuantile) so that tiny alpha keeps full
// relative accuracy (~1e-15). For a one-sided critical value use
// ZForAlpha(2·alpha). It returns NaN unless 0 <= alpha <= 1.
func ZForAlpha(alpha float64) float64 {
	if !(alpha >= 0 && alpha <= 1) {
		return math.NaN()
	}
	return -normalQuantile(alpha / 2)
}

// normalTwoSidedP returns P(|Z| >= |z|) = erfc(|z|/√2) for Z ~ N(0, 1).
func normalTwoSidedP(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// Wilson returns the Wilson score interval for a binomial proportion
// with k successes in n trials and normal critical value z (for a
// two-sided 1-alpha interval use z = ZForAlpha(alpha)). With p̂ = k/n,
//
//	center = (p̂ + z²/(2n)) / (1 + z²/n)
//	half   = z/(1 + z²/n) · sqrt( p̂(1-p̂)/n + z²/(4n²) )
//	[lo, hi] = [center - half, center + half],
//
// the set of p for which |p̂ - p| <= z·sqrt(p(1-p)/n). The result always
// contains p̂ and lies in [0, 1] (lo = 0 exactly when k = 0, hi = 1 exactly
// when k = n). For example k = 5, n = 10, z = 1.96 gives
// (0.2366, 0.7634).
//
// For n = 0 it returns the uninformative interval (0, 1); it returns
// (NaN, NaN) if k ∉ [0, n] or z is negative or NaN.
func Wilson(k, n int, z float64) (lo, hi float64) {
	if n < 0 || k < 0 || k > n || !(z >= 0) {
		return math.NaN(), math.NaN()
	}
	if n == 0 {
		return 0, 1
	}
	fn := float64(n)
	ph := float64(k) / fn
	z2 := z * z
	den := 1 + z2/fn
	center := (ph + z2/(2*fn)) / den
	half := z / den * math.Sqrt(ph*(1-ph)/fn+z2/(4*fn*fn))
	lo, hi = center-half, center+half
	// Exact endpoints at the boundaries (the formula gives 0 and 1 up to
	// rounding), and clamp so that lo <= p̂ <= hi despite rounding.
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	lo = math.Max(0, math.Min(lo, ph))
	hi = math.Min(1, math.Max(hi, ph))
	return lo, hi
}
