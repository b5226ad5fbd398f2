#!/usr/bin/env bash
# bench/image.sh: reading a container image without extracting it, against
# extracting it.
#
# Generates a ~500 MB, ~50,000-file image as a docker-save tarball twice:
# with plain layers (what `docker save` writes) and with gzip layers (what a
# registry serves). For each, in one run:
#   tar-x        GNU tar extracting every layer to disk, streamed from the
#                image tarball (tar -xOf image.tar LAYER | tar -x[z] -C DIR):
#                the cost of "unpack, then scan" before any scanning;
#   tar-x-tmpfs  the same into /dev/shm (RAM), tar's best case, when there is
#                room: a baseline a slow or busy disk cannot flatter;
#   assay        targets/image indexing the image and reading EVERY
#                file, via bench/imageread (a bench-only driver: the worst
#                case of what `assay scan --image` collectors read).
# Prints hyperfine medians, peak RSS from /usr/bin/time -v, and ratios.
#
# Then the hostile image of the hostile-input issue (item 5): LONGNAMES
# empty files in one gzip layer, each named by a PAX record of NAMELEN bytes
# (3,000 names of 1 MB: a 3 MB image; archive/tar refuses a PAX header over
# 1 MiB). `assay scan --image` must skip them
# as malformed without keeping their names: prints its peak RSS, wall time,
# and the sizes of its JSON report and of its warnings.
#
# Environment: FILES (50000), SIZE (bytes, 524288000), RUNS (5), SHM
# (/dev/shm), LONGNAMES (3000), NAMELEN (1000000), ONLY (extract or
# longnames: run one part), WORK (a temporary directory, removed at the end
# unless given).
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=${FILES:-50000}
LONGNAMES=${LONGNAMES:-3000}
NAMELEN=${NAMELEN:-1000000}
ONLY=${ONLY:-}
SIZE=${SIZE:-524288000}
RUNS=${RUNS:-5}
SHM=${SHM:-/dev/shm}
cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  cleanup+=("$WORK")
fi
for tool in hyperfine /usr/bin/time tar; do
  command -v "$tool" >/dev/null || { echo "image.sh: $tool is missing (make deps)" >&2; exit 2; }
done
# Extracting into RAM needs the content's size free in $SHM, twice for margin.
shmroot=""
if [ -d "$SHM" ] && [ -w "$SHM" ] && [ "$(df -Pk "$SHM" | awk 'NR==2 {print $4}')" -gt $((2 * SIZE / 1024)) ]; then
  shmroot="$SHM/assay-bench-root.$$"
  cleanup+=("$shmroot")
fi

go build -o "$WORK/imagegen" ./bench/imagegen
go build -o "$WORK/imageread" ./bench/imageread
go build -o "$WORK/assay" ./cmd/assay

peak_kb() { # peak RSS in kB of a command and its children
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}

if [ "$ONLY" != longnames ]; then
printf '%-6s %-12s %10s %12s %10s %10s\n' layers tool median_s peak_rss_MB wall_ratio rss_ratio
for kind in plain gzip; do
  img="$WORK/image-$kind.tar"
  flag=""; z=""
  if [ "$kind" = gzip ]; then flag="-gzip"; z="z"; fi
  "$WORK/imagegen" -o "$img" -files "$FILES" -size "$SIZE" $flag
  layers=$(tar -xOf "$img" manifest.json | grep -o '"Layers":\[[^]]*\]' | grep -o 'blobs/sha256/[0-9a-f]*' | tr '\n' ' ')
  # extract-KIND.sh DIR: every layer of the image into DIR, in order.
  printf '#!/bin/sh\nset -e\nmkdir -p "$1"\nfor l in %s; do tar -xOf "%s" "$l" | tar -x%sf - -C "$1"; done\n' \
    "$layers" "$img" "$z" > "$WORK/extract-$kind.sh"
  chmod +x "$WORK/extract-$kind.sh"
  echo "== $kind layers: $(du -h "$img" | cut -f1) image, $("$WORK/imageread" "$img" 2>&1 | sed 's/^imageread: //')" >&2

  # Removing the previous tree is preparation, not part of the timing.
  cmds=(--prepare "rm -rf $WORK/root" -n tar-x "$WORK/extract-$kind.sh $WORK/root")
  if [ -n "$shmroot" ]; then
    cmds+=(--prepare "rm -rf $shmroot" -n tar-x-tmpfs "$WORK/extract-$kind.sh $shmroot")
  fi
  cmds+=(--prepare true -n assay "$WORK/imageread $img")
  hyperfine --style basic --warmup 1 --runs "$RUNS" --export-csv "$WORK/$kind.csv" "${cmds[@]}" >&2

  med() { awk -F, -v n="$1" '$1==n {print $4}' "$WORK/$kind.csv"; }
  tar_med=$(med tar-x); shm_med=$(med tar-x-tmpfs); assay_med=$(med assay)
  rm -rf "$WORK/root"
  tar_rss=$(peak_kb "$WORK/extract-$kind.sh" "$WORK/root")
  assay_rss=$(peak_kb "$WORK/imageread" "$img")
  rm -rf "$WORK/root" ${shmroot:+"$shmroot"}
  awk -v k="$kind" -v tm="$tar_med" -v sm="$shm_med" -v am="$assay_med" -v tr="$tar_rss" -v ar="$assay_rss" 'BEGIN {
    printf "%-6s %-12s %10.3f %12.1f %10s %10s\n", k, "tar-x", tm, tr/1024, "1.00", "1.00"
    if (sm != "") printf "%-6s %-12s %10.3f %12s %10.2f %10s\n", k, "tar-x-tmpfs", sm, "-", sm/tm, "-"
    printf "%-6s %-12s %10.3f %12.1f %10.2f %10.2f\n", k, "assay", am, ar/1024, am/tm, ar/tr
    if (sm != "") printf "%-6s %-12s %10s %12s %10.2f %10s  <- assay / tar-x-tmpfs\n", k, "", "", "", am/sm, ""
  }'
  rm -f "$img"
done
echo "targets: assay wall_ratio <= 1.00 (no slower than extracting), assay peak RSS < 300 MB" >&2
fi

if [ "$ONLY" != extract ]; then
  img="$WORK/longnames.tar"
  "$WORK/imagegen" -o "$img" -files "$LONGNAMES" -name-len "$NAMELEN" -gzip
  echo "== long names: $LONGNAMES entries with $NAMELEN-byte names, $(du -h "$img" | cut -f1) image" >&2
  # Exit 0 or 1 (findings of the built-in bundles); 2 would mean the image
  # was refused instead of its entries skipped.
  /usr/bin/time -v "$WORK/assay" scan --image "$img" -f json="$WORK/longnames.json" \
    2>"$WORK/longnames.err" >/dev/null || [ $? -eq 1 ]
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/longnames.err")
  wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$WORK/longnames.err")
  warnings=$(grep -c 'level=WARN' "$WORK/longnames.err" || true)
  warn_bytes=$(grep 'level=WARN' "$WORK/longnames.err" | wc -c)
  printf '%-10s %12s %10s %14s %10s %14s\n' case peak_rss_MB wall report_bytes warnings warning_bytes
  printf '%-10s %12.1f %10s %14s %10s %14s\n' longnames "$(echo "$rss / 1024" | bc -l)" "$wall" \
    "$(wc -c <"$WORK/longnames.json")" "$warnings" "$warn_bytes"
  echo "targets: long names peak RSS < 300 MB, report < 1 MB, warnings < 64 kB" >&2
  rm -f "$img"
fi
