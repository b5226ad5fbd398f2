#!/usr/bin/env bash
# bench/image.sh: reading a container image without extracting it, against
# extracting it.
#
# Generates a ~500 MB, ~50,000-file image as a docker-save tarball twice:
# with plain layers (what `docker save` writes) and with gzip layers (what a
# registry serves). For each, in one run:
#   tar-x:  GNU tar extracting every layer to disk, streamed from the image
#           tarball (tar -xOf image.tar LAYER | tar -x[z] -C root): the cost
#           of the usual "unpack then scan" approach before any scanning;
#   assay:  collectors/target/image indexing the image and reading EVERY
#           file, via bench/imageread (a bench-only driver; the worst case of
#           what `assay scan --image` collectors read).
# Prints hyperfine medians, peak RSS from /usr/bin/time -v, and ratios.
#
# Environment: FILES (50000), SIZE (bytes, 524288000), RUNS (5), WORK (a
# temporary directory, removed at the end unless given).
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=${FILES:-50000}
SIZE=${SIZE:-524288000}
RUNS=${RUNS:-5}
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
for tool in hyperfine /usr/bin/time tar; do
  command -v "$tool" >/dev/null || { echo "image.sh: $tool is missing (make deps)" >&2; exit 2; }
done

go build -o "$WORK/imagegen" ./bench/imagegen
go build -o "$WORK/imageread" ./bench/imageread

peak_kb() { # peak RSS in kB of a command
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}

printf '%-6s %-7s %12s %12s %10s %10s %12s\n' layers tool median_s peak_rss_MB wall_ratio rss_ratio
for kind in plain gzip; do
  img="$WORK/image-$kind.tar"
  flag=""; z=""
  if [ "$kind" = gzip ]; then flag="-gzip"; z="z"; fi
  "$WORK/imagegen" -o "$img" -files "$FILES" -size "$SIZE" $flag
  layers=$(tar -xOf "$img" manifest.json | grep -o '"Layers":\[[^]]*\]' | grep -o 'blobs/sha256/[0-9a-f]*')
  cat > "$WORK/extract-$kind.sh" <<EOF
#!/bin/sh
set -e
mkdir -p "$WORK/root"
for l in $(echo $layers); do tar -xOf "$img" "\$l" | tar -x${z}f - -C "$WORK/root"; done
EOF
  chmod +x "$WORK/extract-$kind.sh"
  echo "== $kind layers: $(du -h "$img" | cut -f1) image, $("$WORK/imageread" "$img" 2>&1 | sed 's/^imageread: //')" >&2

  # Removing the previous tree is preparation, not part of the timing.
  hyperfine --style basic --warmup 1 --runs "$RUNS" --export-csv "$WORK/$kind.csv" \
    --prepare "rm -rf $WORK/root" --prepare true \
    -n tar-x "$WORK/extract-$kind.sh" \
    -n assay "$WORK/imageread $img" >&2
  tar_med=$(awk -F, '$1=="tar-x" {print $4}' "$WORK/$kind.csv")
  assay_med=$(awk -F, '$1=="assay" {print $4}' "$WORK/$kind.csv")
  rm -rf "$WORK/root"
  tar_rss=$(peak_kb "$WORK/extract-$kind.sh")
  assay_rss=$(peak_kb "$WORK/imageread" "$img")
  rm -rf "$WORK/root"
  awk -v k="$kind" -v tm="$tar_med" -v am="$assay_med" -v tr="$tar_rss" -v ar="$assay_rss" 'BEGIN {
    printf "%-6s %-7s %12.3f %12.1f %10s %10s\n", k, "tar-x", tm, tr/1024, "1.00", "1.00"
    printf "%-6s %-7s %12.3f %12.1f %10.2f %10.2f\n", k, "assay", am, ar/1024, am/tm, ar/tr
  }'
  rm -f "$img"
done
echo "targets: assay wall_ratio <= 1.00 (no slower than extracting), assay peak RSS < 300 MB" >&2
