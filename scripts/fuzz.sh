#!/usr/bin/env bash
# Runs every fuzz target in the repository, one after another, for FUZZTIME
# each (default 60s), and fails if any of them finds a failing input.
# Targets are discovered with `go test -list '^Fuzz'`, so a new one cannot
# be left out. A failing input is written by the go tool under the target's
# testdata/fuzz/FuzzXxx/; commit it as a regression seed once fixed.
#   FUZZTIME          time per target (a duration, or Nx for N inputs)
#   FUZZMINIMIZETIME  time spent shrinking a new input (default 10s: the go
#                     tool's 60s would eat a short FUZZTIME on large seeds)
#   FUZZPKGS          packages to search (default ./...)
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
fuzztime=${FUZZTIME:-60s}
minimize=${FUZZMINIMIZETIME:-10s}
pkgs=${FUZZPKGS:-./...}

# `go test -list` prints a package's matching names, then its "ok <pkg>"
# line. Listed first, so that a package that does not build stops the run.
listing=$($go test -list '^Fuzz' $pkgs)
targets=()
names=()
while IFS= read -r line; do
	case $line in
	Fuzz*) names+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for n in "${names[@]}"; do targets+=("$pkg $n"); done
		names=()
		;;
	esac
done <<<"$listing"
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no fuzz targets found in $pkgs" >&2
	exit 1
fi

echo "fuzz: ${#targets[@]} targets, $fuzztime each"
failed=()
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "=== $name ($pkg)"
	if ! $go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg"; then
		failed+=("$name ($pkg)")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
