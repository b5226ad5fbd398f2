#!/usr/bin/env bash
# tools.sh NAME... — prints the path of each pinned Go tool the release
# scripts use, building it first if the cache does not hold it yet.
#
# Tools are built once into $ASSAY_TOOLS (make passes its TOOLS; the default
# is the same GOCACHE/../assay-tools, where make test keeps conftest),
# outside the repository, one directory per NAME@VERSION, so every run (and
# every worktree) on this machine shares them and a version bump builds anew.
set -euo pipefail

declare -A modules=(
  [nfpm]=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
  [cyclonedx-gomod]=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
  [actionlint]=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
)

cache=$(realpath -m "${ASSAY_TOOLS:-$(go env GOCACHE)/../assay-tools}")
for name in "$@"; do
  mod=${modules[$name]:-}
  if [ -z "$mod" ]; then
    echo "tools.sh: unknown tool $name (known: ${!modules[*]})" >&2
    exit 2
  fi
  dir="$cache/$name@${mod##*@}"
  if [ ! -x "$dir/$name" ]; then
    echo "tools.sh: building $mod into $dir" >&2
    mkdir -p "$dir"
    # A tool is a program of its own module: build it outside this one, with
    # its own go.mod, and leave this module's go.mod alone. Two runs building
    # it at once each rename a complete binary into place.
    tmp=$(mktemp -d "$cache/.build.XXXXXX")
    (cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS='' go install "$mod")
    mv -f "$tmp/$name" "$dir/$name"
    rmdir "$tmp"
  fi
  echo "$dir/$name"
done
