#!/usr/bin/env bash
# bench/mig.sh — a MIG authorized_keys investigation as users have them
# (bench/miggen: one search per user whose allow-list holds that user's 1-3
# real keys, ed25519 or RSA-4096, some with options, behind comments),
# imported with assay mig import in both shapes and scanned with the real
# CLI, at 1,000, 4,000 and 20,000 users. In one run, for each size:
#   - assay fmt --check on each imported bundle (loading thousands of blocks);
#   - assay scan -b BUNDLE --root TREE, compact and per-search, side by side;
#   - both shapes' findings against the ground truth (what MIG's semantics
#     report, known from how miggen built the tree).
# Times are hyperfine medians (-N, RUNS runs after a warm-up), peak RSS the
# median of RUNS runs of GNU time -v. The tree lives on tmpfs (/dev/shm)
# when there is one; caches are warm.
#
#   bench/mig.sh
#   SIZES="4000" RUNS=5 bench/mig.sh
#   PER_SEARCH_MAX=20000 bench/mig.sh   # per-search scans above 4,000 users too (minutes, GBs)
#   ASSAY=/path/to/assay RESULTS=FILE bench/mig.sh   # a given binary; rows for bench/report.sh
#
# Needs: go, hyperfine, jq, /usr/bin/time (GNU time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"1000 4000 20000"}
RUNS=${RUNS:-3}
PER_SEARCH_MAX=${PER_SEARCH_MAX:-4000}
RESULTS=${RESULTS:-/dev/null}

for tool in go hyperfine jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "mig.sh: $tool is required (apt-get install -y hyperfine jq time)" >&2; exit 2; }
done
base=/dev/shm
[[ -d $base && -w $base ]] || base=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$base/assay-mig-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [[ -z "${ASSAY:-}" ]]; then
	(cd "$ROOT" && go build -o "$WORK/assay" ./cmd/assay)
	ASSAY="$WORK/assay"
fi
(cd "$ROOT" && go build -o "$WORK/miggen" ./bench/miggen)

load() { cut -d' ' -f1 /proc/loadavg; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# hmedian JSON: hyperfine's median, seconds
hmedian() { jq -r '.results[0].median' "$1" | awk '{ printf "%.3f", $1 }'; }
# cpu_rss CMD...: median user+system seconds and peak RSS MB of RUNS runs
cpu_rss() {
	local cpus=() rsss=() r
	for ((r = 0; r < RUNS; r++)); do
		/usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>&1 || true
		cpus+=("$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$WORK/time.txt")")
		rsss+=("$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/time.txt")")
	done
	echo "$(median "${cpus[@]}") $(median "${rsss[@]}")"
}
# time_cmd NAME CMD...: "wall cpu rss" of CMD
time_cmd() {
	local name=$1
	shift
	hyperfine -N -w 1 -r "$RUNS" -i --export-json "$WORK/$name.hf.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
	echo "$(hmedian "$WORK/$name.hf.json") $(cpu_rss "$@")"
}
row() { printf '%s\t' "$@" | sed 's/\t$//' >>"$RESULTS"; echo >>"$RESULTS"; }

echo
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "medians of $RUNS runs; peer: the ground truth (MIG's semantics) and the per-search shape"
echo
printf '%-6s %-22s %-11s %8s %8s %8s %6s %11s  %s\n' users step shape wall_s cpu_s rss_MB ratio load findings
status=0
for n in $SIZES; do
	"$WORK/miggen" "$n" "$WORK/root$n" "$WORK/action$n.json" "$WORK/truth$n.tsv"
	awk -F'\t' '{ print $1 "\t" $2 "\t" $3 }' "$WORK/truth$n.tsv" | sed '/^$/d' >"$WORK/truth$n.set"
	shapes=(compact)
	((n <= PER_SEARCH_MAX)) && shapes+=(per-search)
	declare -A scan=()
	for shape in "${shapes[@]}"; do
		"$ASSAY" mig import --shape "$shape" "$WORK/action$n.json" -o "$WORK/$shape$n" >/dev/null 2>&1
		size=$(du -sk "$WORK/$shape$n" | awk '{ printf "%.1f MB", $1 / 1024 }')
		l=$(load)
		read -r w c r <<<"$(time_cmd "fmt-$shape$n" "$ASSAY" fmt --check "$WORK/$shape$n")"
		printf '%-6s %-22s %-11s %8s %8s %8s %6s %11s  %s\n' "$n" "fmt --check ($size)" "$shape" "$w" "$c" "$r" "" "$l-$(load)" ""
		row mig "$n users: fmt --check" "$shape" "$RUNS" "$w" "$c" "$r" "$size" "$l-$(load)"

		cmd=("$ASSAY" scan -b "$WORK/$shape$n" --root "$WORK/root$n" --fail-on none -f json)
		"${cmd[@]}" >"$WORK/out.json" 2>/dev/null
		jq -r '.findings[] | [.kind, .path, (.line // 0 | tostring)] | @tsv' "$WORK/out.json" | sort >"$WORK/got.set"
		if cmp -s "$WORK/got.set" "$WORK/truth$n.set"; then
			same="= truth ($(wc -l <"$WORK/got.set"))"
		else
			same="DIFFERENT from truth: $(wc -l <"$WORK/got.set") vs $(wc -l <"$WORK/truth$n.set")"
			diff "$WORK/truth$n.set" "$WORK/got.set" | head -5 >&2 || true
			status=1
		fi
		l=$(load)
		read -r w c r <<<"$(time_cmd "scan-$shape$n" "${cmd[@]}")"
		scan[$shape]=$w
		ratio=""
		[[ $shape == per-search ]] && ratio=$(awk -v p="$w" -v c="${scan[compact]}" 'BEGIN { printf "%.1fx", p / c }')
		printf '%-6s %-22s %-11s %8s %8s %8s %6s %11s  %s\n' "$n" "scan" "$shape" "$w" "$c" "$r" "$ratio" "$l-$(load)" "$same"
		row mig "$n users: scan" "$shape" "$RUNS" "$w" "$c" "$r" "$same" "$l-$(load)"
	done
	unset scan
	rm -rf "$WORK/root$n" "$WORK"/compact"$n" "$WORK"/per-search"$n"
done
echo
echo "ratio: per-search wall / compact wall, same run. load: 1-minute load average before-after."
echo "targets (scan, realistic allow-lists): 4,000 users < 0.5 s and < 100 MB; 20,000 users < 2.5 s and < 300 MB; findings = truth."
exit $status
