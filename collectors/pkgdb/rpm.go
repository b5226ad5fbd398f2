package pkgdb

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// rpm keeps its database in var/lib/rpm: rpmdb.sqlite from RHEL 9 (rpm
// 4.16), the BerkeleyDB Packages file before (RHEL 8). Both readers need a
// real file, so the database is first copied out of the target (at most
// MaxDatabase bytes) into a private temporary directory.

// readRpm reads the rpm database of the target.
func readRpm(fsys fs.FS) (map[string]Package, error) {
	if data, err := readAll(fsys, "var/lib/rpm/rpmdb.sqlite"); err == nil {
		return withTempFile(data, readRpmSqlite)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	data, err := readAll(fsys, "var/lib/rpm/Packages")
	if err != nil {
		return nil, err
	}
	return withTempFile(data, readRpmBDB)
}

func withTempFile(data []byte, read func(string) (map[string]Package, error)) (map[string]Package, error) {
	dir, err := os.MkdirTemp("", "assay-rpmdb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "db")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return nil, err
	}
	return read(p)
}

// readRpmBDB reads a BerkeleyDB Packages file with go-rpmdb.
func readRpmBDB(path string) (out map[string]Package, err error) {
	defer func() {
		// go-rpmdb indexes into the file's pages as they say: a corrupt
		// database must not take the scan down.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("read rpm Packages: corrupt database: %v", r)
		}
	}()
	db, err := rpmdb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open rpm Packages: %w", err)
	}
	pkgs, err := db.ListPackages()
	if err != nil {
		return nil, fmt.Errorf("read rpm Packages: %w", err)
	}
	out = map[string]Package{}
	for _, p := range pkgs {
		out[p.Name] = Package{Name: p.Name, Version: evr(p.Epoch, p.Version, p.Release), Source: "rpm"}
	}
	return out, nil
}

// readRpmSqlite reads rpmdb.sqlite: one header blob a package.
func readRpmSqlite(path string) (map[string]Package, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return nil, fmt.Errorf("open rpmdb.sqlite: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), "SELECT blob FROM Packages")
	if err != nil {
		return nil, fmt.Errorf("read rpmdb.sqlite: %w", err)
	}
	defer rows.Close()
	out := map[string]Package{}
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return nil, fmt.Errorf("read rpmdb.sqlite: %w", err)
		}
		h, err := parseHeader(blob)
		if err != nil {
			return nil, fmt.Errorf("read rpmdb.sqlite: %w", err)
		}
		out[h.name] = Package{Name: h.name, Version: evr(h.epoch, h.version, h.release), Source: "rpm"}
	}
	return out, rows.Err()
}

// evr is rpm's EPOCH:VERSION-RELEASE, without "0:" or a missing epoch.
func evr(epoch int, version, release string) string {
	s := version + "-" + release
	if epoch > 0 {
		s = strconv.Itoa(epoch) + ":" + s
	}
	return s
}

// header is what pkgdb needs of an rpm header.
type header struct {
	name, version, release string
	epoch                  int
}

// The rpm header tags and types read here (rpmtag.h).
const (
	tagName    = 1000
	tagVersion = 1001
	tagRelease = 1002
	tagEpoch   = 1003

	typeInt32  = 4
	typeString = 6
)

// parseHeader reads an rpm header blob as rpm stores it in its database:
// the index length and data length (big-endian uint32), 16-byte index
// entries (tag, type, offset, count), then the data.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < 8 {
		return h, errors.New("short rpm header")
	}
	il := binary.BigEndian.Uint32(b[0:4])
	dl := binary.BigEndian.Uint32(b[4:8])
	if il > 1<<16 || dl > MaxDatabase || uint64(8)+uint64(il)*16+uint64(dl) > uint64(len(b)) {
		return h, errors.New("rpm header sizes out of range")
	}
	data := b[8+il*16 : 8+il*16+dl]
	for i := uint32(0); i < il; i++ {
		e := b[8+i*16 : 8+i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		if off >= dl {
			continue
		}
		switch {
		case typ == typeString && (tag == tagName || tag == tagVersion || tag == tagRelease):
			end := off
			for end < dl && data[end] != 0 {
				end++
			}
			s := string(data[off:end])
			switch tag {
			case tagName:
				h.name = s
			case tagVersion:
				h.version = s
			case tagRelease:
				h.release = s
			}
		case typ == typeInt32 && tag == tagEpoch && off+4 <= dl:
			h.epoch = int(binary.BigEndian.Uint32(data[off : off+4]))
		}
	}
	if h.name == "" {
		return h, errors.New("rpm header without a name")
	}
	return h, nil
}
