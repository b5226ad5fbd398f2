package image

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"syscall"
)

// maxHops bounds symbolic link resolution, as the kernel's MAXSYMLINKS does.
const maxHops = 40

// errLoop is returned when resolving a name crosses more than maxHops links.
// It wraps ELOOP so that callers can test for it as on a real filesystem.
var errLoop = &loopError{}

type loopError struct{}

func (*loopError) Error() string        { return "too many levels of symbolic links" }
func (*loopError) Is(target error) bool { return target == syscall.ELOOP }

// danglingError is why a name does not resolve when what is missing is
// where a symbolic link on its way points: a dangling link, not a name that
// is absent. It wraps fs.ErrNotExist, as ENOENT does on a real filesystem.
type danglingError struct{ link string }

func (e *danglingError) Error() string {
	return fmt.Sprintf("dangling symbolic link: %q does not exist in the image", e.link)
}

func (e *danglingError) Unwrap() error { return fs.ErrNotExist }

// where says how a regular file's content is reached.
type where uint8

const (
	// inLayer: the layer blob is an uncompressed local tar; the content is
	// read in place at off.
	inLayer where = iota
	// inSpill: a copy of the content is in the spill file at off.
	inSpill
	// inStream: the layer is compressed; the content starts at off in the
	// decompressed stream and is reached by decompressing from the start (or
	// from a cursor already past... before it).
	inStream
	// unreadable: the entry is indexed but its content cannot be served (a
	// sparse file too large to expand).
	unreadable
)

// content locates a regular file's bytes.
type content struct {
	where where
	layer int32
	off   int64
}

// node is one entry of the flattened tree. It is kept small: a 50,000-file
// image costs a few MB of index.
type node struct {
	mode  fs.FileMode
	uid   uint32
	gid   uint32
	layer int32 // the layer that last created or touched this entry
	nlink uint32
	ino   uint64
	size  int64
	mtime int64 // Unix nanoseconds
	link  string
	data  content
	kids  map[string]*node // directories only
}

func (n *node) isDir() bool     { return n.mode.IsDir() }
func (n *node) isSymlink() bool { return n.mode&fs.ModeSymlink != 0 }

// sortedNames lists a directory's children in io/fs order.
func (n *node) sortedNames() []string {
	names := make([]string, 0, len(n.kids))
	for k := range n.kids {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// resolve walks name (an io/fs name, already validated) from root as in a
// chroot: ".." never climbs above root, absolute link targets restart at
// root, and at most maxHops links are followed. The last element is followed
// only when followLast is set.
func resolve(root *node, name string, followLast bool) (*node, error) {
	var parts []string
	if name != "." {
		parts = strings.Split(name, "/")
	}
	// The last own parts come from name; those before them from the text
	// of the links followed so far, the last of which is link.
	own, link := len(parts), ""
	stack := []*node{root}
	hops := 0
	for len(parts) > 0 {
		p := parts[0]
		fromLink := len(parts) > own
		parts = parts[1:]
		if !fromLink {
			own--
		}
		switch p {
		case "", ".":
			continue
		case "..":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		cur := stack[len(stack)-1]
		if !cur.isDir() {
			return nil, syscall.ENOTDIR
		}
		child := cur.kids[p]
		if child == nil {
			if fromLink {
				return nil, &danglingError{link: link}
			}
			return nil, fs.ErrNotExist
		}
		if child.isSymlink() && (len(parts) > 0 || followLast) {
			hops++
			if hops > maxHops {
				return nil, errLoop
			}
			if child.link == "" {
				return nil, &danglingError{}
			}
			link = child.link
			if strings.HasPrefix(child.link, "/") {
				stack = stack[:1]
			}
			// A fresh slice: parts may alias the previous expansion.
			parts = append(strings.Split(child.link, "/"), parts...)
			continue
		}
		stack = append(stack, child)
	}
	return stack[len(stack)-1], nil
}

// lookupExact finds a cleaned, relative name without following any link.
func lookupExact(root *node, name string) *node {
	if name == "." {
		return root
	}
	cur := root
	for _, p := range strings.Split(name, "/") {
		if !cur.isDir() {
			return nil
		}
		cur = cur.kids[p]
		if cur == nil {
			return nil
		}
	}
	return cur
}

// errNotDirParent is returned by mkdirAll when a parent is not a directory.
var errNotDirParent = errors.New("a parent is not a directory")
