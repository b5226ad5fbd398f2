#!/usr/bin/env bash
# bench/bundle.sh: what loading a bundle costs over its floor. Loads a
# 50-policy bundle (half .rego files, half inline heredocs, METADATA on each)
# with bundle, and parses the same 50 modules with OPA alone, in the
# same run; prints both medians and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-7}
# Interleave the two benchmarks so that a noisy neighbour hits both alike.
go test -c -o /tmp/bundle-bench.test ./bundle/
out=$(cd bundle && for _ in $(seq "$count"); do
	/tmp/bundle-bench.test -test.run '^$' -test.bench 'BenchmarkLoad$|BenchmarkParseOnly$' -test.benchtime 100x
done)
rm -f /tmp/bundle-bench.test
median() { # median ns/op of one benchmark
	grep "^$1-" <<<"$out" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
load=$(median BenchmarkLoad)
parse=$(median BenchmarkParseOnly)
awk -v l="$load" -v p="$parse" -v n="$count" 'BEGIN {
	printf "bundle load, 50 policies (median of %d): %.2f ms\n", n, l / 1e6
	printf "OPA parse alone, same modules:           %.2f ms\n", p / 1e6
	printf "ratio load/parse: %.2fx\n", l / p
}'
