#!/usr/bin/env bash
# Load and soak of `assay serve` (loopback only, bounded): 200 scrapes/s for
# 60 s while scans run (target p99 < 50 ms), then 1,000 scan cycles with
# goroutines and heap measured at start and end (target: no growth beyond
# noise). For a peer figure, the same scrape load is compared against a
# plain Go HTTP handler serving the same bytes would be the physical floor;
# here the ratio printed is p99 against the 50 ms target.
# Usage: bench/serve.sh [-rate N] [-duration D] [-cycles N]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/serveload ./bench/serveload
bench/out/serveload "$@" | tee bench/out/serve.txt
p99=$(sed -n 's/.*p99 \([^ ]*\) .*/\1/p' bench/out/serve.txt)
echo "p99 ${p99} against the 50ms target"
