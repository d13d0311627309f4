package stats

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// relErr returns |got-want|/|want| (or |got| when want is 0).
func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// exactPMF computes C(n,k) p^k (1-p)^(n-k) with 256-bit floating point
// arithmetic (p is taken as the exact binary value of the float64).
func exactPMF(k, n int, p float64) float64 {
	const prec = 256
	c := new(big.Float).SetPrec(prec).SetInt(new(big.Int).Binomial(int64(n), int64(k)))
	bp := new(big.Float).SetPrec(prec).SetFloat64(p)
	bq := new(big.Float).SetPrec(prec).Sub(new(big.Float).SetPrec(prec).SetInt64(1), bp)
	for range k {
		c.Mul(c, bp)
	}
	for range n - k {
		c.Mul(c, bq)
	}
	f, _ := c.Float64()
	return f
}

// bruteTest is the definition of the two-sided p-value, summed term by term.
func bruteTest(k, n int, p float64) float64 {
	d := BinomialPMF(k, n, p) * TieTolerance
	s := 0.0
	for i := 0; i <= n; i++ {
		if f := BinomialPMF(i, n, p); f <= d {
			s += f
		}
	}
	return math.Min(1, s)
}

var testProbs = []float64{0.001, 0.01, 0.1, 0.25, 1.0 / 3, 0.5, 0.7, 0.9, 0.99}

func TestBinomialPMFExactSmall(t *testing.T) {
	worst := 0.0
	for _, n := range []int{1, 2, 3, 5, 10, 16, 17, 31, 40, 60} {
		for _, p := range testProbs {
			for k := 0; k <= n; k++ {
				got, want := BinomialPMF(k, n, p), exactPMF(k, n, p)
				if want < 1e-300 {
					continue
				}
				e := relErr(got, want)
				worst = math.Max(worst, e)
				if e > 1e-13 {
					t.Errorf("BinomialPMF(%d, %d, %v) = %.17g, want %.17g (rel err %.2g)", k, n, p, got, want, e)
				}
			}
		}
	}
	t.Logf("worst relative error vs 256-bit arithmetic: %.2g", worst)
}

func TestBinomialSumsToOne(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 1000, 100000} {
		for _, p := range testProbs {
			s := 0.0
			for k := 0; k <= n; k++ {
				s += BinomialPMF(k, n, p)
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("n=%d p=%v: Σ PMF = %.17g", n, p, s)
			}
		}
	}
	// n = 1e6: sum the ±15σ window around the mean (the rest is < 1e-45).
	n := 1_000_000
	for _, p := range []float64{0.5, 0.1, 1e-3} {
		mu, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
		s := 0.0
		for k := max(0, int(mu-15*sd)); k <= min(n, int(mu+15*sd)); k++ {
			s += BinomialPMF(k, n, p)
		}
		if math.Abs(s-1) > 1e-11 {
			t.Errorf("n=1e6 p=%v: Σ PMF = %.17g", p, s)
		}
	}
}

// Reference values computed with 50-digit arithmetic (mpmath), p taken as
// the float64 value.
func TestBinomialReferenceValues(t *testing.T) {
	const n = 1_000_000
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"PMF(100000; 1e6, 0.1)", BinomialPMF(100000, n, 0.1), 0.0013298064808525465258},
		{"PMF(99000; 1e6, 0.1)", BinomialPMF(99000, n, 0.1), 5.0792225480153284819e-6},
		{"PMF(98500; 1e6, 0.1)", BinomialPMF(98500, n, 0.1), 4.7175344897926362353e-9},
		{"PMF(500000; 1e6, 0.5)", BinomialPMF(500000, n, 0.5), 0.00079788436133175008909},
		{"PMF(0; 1e6, 1e-6)", BinomialPMF(0, n, 1e-6), 0.36787925723164511093},
		{"PMF(5; 1e6, 1e-6)", BinomialPMF(5, n, 1e-6), 0.0030656451486279906096},
		{"CDF(99000; 1e6, 0.1)", BinomialCDF(99000, n, 0.1), 0.00042469673811751833446},
		{"CDF(98500; 1e6, 0.1)", BinomialCDF(98500, n, 0.1), 2.7347712362567843163e-7},
		{"CDF(100000; 1e6, 0.1)", BinomialCDF(100000, n, 0.1), 0.5008422104052018161},
		{"CDF(499000; 1e6, 0.5)", BinomialCDF(499000, n, 0.5), 0.02280414993269104321},
		{"SF(101000; 1e6, 0.1)", BinomialSF(101000, n, 0.1), 0.00043861997629503734134},
		{"SF(102000; 1e6, 0.1)", BinomialSF(102000, n, 0.1), 1.5071725682036060388e-11},
		{"SF(10; 1e6, 1e-6)", BinomialSF(10, n, 1e-6), 1.1142142328861841283e-7},
	}
	for _, c := range cases {
		if e := relErr(c.got, c.want); e > 1e-10 {
			t.Errorf("%s = %.17g, want %.17g (rel err %.2g)", c.name, c.got, c.want, e)
		}
	}
	// Far tail: underflows gracefully instead of NaN/Inf.
	if got := BinomialPMF(1000, n, 0.5); got != 0 {
		t.Errorf("PMF(1000; 1e6, 0.5) = %g, want 0 (underflow of 1.5e-297598)", got)
	}
}

func TestBinomialCDFSFConsistency(t *testing.T) {
	for _, n := range []int{1, 2, 10, 57, 500, 20000} {
		for _, p := range testProbs {
			// Brute-force CDF for small n.
			run := 0.0
			prev := 0.0
			for k := -1; k <= n; k++ {
				if k >= 0 {
					run += BinomialPMF(k, n, p)
				}
				c, s := BinomialCDF(k, n, p), BinomialSF(k+1, n, p)
				if math.Abs(c+s-1) > 1e-14 {
					t.Fatalf("n=%d p=%v k=%d: CDF(k)+SF(k+1) = %.17g", n, p, k, c+s)
				}
				if c < prev {
					t.Fatalf("n=%d p=%v: CDF not monotone at k=%d", n, p, k)
				}
				prev = c
				if n <= 500 && math.Abs(c-run) > 1e-14 && relErr(c, run) > 1e-12 {
					t.Errorf("n=%d p=%v k=%d: CDF = %.17g, Σ PMF = %.17g", n, p, k, c, run)
				}
			}
		}
	}
}

func TestBinomialEdgeCases(t *testing.T) {
	eq := func(name string, got, want float64) {
		t.Helper()
		if !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	nan := math.NaN()
	eq("PMF(0;5,0)", BinomialPMF(0, 5, 0), 1)
	eq("PMF(1;5,0)", BinomialPMF(1, 5, 0), 0)
	eq("PMF(5;5,1)", BinomialPMF(5, 5, 1), 1)
	eq("PMF(4;5,1)", BinomialPMF(4, 5, 1), 0)
	eq("PMF(0;0,0.3)", BinomialPMF(0, 0, 0.3), 1)
	eq("PMF(0;0,0.05)", BinomialPMF(0, 0, 0.05), 1)
	eq("PMF(0;0,0.95)", BinomialPMF(0, 0, 0.95), 1)
	eq("PMF(-1;5,0.3)", BinomialPMF(-1, 5, 0.3), 0)
	eq("PMF(6;5,0.3)", BinomialPMF(6, 5, 0.3), 0)
	eq("PMF(0;1,0.3)", BinomialPMF(0, 1, 0.3), 0.7)
	eq("PMF(1;1,0.3)", BinomialPMF(1, 1, 0.3), 0.3)
	if e := relErr(BinomialPMF(0, 10, 0.5), 1.0/1024); e > 1e-15 {
		t.Errorf("PMF(0;10,0.5) rel err %g", e)
	}
	if e := relErr(BinomialPMF(10, 10, 0.5), 1.0/1024); e > 1e-15 {
		t.Errorf("PMF(10;10,0.5) rel err %g", e)
	}
	eq("CDF(-1;5,0.3)", BinomialCDF(-1, 5, 0.3), 0)
	eq("CDF(5;5,0.3)", BinomialCDF(5, 5, 0.3), 1)
	eq("CDF(0;5,0)", BinomialCDF(0, 5, 0), 1)
	eq("CDF(4;5,1)", BinomialCDF(4, 5, 1), 0)
	eq("SF(0;5,0.3)", BinomialSF(0, 5, 0.3), 1)
	eq("SF(6;5,0.3)", BinomialSF(6, 5, 0.3), 0)
	eq("SF(1;5,0)", BinomialSF(1, 5, 0), 0)
	eq("SF(5;5,1)", BinomialSF(5, 5, 1), 1)
	eq("PMF(p=-0.1)", BinomialPMF(1, 5, -0.1), nan)
	eq("PMF(p=1.1)", BinomialPMF(1, 5, 1.1), nan)
	eq("PMF(p=NaN)", BinomialPMF(1, 5, nan), nan)
	eq("CDF(n=-1)", BinomialCDF(1, -1, 0.5), nan)
	eq("SF(n=-1)", BinomialSF(1, -1, 0.5), nan)
	eq("Test(k>n)", BinomialTest(6, 5, 0.5), nan)
	eq("Test(k<0)", BinomialTest(-1, 5, 0.5), nan)
	// Degenerate p0.
	eq("Test(0;5,0)", BinomialTest(0, 5, 0), 1)
	eq("Test(1;5,0)", BinomialTest(1, 5, 0), 0)
	eq("Test(5;5,1)", BinomialTest(5, 5, 1), 1)
	eq("Test(4;5,1)", BinomialTest(4, 5, 1), 0)
	eq("Test(0;0,0.3)", BinomialTest(0, 0, 0.3), 1)
}

func TestBinomialTestKnownValues(t *testing.T) {
	cases := []struct {
		k, n int
		p    float64
		want float64
	}{
		// 2·(C(10,7)+C(10,8)+C(10,9)+C(10,10))/2^10 = 2·176/1024.
		{7, 10, 0.5, 0.34375},
		{3, 10, 0.5, 0.34375},
		{5, 10, 0.5, 1},
		// Outcomes no more likely than P(X=0)=0.9^20=0.12158 are 0 and
		// 4..20 (P(X=4)=0.08978 but P(X=3)=0.19012), so the p-value is
		// P(X=0) + P(X>=4) = 0.12158 + 0.13295 = 0.25453 (computed exactly
		// with 50 digits; R's binom.test(0, 20, 0.1) agrees). Note: the
		// sometimes quoted 0.2316 is not this test's p-value.
		{0, 20, 0.1, 0.25452997802490437064},
		{3, 20, 0.1, 0.44464984940110326896},
		{9, 20, 0.1, 5.9858531740360206333e-5},
		{2, 20, 0.1, 1},
	}
	for _, c := range cases {
		got := BinomialTest(c.k, c.n, c.p)
		if e := relErr(got, c.want); e > 1e-12 {
			t.Errorf("BinomialTest(%d, %d, %v) = %.17g, want %.17g", c.k, c.n, c.p, got, c.want)
		}
	}
}

func TestBinomialTestBruteForce(t *testing.T) {
	for _, n := range []int{1, 2, 5, 10, 20, 37, 100} {
		for _, p := range append([]float64{0, 0.05, 0.2, 0.45, 1}, testProbs...) {
			for k := 0; k <= n; k++ {
				got, want := BinomialTest(k, n, p), bruteTest(k, n, p)
				if math.Abs(got-want) > 1e-13 && relErr(got, want) > 1e-12 {
					t.Errorf("BinomialTest(%d, %d, %v) = %.17g, brute force %.17g", k, n, p, got, want)
				}
			}
		}
	}
}

var levelAlphas = []float64{0.2, 0.05, 0.01, 1e-3, 1e-6, 1e-9}

func TestAcceptanceLevelGuarantee(t *testing.T) {
	ns := []int{0, 1, 2, 3, 5, 10, 20, 50, 100, 333, 1000, 10000, 100000}
	p0s := []float64{0, 1e-4, 0.001, 0.01, 0.05, 0.1, 0.25, 1.0 / 3, 0.5, 0.7, 0.9, 0.99, 1}
	worst, worstCase := 0.0, ""
	for _, n := range ns {
		for _, p0 := range p0s {
			for _, alpha := range levelAlphas {
				lo, hi := Acceptance(n, p0, alpha)
				if lo < 0 || hi > n || lo > hi {
					t.Fatalf("Acceptance(%d, %v, %v) = [%d, %d]: invalid", n, p0, alpha, lo, hi)
				}
				mode := binomMode(n, p0)
				if mode < lo || mode > hi {
					t.Errorf("Acceptance(%d, %v, %v) = [%d, %d] excludes the mode %d", n, p0, alpha, lo, hi, mode)
				}
				out := BinomialCDF(lo-1, n, p0) + BinomialSF(hi+1, n, p0)
				if out > alpha {
					t.Errorf("Acceptance(%d, %v, %v) = [%d, %d]: P(outside | p0) = %.17g > alpha", n, p0, alpha, lo, hi, out)
				}
				if out/alpha > worst {
					worst = out / alpha
					worstCase = fmt.Sprintf("n=%d p0=%v alpha=%v: [%d,%d], P(outside)=%.17g", n, p0, alpha, lo, hi, out)
				}
				// Definition: boundary p-values.
				if pv := BinomialTest(lo, n, p0); !(pv > alpha) {
					t.Errorf("n=%d p0=%v alpha=%v: BinomialTest(lo=%d) = %g <= alpha", n, p0, alpha, lo, pv)
				}
				if pv := BinomialTest(hi, n, p0); !(pv > alpha) {
					t.Errorf("n=%d p0=%v alpha=%v: BinomialTest(hi=%d) = %g <= alpha", n, p0, alpha, hi, pv)
				}
				if lo > 0 {
					if pv := BinomialTest(lo-1, n, p0); pv > alpha {
						t.Errorf("n=%d p0=%v alpha=%v: BinomialTest(lo-1=%d) = %g > alpha", n, p0, alpha, lo-1, pv)
					}
				}
				if hi < n {
					if pv := BinomialTest(hi+1, n, p0); pv > alpha {
						t.Errorf("n=%d p0=%v alpha=%v: BinomialTest(hi+1=%d) = %g > alpha", n, p0, alpha, hi+1, pv)
					}
				}
				// Small n: the region is exactly {k : pvalue > alpha}.
				if n <= 100 {
					for k := 0; k <= n; k++ {
						in := lo <= k && k <= hi
						if acc := bruteTest(k, n, p0) > alpha; acc != in {
							t.Errorf("n=%d p0=%v alpha=%v: k=%d in [%d,%d] = %v but p-value>alpha = %v", n, p0, alpha, k, lo, hi, in, acc)
						}
					}
				}
			}
		}
	}
	// The maximum is attained by ties such as n=1, p0=alpha, where the
	// rejected outcome k=1 has p-value exactly alpha.
	t.Logf("max P(outside | p0)/alpha over the grid: %.17g (%s)", worst, worstCase)
}

func TestAcceptanceLevelRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for range 300 {
		n := int(math.Exp(r.Float64() * math.Log(2e5)))
		p0 := r.Float64()
		alpha := math.Pow(10, -1-8*r.Float64())
		lo, hi := Acceptance(n, p0, alpha)
		if out := BinomialCDF(lo-1, n, p0) + BinomialSF(hi+1, n, p0); out > alpha {
			t.Errorf("Acceptance(%d, %v, %v) = [%d,%d]: P(outside) = %g > alpha", n, p0, alpha, lo, hi, out)
		}
	}
}

func TestInvalidArgumentsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"Acceptance n<0":      func() { Acceptance(-1, 0.5, 0.05) },
		"Acceptance p0>1":     func() { Acceptance(10, 1.5, 0.05) },
		"Acceptance alpha=0":  func() { Acceptance(10, 0.5, 0) },
		"Acceptance alpha=1":  func() { Acceptance(10, 0.5, 1) },
		"Power p1 NaN":        func() { Power(10, 0.5, math.NaN(), 0.05) },
		"SampleSize delta=0":  func() { SampleSize(0.5, 0, 0.05, 0.9) },
		"SampleSize power=1":  func() { SampleSize(0.5, 0.1, 0.05, 1) },
		"SampleSize p0<0":     func() { SampleSize(-0.1, 0.1, 0.05, 0.9) },
		"SampleSize alpha>=1": func() { SampleSize(0.5, 0.1, 1, 0.9) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestAcceptanceMonotone(t *testing.T) {
	// Smaller alpha ⇒ wider region.
	for _, n := range []int{10, 100, 1000, 50000} {
		for _, p0 := range []float64{0.01, 0.1, 0.5, 0.8} {
			plo, phi := Acceptance(n, p0, levelAlphas[0])
			for _, alpha := range levelAlphas[1:] {
				lo, hi := Acceptance(n, p0, alpha)
				if lo > plo || hi < phi {
					t.Errorf("n=%d p0=%v: alpha=%v gives [%d,%d], narrower than [%d,%d]", n, p0, alpha, lo, hi, plo, phi)
				}
				plo, phi = lo, hi
			}
		}
	}
	// Larger p0 ⇒ region moves right.
	for _, alpha := range []float64{0.05, 1e-6} {
		plo, phi := Acceptance(500, 0, alpha)
		for i := 1; i <= 100; i++ {
			lo, hi := Acceptance(500, float64(i)/100, alpha)
			if lo < plo || hi < phi {
				t.Errorf("alpha=%v: p0=%v gives [%d,%d] left of [%d,%d]", alpha, float64(i)/100, lo, hi, plo, phi)
			}
			plo, phi = lo, hi
		}
	}
	// Larger n: each bound moves by at most one. The bounds are NOT
	// monotone in n: the two-sided "no more likely" p-value of a given k
	// depends on where the other tail starts, which jumps with n. Such steps
	// are checked against the brute-force definition and logged.
	back := 0
	for _, alpha := range []float64{0.05, 1e-3, 1e-6} {
		for _, p0 := range []float64{0.02, 0.1, 0.5} {
			plo, phi := Acceptance(1, p0, alpha)
			for n := 2; n <= 600; n++ {
				lo, hi := Acceptance(n, p0, alpha)
				dl, dh := lo-plo, hi-phi
				if dl < -1 || dl > 1 || dh < -1 || dh > 1 {
					t.Errorf("alpha=%v p0=%v: n=%d [%d,%d] -> n=%d [%d,%d]", alpha, p0, n-1, plo, phi, n, lo, hi)
				}
				if dl < 0 || dh < 0 {
					back++
					for _, k := range []int{lo - 1, lo, hi, hi + 1} {
						if k < 0 || k > n {
							continue
						}
						if in, acc := lo <= k && k <= hi, bruteTest(k, n, p0) > alpha; in != acc {
							t.Errorf("alpha=%v p0=%v n=%d: k=%d inside=%v but brute-force p-value > alpha is %v", alpha, p0, n, k, in, acc)
						}
					}
					if back <= 3 {
						t.Logf("non-monotone step (expected, verified by brute force): alpha=%v p0=%v n=%d [%d,%d] -> n=%d [%d,%d]", alpha, p0, n-1, plo, phi, n, lo, hi)
					}
				}
				plo, phi = lo, hi
			}
		}
	}
	t.Logf("%d backward steps of an acceptance bound as n grows (out of 5391 steps)", back)
}

func TestPower(t *testing.T) {
	for _, n := range []int{50, 400, 5000} {
		for _, p0 := range []float64{0.05, 0.1, 0.5, 0.9} {
			for _, alpha := range []float64{0.05, 1e-3, 1e-6} {
				size := Power(n, p0, p0, alpha)
				if size > alpha {
					t.Errorf("Power(%d, %v, p0, %v) = %g > alpha", n, p0, alpha, size)
				}
				// Quasi-convex in p1 (decreasing, then increasing) over a
				// fine grid of [0, 1], with the minimum near p0.
				const steps = 400
				pw := make([]float64, steps+1)
				argmin := 0
				for i := range pw {
					pw[i] = Power(n, p0, float64(i)/steps, alpha)
					if pw[i] < pw[argmin] {
						argmin = i
					}
				}
				for i := 1; i <= steps; i++ {
					if i <= argmin && pw[i] > pw[i-1]+1e-15 || i > argmin && pw[i] < pw[i-1]-1e-15 {
						t.Fatalf("n=%d p0=%v alpha=%v: power not quasi-convex at p1=%v", n, p0, alpha, float64(i)/steps)
					}
				}
				if pmin := float64(argmin) / steps; math.Abs(pmin-p0) > 3*math.Sqrt(p0*(1-p0)/float64(n)) {
					t.Errorf("n=%d p0=%v alpha=%v: power minimal at p1=%v, far from p0", n, p0, alpha, pmin)
				}
				// Hence, on each side that has a rejection region, it
				// increases with |p1-p0| away from the dip, e.g. for
				// |p1-p0| >= 0.02. (If lo = 0, low alternatives can only be
				// "detected" through the upper tail, so that power falls.)
				lo, hi := Acceptance(n, p0, alpha)
				prevL, prevR := 0.0, 0.0
				for d := 0.02; d < 0.5; d += 0.01 {
					if p1 := p0 - d; p1 >= 0 && lo > 0 {
						pl := Power(n, p0, p1, alpha)
						if pl < prevL {
							t.Errorf("n=%d p0=%v alpha=%v: power at p0-%.2f = %g < %g", n, p0, alpha, d, pl, prevL)
						}
						prevL = pl
					}
					if p1 := p0 + d; p1 <= 1 && hi < n {
						pr := Power(n, p0, p1, alpha)
						if pr < prevR {
							t.Errorf("n=%d p0=%v alpha=%v: power at p0+%.2f = %g < %g", n, p0, alpha, d, pr, prevR)
						}
						prevR = pr
					}
				}
				// Neyman–Pearson bound used by SampleSize.
				for _, p1 := range []float64{p0 / 2, p0 * 0.9, p0 + (1-p0)/10, p0 + (1-p0)/2} {
					if pw, np := Power(n, p0, p1, alpha), npPower(n, p0, p1, alpha); pw > np+1e-12 {
						t.Errorf("n=%d p0=%v p1=%v alpha=%v: power %g exceeds the Neyman–Pearson bound %g", n, p0, p1, alpha, pw, np)
					}
				}
			}
		}
	}
	// Degenerate p0 = 0: reject iff k > 0, so power = 1-(1-p1)^n.
	if got, want := Power(100, 0, 0.01, 0.05), 1-math.Pow(0.99, 100); relErr(got, want) > 1e-13 {
		t.Errorf("Power(100, 0, 0.01) = %v, want %v", got, want)
	}
}

func TestNPPowerMonotoneInN(t *testing.T) {
	for _, p1 := range []float64{0.05, 0.15} {
		prev := 0.0
		for n := 1; n <= 3000; n += 7 {
			v := npPower(n, 0.1, p1, 1e-3)
			if v < prev-1e-12 {
				t.Fatalf("npPower(%d, 0.1, %v) = %v < %v at previous n", n, p1, v, prev)
			}
			prev = v
		}
	}
}

// requirementOK is the SampleSize criterion, written independently.
func requirementOK(n int, p0, delta, alpha, power float64) bool {
	for _, p1 := range []float64{math.Max(0, p0-delta), math.Min(1, p0+delta)} {
		if p1 != p0 && Power(n, p0, p1, alpha) < power {
			return false
		}
	}
	return true
}

func TestSampleSizeTarget(t *testing.T) {
	const p0, delta, alpha, power = 0.10, 0.05, 1e-6, 0.99
	n, exact := sampleSize(p0, delta, alpha, power)
	if got := SampleSize(p0, delta, alpha, power); got != n {
		t.Fatalf("SampleSize = %d, sampleSize = %d", got, n)
	}
	lo, hi := Acceptance(n, p0, alpha)
	t.Logf("SampleSize(%v, %v, %v, %v) = %d (provably minimal: %v); Acceptance = [%d, %d]; size = %.3g; power(p=%.2f) = %.6f, power(p=%.2f) = %.6f",
		p0, delta, alpha, power, n, exact, lo, hi, Power(n, p0, p0, alpha),
		p0-delta, Power(n, p0, p0-delta, alpha), p0+delta, Power(n, p0, p0+delta, alpha))
	if !exact {
		t.Errorf("expected an exact (scanned) result for the target case")
	}
	if n != 2186 || lo != 153 || hi != 289 {
		t.Errorf("got n=%d [%d,%d], documented n=2186 [153,289]", n, lo, hi)
	}
	if !requirementOK(n, p0, delta, alpha, power) {
		t.Errorf("n=%d does not meet the power requirement", n)
	}
	if requirementOK(n-1, p0, delta, alpha, power) {
		t.Errorf("n-1=%d already meets the power requirement", n-1)
	}
	// Non-monotonicity: the requirement fails again at n+1 (documented),
	// and holds for every n >= 2228.
	var fails []int
	for m := n + 1; m < 2300; m++ {
		if !requirementOK(m, p0, delta, alpha, power) {
			fails = append(fails, m)
		}
	}
	if len(fails) == 0 || fails[0] != n+1 || fails[len(fails)-1] != 2227 {
		t.Errorf("sawtooth differs from the documentation: failures above n: %v", fails)
	}
	t.Logf("sawtooth: %d sizes in (%d, 2300) fail the requirement, the last one is %d", len(fails), n, fails[len(fails)-1])
}

func TestSampleSizeBruteForce(t *testing.T) {
	cases := []struct{ p0, delta, alpha, power float64 }{
		{0.5, 0.2, 0.05, 0.8},
		{0.1, 0.05, 1e-3, 0.9},
		{0.3, 0.1, 0.01, 0.95},
		{0.02, 0.02, 0.01, 0.9},
		{0.95, 0.1, 0.05, 0.8}, // p0+delta clamps to 1
		{0, 0.05, 0.05, 0.9},   // lower alternative clamps onto p0: skipped
		{1, 0.3, 0.05, 0.9},
	}
	for _, c := range cases {
		n, exact := sampleSize(c.p0, c.delta, c.alpha, c.power)
		first := 1
		for !requirementOK(first, c.p0, c.delta, c.alpha, c.power) {
			first++
		}
		if n != first || !exact {
			t.Errorf("SampleSize(%+v) = %d (exact %v), linear scan finds %d", c, n, exact, first)
		}
	}
	// Large n: the fallback path still returns a local minimum.
	n, exact := sampleSize(0.10, 0.005, 1e-6, 0.99)
	if !requirementOK(n, 0.10, 0.005, 1e-6, 0.99) || requirementOK(n-1, 0.10, 0.005, 1e-6, 0.99) {
		t.Errorf("SampleSize(0.1, 0.005, 1e-6, 0.99) = %d is not a local minimum", n)
	}
	t.Logf("SampleSize(0.1, 0.005, 1e-6, 0.99) = %d (provably minimal: %v)", n, exact)
}

func TestWilson(t *testing.T) {
	lo, hi := Wilson(5, 10, 1.96)
	if math.Abs(lo-0.2366) > 5e-5 || math.Abs(hi-0.7634) > 5e-5 {
		t.Errorf("Wilson(5, 10, 1.96) = (%.5f, %.5f), want (0.2366, 0.7634)", lo, hi)
	}
	// 0/10 at z = 1.96: (0, z²/(n+z²)) = (0, 0.27753).
	lo, hi = Wilson(0, 10, 1.96)
	if lo != 0 || math.Abs(hi-1.96*1.96/(10+1.96*1.96)) > 1e-15 {
		t.Errorf("Wilson(0, 10, 1.96) = (%v, %v)", lo, hi)
	}
	if lo, hi := Wilson(10, 10, 1.96); hi != 1 || math.Abs(lo-10/(10+1.96*1.96)) > 1e-15 {
		t.Errorf("Wilson(10, 10, 1.96) = (%v, %v)", lo, hi)
	}
	if lo, hi := Wilson(0, 0, 1.96); lo != 0 || hi != 1 {
		t.Errorf("Wilson(0, 0, z) = (%v, %v), want (0, 1)", lo, hi)
	}
	if lo, _ := Wilson(11, 10, 1.96); !math.IsNaN(lo) {
		t.Errorf("Wilson(11, 10, z) should be NaN")
	}
	// Contains p̂; endpoints solve (p̂-p)² = z²·p(1-p)/n.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + r.IntN(100000)
		k := r.IntN(n + 1)
		z := 4 * r.Float64()
		lo, hi := Wilson(k, n, z)
		ph := float64(k) / float64(n)
		if !(0 <= lo && lo <= ph && ph <= hi && hi <= 1) {
			t.Fatalf("Wilson(%d, %d, %v) = (%v, %v) does not contain %v", k, n, z, lo, hi, ph)
		}
		for _, p := range []float64{lo, hi} {
			if res := (ph-p)*(ph-p) - z*z*p*(1-p)/float64(n); math.Abs(res) > 1e-12 {
				t.Fatalf("Wilson(%d, %d, %v): endpoint %v residual %g", k, n, z, p, res)
			}
		}
	}
}

func TestZForAlpha(t *testing.T) {
	// 50-digit reference values of Φ⁻¹(1 - alpha/2).
	cases := []struct{ alpha, want float64 }{
		{0.9, 0.12566134685507400616},
		{0.5, 0.6744897501960817432},
		{0.1, 1.644853626951472688},
		{0.05, 1.9599639845400542118},
		{0.01, 2.5758293035489007538},
		{1e-3, 3.2905267314918947874},
		{1e-6, 4.8916384756985903951},
		{1e-9, 6.10941020486939713},
		{1e-15, 8.0268588825345408829},
		{1e-100, 21.305940069351527445},
		{1e-300, 37.065787880772130393},
	}
	for _, c := range cases {
		if got := ZForAlpha(c.alpha); relErr(got, c.want) > 1e-13 {
			t.Errorf("ZForAlpha(%v) = %.17g, want %.17g (rel err %.2g)", c.alpha, got, c.want, relErr(got, c.want))
		}
	}
	if math.Abs(ZForAlpha(0.05)-1.959963985) > 1e-9 || math.Abs(ZForAlpha(1e-6)-4.891638475) > 1e-9 {
		t.Errorf("ZForAlpha(0.05)=%.10f, ZForAlpha(1e-6)=%.10f", ZForAlpha(0.05), ZForAlpha(1e-6))
	}
	if ZForAlpha(1) != 0 || !math.IsInf(ZForAlpha(0), 1) || !math.IsNaN(ZForAlpha(-1)) || !math.IsNaN(ZForAlpha(2)) {
		t.Errorf("edge cases: %v %v %v %v", ZForAlpha(1), ZForAlpha(0), ZForAlpha(-1), ZForAlpha(2))
	}
	// Round trip: erfc(z/√2) = alpha over many decades.
	for e := -300.0; e <= -0.05; e += 0.37 {
		alpha := math.Pow(10, e)
		z := ZForAlpha(alpha)
		if back := math.Erfc(z / math.Sqrt2); relErr(back, alpha) > 1e-12*math.Max(1, z*z) {
			t.Errorf("alpha=%g: erfc(z/√2) = %g", alpha, back)
		}
	}
}

func boolsFromString(s string) []bool {
	b := make([]bool, len(s))
	for i, c := range s {
		b[i] = c == 'T'
	}
	return b
}

func TestRunsTestHandExample(t *testing.T) {
	// TT|F|T|FFF|T: 5 runs, n1 = 4, n2 = 4, μ = 2·16/8+1 = 5 ⇒ z = 0.
	runs, z, p := RunsTest(boolsFromString("TTFTFFFT"))
	if runs != 5 || z != 0 || p != 1 {
		t.Errorf("RunsTest(TTFTFFFT) = %d, %v, %v; want 5, 0, 1", runs, z, p)
	}
	// TTTFFT: 3 runs, n1 = 4, n2 = 2, N = 6: μ = 16/6+1 = 11/3,
	// σ² = 2·8·(16-6)/(36·5) = 8/9, z = (3-11/3)/(2√2/3) = -1/√2.
	runs, z, p = RunsTest(boolsFromString("TTTFFT"))
	if runs != 3 || math.Abs(z+1/math.Sqrt2) > 1e-15 || math.Abs(p-math.Erfc(0.5)) > 1e-15 {
		t.Errorf("RunsTest(TTTFFT) = %d, %v, %v; want 3, %v, %v", runs, z, p, -1/math.Sqrt2, math.Erfc(0.5))
	}
	for _, s := range []string{"", "T", "TTTT", "FFF"} {
		wantRuns := 0
		if s != "" {
			wantRuns = 1
		}
		if runs, z, p := RunsTest(boolsFromString(s)); runs != wantRuns || z != 0 || p != 1 {
			t.Errorf("RunsTest(%q) = %d, %v, %v", s, runs, z, p)
		}
	}
	if runs, _, p := RunsTest(boolsFromString("TF")); runs != 2 || p != 1 {
		t.Errorf("RunsTest(TF) = %d, p=%v", runs, p)
	}
}

func TestRunsTestPatterns(t *testing.T) {
	const n = 200
	alt := make([]bool, n)
	block := make([]bool, n)
	for i := range n {
		alt[i] = i%2 == 0
		block[i] = i < n/2
	}
	if runs, z, p := RunsTest(alt); runs != n || z <= 0 || p > 1e-20 {
		t.Errorf("alternating: runs=%d z=%v p=%v, want %d runs, z>0, tiny p", runs, z, p, n)
	}
	if runs, z, p := RunsTest(block); runs != 2 || z >= 0 || p > 1e-20 {
		t.Errorf("blocky: runs=%d z=%v p=%v, want 2 runs, z<0, tiny p", runs, z, p)
	}
	r := rand.New(rand.NewPCG(42, 7))
	seq := make([]bool, 1000)
	for i := range seq {
		seq[i] = r.Float64() < 0.3
	}
	runs, z, p := RunsTest(seq)
	t.Logf("pseudo-random (p=0.3, n=1000): runs=%d z=%.3f p=%.3f longest run=%d", runs, z, p, LongestRun(seq))
	if p < 0.01 {
		t.Errorf("pseudo-random sequence rejected: runs=%d z=%v p=%v", runs, z, p)
	}
	// Calibration: under independence the p-value is roughly uniform.
	rejected := 0
	for range 2000 {
		for i := range seq[:400] {
			seq[i] = r.Float64() < 0.5
		}
		if _, _, p := RunsTest(seq[:400]); p <= 0.05 {
			rejected++
		}
	}
	if frac := float64(rejected) / 2000; frac < 0.03 || frac > 0.07 {
		t.Errorf("runs test rejects %.3f of independent sequences at level 0.05", frac)
	}
}

func TestLongestRun(t *testing.T) {
	cases := []struct {
		s    string
		want int
	}{
		{"", 0}, {"T", 1}, {"F", 1}, {"TF", 1}, {"TTFTFFFT", 3}, {"FFFFTT", 4}, {"TFTTTTT", 5},
	}
	for _, c := range cases {
		if got := LongestRun(boolsFromString(c.s)); got != c.want {
			t.Errorf("LongestRun(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// TestCanaryFalseFailureRate simulates the canary split check on a
// correctly configured gateway: each of n requests is routed to the canary
// independently with probability p0, and the check fails when the canary
// count falls outside Acceptance(n, p0, alpha). The observed failure rate
// must not exceed alpha (plus 4 standard errors of the simulation).
func TestCanaryFalseFailureRate(t *testing.T) {
	const (
		alpha  = 1e-3
		trials = 20000
	)
	for _, c := range []struct {
		n  int
		p0 float64
	}{{200, 0.1}, {500, 0.3}} {
		lo, hi := Acceptance(c.n, c.p0, alpha)
		r := rand.New(rand.NewPCG(2024, uint64(c.n)))
		fails := 0
		for range trials {
			k := 0
			for range c.n {
				if r.Float64() < c.p0 {
					k++
				}
			}
			if k < lo || k > hi {
				fails++
			}
		}
		rate := float64(fails) / trials
		se := math.Sqrt(alpha * (1 - alpha) / trials)
		size := Power(c.n, c.p0, c.p0, alpha)
		t.Logf("n=%d p0=%v: region [%d,%d], exact size %.3g, simulated false-failure rate %d/%d = %.2g (limit %.2g)",
			c.n, c.p0, lo, hi, size, fails, trials, rate, alpha+4*se)
		if rate > alpha+4*se {
			t.Errorf("n=%d p0=%v: false-failure rate %g > alpha + 4 SE = %g", c.n, c.p0, rate, alpha+4*se)
		}
	}
}
