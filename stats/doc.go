// Package stats provides the small amount of exact statistics that
// gatecheck's load scenarios and statistical checks (canary traffic
// split, throttle rates, cache hit ratios) rely on.
//
// Everything is implemented with the standard library only and every
// formula is written out in the doc comment of the function that uses it,
// so that a reader can check it.
//
// # Contents
//
//   - Exact binomial distribution: [BinomialPMF], [BinomialCDF],
//     [BinomialSF]. Stable for n up to ~1e6 and beyond (saddle-point
//     evaluation of the PMF, tail sums by a ratio recurrence).
//   - Exact two-sided binomial test: [BinomialTest] (same definition as
//     R's binom.test), its acceptance region [Acceptance], the power
//     [Power] of the resulting check and a sample-size search
//     [SampleSize].
//   - Confidence intervals: [Wilson] with [ZForAlpha].
//   - Independence of a binary sequence: [RunsTest] (Wald–Wolfowitz)
//     and [LongestRun].
//
// # Typical use: a canary split check
//
// A gateway is configured to send a fraction p0 of requests to a canary.
// After n requests, k of them were observed on the canary. The check
//
//	lo, hi := stats.Acceptance(n, p0, alpha)
//	ok := lo <= k && k <= hi
//
// fails a correctly configured gateway with probability at most alpha
// (see [Acceptance]), and with n = SampleSize(p0, delta, alpha, power) it
// detects a split that is off by delta or more with probability at least
// power. Because the test is discrete, power is not monotone in n: a
// larger n is not automatically as good (see [SampleSize]); check it with
// [Power].
//
// # Conventions
//
// Functions returning float64 return NaN for invalid arguments (n < 0,
// p outside [0, 1], NaN inputs), like package math. Functions returning
// integers ([Acceptance], [SampleSize]) and [Power] panic on invalid
// arguments, since they are used to configure checks and an invalid
// configuration is a programming error.
package stats
