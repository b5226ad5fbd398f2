#!/usr/bin/env bash
# Benchmarks of the file collector against its peers, side by side in one run:
#   1. walk + name match over 200,000 files vs GNU find -regex (and fd);
#   2. sha256 over 2 GiB vs sha256sum (one stream, and xargs -P across cores);
#   3. the MIG authorized_keys investigation at 1,000 and 4,000 users, run by
#      the real CLI (assay mig import, then assay scan -b BUNDLE --root TREE:
#      load, compile, collect, evaluate), to show linear growth;
#   4. peak RSS of each (GNU time -v).
# bench/filebench (a bench-only main) runs the collector alone for 1 and 2,
# and generates the MIG tree and action for 3. Trees live on tmpfs
# (/dev/shm) when present, so that the disk is not what is measured; caches
# are warm.
# Usage: bench/file.sh [FILES=200000] [HASH_MIB=2048]
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${1:-200000}
HASH_MIB=${2:-2048}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)"; exit 1; }
base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/assay-file-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin=$work/filebench
go build -o "$bin" ./bench/filebench
cores=$(nproc)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { # hyperfine JSON → median seconds of command $2
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }
peak_rss_mb() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ { printf "%.1f", $2 / 1024 }'; }

echo "== 1. walk + name match, $FILES files"
tree=$work/tree
python3 - "$tree" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 50), "e%03d" % (i % 1000))
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f%d%s" % (i, (".conf", ".txt", ".log", "")[i % 4])), "w").close()
PY
re='^f[0-9]*3\.txt$'
want=$(find "$tree" -type f -regextype posix-extended -regex ".*/f[0-9]*3\.txt" | wc -l)
got=$("$bin" walk "$tree" "$re")
[ "$want" = "$got" ] || { echo "MISMATCH: find $want, assay $got"; exit 1; }
cmds=("find $tree -type f -regextype posix-extended -regex '.*/f[0-9]*3\.txt'" "$bin walk $tree '$re'")
fd=$(command -v fdfind || command -v fd || true)
[ -n "$fd" ] && cmds+=("$fd -u -t f '$re' $tree")
hyperfine -N -w 2 -r 10 --export-json "$work/walk.json" "${cmds[@]}" >/dev/null
f=$(median "$work/walk.json" 0); a=$(median "$work/walk.json" 1)
echo "find -regex median ${f}s, assay ${a}s: assay/find = $(ratio "$a" "$f") (target <= 1.2); $got matches"
[ -n "$fd" ] && echo "fd median $(median "$work/walk.json" 2)s: assay/fd = $(ratio "$a" "$(median "$work/walk.json" 2)")"
echo "peak RSS: assay $(peak_rss_mb "$bin" walk "$tree" "$re") MB, find $(peak_rss_mb find "$tree" -type f -regextype posix-extended -regex '.*/f[0-9]*3\.txt') MB (target < 150 MB)"
rm -rf "$tree"

echo "== 2. sha256 over $HASH_MIB MiB (64 files)"
h=$work/hash; mkdir -p "$h"
for i in $(seq 1 64); do head -c $((HASH_MIB * 1024 * 1024 / 64)) /dev/urandom >"$h/f$i"; done
hyperfine -N -w 1 -r 5 --export-json "$work/hash.json" \
  "sh -c 'sha256sum $h/* >/dev/null'" \
  "sh -c 'ls $h/* | xargs -P $cores -n 8 sha256sum >/dev/null'" \
  "$bin hash $h" >/dev/null
s1=$(median "$work/hash.json" 0); sp=$(median "$work/hash.json" 1); a=$(median "$work/hash.json" 2)
echo "sha256sum one stream ${s1}s ($(ratio "$HASH_MIB" "$s1") MiB/s), xargs -P $cores ${sp}s ($(ratio "$HASH_MIB" "$sp") MiB/s), assay ${a}s ($(ratio "$HASH_MIB" "$a") MiB/s)"
echo "assay throughput per core / sha256sum single stream = $(awk -v s="$s1" -v a="$a" -v c="$cores" 'BEGIN { printf "%.2f", (s / a) / c }') (target >= 0.9); assay vs xargs -P = $(ratio "$sp" "$a")x"
echo "peak RSS: assay $(peak_rss_mb "$bin" hash "$h") MB over $HASH_MIB MiB (streaming)"
rm -rf "$h"

echo "== 3. MIG authorized_keys investigation: assay mig import, then assay scan -b BUNDLE --root TREE"
# filebench gen-mig writes the tree (every user an authorized_keys, one in
# 100 with a rogue key) and the MIG action (one search per home directory).
# The real CLI does the rest; --fail-on none keeps the exit code 0 for
# hyperfine. MIG's own file module (issue 3): ~1.2 s at 1,000 users,
# 12-16 s and 470 MB at 4,000.
assay=$work/assay
go build -o "$assay" ./cmd/assay
cpu_rss() { # "user+sys seconds, peak RSS MB" of one run, GNU time -v
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { printf "%.2f s CPU (user+sys), peak RSS %.1f MB", u + s, r / 1024 }'; }
for n in 1000 4000; do
  "$bin" gen-mig "$n" "$work/mig$n" "$work/mig$n.json"
  "$assay" mig import "$work/mig$n.json" -o "$work/bundle$n" >/dev/null
  scan=("$assay" scan -b "$work/bundle$n" --root "$work/mig$n" --fail-on none -f json)
  got=$("${scan[@]}" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
  [ "$got" = $((n / 100)) ] || { echo "MISMATCH: $n users, $got findings, want $((n / 100))"; exit 1; }
  hyperfine -N -w 2 -r 10 --export-json "$work/mig$n.out.json" "${scan[*]}" >/dev/null
  echo "$n users: assay scan median $(median "$work/mig$n.out.json" 0)s wall (target < 1 s at 4,000), $(cpu_rss "${scan[@]}"); $got findings"
done
m1=$(median "$work/mig1000.out.json" 0); m4=$(median "$work/mig4000.out.json" 0)
echo "4000/1000 wall time ratio = $(ratio "$m4" "$m1") (linear: <= 4; MIG's own module: ~10-13)"
