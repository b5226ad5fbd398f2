package safefile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// MkdirPrivate creates the directory path (0700, with its missing parents)
// for files that only this user may change, such as the bundle cache whose
// contents later runs trust, and checks that nobody else can: path must be
// owned by this user and writable by no one else; every directory above it
// owned by this user or root and writable by no one else unless sticky
// (/tmp); every symbolic link in path owned by this user or root. Without
// that, another user who made /tmp/assay-cache first could plant links in
// it and steer the writes of a root scan.
func MkdirPrivate(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return err
	}
	euid := os.Geteuid()
	trusted := func(uid uint32) bool { return uid == 0 || int(uid) == euid }
	// The links of the named path: the kernel's fs.protected_symlinks
	// applies the same rule, but only in sticky directories and when on.
	cur := "/"
	for _, elem := range strings.Split(strings.TrimPrefix(abs, "/"), "/") {
		cur = filepath.Join(cur, elem)
		var st unix.Stat_t
		if err := unix.Lstat(cur, &st); err != nil {
			return fmt.Errorf("stat %s: %w", cur, err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK && !trusted(st.Uid) {
			return fmt.Errorf("%s is a symbolic link owned by uid %d: only links of this user (uid %d) or root are followed to a private directory; remove it, or choose another directory", cur, st.Uid, euid)
		}
	}
	fd, err := unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return fmt.Errorf("stat %s: %w", path, err)
	}
	switch {
	case int(st.Uid) != euid:
		unix.Close(fd)
		return fmt.Errorf("%s is owned by uid %d, not by this user (uid %d): remove it, or choose another directory", path, st.Uid, euid)
	case st.Mode&0o022 != 0:
		unix.Close(fd)
		return fmt.Errorf("%s is writable by others (mode %04o): chmod go-w %s", path, st.Mode&0o7777, path)
	}
	// The directories above, as the kernel reached them: "..", not names,
	// so no link on the way escapes the check.
	for range 4096 {
		parent, err := unix.Openat(fd, "..", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("open the directories above %s: %w", path, err)
		}
		fd = parent
		var up unix.Stat_t
		if err := unix.Fstat(fd, &up); err != nil {
			unix.Close(fd)
			return fmt.Errorf("stat the directories above %s: %w", path, err)
		}
		var bad error
		switch {
		case !trusted(up.Uid):
			bad = fmt.Errorf("%s is inside %s, owned by uid %d: only this user (uid %d) or root may own the directories above a private one; choose another directory", path, fdName(fd), up.Uid, euid)
		case up.Mode&0o022 != 0 && up.Mode&unix.S_ISVTX == 0:
			bad = fmt.Errorf("%s is inside %s, writable by others (mode %04o) and not sticky: choose another directory", path, fdName(fd), up.Mode&0o7777)
		}
		if bad != nil {
			unix.Close(fd)
			return bad
		}
		if up.Dev == st.Dev && up.Ino == st.Ino { // "/" is its own parent
			unix.Close(fd)
			return nil
		}
		st = up
	}
	unix.Close(fd)
	return fmt.Errorf("%s: too many directories above it", path)
}

// fdName is the path of an open directory, for messages.
func fdName(fd int) string {
	name, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "a directory above it"
	}
	return name
}
