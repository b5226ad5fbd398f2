package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/sys/unix"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/target"
)

// Kind is the document kind and the collector kind.
const Kind = "file"

// Type is the file collector type: collect "file" blocks.
func Type() collector.Type {
	return collector.Type{
		Name:          Kind,
		DocumentKinds: []string{Kind},
		Help:          "files found by path, name, content, metadata and hashes (MIG file module searches)",
		New:           New,
	}
}

// New is the collector.Factory of the file collector: it decodes a collect
// block into a search.
func New(body hcl.Body, ctx *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) {
	s, diags := decode(body, ctx)
	if s == nil {
		return nil, diags
	}
	return &Collector{s: s}, diags
}

// Collector runs one search.
type Collector struct {
	s *search
	// now is the reference time for mtime criteria (tests pin it).
	now func() time.Time
}

// pseudoFS are not walked unless a search path names them (or lies in them):
// their files are generated, endless or have side effects on read.
var pseudoFS = []string{"/proc", "/sys", "/dev"}

// Collect implements collector.Collector.
func (c *Collector) Collect(ctx context.Context, env collector.Env, emit collector.Emitter) error {
	if env.Target == nil {
		return errors.New("file: no target")
	}
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	r := &run{
		s: c.s, t: env.Target, name: env.Name, emit: emit, now: now, ctx: ctx,
		users: &userDB{fsys: env.Target},
	}
	if env.Logger != nil {
		r.debug = env.Logger.Debug
	} else {
		r.debug = func(string, ...any) {}
	}
	roots, err := r.expandRoots()
	if err != nil {
		return err
	}
	if overlapping(roots) {
		r.seen = map[string]bool{}
	}
	if c.s.needRead {
		r.startWorkers()
	}
	for _, root := range roots {
		if ctx.Err() != nil {
			break
		}
		r.walkRoot(root)
	}
	if r.jobs != nil {
		close(r.jobs)
		r.wg.Wait()
	}
	if n := r.skips.Load() - int64(c.s.maxErrors); n > 0 {
		emit.Skip(strings.Join(c.s.roots, ","), fmt.Errorf("%d more errors not reported (maxerrors = %d)", n, c.s.maxErrors))
	}
	return ctx.Err()
}

// run is one Collect call's state.
type run struct {
	s     *search
	t     target.Target
	name  string
	emit  collector.Emitter
	ctx   context.Context
	now   time.Time
	users *userDB
	debug func(string, ...any)
	skips atomic.Int64
	seen  map[string]bool // paths already examined, when roots overlap
	jobs  chan readJob
	wg    sync.WaitGroup
	root  string // the search root being walked
}

func (r *run) skip(abs string, err error) {
	if r.skips.Add(1) <= int64(r.s.maxErrors) {
		r.emit.Skip(abs, err)
	}
}

// expandRoots resolves globs in the search paths against the target.
func (r *run) expandRoots() ([]string, error) {
	var out []string
	for _, p := range r.s.roots {
		if !strings.ContainsAny(p, "*?[\\") {
			out = append(out, p)
			continue
		}
		matches, err := fs.Glob(r.t, target.Rel(p))
		if err != nil {
			return nil, fmt.Errorf("expand %q: %w", p, err)
		}
		for _, m := range matches {
			out = append(out, target.Abs(m))
		}
	}
	sort.Strings(out)
	return dedupe(out), nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// overlapping reports whether one root lies inside another (sorted input).
func overlapping(roots []string) bool {
	for i := 1; i < len(roots); i++ {
		for j := 0; j < i; j++ {
			if within(roots[i], roots[j]) {
				return true
			}
		}
	}
	return false
}

// joinAbs joins a directory's absolute path and an entry name.
func joinAbs(dir, base string) string {
	if dir == "/" {
		return "/" + base
	}
	return dir + "/" + base
}

// within reports whether p is dir or lies below it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

func (r *run) walkRoot(root string) {
	r.root = root
	rel := target.Rel(root)
	if d, ok := r.t.(rootFiler); ok {
		f, err := openRootDirAt(d, root, rel)
		switch {
		case err == nil:
			r.walkAtFile(f, root, rel)
			return
		case errors.Is(err, unix.ENOENT):
			r.debug("search path does not exist", "path", root)
			return
		}
	}
	fi, err := r.t.Stat(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// A search path that does not exist holds nothing to report
			// (a user without ~/.ssh): not an error.
			r.debug("search path does not exist", "path", root)
			return
		}
		r.skip(root, err)
		return
	}
	switch {
	case fi.IsDir():
		if d, ok := r.t.(interface{ RootFile() *os.File }); ok {
			r.walkAt(d, root, rel)
		} else {
			r.walkFS(root, rel, fi)
		}
	default:
		// A search path naming a file: examined at depth 0, following links
		// inside the root as the path itself did.
		r.visit(path.Dir(root), path.Base(root), fi.Mode().Type(), 0, fsHandle{r.t, rel, r.ctx}, true)
	}
}

// descend decides whether the walk enters the directory abs, whose entries
// are at depth.
func (r *run) descend(abs string, depth int) bool {
	if r.s.maxDepth >= 0 && depth > r.s.maxDepth {
		return false
	}
	for _, p := range pseudoFS {
		if abs == p && !within(r.root, p) {
			r.debug("pseudo-filesystem not walked", "path", abs)
			return false
		}
	}
	return !r.s.excluded(abs)
}

// visit examines one non-directory entry. typ is its type as the directory
// listing gives it (fs.ModeIrregular when unknown); followed is set when a
// link was already resolved to reach it.
func (r *run) visit(dir, base string, typ fs.FileMode, depth int, h handle, followed bool) {
	s := r.s
	if s.maxDepth >= 0 && depth > s.maxDepth {
		return
	}
	checks, ok := s.nameChecks(base, nil)
	if !ok {
		return
	}
	abs := joinAbs(dir, base)
	if len(s.excludes) > 0 && s.excluded(abs) {
		return
	}
	if r.seen != nil {
		if r.seen[abs] {
			return
		}
		r.seen[abs] = true
	}
	if typ == fs.ModeIrregular {
		m, err := h.lstat()
		if err != nil {
			r.skip(abs, err)
			return
		}
		typ = m.mode.Type()
	}
	switch {
	case typ&fs.ModeSymlink != 0 && !followed:
		if s.followSymlinks {
			r.followLink(abs, base, depth, checks)
			return
		}
		r.symlinkDoc(abs, h, checks)
		return
	case typ.IsRegular():
	default:
		r.skip(abs, fmt.Errorf("%w: %s", target.ErrNotRegular, target.TypeString(typ)))
		return
	}
	if !s.needRead {
		m, err := h.lstat()
		if followed {
			m, err = statFollow(h)
		}
		if err != nil {
			r.skip(abs, describe(err))
			return
		}
		r.examine(abs, h, &m, checks)
		return
	}
	r.examine(abs, h, nil, checks)
}

// examine finishes a regular file: from its metadata alone when the search
// reads nothing (m given), else by opening it for a worker to read.
func (r *run) examine(abs string, h handle, m *fileMeta, checks []check) {
	if !r.s.needRead {
		checks = r.s.metaChecks(m, r.users, r.now, checks)
		r.finish(abs, "file", m, nil, checks, "")
		return
	}
	f, om, err := h.open()
	if err != nil {
		r.skip(abs, describe(err))
		return
	}
	r.jobs <- readJob{abs: abs, root: r.root, f: f, meta: om, checks: checks}
}

// statFollow describes what a handle reached through a followed link.
func statFollow(h handle) (fileMeta, error) {
	if fh, ok := h.(fsHandle); ok {
		fi, err := fh.t.Stat(fh.name)
		if err != nil {
			return fileMeta{}, err
		}
		return metaOf(fi), nil
	}
	return h.lstat()
}

// followLink resolves a link inside the target root and examines what it
// points to when that is a regular file. Links to directories are walked
// by the walkers themselves.
func (r *run) followLink(abs, base string, depth int, checks []check) {
	rel := target.Rel(abs)
	fi, err := r.t.Stat(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// The link is there and what it points to is not: a
			// dangling link, not a file that vanished.
			if link, lerr := r.t.ReadLink(rel); lerr == nil {
				r.skip(abs, fmt.Errorf("follow symlink: %w to %s", errDangling, link))
				return
			}
		}
		r.skip(abs, fmt.Errorf("follow symlink: %w", describe(err)))
		return
	}
	if !fi.Mode().IsRegular() {
		r.skip(abs, fmt.Errorf("follow symlink: %w: %s", target.ErrNotRegular, target.TypeString(fi.Mode())))
		return
	}
	m := metaOf(fi)
	r.examine(abs, fsHandle{r.t, rel, r.ctx}, &m, checks)
}

// symlinkDoc reports a link that is not followed: its own metadata and
// where it points. Content and hash criteria cannot be judged, so the
// document never counts as matched; policies see type "symlink".
func (r *run) symlinkDoc(abs string, h handle, checks []check) {
	for _, c := range checks {
		if !c.Held {
			return // under matchany: only links whose name fits are reported
		}
	}
	m, err := h.lstat()
	if err != nil {
		r.skip(abs, describe(err))
		return
	}
	link, err := h.readlink()
	if err != nil {
		r.skip(abs, describe(err))
		return
	}
	checks = r.s.metaChecks(&m, r.users, r.now, checks)
	r.finish(abs, "symlink", &m, nil, checks, link)
}

type readJob struct {
	abs    string
	root   string // r.root moves on while workers read
	f      openFile
	meta   fileMeta
	checks []check
}

func (r *run) startWorkers() {
	n := runtime.GOMAXPROCS(0)
	r.jobs = make(chan readJob, 2*n)
	for range n {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for j := range r.jobs {
				r.inspect(j)
			}
		}()
	}
}

// inspect judges an open regular file: metadata first, then one read for
// content and digests.
func (r *run) inspect(j readJob) {
	defer j.f.Close()
	s := r.s
	if r.ctx.Err() != nil {
		return
	}
	checks := s.metaChecks(&j.meta, r.users, r.now, j.checks)
	if s.failed(checks) && !s.reportAll {
		return
	}
	if j.meta.size > s.maxFileSize {
		r.skip(j.abs, fmt.Errorf("%w: %d bytes > %d", errTooLarge, j.meta.size, s.maxFileSize))
		return
	}
	c, err := s.read(r.ctx, j.f)
	if err != nil {
		if r.ctx.Err() != nil {
			return // out of time: the collector's result says so
		}
		r.skip(j.abs, fmt.Errorf("read: %w", describe(err)))
		return
	}
	changed := ""
	if after, err := j.f.restat(); err == nil && (after.size != j.meta.size || !after.mtime.Equal(j.meta.mtime)) {
		changed = "changed"
	} else if err == nil && c.complete && c.compressed == "" && c.bytesRead != j.meta.size {
		changed = "changed"
	}
	checks = s.contentChecks(c, checks)
	r.finishRead(j.abs, j.root, &j.meta, c, checks, changed)
}

func (r *run) finish(abs, typ string, m *fileMeta, c *contentResult, checks []check, link string) {
	matched := r.s.combine(checks) && typ == "file"
	if !matched && !r.s.reportAll && typ == "file" {
		return
	}
	r.emit.Emit(r.document(abs, r.root, typ, m, c, checks, matched, link, false))
}

func (r *run) finishRead(abs, root string, m *fileMeta, c *contentResult, checks []check, changed string) {
	matched := r.s.combine(checks)
	if !matched && !r.s.reportAll {
		return
	}
	r.emit.Emit(r.document(abs, root, "file", m, c, checks, matched, "", changed != ""))
}

// errDangling is why a followed link whose target does not exist is
// skipped; the skip is counted under this cause.
var errDangling = errors.New("dangling link")

// describe turns low-level errors into the reasons users read.
func describe(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("vanished during the scan: %w", err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("permission denied: %w", err)
	}
	return err
}
