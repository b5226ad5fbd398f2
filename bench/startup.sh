#!/usr/bin/env bash
# bench/startup.sh — what a small scan costs beyond start-up: assay scan
# with the built-in bundles on examples/demo/rootfs (load and compile the
# embedded policies, collect, evaluate, report), against the same binary
# doing nothing (assay version), in one run. hyperfine medians (-N, RUNS
# runs after warm-up), peak RSS from GNU time -v.
#
#   bench/startup.sh
#   RUNS=30 ASSAY=/path/to/assay RESULTS=FILE bench/startup.sh
#
# Needs: go, hyperfine, jq, /usr/bin/time (GNU time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
RESULTS=${RESULTS:-/dev/null}
for tool in go hyperfine jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "startup.sh: $tool is required (apt-get install -y hyperfine jq time)" >&2; exit 2; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [[ -z "${ASSAY:-}" ]]; then
	(cd "$ROOT" && go build -o "$WORK/assay" ./cmd/assay)
	ASSAY="$WORK/assay"
fi
load() { cut -d' ' -f1 /proc/loadavg; }
rss() { /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>&1 || true; awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/time.txt"; }
row() { printf '%s\t' "$@" | sed 's/\t$//' >>"$RESULTS"; echo >>"$RESULTS"; }

scan="$ASSAY scan --root $ROOT/examples/demo/rootfs --fail-on none"
floor="$ASSAY version"
l=$(load)
hyperfine -N -w 3 -r "$RUNS" -i --export-json "$WORK/hf.json" "$scan" "$floor" >/dev/null 2>&1
l="$l-$(load)"
s=$(jq -r '.results[0].median' "$WORK/hf.json")
f=$(jq -r '.results[1].median' "$WORK/hf.json")
sc=$(jq -r '.results[0] | .user + .system' "$WORK/hf.json")
fc=$(jq -r '.results[1] | .user + .system' "$WORK/hf.json")
rs=$(rss $scan)
rf=$(rss $floor)
echo
echo "machine: $(nproc) CPUs, load $l; medians of $RUNS runs"
printf '%-40s %9s %9s %7s\n' command wall_ms cpu_ms rss_MB
printf '%-40s %9.1f %9.1f %7s\n' "scan --root examples/demo/rootfs" "$(awk -v x="$s" 'BEGIN { print x * 1000 }')" "$(awk -v x="$sc" 'BEGIN { print x * 1000 }')" "$rs"
printf '%-40s %9.1f %9.1f %7s\n' "version (start-up floor)" "$(awk -v x="$f" 'BEGIN { print x * 1000 }')" "$(awk -v x="$fc" 'BEGIN { print x * 1000 }')" "$rf"
echo "target: the scan < 25 ms wall."
row startup "scan demo rootfs, built-in bundles" "assay scan" "$RUNS" "$(printf '%.4f' "$s")" "$(printf '%.4f' "$sc")" "$rs" "" "$l"
row startup "scan demo rootfs, built-in bundles" "assay version" "$RUNS" "$(printf '%.4f' "$f")" "$(printf '%.4f' "$fc")" "$rf" "" "$l"
