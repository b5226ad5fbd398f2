package file

import (
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"
)

// search is one compiled collect block.
type search struct {
	roots          []string // absolute, cleaned; may hold glob metacharacters
	names          []*pattern
	excludes       []*pattern
	maxDepth       int // -1: unlimited
	followSymlinks bool
	oneFS          bool

	contents []*pattern
	macroal  bool
	matchAny bool
	mismatch map[string]bool

	sizes          []sizeRange
	modes          []*pattern
	mtimes         []mtimeRange
	uids, gids     []uint32
	owners, groups []string

	compute  []string                   // digests to compute
	expected map[string]map[string]bool // algo → lower-case hex digests

	capture     bool
	maxContent  int64
	decompress  bool
	maxFileSize int64
	maxErrors   int
	reportAll   bool

	// nameGate: the name checks alone decide whether a file can match, so a
	// file whose name fails is passed over without a system call.
	nameGate bool
	needRead bool
	needUser bool // owner/group names are checked
}

func (s *search) prepare() {
	s.nameGate = !s.matchAny && !s.reportAll
	s.needRead = len(s.contents) > 0 || len(s.compute) > 0 || s.capture
	s.needUser = len(s.owners) > 0 || len(s.groups) > 0
}

// check is one criterion's outcome on one file, after "!" and mismatch.
type check struct {
	Criterion string
	Value     string
	Held      bool
}

// nameChecks evaluates the name regexes on a base name. ok is false when the
// name gate rejects the file.
func (s *search) nameChecks(base string, out []check) ([]check, bool) {
	inv := s.mismatch["name"]
	for _, p := range s.names {
		held := p.holdsString(base) != inv
		if !held && s.nameGate {
			return out, false
		}
		out = append(out, check{"name", p.src, held})
	}
	return out, true
}

// fileMeta is what stat says about a file.
type fileMeta struct {
	size     int64
	mode     fs.FileMode
	uid, gid uint32
	mtime    time.Time
	dev, ino uint64
	blocks   int64 // 512-byte blocks allocated; -1 when unknown
	hasOwner bool
}

// metaChecks evaluates size, mode, mtime and ownership.
func (s *search) metaChecks(m *fileMeta, users *userDB, now time.Time, out []check) []check {
	inv := s.mismatch["size"]
	for _, r := range s.sizes {
		out = append(out, check{"size", r.src, r.holds(m.size) != inv})
	}
	inv = s.mismatch["mode"]
	if len(s.modes) > 0 {
		ms := modeString(m.mode)
		for _, p := range s.modes {
			out = append(out, check{"mode", p.src, p.holdsString(ms) != inv})
		}
	}
	inv = s.mismatch["mtime"]
	for _, r := range s.mtimes {
		out = append(out, check{"mtime", r.src, r.holds(m.mtime, now) != inv})
	}
	inv = s.mismatch["owner"]
	if len(s.uids) > 0 {
		out = append(out, check{"uid", joinU32(s.uids), m.hasOwner && containsU32(s.uids, m.uid) != inv})
	}
	if len(s.gids) > 0 {
		out = append(out, check{"gid", joinU32(s.gids), m.hasOwner && containsU32(s.gids, m.gid) != inv})
	}
	if len(s.owners) > 0 {
		name, _ := users.user(m.uid)
		out = append(out, check{"owner", strings.Join(s.owners, ","), m.hasOwner && contains(s.owners, name) != inv})
	}
	if len(s.groups) > 0 {
		name, _ := users.group(m.gid)
		out = append(out, check{"group", strings.Join(s.groups, ","), m.hasOwner && contains(s.groups, name) != inv})
	}
	return out
}

// contentChecks turns what reading found into checks.
func (s *search) contentChecks(c *contentResult, out []check) []check {
	inv := s.mismatch["content"]
	if len(s.contents) > 0 {
		if s.macroal {
			srcs := make([]string, len(s.contents))
			for i, p := range s.contents {
				srcs[i] = p.src
			}
			// Every line satisfies every regex; an empty file holds no line
			// that fails, so it satisfies them (MIG disagreed, see docs).
			out = append(out, check{"content", strings.Join(srcs, " && "), c.allOK != inv})
		} else {
			for i, p := range s.contents {
				held := c.anyMatch[i] != p.invert
				out = append(out, check{"content", p.src, held != inv})
			}
		}
	}
	for _, algo := range s.compute {
		exp := s.expected[algo]
		if len(exp) == 0 {
			continue
		}
		d, ok := c.digests[algo]
		out = append(out, check{algo, strings.Join(slices.Sorted(maps.Keys(exp)), ","), ok && exp[d] != s.mismatch[algo]})
	}
	return out
}

// combine decides whether a file matches the search.
func (s *search) combine(checks []check) bool {
	if len(checks) == 0 {
		return true
	}
	for _, c := range checks {
		if c.Held == s.matchAny {
			return s.matchAny
		}
	}
	return !s.matchAny
}

// failed reports whether, under matchall, some check already failed.
func (s *search) failed(checks []check) bool {
	if s.matchAny {
		return false
	}
	for _, c := range checks {
		if !c.Held {
			return true
		}
	}
	return false
}

func (s *search) excluded(abs string) bool {
	for _, p := range s.excludes {
		if p.matches(abs) {
			return true
		}
	}
	return false
}
