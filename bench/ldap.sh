#!/bin/sh
# bench/ldap.sh — the LDAP authorized_keys case of issue 9: 10,000 directory
# users with 3 keys each against 10,000 home directories, fetch + scan +
# evaluation, against a private slapd on loopback.
#
# DRIVER: a Go benchmark (examples/ldap BenchmarkDirectoryScan), because the
# file collector and the engine are not on this branch yet: its scan and
# evaluation are the test's stand-ins (read every authorized_keys file into
# the file collector's document shape; OPA prepared queries, aggregate
# input), the fetch is the real data "ldap" source through the real bundle
# loader. Once `assay scan --root` can run examples/ldap, time that instead.
#
# Peers measured in the same run: ldapsearch (OpenLDAP's client, paged the
# same way) for the fetch, `cat` of the same files for the scan. The
# machine is shared: wall times include the neighbours' load, so the CPU
# time of the process (all threads) is reported too.
#
# Usage: bench/ldap.sh [USERS] [RUNS]     (default 10000 users, 3 runs)
set -eu
cd "$(dirname "$0")/.."
users=${1:-10000}
runs=${2:-3}
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || { echo "slapd is not installed (apt-get install slapd ldap-utils)"; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
out=$(ASSAY_BENCH_USERS=$users go test -run '^$' -bench BenchmarkDirectoryScan -benchtime 1x -count "$runs" ./examples/ldap/ | grep '^BenchmarkDirectoryScan')
echo "$out"
echo "$out" | awk -v users="$users" '
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	n++
	for (i = 3; i < NF; i += 2) { v[$(i + 1), n] = $i; names[$(i + 1)] = 1 }
}
END {
	for (k in names) { for (i = 1; i <= n; i++) tmp[i] = v[k, i]; med[k] = median(tmp, n) }
	printf "\n%d users, median of %d runs\n", users, n
	printf "  fetch %7.0f ms wall %7.0f ms CPU   (ldapsearch %5.0f ms: ratio %.1fx)\n", med["fetch-ms"], med["fetch-cpu-ms"], med["ldapsearch-ms"], med["fetch-ms"] / med["ldapsearch-ms"]
	printf "  scan  %7.0f ms wall %7.0f ms CPU   (cat        %5.0f ms: ratio %.1fx)\n", med["scan-ms"], med["scan-cpu-ms"], med["cat-ms"], med["scan-ms"] / med["cat-ms"]
	printf "  eval  %7.0f ms wall %7.0f ms CPU\n", med["eval-ms"], med["eval-cpu-ms"]
	printf "  total %7.0f ms wall %7.0f ms CPU   (budget 5000 ms)\n", med["total-ms"], med["cpu-ms"]
	printf "  peak RSS of the test process %.0f MiB (budget 300; slapd excluded, fixtures included)\n", med["peak-rss-MiB"]
}'
