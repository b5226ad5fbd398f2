package file

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pattern is a regular expression as MIG wrote them: a leading "!" inverts it
// (the check holds when the expression does not match).
//
// The expression is checked when the block is decoded (a bad one is a
// bundle error) but compiled on first use, by the collector: parsing costs
// a fifth of compiling, an imported MIG investigation has thousands of
// distinct content expressions, and compiling them while collecting spreads
// them over the collectors' goroutines (and skips those of searches that
// find no file) instead of adding them to loading, which runs on one core.
type pattern struct {
	src    string
	expr   string // src without the inverting "!"
	invert bool

	once sync.Once
	re   *regexp.Regexp
}

func compilePattern(s string) (*pattern, error) {
	p := &pattern{src: s, expr: s}
	if len(s) > 1 && s[0] == '!' {
		p.invert = true
		p.expr = s[1:]
	}
	// regexp.Compile parses with syntax.Perl; past a successful parse it
	// cannot fail.
	if _, err := syntax.Parse(p.expr, syntax.Perl); err != nil {
		return nil, err
	}
	return p, nil
}

// regexp returns the compiled expression, compiling it on first use.
func (p *pattern) regexp() *regexp.Regexp {
	p.once.Do(func() {
		re, err := compileRegexp(p.expr)
		if err != nil {
			re = matchNothing // unreachable: compilePattern parsed it
		}
		p.re = re
	})
	return p.re
}

var matchNothing = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)

// matches reports whether the expression (not inverted) matches s.
func (p *pattern) matches(s string) bool { return p.regexp().MatchString(s) }

// holdsString reports whether the check holds on s: the expression matches,
// or, for an inverted pattern, does not.
func (p *pattern) holdsString(s string) bool { return p.matches(s) != p.invert }

// regexps caches compiled expressions by source. A *regexp.Regexp is safe
// for concurrent use, and the thousands of blocks of an imported MIG
// investigation repeat the same name pattern. The cache is emptied when it
// grows past maxCachedRegexps, so that a long-running assay serve reloading
// changing bundles does not keep every expression it ever saw.
var regexps = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

const maxCachedRegexps = 1 << 14

func compileRegexp(expr string) (*regexp.Regexp, error) {
	regexps.Lock()
	re, ok := regexps.m[expr]
	regexps.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	regexps.Lock()
	if len(regexps.m) >= maxCachedRegexps {
		clear(regexps.m)
	}
	regexps.m[expr] = re
	regexps.Unlock()
	return re, nil
}

// sizeRange is an inclusive window of sizes in bytes.
type sizeRange struct {
	src      string
	min, max int64
}

// parseSize reads "<10k", ">1M", "=512", "512", "10k-1M" (inclusive range).
// Suffixes k, m, g, t (either case) are powers of 1024, as in MIG; a trailing
// "b"/"B" or "iB" is accepted ("10KiB", "1MB").
func parseSize(s string) (sizeRange, error) {
	r := sizeRange{src: s, min: 0, max: math.MaxInt64}
	t := strings.TrimSpace(s)
	if t == "" {
		return r, fmt.Errorf("empty size")
	}
	if lo, hi, ok := strings.Cut(t, "-"); ok && lo != "" && !strings.ContainsAny(lo, "<>=") {
		a, err := parseBytes(lo)
		if err != nil {
			return r, err
		}
		b, err := parseBytes(hi)
		if err != nil {
			return r, err
		}
		if a > b {
			return r, fmt.Errorf("size range %q is empty: %d > %d", s, a, b)
		}
		r.min, r.max = a, b
		return r, nil
	}
	switch t[0] {
	case '<':
		n, err := parseBytes(t[1:])
		if err != nil {
			return r, err
		}
		// MIG's "<" included the bound; so does assay.
		r.max = n
	case '>':
		n, err := parseBytes(t[1:])
		if err != nil {
			return r, err
		}
		r.min = n
	case '=':
		n, err := parseBytes(t[1:])
		if err != nil {
			return r, err
		}
		r.min, r.max = n, n
	default:
		n, err := parseBytes(t)
		if err != nil {
			return r, err
		}
		r.min, r.max = n, n
	}
	return r, nil
}

// ParseBytes reads a byte count with an optional k/m/g/t suffix (powers of
// 1024): "64k", "1M", "2GiB", "512".
func ParseBytes(s string) (int64, error) { return parseBytes(s) }

func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	orig := t
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "b")
	t = strings.TrimSuffix(t, "i")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional k, m, g or t suffix", orig)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", orig)
	}
	return n * mult, nil
}

func (r sizeRange) holds(n int64) bool { return n >= r.min && n <= r.max }

// mtimeRange compares a file's age (now - mtime) with a duration.
type mtimeRange struct {
	src string
	// newer: "<90d", modified within the last d; otherwise ">90d", modified
	// longer ago than d.
	newer bool
	d     time.Duration
}

// parseMtime reads "<90d", ">2h", "<30m", ">1w", "<10s" (MIG had d, h, m).
func parseMtime(s string) (mtimeRange, error) {
	r := mtimeRange{src: s}
	t := strings.TrimSpace(s)
	if len(t) < 3 || (t[0] != '<' && t[0] != '>') {
		return r, fmt.Errorf("invalid mtime %q: want <N or >N followed by a unit s, m, h, d or w (\"<90d\", \">2h\")", s)
	}
	r.newer = t[0] == '<'
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[t[len(t)-1]]
	if unit == 0 {
		return r, fmt.Errorf("invalid mtime %q: unknown unit %q, want s, m, h, d or w", s, t[len(t)-1:])
	}
	n, err := strconv.ParseInt(t[1:len(t)-1], 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/int64(unit) {
		return r, fmt.Errorf("invalid mtime %q: %q is not a count", s, t[1:len(t)-1])
	}
	r.d = time.Duration(n) * unit
	return r, nil
}

func (r mtimeRange) holds(mtime, now time.Time) bool {
	age := now.Sub(mtime)
	if r.newer {
		return age <= r.d
	}
	return age > r.d
}

// modeString is the form mode regexes match, Go's fs.FileMode.String as MIG
// used it: "-rw-------", "drwxr-xr-x", "urwxr-xr-x" for setuid.
func modeString(m fs.FileMode) string { return m.String() }

// modeOctal is the permission bits with setuid, setgid and sticky, as chmod
// writes them: "0644", "4755".
func modeOctal(m fs.FileMode) string {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return fmt.Sprintf("%04o", v)
}
