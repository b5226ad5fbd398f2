#!/usr/bin/env bash
# dist.sh — the release artifacts (make dist), reproducibly: two runs on one
# tree give byte-identical files.
#
# Into $DIST (default dist/), for each of $PLATFORMS (default linux/amd64
# linux/arm64):
#   assay_VERSION_OS_ARCH.tar.gz   static binary, man pages, shell completions
#   assay_VERSION_OS_ARCH.cdx.json CycloneDX SBOM of the binary
# (VERSION without its leading v: v1.2.3 makes assay_1.2.3_linux_amd64.tar.gz)
#   assay_PKGVERSION-1_ARCH.deb, assay-PKGVERSION-1.ARCH.rpm   (nfpm)
#   SHA256SUMS                     of all of the above
# and bin/OS_ARCH/assay for those and for $BUILD_ONLY (compiled, not
# packaged: make dist-test packages one platform to stay fast).
#
# VERSION defaults to `git describe`; SOURCE_DATE_EPOCH (every timestamp:
# archive entries, man pages, packages, the SBOM) to the last commit's time.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dist=$(realpath -m "${DIST:-dist}")
case "$dist" in
  / | "$repo" | "$HOME") echo "dist.sh: refusing DIST=$dist: it is emptied first" >&2; exit 2 ;;
esac
platforms=${PLATFORMS:-linux/amd64 linux/arm64}
build_only=${BUILD_ONLY:-}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH TZ=UTC LC_ALL=C
umask 022

# Debian and RPM versions must start with a digit and sort in release order:
# v1.2.3 -> 1.2.3, v1.2.3-rc1 -> 1.2.3~rc1, v1.2.3-4-gabc -> 1.2.3+4.gabc,
# an untagged abc1234 -> 0.0.0+gabc1234; -dirty becomes .dirty.
pkg_version() {
  local v=${1#v} dirty=""
  if [[ $v == *-dirty ]]; then v=${v%-dirty} dirty=.dirty; fi
  if [[ $v =~ ^([0-9]+\.[0-9]+\.[0-9]+)-([0-9]+)-(g[0-9a-f]+)$ ]]; then
    echo "${BASH_REMATCH[1]}+${BASH_REMATCH[2]}.${BASH_REMATCH[3]}$dirty"
  elif [[ $v =~ ^([0-9]+\.[0-9]+\.[0-9]+)-([0-9A-Za-z.]+)$ ]]; then
    echo "${BASH_REMATCH[1]}~${BASH_REMATCH[2]}$dirty"
  elif [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "$v$dirty"
  else
    echo "0.0.0+g${v//[^0-9A-Za-z.]/.}$dirty"
  fi
}
pkgver=$(pkg_version "$version")

tools=$(packaging/tools.sh nfpm cyclonedx-gomod)
nfpm=$(sed -n 1p <<<"$tools") cyclonedx=$(sed -n 2p <<<"$tools")

rm -rf "$dist"
mkdir -p "$dist"
work=$dist/.work
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# Static, path-free binaries with the version stamped in.
ldflags="-s -w -X github.com/assay-dev/assay/cmd/assay/internal/version.Version=$version"
for p in $platforms $build_only; do
  os=${p%/*} arch=${p#*/}
  echo "dist: build $os/$arch" >&2
  mkdir -p "$dist/bin/${os}_$arch"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$ldflags" \
    -o "$dist/bin/${os}_$arch/assay" ./cmd/assay
done

# Man pages and completions describe the commands, the same on every
# platform: make them with a binary this machine runs.
host=$dist/bin/$(go env GOHOSTOS)_$(go env GOHOSTARCH)/assay
if [ ! -x "$host" ]; then
  host=$work/assay-host
  CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$host" ./cmd/assay
fi
mkdir -p "$work/man" "$work/completions"
"$host" docs --man "$work/man"
for sh in bash zsh fish; do
  "$host" completion "$sh" > "$work/completions/assay.$sh"
done

# tar with fixed order, owners, modes and times, gzip without a name or
# time: the archive depends on its contents only.
reprotar() { # reprotar OUT DIR-PARENT NAME
  tar -C "$2" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" --mode='u+rwX,go+rX,go-w' -cf - "$3" | gzip -9n > "$1"
}

for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  bin=$dist/bin/${os}_$arch/assay
  base=assay_${version#v}_${os}_$arch
  echo "dist: package $os/$arch" >&2

  # The archive.
  a=$work/archive/$base
  mkdir -p "$a/man/man1" "$a/completions"
  install -m 0755 "$bin" "$a/assay"
  install -m 0644 README.md CHANGELOG.md "$a/"
  install -m 0644 "$work"/man/*.1 "$a/man/man1/"
  install -m 0644 "$work"/completions/* "$a/completions/"
  reprotar "$dist/$base.tar.gz" "$work/archive" "$base"

  # The SBOM: the modules linked into this binary, read from its build info.
  "$cyclonedx" bin -json -noserial -notimestamp -version "$version" -output "$work/sbom.json" "$bin"
  jq --arg ts "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" '.metadata.timestamp = $ts' \
    "$work/sbom.json" > "$dist/$base.cdx.json"

  # The packages: nfpm runs in a staging directory holding every file its
  # configuration names.
  s=$work/pkg/$arch
  mkdir -p "$s/man" "$s/completions"
  install -m 0755 "$bin" "$s/assay"
  for m in "$work"/man/*.1; do gzip -9n < "$m" > "$s/man/$(basename "$m").gz"; done
  cp "$work"/completions/* "$s/completions/"
  cp -r packaging/systemd packaging/etc packaging/scripts packaging/copyright packaging/lintian-overrides "$s/"
  cat > "$s/changelog.yaml" <<YAML
- semver: "$pkgver-1"
  date: $(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
  packager: assay developers <assay-dev@users.noreply.github.com>
  deb:
    urgency: medium
    distributions: [unstable]
  changes:
    - note: "assay $version (CHANGELOG.md in the release archive)"
YAML
  for packager in deb rpm; do
    (cd "$s" && GOARCH=$arch PKG_VERSION=$pkgver "$nfpm" package --config "$repo/packaging/nfpm.yaml" \
      --packager "$packager" --target "$dist/" >&2)
  done
done

(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum > SHA256SUMS)
echo "dist: $(wc -l < "$dist/SHA256SUMS") artifacts of assay $version in $dist/" >&2
