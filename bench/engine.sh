#!/usr/bin/env bash
# bench/engine.sh — assay's Rego engine against conftest, in one run, on the
# same 50 conftest-style policies over generated JSON documents of three
# shapes (bench/enginegen: flat ~1 KB, nested host facts ~4 KB with arrays
# of objects, large ~64 KB), in both layouts conftest users have: all
# policies in one package, and one package per policy (conftest
# --all-namespaces). Prints median wall time, CPU time and peak RSS of both
# tools, the ratios, and checks that both report the same set of (file,
# kind, message) findings.
#
#   bench/engine.sh                 # every shape at 1,000 and 10,000 docs; per-package conftest at 1,000 only
#   FULL=1 bench/engine.sh          # also conftest per-package at 10,000 (minutes a run)
#   SHAPES="nested" SIZES="1000" RUNS=5 bench/engine.sh
#   SIZES_large="1000" bench/engine.sh   # sizes of one shape
#   PER_PACKAGE_RUNS=1 bench/engine.sh   # runs of conftest per-package (slow: minutes at 1,000 documents on a busy machine)
#   PER_PACKAGE_SHAPES="flat nested" bench/engine.sh   # shapes whose conftest per-package layout runs (default: all)
#   BIG=100000 bench/engine.sh      # also assay alone on 100,000 nested documents (peak RSS must stay bounded)
#   CONFTEST=/path/to/conftest bench/engine.sh   # reuse a conftest binary
#   CONFTEST_CACHE=DIR bench/engine.sh           # keep conftest's figures and output in DIR
#                                                # and reuse them on later runs (the inputs
#                                                # are generated identically every time)
#   ASSAY=/path/to/assay bench/engine.sh         # judge with this binary instead of building one
#   ASSAY_ENV="GOMEMLIMIT=150MiB" bench/engine.sh # assay with a soft memory limit
#   RESULTS=FILE bench/engine.sh                 # also append one tab-separated row per
#                                                # measurement to FILE (bench/report.sh reads it)
#
# conftest is installed into a scratch GOBIN; it is not a project dependency.
# Needs: go, jq, /usr/bin/time (GNU time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"1000 10000"}
SHAPES=${SHAPES:-"flat nested large"}
BIG=${BIG:-0}
RESULTS=${RESULTS:-/dev/null}
RUNS=${RUNS:-3}
FULL=${FULL:-0}
CONFTEST_VERSION=v0.71.1
NPOL=50

for tool in go jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "engine.sh: $tool is required (apt-get install -y jq time)" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- tools -----------------------------------------------------------------
if [[ -z "${CONFTEST:-}" ]]; then
	echo "installing conftest $CONFTEST_VERSION into a scratch GOBIN..." >&2
	GOBIN="$WORK/gobin" go install "github.com/open-policy-agent/conftest@$CONFTEST_VERSION"
	CONFTEST="$WORK/gobin/conftest"
fi
if [[ -z "${ASSAY:-}" ]]; then
	echo "building assay..." >&2
	(cd "$ROOT" && go build -o "$WORK/assay" ./cmd/assay)
	ASSAY="$WORK/assay"
fi

# --- policies and documents ----------------------------------------------------
# bench/enginegen writes both, from a fixed seed: every run judges the same
# inputs.
(cd "$ROOT" && go build -o "$WORK/enginegen" ./bench/enginegen)
gen() { "$WORK/enginegen" "$@"; }

# --- measurement -------------------------------------------------------------
# measure NAME RUNS CMD... : runs CMD RUNS times under GNU time, keeps the
# last stdout in $WORK/NAME.json, prints "wall cpu rss_mb" medians.
measure() {
	local name=$1 runs=$2
	shift 2
	local walls=() cpus=() rsss=() r
	for ((r = 0; r < runs; r++)); do
		rm -f "$WORK/time.txt" "$WORK/$name.json"
		/usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" || true
		walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time.txt")")
		cpus+=("$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$WORK/time.txt")")
		rsss+=("$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/time.txt")")
	done
	if ! jq -e . "$WORK/$name.json" >/dev/null 2>&1; then
		# measure runs in a command substitution, where exit would not stop
		# the script: say "failed" for the caller to report.
		echo "engine.sh: $name produced no JSON; stderr:" >&2
		head -20 "$WORK/$name.err" >&2
		echo "failed failed failed"
		return
	fi
	echo "$(median "${walls[@]}") $(median "${cpus[@]}") $(median "${rsss[@]}")"
}
# measure_conftest NAME RUNS CMD... : measure, or reuse what an earlier run
# with the same conftest, size, layout and run count kept in CONFTEST_CACHE.
measure_conftest() {
	local name=$1 runs=$2 key figures
	key="${CONFTEST_CACHE:-}/$("$CONFTEST" --version | tr -c 'A-Za-z0-9.\n' _ | tr '\n' _)$name-runs$runs"
	if [[ -n "${CONFTEST_CACHE:-}" && -s "$key.figures" && -s "$key.json" ]]; then
		sed "s|@WORK@|$WORK|g" "$key.json" >"$WORK/$name.json" # the scratch directory differs per run
		cat "$key.figures"
		return
	fi
	figures=$(measure "$@")
	if [[ -n "${CONFTEST_CACHE:-}" ]]; then
		mkdir -p "${CONFTEST_CACHE:-}"
		sed "s|$WORK|@WORK@|g" "$WORK/$name.json" >"$key.json"
		echo "$figures" >"$key.figures"
	fi
	echo "$figures"
}
cached() { # cached NAME RUNS: CONFTEST_CACHE holds these figures
	[[ -n "${CONFTEST_CACHE:-}" ]] && compgen -G "${CONFTEST_CACHE:-}/*$1-runs$2.figures" >/dev/null
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# findings sets, one "file<TAB>kind<TAB>message" per line, sorted
conftest_set() { jq -r '.[] | .filename as $f | ((.failures // [])[] | [$f, "deny", .msg]), ((.warnings // [])[] | [$f, "warn", .msg]) | @tsv' "$1" | sort; }
assay_set() { jq -r '.findings[] | [.path, .kind, .message] | @tsv' "$1" | sort; }

# assay judges a directory of plain Rego as an implicit bundle: each package
# with deny/warn rules is a policy, each JSON file one document. Like
# conftest, it judges with package main unless told: --all-namespaces takes
# every package in both layouts (the one-package layout has only main).
ASSAY_KIND="assay eval"
printf '#!/bin/sh\ndir=$1; shift\nexec "%s" eval -b "$dir" -f json --all-namespaces "$@"\n' "$ASSAY" >"$WORK/assay_cmd"
# ASSAY_ENV="GOMEMLIMIT=150MiB" runs assay with that environment.
if [[ -n "${ASSAY_ENV:-}" ]]; then
	sed -i "2i export ${ASSAY_ENV}" "$WORK/assay_cmd"
	ASSAY_KIND="$ASSAY_KIND, with $ASSAY_ENV"
fi
chmod +x "$WORK/assay_cmd"

load() { cut -d' ' -f1 /proc/loadavg; }
# row NAME... : one results row: bench case tool runs wall cpu rss findings load
row() { printf '%s\t' "$@" | sed 's/\t$//' >>"$RESULTS"; echo >>"$RESULTS"; }

echo
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "conftest: $CONFTEST_VERSION ($("$CONFTEST" --version | tr "\n" " "))"
echo "assay:    $ASSAY_KIND"
[[ -n "${CONFTEST_CACHE:-}" ]] && echo "conftest figures kept in and reused from ${CONFTEST_CACHE:-}"
echo "policies: $NPOL per shape; medians of $RUNS runs (per-package conftest: ${PER_PACKAGE_RUNS:-1 run above 1,000 documents}${PER_PACKAGE_RUNS:+ runs})"
echo
printf '%-7s %-7s %-12s %-9s %9s %9s %8s %10s %10s %5s  %s\n' shape docs layout tool wall_s cpu_s rss_MB wall_ratio cpu_ratio load findings
status=0
for shape in $SHAPES; do
	for layout in one-package per-package; do
		gen policies "$shape" "$layout" "$WORK/$shape-$layout"
	done
	sizes_var="SIZES_$shape"
	for n in ${!sizes_var:-$SIZES}; do
		gen docs "$shape" "$n" "$WORK/docs-$n"
		docs=("$WORK/docs-$n"/*.json)
		for layout in one-package per-package; do
			flags=()
			runs=$RUNS
			name="$shape-$layout-$n"
			if [[ $layout == per-package ]]; then
				flags=(--all-namespaces)
				if { ((n > 1000)) && [[ $FULL != 1 ]] || [[ " ${PER_PACKAGE_SHAPES:-$SHAPES} " != *" $shape "* ]]; } && ! cached "conftest-$name" 1; then
					printf '%-7s %-7s %-12s %-9s %s\n' "$shape" "$n" "$layout" conftest "skipped (minutes; FULL=1 or PER_PACKAGE_SHAPES runs it)"
					l=$(load)
					read -r aw ac ar <<<"$(measure "assay-$name" "$runs" "$WORK/assay_cmd" "$WORK/$shape-$layout" "${docs[@]}")"
					printf '%-7s %-7s %-12s %-9s %9s %9s %8s %10s %10s %5s  %s\n' "$shape" "$n" "$layout" assay "$aw" "$ac" "$ar" - - "$l" "$(assay_set "$WORK/assay-$name.json" | wc -l)"
					row engine "$shape $n $layout" assay "$runs" "$aw" "$ac" "$ar" "$(assay_set "$WORK/assay-$name.json" | wc -l)" "$l"
					continue
				fi
				((n > 1000)) && runs=1
				runs=${PER_PACKAGE_RUNS:-$runs}
			fi
			l=$(load)
			read -r cw cc cr <<<"$(measure_conftest "conftest-$name" "$runs" "$CONFTEST" test --no-color -o json -p "$WORK/$shape-$layout" "${flags[@]}" "${docs[@]}")"
			read -r aw ac ar <<<"$(measure "assay-$name" "$RUNS" "$WORK/assay_cmd" "$WORK/$shape-$layout" "${docs[@]}")"
			l="$l-$(load)"
			conftest_set "$WORK/conftest-$name.json" >"$WORK/c.tsv" 2>/dev/null || : >"$WORK/c.tsv"
			assay_set "$WORK/assay-$name.json" >"$WORK/a.tsv" 2>/dev/null || : >"$WORK/a.tsv"
			if [[ $cw == failed || $aw == failed ]]; then
				same="FAILED: conftest $cw, assay $aw"
				status=1
			elif cmp -s "$WORK/c.tsv" "$WORK/a.tsv"; then
				same="identical ($(wc -l <"$WORK/a.tsv"))"
			else
				same="DIFFERENT: conftest $(wc -l <"$WORK/c.tsv"), assay $(wc -l <"$WORK/a.tsv")"
				diff "$WORK/c.tsv" "$WORK/a.tsv" | head -5 >&2 || true
				status=1
			fi
			printf '%-7s %-7s %-12s %-9s %9s %9s %8s %10s %10s %5s\n' "$shape" "$n" "$layout" conftest "$cw" "$cc" "$cr" "" "" ""
			printf '%-7s %-7s %-12s %-9s %9s %9s %8s %10s %10s %5s  %s\n' "$shape" "$n" "$layout" assay "$aw" "$ac" "$ar" \
				"$(awk -v a="$aw" -v c="$cw" 'BEGIN { if (a + 0 > 0) printf "%.1fx", c / a; else print "-" }')" \
				"$(awk -v a="$ac" -v c="$cc" 'BEGIN { if (a + 0 > 0) printf "%.1fx", c / a; else print "-" }')" "$l" "$same"
			row engine "$shape $n $layout" conftest "$runs" "$cw" "$cc" "$cr" "$same" "$l"
			row engine "$shape $n $layout" assay "$RUNS" "$aw" "$ac" "$ar" "$same" "$l"
		done
		rm -rf "$WORK/docs-$n"
	done
done
if ((BIG > 0)); then
	# Bounded memory: assay alone on many nested documents, one package.
	gen policies nested one-package "$WORK/nested-one-package"
	gen docs nested "$BIG" "$WORK/docs-big"
	l=$(load)
	# 100,000 names pass the argument limit (a quarter of the stack limit):
	# relative names, and a 64 MiB stack limit for this command.
	read -r aw ac ar <<<"$(cd "$WORK/docs-big" && ulimit -s 65536 && measure "assay-big" 1 "$WORK/assay_cmd" "$WORK/nested-one-package" ./*.json)"
	printf '%-7s %-7s %-12s %-9s %9s %9s %8s %10s %10s %5s  %s\n' nested "$BIG" one-package assay "$aw" "$ac" "$ar" - - "$l" "$(assay_set "$WORK/assay-big.json" | wc -l)"
	row engine "nested $BIG one-package" assay 1 "$aw" "$ac" "$ar" "$(assay_set "$WORK/assay-big.json" | wc -l)" "$l"
	rm -rf "$WORK/docs-big"
fi
echo
echo "wall_ratio and cpu_ratio: conftest / assay (higher is better for assay); load: 1-minute load average before-after."
echo "targets at 10,000 documents, every shape: >= 5x one-package, >= 50x per-package, assay peak RSS < 200 MB;"
echo "at 100,000 nested documents (BIG=100000) assay peak RSS < 250 MB."
exit $status
