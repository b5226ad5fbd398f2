package pkgdb

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// The fixtures under testdata are real databases: dpkg's status file,
// apk's installed file, and rpm's two formats written by rpm itself
// (testdata/mkrpmdb.sh): rhel8 has the BerkeleyDB Packages file, rhel9
// rpmdb.sqlite.
func TestFind(t *testing.T) {
	tests := []struct {
		root, name    string
		version, from string
		found         bool
	}{
		{"debian", "openssh-server", "1:9.2p1-2+deb12u3", "dpkg", true},
		{"debian", "old", "", "", false},
		{"alpine", "openssh-server", "10.0_p1-r7", "apk", true},
		{"alpine", "openssh-server-pam", "", "", false},
		{"rhel8", "openssh-server", "8.0p1-24.el8", "rpm", true},
		{"rhel8", "crypto-policies", "20230731-1.git3177e06.el8", "rpm", true},
		{"rhel9", "openssh-server", "8.7p1-38.el9_4.4", "rpm", true},
		{"rhel9", "tzdata", "2:2024a-1.el9", "rpm", true},
		{"rhel9", "openssh-askpass", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.root+"/"+tt.name, func(t *testing.T) {
			p, ok := Find(os.DirFS(filepath.Join("testdata", tt.root)), tt.name)
			if ok != tt.found || p.Version != tt.version || p.Source != tt.from {
				t.Fatalf("Find = %+v, %v; want %q from %q, %v", p, ok, tt.version, tt.from, tt.found)
			}
		})
	}
}

// TestHostile: corrupt and oversized databases are skipped, never a panic.
func TestHostile(t *testing.T) {
	big := make([]byte, MaxDatabase+1)
	tests := map[string]fstest.MapFS{
		"corrupt bdb":      {"var/lib/rpm/Packages": {Data: []byte("\x00\x00\x00\x00garbage that is no hash database")}},
		"corrupt sqlite":   {"var/lib/rpm/rpmdb.sqlite": {Data: []byte("SQLite format 3\x00 but not really")}},
		"oversized dpkg":   {"var/lib/dpkg/status": {Data: big}},
		"truncated header": {"var/lib/rpm/rpmdb.sqlite": {Data: nil}},
	}
	for name, fsys := range tests {
		t.Run(name, func(t *testing.T) {
			if p, ok := Find(fsys, "openssh-server"); ok {
				t.Fatalf("found %+v in a broken database", p)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	for _, b := range [][]byte{nil, {0, 0, 0, 1}, {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, {0, 0, 0, 1, 0, 0, 0, 0}} {
		if _, err := parseHeader(b); err == nil {
			t.Errorf("parseHeader(%x) accepted a broken header", b)
		}
	}
}

// countingFS counts the opens of each file.
type countingFS struct {
	fs.FS
	opens map[string]int
}

func (c countingFS) Open(name string) (fs.File, error) {
	c.opens[name]++
	return c.FS.Open(name)
}

// TestDBReadsOnce: a DB answers several questions from one read of each
// database, and reads none it does not need.
func TestDBReadsOnce(t *testing.T) {
	c := countingFS{FS: os.DirFS(filepath.Join("testdata", "rhel9")), opens: map[string]int{}}
	db := Open(c)
	if len(c.opens) != 0 {
		t.Fatalf("Open read %v", c.opens)
	}
	for _, q := range [][]string{{"openssh-server"}, {"openssh-clients", "openssh"}, {"openssh-askpass"}, {"tzdata"}} {
		db.Find(q...)
	}
	if p, ok := db.Find("openssh-server"); !ok || p.Version != "8.7p1-38.el9_4.4" || p.Source != "rpm" {
		t.Errorf("Find = %+v, %v", p, ok)
	}
	for name, n := range c.opens {
		if n != 1 {
			t.Errorf("%s opened %d times, want once", name, n)
		}
	}
	if c.opens["var/lib/rpm/rpmdb.sqlite"] != 1 {
		t.Errorf("opens %v: want rpmdb.sqlite read", c.opens)
	}

	deb := countingFS{FS: os.DirFS(filepath.Join("testdata", "debian")), opens: map[string]int{}}
	if _, ok := Open(deb).Find("openssh-server"); !ok {
		t.Fatal("openssh-server not found in the dpkg database")
	}
	if len(deb.opens) != 1 || deb.opens["var/lib/dpkg/status"] != 1 {
		t.Errorf("opens %v: want dpkg's status alone, once", deb.opens)
	}
}
