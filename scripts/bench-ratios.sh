#!/usr/bin/env bash
# Reads `go test -bench -benchmem` output (several -count runs allowed) and
# prints the gateway's proxied path as ratios to calling the fixture directly.
set -euo pipefail
awk '
/^Benchmark/ {
  name=$1; sub(/-[0-9]+$/, "", name)
  for (i=3; i<NF; i++) {
    if ($(i+1)=="ns/op") ns[name]+=$i
    if ($(i+1)=="allocs/op") al[name]+=$i
    if ($(i+1)=="B/op") by[name]+=$i
    if ($(i+1)=="req/s") rq[name]+=$i
  }
  n[name]++
}
function avg(a, k) { return n[k] ? a[k]/n[k] : 0 }
function row(label, base, other) {
  if (!n[base] || !n[other]) return
  printf "%-34s %12.0f %12.0f %8.2fx %10.0f %10.0f %+8.0f", label, avg(ns,base), avg(ns,other), avg(ns,other)/avg(ns,base), avg(al,base), avg(al,other), avg(al,other)-avg(al,base)
  if (avg(rq,base) > 0) printf " %10.0f %10.0f %7.2fx", avg(rq,base), avg(rq,other), avg(rq,other)/avg(rq,base)
  printf "\n"
}
END {
  printf "%-34s %12s %12s %9s %10s %10s %8s %10s %10s %8s\n", "COMPARISON (base -> gateway)", "base ns/op", "gw ns/op", "ratio", "base alloc", "gw alloc", "added", "base rps", "gw rps", "ratio"
  row("in memory: fixture -> pipeline", "BenchmarkFixtureInMemory", "BenchmarkPipelineProxyInMemory")
  row("in memory: proxied -> cache hit", "BenchmarkPipelineProxyInMemory", "BenchmarkCacheHitInMemory")
  row("loopback serial: direct -> proxied", "BenchmarkDirectLoopback", "BenchmarkProxiedLoopback")
  row("loopback parallel: direct -> proxied", "BenchmarkDirectLoopbackParallel", "BenchmarkProxiedLoopbackParallel")
}' "$@"
