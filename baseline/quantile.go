package baseline

import (
	"math"
	"sort"

	"github.com/gatecheck/gatecheck/stats"
)

// Distribution-free confidence bounds for a quantile (the order-statistic
// interval). For n independent samples with quantile Q_q, let
// K = #{X_i ≤ Q_q} ~ Binomial(n, F(Q_q)) with F(Q_q) ≥ q. The l-th smallest
// sample exceeds Q_q exactly when K < l, so
//
//	P(X_(l) > Q_q) = P(K ≤ l−1) ≤ BinomialCDF(l−1, n, q),
//
// and symmetrically, with #{X_i < Q_q} ~ Binomial(n, F(Q_q−)), F(Q_q−) ≤ q,
//
//	P(X_(u) < Q_q) ≤ BinomialSF(u, n, q).
//
// Neither needs a model of the latency distribution (latencies are skewed,
// heavy-tailed and often multimodal), and both are exact: unlike a
// percentile bootstrap, they keep their level at alpha = 1e-8, where a
// bootstrap would need some 1e9 resamples to resolve the tail it reads.

// lowerIndex returns the largest 1-based l with P(X_(l) > Q_q) ≤ alpha, or
// 0 when even the smallest sample is not a lower bound at that level (too
// few samples).
func lowerIndex(n int, q, alpha float64) int {
	// BinomialCDF(l−1, n, q) grows with l: find the last l where it is ≤ alpha.
	// The first i = l−1 over alpha leaves l−1 = i−1 the last within it: l = i.
	return sort.Search(n, func(i int) bool { return stats.BinomialCDF(i, n, q) > alpha })
}

// upperIndex returns the smallest 1-based u with P(X_(u) < Q_q) ≤ alpha, or
// n+1 when even the largest sample is not an upper bound at that level.
func upperIndex(n int, q, alpha float64) int {
	// BinomialSF(u, n, q) falls as u grows: find the first u within alpha.
	return 1 + sort.Search(n, func(i int) bool { return stats.BinomialSF(i+1, n, q) <= alpha })
}

// quantile is the sample quantile of sorted: the ⌈q·n⌉-th smallest.
func quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(float64(len(sorted))*q)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
