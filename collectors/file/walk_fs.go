package file

import (
	"errors"
	"io/fs"
)

// errLoop is the reason a followed link to a directory is not walked.
var errLoop = errors.New("symlink loop: the directory is one of its own ancestors")

// maxLinkHops bounds the symbolic links followed along one path where the
// target gives no inode numbers to detect loops with (images).
const maxLinkHops = 40

// fsDir is a directory waiting to be walked by walkFS.
type fsDir struct {
	rel, abs string
	depth    int // depth of its entries
	hops     int // links followed to reach it
	dev, ino uint64
	parent   *fsDir
}

// walkFS walks a directory through the io/fs interfaces, iteratively: the
// portable walk, for targets without *at(2) access (images), and for
// procfs on host and --root targets, whose rules the target applies.
func (r *run) walkFS(root, rel string, fi fs.FileInfo) { r.walkFSAt(root, rel, fi, 1) }

// walkFSAt is walkFS of a directory whose entries are at depth.
func (r *run) walkFSAt(root, rel string, fi fs.FileInfo, depth int) {
	rm := metaOf(fi)
	stack := []*fsDir{{rel: rel, abs: root, depth: depth, dev: rm.dev, ino: rm.ino}}
	for len(stack) > 0 {
		if r.ctx.Err() != nil {
			return
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries, err := r.t.ReadDir(d.rel)
		if err != nil {
			r.skip(d.abs, describe(err))
		}
		for _, e := range entries {
			if r.ctx.Err() != nil {
				return
			}
			name := e.Name()
			childRel := name
			if d.rel != "." {
				childRel = d.rel + "/" + name
			}
			typ := e.Type()
			if typ.IsDir() || (typ&fs.ModeSymlink != 0 && r.s.followSymlinks) {
				childAbs := joinAbs(d.abs, name)
				var info fs.FileInfo
				var err error
				if typ.IsDir() {
					info, err = e.Info()
				} else {
					info, err = r.t.Stat(childRel)
					if err != nil || !info.IsDir() {
						r.visit(d.abs, name, typ, d.depth, fsHandle{r.t, childRel, r.ctx}, false)
						continue
					}
				}
				if err != nil {
					r.skip(childAbs, describe(err))
					continue
				}
				if !r.descend(childAbs, d.depth+1) {
					continue
				}
				m := metaOf(info)
				if r.s.oneFS && m.dev != rm.dev {
					continue
				}
				child := &fsDir{rel: childRel, abs: childAbs, depth: d.depth + 1, hops: d.hops, dev: m.dev, ino: m.ino, parent: d}
				if !typ.IsDir() {
					child.hops++
					if loops(child) {
						r.skip(childAbs, errLoop)
						continue
					}
				}
				stack = append(stack, child)
				continue
			}
			r.visit(d.abs, name, typ, d.depth, fsHandle{r.t, childRel, r.ctx}, false)
		}
	}
}

// loops reports whether a directory reached through a link is one of its own
// ancestors (same inode), or too many links deep where inodes are unknown.
func loops(d *fsDir) bool {
	if d.hops > maxLinkHops {
		return true
	}
	if d.ino == 0 {
		return false
	}
	for a := d.parent; a != nil; a = a.parent {
		if a.dev == d.dev && a.ino == d.ino {
			return true
		}
	}
	return false
}
