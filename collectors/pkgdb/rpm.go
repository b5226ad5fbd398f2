package pkgdb

import (
	"errors"
	"io/fs"
)

// readRpm reads the rpm database: rpmdb.sqlite (RHEL 9) or the BerkeleyDB
// Packages file (RHEL 8).
func readRpm(fsys fs.FS) (map[string]Package, error) {
	return nil, errors.ErrUnsupported
}
