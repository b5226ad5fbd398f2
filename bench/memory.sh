#!/usr/bin/env bash
# bench/memory.sh — the memory of `assay eval` on one large JSON document,
# and of a scan whose policies would grow without bound, stopped by the
# memory budget (--max-memory). The gigabyte reproductions of the
# hostile-input issue; the tests run the same cases at 1 MiB and 64 MiB.
#
#   bench/memory.sh                      # documents of 1, 16 and 100 MB; hogs under a 1 GiB budget
#   SIZES="1 16" bench/memory.sh         # document sizes, in MB
#   BASE=/path/to/old/assay bench/memory.sh   # also measure an older build, for the ratios
#   MAX_MEMORY=default bench/memory.sh   # the hogs under the machine's default budget
#                                        # (half its memory: gigabytes; mind your neighbours)
#   ASSAY=/path/to/assay bench/memory.sh # measure this binary instead of building one
#   PARTS=documents bench/memory.sh      # only the documents (or: hogs)
#
# Prints peak RSS (/usr/bin/time -v), its ratio to the document's size,
# wall time and what the report says. Needs: go, jq, /usr/bin/time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"1 16 100"}
MAX_MEMORY=${MAX_MEMORY:-1GiB}
PARTS=${PARTS:-"documents hogs"}

for tool in go jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "memory.sh: $tool is required (apt-get install -y jq time)" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [[ -z "${ASSAY:-}" ]]; then
	echo "building assay..." >&2
	(cd "$ROOT" && go build -o "$WORK/assay" ./cmd/assay)
	ASSAY="$WORK/assay"
fi

# measure LABEL CMD...: runs CMD under GNU time; prints peak RSS (MB) and
# wall seconds into $WORK/last.
measure() {
	local out="$WORK/time.txt" rc=0
	shift
	/usr/bin/time -v -o "$out" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
	local rss wall
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$out")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out")
	echo "$rss $wall $rc" >"$WORK/last"
}

# --- one large document -------------------------------------------------------
# {"kind": "inventory", "items": [{...}, ...]}, items of about 190 bytes:
# objects, lists, strings and numbers, as collected facts are.
gen_doc() { # gen_doc MB FILE
	awk -v mb="$1" 'BEGIN {
		target = mb * 1000000
		out = 0
		printf "{\"kind\": \"inventory\", \"items\": ["
		for (i = 0; out < target; i++) {
			item = sprintf("%s{\"name\": \"pkg-%d\", \"version\": \"1.%d.%d\", \"size\": %d, \"ratio\": %d.25, \"tags\": [\"a\", \"b%d\", null, true], \"meta\": {\"team\": \"t%d\", \"n\": -%d}}\n", i ? "," : "", i, i%7, i%13, i*31, i%100, i%5, i%3, i)
			printf "%s", item
			out += length(item)
		}
		printf "]}\n"
	}' >"$2"
}

mkdir -p "$WORK/policy"
cat >"$WORK/policy/p.rego" <<'EOF2'
package inventory

deny contains sprintf("%d items, %d large", [count(input.items), count([i | some i in input.items; i.size > 1000000])]) if true
EOF2

documents() {
	echo "== one JSON document: assay eval peak RSS"
	printf '%-8s %-10s %12s %8s %10s  %s\n' "doc MB" "build" "peak RSS MB" "x doc" "wall" "result"
	for mb in $SIZES; do
		doc="$WORK/doc-$mb.json"
		gen_doc "$mb" "$doc"
		size=$(stat -c %s "$doc")
		for build in ${BASE:+base} this; do
			bin=$ASSAY
			args=(--max-document-size 1GiB)
			if [[ $build == base ]]; then
				bin=$BASE
				args=()
			fi
			measure "$build" "$bin" eval -b "$WORK/policy" --documents "$doc" "${args[@]}" -f json
			read -r rss wall rc <"$WORK/last"
			msg=$(jq -r '.findings[0].message // .policies[0].error // "?"' "$WORK/stdout" 2>/dev/null || echo "exit $rc")
			printf '%-8s %-10s %12s %8.1f %10s  %s\n' "$(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1e6}')" "$build" "$rss" "$(awk -v r="$rss" -v s="$size" 'BEGIN {print r * 1048576 / s}')" "$wall" "$msg"
		done
		rm -f "$doc"
	done
}

# --- policies that grow without bound ----------------------------------------
hogs() {
	mkdir -p "$WORK/hog" "$WORK/root"
	{
		echo 'collect "host" "facts" {}'
		echo 'policy "range" {'
		echo '  input = [collect.host.facts]'
		echo '  rego  = <<-EOT'
		echo '    package hog.range'
		echo '    deny contains "never" if count(numbers.range(1, 1000000000)) < 0'
		echo '  EOT'
		echo '}'
		echo 'policy "doubling" {'
		echo '  input = [collect.host.facts]'
		echo '  rego  = <<-EOT'
		echo '    package hog.doubling'
		echo '    deny contains "never" if {'
		echo '      s0 := "abcdefgh"'
		for i in $(seq 1 30); do echo "      s$i := concat(\"\", [s$((i - 1)), s$((i - 1))])"; done
		echo '      count(s30) < 0'
		echo '    }'
		echo '  EOT'
		echo '}'
		echo 'policy "ok" {'
		echo '  input = [collect.host.facts]'
		echo '  rego  = <<-EOT'
		echo '    package hog.ok'
		echo '    warn contains "judged beside the hogs" if true'
		echo '  EOT'
		echo '}'
	} >"$WORK/hog/bundle.hcl"

	budget=()
	[[ $MAX_MEMORY != default ]] && budget=(--max-memory "$MAX_MEMORY")
	echo
	echo "== numbers.range(1, 1e9) and a string doubled 30 times (8 GiB), budget ${MAX_MEMORY}, deadline 10m"
	measure hogs "$ASSAY" scan -b "$WORK/hog" --root "$WORK/root" --eval-timeout 10m "${budget[@]}" -f json
	read -r rss wall rc <"$WORK/last"
	echo "peak RSS ${rss} MB, wall ${wall}, exit ${rc}"
	jq -r '.policies[] | "  \(.id): \(.status) \(.error // "")"' "$WORK/stdout" 2>/dev/null || cat "$WORK/stderr"
}

for part in $PARTS; do
	"$part"
done
