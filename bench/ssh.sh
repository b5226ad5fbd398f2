#!/usr/bin/env bash
# bench/ssh.sh — SSH targets at scale: N real sshd servers (default 50), each
# in its own network namespace and chrooted into its own tree, scanned with
# `assay scan --inventory --parallel 16` from inside the first one's
# namespace. Prints hosts per minute and assay's peak RSS for inventories of
# N/3, 2N/3 and N targets, each at least 16 so that as many are read at once
# (the RSS must not grow with the targets: each target's documents are
# dropped once judged), and the same trees scanned locally with --root one
# after the other.
#
# Needs root (namespaces, sshd), openssh-server, iproute2, GNU time.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-50}
[ "$(id -u)" -eq 0 ] || { echo "bench/ssh.sh: needs root (network namespaces, sshd)"; exit 0; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
ASSAY_SSH_BENCH=$N ASSAY_SSH_BENCH_OUT=$out go test -count=1 -timeout 20m -run '^TestSSHScale$' ./cmd/assay || exit 1
cat "$out"
