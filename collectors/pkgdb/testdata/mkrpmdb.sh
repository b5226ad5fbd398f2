#!/usr/bin/env bash
# mkrpmdb.sh OUT NAME:VERSION:RELEASE[:EPOCH] ... — writes the rpm databases
# the pkgdb tests and the sshd distribution fixtures read: OUT/rpmdb.sqlite
# (rpm 4.16+, RHEL 9) and OUT/Packages (BerkeleyDB hash, RHEL 8), each
# holding empty packages of those names and versions.
#
# Needs Debian's rpm (rpmbuild; its own database is SQLite) and db5.3-util
# (db5.3_load writes the BerkeleyDB file from the same header blobs, which
# is what rpm stored in Packages before 4.16). Run from anywhere; it touches
# nothing but OUT and a temporary directory.
set -euo pipefail
out=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/db" "$work/top"
rpm --dbpath "$work/db" --initdb
for spec in "$@"; do
	IFS=: read -r name version release epoch <<<"$spec"
	cat >"$work/$name.spec" <<SPEC
Name: $name
Version: $version
Release: $release
${epoch:+Epoch: $epoch}
Summary: $name for assay's package database fixtures
License: none
BuildArch: noarch
%description
An empty package: only its name and version matter.
%files
SPEC
	rpmbuild -bb --quiet --define "_topdir $work/top" "$work/$name.spec" >/dev/null
	rpm --dbpath "$work/db" -i --justdb --nodeps --noscripts --nosignature "$work"/top/RPMS/noarch/"$name"-*.rpm
done
cp "$work/db/rpmdb.sqlite" "$out/rpmdb.sqlite"
# The BerkeleyDB Packages file: key = the package's instance number (host
# byte order, as rpm wrote it), value = its header blob.
{
	echo "VERSION=3"
	echo "format=bytevalue"
	echo "type=hash"
	echo "HEADER=END"
	sqlite3 "$work/db/rpmdb.sqlite" "SELECT hnum, hex(blob) FROM Packages ORDER BY hnum" | while IFS='|' read -r hnum blob; do
		printf ' %02x%02x%02x%02x\n' $((hnum & 255)) $((hnum >> 8 & 255)) $((hnum >> 16 & 255)) $((hnum >> 24 & 255))
		echo " ${blob,,}"
	done
	echo "DATA=END"
} >"$work/Packages.dump"
rm -f "$out/Packages"
db5.3_load -f "$work/Packages.dump" "$out/Packages"
