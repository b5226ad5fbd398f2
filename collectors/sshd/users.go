package sshd

import (
	"io/fs"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/core/target"
)

// userDB is what sshd asks NSS about, read from the target's files:
// /etc/passwd (homes for "~", primary groups), /etc/group (Match Group) and
// /etc/services (port names).
type userDB struct {
	users    []*user
	groups   []group
	services map[string]int
}

type user struct {
	name string
	uid  int
	gid  int
	home string
}

type group struct {
	name    string
	gid     int
	members []string
}

func loadUserDB(fsys fs.FS) *userDB {
	db := &userDB{services: map[string]int{}}
	for _, f := range readColon(fsys, "etc/passwd") {
		if len(f) < 7 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		db.users = append(db.users, &user{name: f[0], uid: uid, gid: gid, home: f[5]})
	}
	for _, f := range readColon(fsys, "etc/group") {
		if len(f) < 4 {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		var members []string
		if f[3] != "" {
			members = strings.Split(f[3], ",")
		}
		db.groups = append(db.groups, group{name: f[0], gid: gid, members: members})
	}
	if data, err := target.ReadFile(fsys, "etc/services", maxAccountFile); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			l, _, _ = strings.Cut(l, "#")
			fields := strings.Fields(l)
			if len(fields) < 2 {
				continue
			}
			num, proto, ok := strings.Cut(fields[1], "/")
			if !ok || proto != "tcp" {
				continue
			}
			p, err := strconv.Atoi(num)
			if err != nil {
				continue
			}
			for _, n := range append([]string{fields[0]}, fields[2:]...) {
				if _, dup := db.services[n]; !dup {
					db.services[n] = p
				}
			}
		}
	}
	return db
}

func readColon(fsys fs.FS, name string) [][]string {
	data, err := target.ReadFile(fsys, name, maxAccountFile)
	if err != nil {
		return nil
	}
	var out [][]string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			continue
		}
		out = append(out, strings.Split(l, ":"))
	}
	return out
}

func (db *userDB) byName(n string) *user {
	for _, u := range db.users {
		if u.name == n {
			return u
		}
	}
	return nil
}

func (db *userDB) byUID(id int) *user {
	for _, u := range db.users {
		if u.uid == id {
			return u
		}
	}
	return nil
}

// groupsOf lists the names of u's groups as getgrouplist(3) and sshd's
// ga_init() see them: the primary group, then each group naming u.
func (db *userDB) groupsOf(u *user) []string {
	var out []string
	seen := map[int]bool{}
	add := func(gid int) {
		if seen[gid] {
			return
		}
		seen[gid] = true
		for _, g := range db.groups {
			if g.gid == gid {
				out = append(out, g.name)
				return
			}
		}
	}
	add(u.gid)
	for _, g := range db.groups {
		for _, m := range g.members {
			if m == u.name {
				add(g.gid)
			}
		}
	}
	return out
}
