#!/bin/sh
# Checking a signed bundle archive (gunzip, untar, SHA-256 of every file,
# EdDSA signature) against the floor of merely hashing the same bytes, and
# `assay bundle verify` end to end against `sha256sum` over the same files.
set -eu
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'BenchmarkOpen|BenchmarkBuild' -count 5 ./bundle/artifact/ | tee /tmp/artifacts-bench.txt
awk '/BenchmarkOpen\/verify/ {v[++nv]=$3} /BenchmarkOpen\/sha256-floor/ {f[++nf]=$3}
function med(a, n,  i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return a[int((n + 1) / 2)] }
END { mv = med(v, nv); mf = med(f, nf); printf "median verify %d ns/op, sha256 floor %d ns/op, ratio %.1fx\n", mv, mf, mv / mf }' /tmp/artifacts-bench.txt

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/assay" ./cmd/assay
mkdir -p "$tmp/b/rego"
printf 'bundle "b" {}\n' > "$tmp/b/bundle.hcl"
i=0; while [ $i -lt 200 ]; do
  { printf 'package p%d\n\n# ' $i; head -c 8192 /dev/zero | tr '\0' a; printf '\n'; } > "$tmp/b/rego/p$i.rego"; i=$((i+1))
done
"$tmp/assay" bundle keygen -o "$tmp/k" >/dev/null
"$tmp/assay" bundle build "$tmp/b" -o "$tmp/b.tar.gz" --skip-tests >/dev/null
"$tmp/assay" bundle sign "$tmp/b.tar.gz" --key "$tmp/k.key" >/dev/null
if command -v hyperfine >/dev/null; then
  hyperfine -N -w 3 -r 20 "$tmp/assay bundle verify $tmp/b.tar.gz --verify-key $tmp/k.pub" \
    "sh -c 'cd $tmp/b && sha256sum bundle.hcl rego/*.rego'"
else
  echo "hyperfine not installed: skipping the end-to-end comparison"
fi
