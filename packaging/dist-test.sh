#!/usr/bin/env bash
# dist-test.sh — make dist-test: build the release artifacts and check them.
#
# To stay inside CI's budget it packages one platform (linux/amd64: archive,
# SBOM, .deb, .rpm, image) and only compiles the others. It builds them all
# a second time into a temporary directory and fails unless every artifact
# is byte-identical, then runs the tests of packaging/disttest against them
# (ASSAY_DIST): lintian, dpkg -i / -r, rpm, systemd-analyze, the image
# scanned by assay itself, the Action's steps, actionlint, pre-commit, the
# GitLab example.
set -euo pipefail
cd "$(dirname "$0")/.."
export VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
dist=$(realpath -m "${DIST:-dist}")
again=$(mktemp -d "${TMPDIR:-/tmp}/assay-dist-again.XXXXXX")
trap 'rm -rf "$again"' EXIT
t0=$(date +%s)

# mkimage is built once for both builds (go run would link it twice).
go build -o "$again/mkimage" ./packaging/mkimage

build() { # build DIR BUILD_ONLY
  DIST=$1 PLATFORMS=linux/amd64 BUILD_ONLY=$2 packaging/dist.sh
  "$again/mkimage" -binary "$1/bin/linux_amd64/assay" -arch amd64 -version "$VERSION" \
    -revision "$(git rev-parse HEAD 2>/dev/null)" -created "$SOURCE_DATE_EPOCH" \
    -oci "$1/assay-image-oci" -tar "$1/assay-image.tar" > "$1/assay-image.digest"
}

build "$dist" linux/arm64
t1=$(date +%s)
build "$again/dist" ""
t2=$(date +%s)

# Reproducible: the second build is the first, byte for byte.
differs=0
for f in SHA256SUMS assay-image.digest assay-image.tar; do
  if ! cmp -s "$dist/$f" "$again/dist/$f"; then
    echo "dist-test: $f differs between two builds of the same tree" >&2
    diff "$dist/$f" "$again/dist/$f" >&2 || true
    differs=1
  fi
done
if ! diff -r "$dist/assay-image-oci" "$again/dist/assay-image-oci" >&2; then differs=1; fi
if [ "$differs" -ne 0 ]; then exit 1; fi
echo "dist-test: two builds are identical ($(wc -l < "$dist/SHA256SUMS") artifacts, image $(cat "$dist/assay-image.digest"))" >&2

ASSAY_DIST=$dist go test -race -count=1 ./packaging/disttest/
t3=$(date +%s)
echo "dist-test: build $((t1 - t0)) s, rebuild $((t2 - t1)) s, checks $((t3 - t2)) s" >&2
