package file

import (
	"bufio"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
)

// userDB maps ids to names from the target's own /etc/passwd and /etc/group,
// never the scanner's. It is loaded once, on first use.
type userDB struct {
	fsys   fs.FS
	once   sync.Once
	users  map[uint32]string
	groups map[uint32]string
}

func (u *userDB) load() {
	u.once.Do(func() {
		u.users = readIDFile(u.fsys, "etc/passwd")
		u.groups = readIDFile(u.fsys, "etc/group")
	})
}

func (u *userDB) user(id uint32) (string, bool) {
	if u == nil {
		return "", false
	}
	u.load()
	n, ok := u.users[id]
	return n, ok
}

func (u *userDB) group(id uint32) (string, bool) {
	if u == nil {
		return "", false
	}
	u.load()
	n, ok := u.groups[id]
	return n, ok
}

// readIDFile reads "name:x:id:..." lines, the first name for an id winning,
// as getpwuid does. Bounded: a hostile 10 GiB passwd is read up to 16 MiB.
func readIDFile(fsys fs.FS, name string) map[uint32]string {
	out := map[uint32]string{}
	f, err := fsys.Open(name)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), ":", 4)
		if len(fields) < 3 || strings.HasPrefix(fields[0], "#") || fields[0] == "" {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		if _, dup := out[uint32(id)]; !dup {
			out[uint32(id)] = fields[0]
		}
	}
	return out
}

func containsU32(list []uint32, v uint32) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinU32(list []uint32) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = strconv.FormatUint(uint64(v), 10)
	}
	return strings.Join(s, ",")
}
