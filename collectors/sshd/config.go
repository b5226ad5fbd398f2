package sshd

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/internal/safefile"
)

// config evaluates one sshd_config (and what it includes) on a target. It
// caches the files it reads, so evaluating several connection specs reads
// each file once.
type config struct {
	fsys fs.FS
	main string // absolute path inside the target
	prof *profile
	v    int // the release, 902: prof.v
	opts evalOptions

	// cache holds file lines by path, possibly shared between configs;
	// files marks those this config read, in fileOrder.
	cache     map[string][]string
	files     map[string][]string
	fileOrder []string
	errs      []ConfigError
	errSeen   map[ConfigError]bool
	users     *userDB
	// hostKeys are the HostKey files as sshd would load them.
	hostKeys []hostKey
}

// evalOptions are how sshd was started: what its command line adds to the
// configuration files, and whether to stop at the first fatal error.
type evalOptions struct {
	// hostKeys are -h files, added before the configuration's HostKeys.
	hostKeys []string
	// options are -o lines, applied before the configuration file (RHEL
	// 8's crypto policy comes this way).
	options []string
	// stopAtFatal stops where sshd would exit (the oracle tests compare
	// that); otherwise the collector goes on to report every problem.
	stopAtFatal bool
}

func newConfig(fsys fs.FS, mainPath string, prof *profile, opts evalOptions) *config {
	return &config{
		fsys: fsys, main: mainPath, prof: prof, v: prof.v, opts: opts,
		files: map[string][]string{}, errSeen: map[ConfigError]bool{},
	}
}

func (c *config) addError(e ConfigError) {
	if c.errSeen[e] {
		return
	}
	c.errSeen[e] = true
	c.errs = append(c.errs, e)
}

// load reads a file of the target as sshd's load_server_config: lines with
// leading blanks removed.
func (c *config) load(p string) ([]string, error) {
	if l, ok := c.files[p]; ok {
		return l, nil
	}
	if l, ok := c.cache[p]; ok {
		c.files[p] = l
		c.fileOrder = append(c.fileOrder, p)
		return l, nil
	}
	data, err := target.ReadFile(c.fsys, target.Rel(p), maxConfigFile)
	if err != nil {
		err = safefile.WithoutPath(err)
		if st, serr := fs.Stat(c.fsys, target.Rel(p)); serr == nil && st.IsDir() {
			// fopen(3) opens a directory; reading it yields nothing.
			data, err = nil, nil
		} else {
			return nil, err
		}
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		if c.v < v87 {
			// Until 8.7 sshd cuts every line at its first '#' as it reads
			// the file, quoted or not.
			if i := strings.IndexByte(l, '#'); i >= 0 {
				l = l[:i]
			}
		}
		lines = append(lines, strings.TrimLeft(l, " \t\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	c.files[p] = lines
	if c.cache != nil {
		c.cache[p] = lines
	}
	c.fileOrder = append(c.fileOrder, p)
	return lines, nil
}

// glob expands an Include pattern inside the target as glob(3) with no
// flags: sorted, wildcards never match a leading dot, no match is no error.
func (c *config) glob(pattern string) ([]string, error) {
	if !strings.HasPrefix(pattern, "/") {
		// "~/x" and the like: glob(3) without GLOB_TILDE takes them
		// literally, relative to sshd's working directory "/".
		pattern = "/" + pattern
	}
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	cur := []string{"."}
	for i, part := range parts {
		last := i == len(parts)-1
		if part == "" {
			continue
		}
		var next []string
		for _, dir := range cur {
			if !hasMeta(part) {
				name := path.Join(dir, unescapeGlob(part))
				if _, err := fs.Stat(c.fsys, name); err == nil {
					next = append(next, name)
				}
				continue
			}
			ents, err := fs.ReadDir(c.fsys, dir)
			if err != nil {
				continue
			}
			for _, e := range ents {
				n := e.Name()
				if strings.HasPrefix(n, ".") && !strings.HasPrefix(part, ".") {
					continue
				}
				if ok, _ := path.Match(fnmatchToGo(part), n); ok {
					full := path.Join(dir, n)
					if !last {
						if st, err := fs.Stat(c.fsys, full); err != nil || !st.IsDir() {
							continue
						}
					}
					next = append(next, full)
				}
			}
		}
		cur = next
	}
	out := make([]string, 0, len(cur))
	for _, n := range cur {
		if n == "." {
			continue
		}
		out = append(out, target.Abs(n))
	}
	sort.Strings(out)
	return out, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

func unescapeGlob(s string) string { return strings.ReplaceAll(s, `\`, "") }

// fnmatchToGo turns fnmatch's "[!…]" into path.Match's "[^…]".
func fnmatchToGo(p string) string { return strings.ReplaceAll(p, "[!", "[^") }

// derelativise is sshd's derelativise_path(): "none" stays, "~" expands,
// relative paths are joined to sshd's working directory, "/" as systemd
// starts it (so "x" becomes "//x", exactly as sshd prints it).
func (c *config) derelativise(p string) string {
	if equalFold(p, "none") {
		return "none"
	}
	e, err := c.tildeExpand(p)
	if err != nil {
		e = p
	}
	if strings.HasPrefix(e, "/") {
		return e
	}
	return "/" + "/" + e
}

// tildeExpand is sshd's tilde_expand_filename() for uid 0, with the
// target's passwd.
func (c *config) tildeExpand(p string) (string, error) {
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	rest := p[1:]
	user, tail, hasSlash := strings.Cut(rest, "/")
	var home string
	if user == "" {
		u := c.userDB().byUID(0)
		if u == nil {
			return "", fmt.Errorf("tilde_expand_filename: No such uid 0")
		}
		home = u.home
	} else {
		u := c.userDB().byName(user)
		if u == nil {
			return "", fmt.Errorf("tilde_expand_filename: No such user %s", user)
		}
		home = u.home
	}
	if !hasSlash {
		return home, nil
	}
	sep := "/"
	if strings.HasSuffix(home, "/") {
		sep = ""
	}
	return home + sep + tail, nil
}

// a2port is sshd's a2port(): a number 0-65535 or a service name from the
// target's /etc/services; -1 otherwise.
func (c *config) a2port(s string) int {
	if n, ok := strtonum(s, 0, 65535); ok {
		return int(n)
	}
	if p, ok := c.userDB().services[s]; ok {
		return p
	}
	return -1
}

func (c *config) userDB() *userDB {
	if c.users == nil {
		c.users = loadUserDB(c.fsys)
	}
	return c.users
}

// userInGroups is sshd's Match Group: the user's groups (primary and
// supplementary, from the target's /etc/passwd and /etc/group) against the
// pattern list; a negated match wins.
func (c *config) userInGroups(user, patterns string) bool {
	db := c.userDB()
	u := db.byName(user)
	if u == nil {
		return false
	}
	found := false
	for _, g := range db.groupsOf(u) {
		switch matchPatternList(g, patterns, false) {
		case -1:
			return false
		case 1:
			found = true
		}
	}
	return found
}

// strtonum is OpenBSD's strtonum(3) for decimal numbers.
func strtonum(s string, lo, hi int64) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	if t == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}
