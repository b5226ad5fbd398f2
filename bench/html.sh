#!/usr/bin/env bash
# bench/html.sh: how large the HTML report of a big scan is, how long
# `assay report` takes to write it, and how soon headless Chromium makes it
# interactive.
#
# Generates a JSON report with FINDINGS findings over POLICIES failing
# policies (bench/htmlbench gen: four bundles, every finding with a
# location, a message and an evidence line), renders it with
# `assay report`, then opens the page RUNS times in a fresh tab
# (bench/htmlbench measure) and prints each load's figures from the
# browser's own clocks — the Performance API's navigation timing and the
# page's marks, and CDP Performance.getMetrics — and their medians:
#
#   dcl, load     domContentLoadedEventEnd, loadEventEnd (ms after navigation start)
#   fcp           first-contentful-paint
#   ready         the page's script has set up its filters (mark assay-ready)
#   interactive   a click on a severity filter, sent as soon as the page is
#                 ready, has been applied (mark assay-filtered)
#   filter        that filter's own work (assay-filter-start → assay-filtered)
#   painted by    the next frame after it (an upper bound: it includes the
#                 harness's polling)
#   script, layout+style, tasks   Performance.getMetrics durations
#
# The target (issue 16): 10,000 findings over 200 policies interactive
# within 2 s.
#
# Environment: FINDINGS (10000), POLICIES (200), RUNS (7), WORK (a
# temporary directory, removed at the end unless given). Needs chromium
# (make deps) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

FINDINGS=${FINDINGS:-10000}
POLICIES=${POLICIES:-200}
RUNS=${RUNS:-7}
cleanup=()
trap 'rm -rf "${cleanup[@]}"' EXIT
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  cleanup+=("$WORK")
fi
for tool in /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "html.sh: $tool is missing (make deps)" >&2; exit 2; }
done
command -v chromium >/dev/null || { echo "html.sh: chromium is missing (make deps)" >&2; exit 2; }

go build -o "$WORK/assay" ./cmd/assay
go build -o "$WORK/htmlbench" ./bench/htmlbench

"$WORK/htmlbench" gen -o "$WORK/report.json" -policies "$POLICIES" -findings "$FINDINGS"
/usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$WORK/assay" report "$WORK/report.json" -o "$WORK/report.html"
read -r render_s render_kb <"$WORK/time.txt"

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $(chromium --version 2>/dev/null | head -1)"
printf 'report: %d findings, %d policies; JSON %s bytes, HTML %s bytes (%s gzip)\n' "$FINDINGS" "$POLICIES" \
  "$(stat -c %s "$WORK/report.json")" "$(stat -c %s "$WORK/report.html")" "$(gzip -c "$WORK/report.html" | wc -c)"
printf 'assay report: %s s, peak RSS %d MB\n' "$render_s" "$((render_kb / 1024))"
"$WORK/htmlbench" measure -runs "$RUNS" "$WORK/report.html"
