#!/usr/bin/env bash
# bench/ldap.sh — the LDAP authorized_keys case of issue 9: 10,000 directory
# users with 3 keys each against 10,000 home directories, fetch + scan +
# evaluation, timed through the real CLI:
#
#   assay scan --allow-env ASSAY_LDAP_PASSWORD --root ROOT -b examples/ldap   (pointed at a private slapd)
#
# The fixture (the tree, the bundle copy, slapd on loopback with the users)
# is held by examples/ldap TestBenchFixture while this script times.
#
# Peers measured in the same run (hyperfine, same load):
#   - ldapsearch, OpenLDAP's client, paged the same way: the fetch alone;
#   - `assay data`: assay's fetch alone (the data "ldap" source);
#   - cat of every authorized_keys file and /etc/passwd: the scan's reads.
# The scan's own split (collect / evaluate seconds) comes from its JSON
# report, its peak RSS and CPU time from GNU time -v, medians of RUNS runs.
# The machine is shared: CPU seconds are printed next to wall seconds.
#
# Usage: bench/ldap.sh [USERS=10000] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-10000}
runs=${2:-5}
for tool in hyperfine ldapsearch python3 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install hyperfine ldap-utils python3 time)"; exit 1; }
done
[ -x /usr/sbin/slapd ] || command -v slapd >/dev/null || { echo "slapd is not installed (apt-get install slapd ldap-utils)"; exit 1; }

base=/dev/shm; [ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/assay-ldap-bench.XXXXXX")
fx=$work/fixture
mkdir "$fx"
fixture_pid=
cleanup() {
	touch "$fx/stop"
	[ -n "$fixture_pid" ] && wait "$fixture_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/assay" ./cmd/assay
go test -c -o "$work/ldap.test" ./examples/ldap
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs; $users users, $runs runs"
(cd examples/ldap && ASSAY_BENCH_FIXTURE=$fx ASSAY_BENCH_USERS=$users \
	"$work/ldap.test" -test.run '^TestBenchFixture$' -test.timeout 40m >"$work/fixture.log" 2>&1) &
fixture_pid=$!
for _ in $(seq 1 600); do
	[ -e "$fx/ready" ] && break
	kill -0 "$fixture_pid" 2>/dev/null || { cat "$work/fixture.log"; exit 1; }
	sleep 0.2
done
[ -e "$fx/ready" ] || { echo "the fixture did not start"; cat "$work/fixture.log"; exit 1; }
# shellcheck disable=SC1091
. "$fx/env"
export ASSAY_LDAP_PASSWORD
ASSAY_LDAP_PASSWORD=$(cat "$fx/password")

assay="$work/assay scan --allow-env ASSAY_LDAP_PASSWORD --root $fx/root -b $fx/bundle -f json -o $work/report.json"
fetch="$work/assay data --allow-env ASSAY_LDAP_PASSWORD -b $fx/bundle -o /dev/null"
ldapsearch="ldapsearch -LLL -x -H $LDAP_URL -D $LDAP_BIND_DN -y $fx/password -b $LDAP_BASE_DN -E pr=500/noprompt '$LDAP_FILTER' uid homeDirectory loginShell sshPublicKey nsAccountLock pwdAccountLockedTime"
cat="cat $fx/root/home/*/.ssh/authorized_keys $fx/root/etc/passwd"

# The scan exits 1 (the stranger keys are mandatory findings): hyperfine
# times it through sh, which turns exactly that exit into 0, so that any
# other failure (of the scan or of a peer) stops the run. The result is
# checked once before timing.
$assay || [ $? = 1 ]
want=$(( (users + 99) / 100 ))
got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/report.json")
[ "$got" = "$want" ] || { echo "MISMATCH: $got findings, want $want"; exit 1; }

hyperfine -w 1 -r "$runs" --export-json "$work/h.json" \
	-n "assay scan" "sh -c '$assay || [ \$? = 1 ]'" -n "assay data" "$fetch" -n ldapsearch "sh -c \"$ldapsearch >/dev/null\"" \
	-n cat "sh -c '$cat >/dev/null'" >/dev/null

# GNU time -v and the report's own timings, RUNS times.
for i in $(seq 1 "$runs"); do
	/usr/bin/time -v $assay 2>"$work/time.$i" || true
	cp "$work/report.json" "$work/report.$i.json"
done

python3 - "$work" "$runs" "$users" <<'PY'
import json, re, statistics, sys
work, runs, users = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
h = {r["command"]: r for r in json.load(open(f"{work}/h.json"))["results"]}
med = lambda name: h[name]["median"]
rss, cpu, wall, collect, evaluate = [], [], [], [], []
for i in range(1, runs + 1):
    t = open(f"{work}/time.{i}").read()
    rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024)
    cpu.append(float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1)) + float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1)))
    r = json.load(open(f"{work}/report.{i}.json"))["timings"]
    collect.append(r["collect_seconds"]); evaluate.append(r["evaluate_seconds"])
m = statistics.median
scan = med("assay scan")
print(f"\nmedians over {runs} runs, {users} users (hyperfine wall seconds):")
print(f"  assay scan (fetch + collect + evaluate) {scan:7.3f} s   budget 5 s: {scan / 5:.2f} of it")
print(f"    of which (report timings)  collect {m(collect):.3f} s, evaluate {m(evaluate):.3f} s")
print(f"    CPU (user + sys, time -v)  {m(cpu):.3f} s;  peak RSS {m(rss):.0f} MiB (budget 300 MiB)")
print(f"  assay data (fetch)  {med('assay data'):7.3f} s   ldapsearch {med('ldapsearch'):.3f} s: ratio {med('assay data') / med('ldapsearch'):.2f}x")
print(f"  assay collect share {m(collect):7.3f} s   cat        {med('cat'):.3f} s: ratio {m(collect) / med('cat'):.2f}x")
print(f"  assay scan / (ldapsearch + cat) = {scan / (med('ldapsearch') + med('cat')):.1f}x")
PY
