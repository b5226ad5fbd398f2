// Package pkgdb reads the package databases of a target: which version of
// a package is installed, as dpkg (Debian, Ubuntu), apk (Alpine) or rpm
// (RHEL and its rebuilds) records it. It only reads, through the target's
// file system, and bounds what it reads (MaxDatabase).
package pkgdb

import (
	"bufio"
	"bytes"
	"io/fs"
	"strings"

	"github.com/assay-dev/assay/core/target"
)

// MaxDatabase is the largest package database read (dpkg status, apk
// installed, rpm Packages or rpmdb.sqlite); a larger one is skipped.
const MaxDatabase = 64 << 20

// Package is one installed package.
type Package struct {
	Name string
	// Version as the database spells it: "1:9.2p1-2+deb12u10" (dpkg,
	// epoch first), "9.9_p1-r2" (apk), "8.0p1-19.el8_9.2" (rpm,
	// "EPOCH:" first when it has one).
	Version string
	// Source is the database: "dpkg", "apk" or "rpm".
	Source string
}

// Find returns the first of names installed on the target, looking in
// dpkg's, apk's and rpm's databases in that order. A caller with more than
// one question of a target asks a DB, which reads each database once.
func Find(fsys fs.FS, names ...string) (Package, bool) { return Open(fsys).Find(names...) }

// DB is the package databases of one target, each read (and parsed) the
// first time a Find needs it and kept: reading one is a whole file of up
// to MaxDatabase bytes, over SFTP on an SSH target, and rpm's goes through
// a temporary file. A DB is not safe for concurrent use.
type DB struct {
	fsys fs.FS
	pkgs []map[string]Package // what each of the first len(pkgs) databases held; nil if unreadable
}

// Open returns the package databases of fsys; nothing is read yet.
func Open(fsys fs.FS) *DB { return &DB{fsys: fsys} }

// Find returns the first of names installed on the target, looking in
// dpkg's, apk's and rpm's databases in that order.
func (d *DB) Find(names ...string) (Package, bool) {
	for i, db := range databases {
		if i == len(d.pkgs) {
			pkgs, err := db.read(d.fsys)
			if err != nil {
				pkgs = nil
			}
			d.pkgs = append(d.pkgs, pkgs)
		}
		pkgs := d.pkgs[i]
		for _, n := range names {
			if p, ok := pkgs[n]; ok {
				return p, true
			}
		}
	}
	return Package{}, false
}

// database is one kind of package database.
type database struct {
	name string
	read func(fs.FS) (map[string]Package, error)
}

var databases = []database{
	{"dpkg", readDpkg},
	{"apk", readApk},
	{"rpm", readRpm},
}

// readAll reads a database file of at most MaxDatabase bytes.
func readAll(fsys fs.FS, name string) ([]byte, error) {
	return target.ReadFile(fsys, name, MaxDatabase)
}

// readDpkg reads var/lib/dpkg/status: the packages whose status is
// "install ok installed".
func readDpkg(fsys fs.FS) (map[string]Package, error) {
	data, err := readAll(fsys, "var/lib/dpkg/status")
	if err != nil {
		return nil, err
	}
	out := map[string]Package{}
	for _, para := range bytes.Split(data, []byte("\n\n")) {
		var name, version, status string
		sc := bufio.NewScanner(bytes.NewReader(para))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "Package: "):
				name = strings.TrimSpace(l[len("Package: "):])
			case strings.HasPrefix(l, "Version: "):
				version = strings.TrimSpace(l[len("Version: "):])
			case strings.HasPrefix(l, "Status: "):
				status = strings.TrimSpace(l[len("Status: "):])
			}
		}
		if name != "" && strings.HasSuffix(status, " installed") && !strings.Contains(status, "not-installed") {
			out[name] = Package{Name: name, Version: version, Source: "dpkg"}
		}
	}
	return out, nil
}

// readApk reads lib/apk/db/installed: "P:" name and "V:" version lines,
// one blank-line-separated record a package.
func readApk(fsys fs.FS) (map[string]Package, error) {
	data, err := readAll(fsys, "lib/apk/db/installed")
	if err != nil {
		return nil, err
	}
	out := map[string]Package{}
	name, version := "", ""
	flush := func() {
		if name != "" && version != "" {
			out[name] = Package{Name: name, Version: version, Source: "apk"}
		}
		name, version = "", ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "P:"):
			name = l[2:]
		case strings.HasPrefix(l, "V:"):
			version = l[2:]
		case l == "":
			flush()
		}
	}
	flush()
	return out, nil
}
