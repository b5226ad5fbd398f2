package targets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// ErrProcRefused is wrapped by the errors of Open and ReadLink for a file
// of procfs that the target does not read unless the operator allows it
// (--allow-proc): what processes hold (environment, command line, memory,
// open files) and the kernel's memory. Collectors report it as a skip.
var ErrProcRefused = errors.New("refused on procfs")

// Option configures a Dir target.
type Option func(*Dir)

// AllowProc makes the target read every file of procfs it can open: the
// operator's choice (--allow-proc). Without it, processes' environments,
// command lines and memory are never read, on the host nor in a --root
// tree where a live procfs is mounted (as /host/proc under a DaemonSet).
func AllowProc() Option { return func(d *Dir) { d.allowProc = true } }

// procSuperMagic is procfs's f_type (statfs(2)).
const procSuperMagic = unix.PROC_SUPER_MAGIC

// procRootIno is the inode of every procfs mount's root directory.
const procRootIno = 1

// processEntries are the entries of a process directory (/proc/PID,
// /proc/PID/task/TID) that are read: what compliance checks ask about a
// process (status, mounts, network tables, limits, namespaces, labels).
// Everything else, environ, cmdline, mem, maps, auxv, stack, fd and the
// entries a kernel may add later, is refused.
var processEntries = map[string]bool{
	"attr": true, "autogroup": true, "cgroup": true, "children": true, "comm": true, "cpuset": true,
	"gid_map": true, "limits": true, "loginuid": true, "mountinfo": true, "mounts": true, "mountstats": true,
	"net": true, "ns": true, "oom_adj": true, "oom_score": true, "oom_score_adj": true, "projid_map": true,
	"sched": true, "schedstat": true, "sessionid": true, "setgroups": true, "stat": true, "statm": true,
	"status": true, "task": true, "timens_offsets": true, "uid_map": true,
}

// kernelEntries are top-level files of procfs that are refused, with what
// they hold.
var kernelEntries = map[string]string{
	"kcore":       "the kernel's memory",
	"vmcore":      "the memory of the crashed kernel",
	"kpagecount":  "the use of every physical memory page",
	"kpageflags":  "the flags of every physical memory page",
	"kpagecgroup": "the memory cgroup of every physical memory page",
	"kallsyms":    "the addresses of the kernel's symbols",
}

// alwaysRefused are refused even with AllowProc: reading them blocks, or
// changes the system.
var alwaysRefused = map[string]string{
	"kmsg":          "the kernel log: reading it blocks and takes the messages from their reader",
	"sysrq-trigger": "a trigger of kernel actions",
}

// checkProc says whether the open handle h (O_PATH, of the target name
// name) may be read, or, with leaf set, whether the entry leaf of the
// directory h may be: files outside procfs always may. On procfs, the
// handle's place is what the kernel says (/proc/thread-self/fd/N), so no
// symbolic link, bind mount or other procfs mount leads around the rules;
// when that cannot be told, the file is refused.
func (d *Dir) checkProc(op, name string, h *os.File, leaf string) error {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(h.Fd()), &sfs); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("statfs: %w", err)}
	}
	if sfs.Type != procSuperMagic {
		return nil
	}
	parts, err := d.procPath(h)
	if err != nil {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: its place in procfs cannot be told (%v)", ErrProcRefused, err)}
	}
	if leaf != "" {
		parts = append(parts, leaf)
	}
	if err := ProcRefused(parts, d.allowProc); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// ProcRefused says why the procfs entry at parts (its path below the
// procfs root: ["1", "environ"]) is not read, wrapping ErrProcRefused, or
// nil when it may be; allow is the operator's --allow-proc. Dir applies it
// to what the kernel says a handle is; an SSH target to the path its
// server resolves.
func ProcRefused(parts []string, allow bool) error {
	if len(parts) == 1 {
		if w, ok := alwaysRefused[parts[0]]; ok {
			return fmt.Errorf("%w: %s", ErrProcRefused, w)
		}
	}
	if allow {
		return nil
	}
	if what := procRefusal(parts); what != "" {
		return fmt.Errorf("%w: %s; the operator allows it with --allow-proc", ErrProcRefused, what)
	}
	return nil
}

// procRefusal says what the procfs entry at parts (relative to the procfs
// root) holds when it is refused, or "".
func procRefusal(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	if isPID(parts[0]) || parts[0] == "self" || parts[0] == "thread-self" {
		rest := parts[1:]
		if len(rest) >= 2 && rest[0] == "task" {
			rest = rest[2:] // a thread: the process's rules
		}
		if len(rest) == 0 || processEntries[rest[0]] {
			return ""
		}
		return fmt.Sprintf("%q of a process, which may hold its secrets or memory", rest[0])
	}
	if w, ok := kernelEntries[parts[0]]; ok {
		return w
	}
	return ""
}

func isPID(s string) bool {
	n, err := strconv.ParseUint(s, 10, 32)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == s
}

// procPath returns the components of h's path below the root of its
// procfs mount.
func (d *Dir) procPath(h *os.File) ([]string, error) {
	k, err := kernelPath(h)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, err
	}
	mnt, err := d.procMount(k, st.Dev)
	if err != nil {
		return nil, err
	}
	rel := strings.Trim(strings.TrimPrefix(k, mnt), "/")
	if rel == "" {
		return nil, nil
	}
	return strings.Split(rel, "/"), nil
}

// kernelPath is the path of the open file h as the kernel resolved it.
func kernelPath(h *os.File) (string, error) {
	var err error
	for _, dir := range []string{"/proc/thread-self/fd/", "/proc/self/fd/"} {
		var k string
		if k, err = os.Readlink(dir + strconv.Itoa(int(h.Fd()))); err == nil {
			if !path.IsAbs(k) || strings.HasSuffix(k, " (deleted)") {
				return "", fmt.Errorf("unusable path %q", k)
			}
			return path.Clean(k), nil
		}
	}
	return "", err
}

// procMount returns the mount point of the procfs of device dev that
// holds the kernel path k: the shortest ancestor of k that is a procfs
// root. Mount points are remembered by device.
func (d *Dir) procMount(k string, dev uint64) (string, error) {
	d.procMu.Lock()
	defer d.procMu.Unlock()
	if m, ok := d.procMounts[dev]; ok && (k == m || strings.HasPrefix(k, m+"/")) {
		return m, nil
	}
	p := "/"
	for _, c := range strings.Split(strings.Trim(k, "/"), "/") {
		p = path.Join(p, c)
		var st unix.Stat_t
		var sfs unix.Statfs_t
		if unix.Stat(p, &st) != nil || st.Ino != procRootIno || st.Dev != dev {
			continue
		}
		if unix.Statfs(p, &sfs) == nil && sfs.Type == procSuperMagic {
			if d.procMounts == nil {
				d.procMounts = map[uint64]string{}
			}
			d.procMounts[dev] = p
			return p, nil
		}
	}
	return "", fmt.Errorf("no procfs root above %s", k)
}

// procState is the part of a Dir the procfs rules need.
type procState struct {
	allowProc  bool
	procMu     sync.Mutex
	procMounts map[uint64]string // device → mount point (kernel path)
}
