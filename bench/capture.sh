#!/usr/bin/env bash
# Offline ARP/NDP decoding: assay's decoder against tcpdump on the same
# generated pcap of 1,000,000 frames (about half ARP/NDP), one core each.
# Prints the median wall time of each over RUNS runs, packets per second,
# and the ratio. Target: >= 2,000,000 packets/s, faster than tcpdump.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v tcpdump >/dev/null || { echo "capture.sh: tcpdump not installed (apt-get install tcpdump)" >&2; exit 1; }

go build -o "$work/capture" ./bench/capture
"$work/capture" -gen "$work/bench.pcap" -n "$N"
echo "pcap: $N frames, $(du -h "$work/bench.pcap" | cut -f1)"

# RUNS runs of a command; prints "WALL CPU": the median wall time and the
# median CPU time (user+sys) in seconds. On a shared, loaded machine the CPU
# time is the steadier figure; both are printed.
measure() {
  local out
  out=$(mktemp)
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %U %S' -a -o "$out" "$@" >/dev/null 2>/dev/null
  done
  local wall cpu
  wall=$(awk '{print $1}' "$out" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  cpu=$(awk '{print $2+$3}' "$out" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$wall $cpu"
  rm -f "$out"
}

one_core="taskset -c 0"
command -v taskset >/dev/null || one_core=""
"$work/capture" -decode "$work/bench.pcap"   # warm the page cache; shows counts
tcpdump -nr "$work/bench.pcap" 'arp or icmp6' 2>/dev/null | wc -l | sed 's/^/tcpdump lines (arp or icmp6): /'

read -r assay_wall assay_cpu < <(GOMAXPROCS=1 measure $one_core "$work/capture" -decode "$work/bench.pcap")
read -r td_wall td_cpu < <(measure $one_core tcpdump -nr "$work/bench.pcap" 'arp or icmp6')

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; medians of $RUNS runs, one core each"
awk -v n="$N" -v aw="$assay_wall" -v ac="$assay_cpu" -v tw="$td_wall" -v tc="$td_cpu" 'BEGIN {
  printf "assay decoder : wall %.3f s (%9.0f packets/s)  cpu %.3f s (%9.0f packets/s)\n", aw, n/aw, ac, n/ac
  printf "tcpdump -nr   : wall %.3f s (%9.0f packets/s)  cpu %.3f s (%9.0f packets/s)\n", tw, n/tw, tc, n/tc
  printf "ratio tcpdump/assay: wall %.1fx, cpu %.1fx\n", tw/aw, tc/ac
  printf "target >= 2,000,000 packets/s on one core (wall): %s\n", (n/aw >= 2000000 ? "met" : "NOT met (see cpu figure if the machine is loaded)")
}'
