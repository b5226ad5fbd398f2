#!/usr/bin/env bash
# bench/serve-gzip.sh: what compressing /metrics costs `assay serve`, per
# approach, in one run (BenchmarkMetricsCompression in pipeline/serve): the
# daemon's own path (gzip1: the report's text, rendered once per scan, and
# the live metrics compressed whole per scrape at BestSpeed) against the
# same at the default level (gzip6), promhttp.HandlerFor gathering and
# compressing per scrape, and no compression, over a fleet host (built-in
# bundles, 200 neighbours) and a MIG-scale report (4,000 policies and
# collect blocks). At commit cfcc2e3 it also measured the spliced gzip the
# daemon had then (enc=splice); docs/metrics.md has the figures.
# Prints medians of COUNT runs and what they mean in CPU of one core at 10
# Prometheus replicas scraping every 15 s (0.67/s) and at a stress rate of
# 100/s. The CPU fraction uses cpu-ns/op: the process's CPU time per scrape,
# garbage collection included.
#
#   bench/serve-gzip.sh               # COUNT=6
#   COUNT=10 BENCHTIME=2s bench/serve-gzip.sh
#
# If benchstat is installed (go install golang.org/x/perf/cmd/benchstat@latest)
# its summary is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-6}
benchtime=${BENCHTIME:-1s}
mkdir -p bench/out
bin=$(mktemp /tmp/serve-bench.XXXXXX)
trap 'rm -f "$bin"' EXIT
go test -c -o "$bin" ./pipeline/serve/
# One process per count, so that the runs of all approaches interleave and a
# noisy neighbour hits them alike.
raw=bench/out/serve-gzip.txt
: >"$raw"
for i in $(seq "$count"); do
	echo "run $i/$count..." >&2
	(cd pipeline/serve && "$bin" -test.run '^$' -test.bench '^BenchmarkMetricsCompression$' -test.benchtime "$benchtime") >>"$raw"
done
benchstat=$(command -v benchstat || echo "$HOME/go/bin/benchstat")
if [[ -x "$benchstat" ]]; then
	"$benchstat" "$raw"
	echo
fi
awk -v count="$count" '
/^BenchmarkMetricsCompression\// {
	name = $1; sub(/^BenchmarkMetricsCompression\//, "", name); sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
	for (i = 3; i < NF; i += 2) { v[name, $(i + 1), ++k[name, $(i + 1)]] = $i }
}
function median(name, unit,    m, i, j, t, a) {
	m = k[name, unit]
	for (i = 1; i <= m; i++) a[i] = v[name, unit, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	printf "medians of %d runs; CPU of one core = cpu-ns/op x rate\n", count
	printf "%-32s %12s %12s %9s %11s %12s %10s\n", "body/live/approach", "ns/scrape", "cpu-ns/scr", "allocs", "wire bytes", "CPU@0.67/s", "CPU@100/s"
	for (i = 1; i <= n; i++) {
		s = order[i]; cpu = median(s, "cpu-ns/op")
		printf "%-32s %12.0f %12.0f %9.0f %11.0f %11.3f%% %9.1f%%\n", s, median(s, "ns/op"), cpu,
			median(s, "allocs/op"), median(s, "wire-B/op"), cpu * (10 / 15) / 1e7, cpu * 100 / 1e7
	}
}' "$raw" | tee bench/out/serve-gzip-summary.txt
