#!/usr/bin/env bash
# sshd-oracles.sh — the oracle of the sshd collector for every OpenSSH
# release it models: builds each release's sshd (and ssh, for `ssh -Q`) from
# the openssh-portable source at its release tag, then either records what
# those programs print into the committed goldens or compares the collector
# with them directly.
#
#   sshd-oracles.sh build    build every release into $SSHD_BUILD_DIR
#   sshd-oracles.sh record   build, then rewrite collectors/sshd/testdata/releases
#   sshd-oracles.sh live     build, then compare the collector with the binaries
#
# OPENSSH_SRC is a clone of github.com/openssh/openssh-portable (bare or not);
# nothing of it is copied into this repository. Builds go to
# SSHD_BUILD_DIR (default /tmp/openssh-build), one directory per build, and
# are reused while their tag and flags are unchanged. Needs autoconf, a C
# compiler, libssl-dev and zlib1g-dev, plus libpam0g-dev, libkrb5-dev and
# libselinux1-dev for the "full" builds; recording and live comparison need
# root, unshare(1) and ssh-keygen (sshd -T runs in a private mount namespace
# with each case's /etc/ssh bind-mounted, as in oracle_test.go).
#
# Make targets: `make sshd-oracles OPENSSH_SRC=DIR` (record) and
# `make sshd-oracles-live OPENSSH_SRC=DIR` (compare; not part of make test).
set -euo pipefail
cd "$(dirname "$0")/../../.."

mode=${1:-record}
SRC=${OPENSSH_SRC:?set OPENSSH_SRC to a clone of github.com/openssh/openssh-portable}
BUILD=${SSHD_BUILD_DIR:-/tmp/openssh-build}
JOBS=${JOBS:-2}

# Flags every build shares: the paths a distribution package uses, so that
# the defaults sshd -T prints (pidfile, xauthlocation, host keys) are a
# distribution's. /run/sshd is where sshd -T looks for its privsep directory.
common=(--sysconfdir=/etc/ssh --with-privsep-path=/run/sshd --with-pid-dir=/run --with-xauth=/usr/bin/xauth)
# The variants: "full" as Debian, Ubuntu and RHEL build sshd (PAM, GSSAPI
# with Kerberos 5, SELinux); "nopam" as Alpine's openssh-server (none of them).
declare -A variant=(
	[full]="--with-pam --with-kerberos5=/usr --with-selinux"
	[nopam]=""
)
# build name, release tag, variant. The build name is the directory under
# testdata/releases; keep it in step with releases.go.
builds=(
	"8.0p1 V_8_0_P1 full"
	"8.2p1 V_8_2_P1 full"
	"8.4p1 V_8_4_P1 full"
	"8.7p1 V_8_7_P1 full"
	"8.9p1 V_8_9_P1 full"
	"9.2p1 V_9_2_P1 full"
	"9.6p1 V_9_6_P1 full"
	"9.9p1 V_9_9_P1 full"
	"9.9p1-nopam V_9_9_P1 nopam"
	"10.0p1 V_10_0_P1 full"
	"10.0p1-nopam V_10_0_P1 nopam"
	"10.5p1 V_10_5_P1 full"
)
if [ -n "${BUILDS:-}" ]; then
	keep=()
	for b in "${builds[@]}"; do
		for want in $BUILDS; do [ "${b%% *}" = "$want" ] && keep+=("$b"); done
	done
	builds=("${keep[@]}")
fi

build_one() {
	local name=$1 tag=$2 var=$3
	local dir=$BUILD/$name flags
	flags="${common[*]} ${variant[$var]}"
	local commit stamp
	commit=$(git -C "$SRC" rev-parse "$tag^{commit}")
	stamp="$commit $flags"
	if [ -x "$dir/src/sshd" ] && [ -x "$dir/src/ssh" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "sshd-oracles: $name: up to date"
		return
	fi
	echo "sshd-oracles: $name: building $tag ($var: $flags)"
	rm -rf "$dir"
	mkdir -p "$dir/src"
	git -C "$SRC" archive "$commit" | tar -x -C "$dir/src"
	local start=$SECONDS
	(
		cd "$dir/src"
		autoreconf -fi
		# shellcheck disable=SC2086
		./configure $flags
		make -j"$JOBS" sshd ssh
	) >"$dir/build.log" 2>&1 || {
		echo "sshd-oracles: $name: build failed; see $dir/build.log" >&2
		tail -20 "$dir/build.log" >&2
		return 1
	}
	printf '%s\n' "$stamp" >"$dir/stamp"
	{
		echo "build $name"
		echo "tag $tag"
		echo "commit $commit"
		echo "variant $var"
		echo "configure $flags"
	} >"$dir/build.txt"
	echo "sshd-oracles: $name: built in $((SECONDS - start)) s"
}

total=$SECONDS
for b in "${builds[@]}"; do
	# shellcheck disable=SC2086
	build_one $b
done
echo "sshd-oracles: builds ready in $((SECONDS - total)) s"

names=()
for b in "${builds[@]}"; do names+=("${b%% *}"); done
case $mode in
build) ;;
record | live)
	[ "$(id -u)" -eq 0 ] || { echo "sshd-oracles: $mode needs root (mount namespaces, sshd's privsep checks)" >&2; exit 1; }
	mkdir -p /run/sshd
	test=TestRecordReleases
	[ "$mode" = live ] && test=TestLiveReleases
	start=$SECONDS
	go test -tags sshdoracle -count=1 -timeout 60m -run "^$test\$" ./collectors/sshd \
		-args -sshd-builds "$BUILD" -sshd-releases "${names[*]}"
	echo "sshd-oracles: $mode took $((SECONDS - start)) s"
	;;
*)
	echo "usage: $0 build|record|live" >&2
	exit 2
	;;
esac
