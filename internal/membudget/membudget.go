// Package membudget bounds the memory of a process: a default budget from
// the machine's or the container's memory, the Go runtime's soft limit set
// to it (or paced to the live heap under it), and a watcher that says when
// the heap grows past it. The engine stops the evaluation that is to blame
// (docs/engine.md, "Memory budget").
package membudget

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// Floor is the least default budget: below it assay could not
	// compile a few bundles, whatever the machine.
	Floor = 256 << 20
	// Min is the least budget one may ask for.
	Min = 32 << 20
	// DefaultInterval is how often Watch samples the heap.
	DefaultInterval = 20 * time.Millisecond
)

// Files read for the default; tests point them elsewhere.
var (
	meminfoPath  = "/proc/meminfo"
	cgroupV2Path = "/sys/fs/cgroup/memory.max"
	cgroupV1Path = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
)

// Default is half of the memory this process may use: the machine's
// MemTotal, or its cgroup's limit (v2 memory.max, v1 limit_in_bytes) when
// that is lower, as in a container; never less than Floor. source says
// which it came from, for the log.
func Default() (budget int64, source string) {
	total, _ := memTotal(meminfoPath)
	limit := cgroupLimit()
	return defaultFrom(total, limit)
}

func defaultFrom(total, cgroup int64) (int64, string) {
	avail, source := total, "MemTotal"
	if cgroup > 0 && (avail <= 0 || cgroup < avail) {
		avail, source = cgroup, "cgroup memory limit"
	}
	if avail <= 0 {
		return Floor, "floor (memory size unknown)"
	}
	if avail/2 < Floor {
		return Floor, "floor"
	}
	return avail / 2, "half of the " + source
}

// memTotal reads MemTotal from /proc/meminfo, in bytes.
func memTotal(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// MemTotal:       24683320 kB
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no MemTotal in " + path)
}

// cgroupLimit is the memory limit of this process's cgroup as the
// container sees it, or 0 when there is none.
func cgroupLimit() int64 {
	for _, p := range []string{cgroupV2Path, cgroupV1Path} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(data))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		// cgroup v1 says "unlimited" with a number near 2^63.
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0
		}
		return n
	}
	return 0
}

// SetSoftLimit sets the Go runtime's soft memory limit (GOMEMLIMIT) to the
// budget, so that the collector works harder before the budget is reached
// rather than after. GOMEMLIMIT set in the environment wins: the runtime
// keeps it, and fromEnv says so. limit is the soft limit in force.
func SetSoftLimit(budget int64) (limit int64, fromEnv bool) {
	paceMu.Lock()
	defer paceMu.Unlock()
	pacing = nil // the limit is set here now
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), true
	}
	debug.SetMemoryLimit(budget)
	return budget, false
}

// The heap as runtime/metrics measures it: the live heap as the last
// collection marked it, and every heap object allocated and not yet swept,
// garbage included.
const (
	liveMetric    = "/gc/heap/live:bytes"
	objectsMetric = "/memory/classes/heap/objects:bytes"
)

// Heap returns the live heap as of the last collection and the heap
// objects now, garbage included, in bytes.
func Heap() (live, objects uint64) {
	s := []metrics.Sample{{Name: liveMetric}, {Name: objectsMetric}}
	metrics.Read(s)
	return value(s[0]), value(s[1])
}

func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}

// Over reports whether the heap is over the budget: the live heap, or the
// heap with its garbage past twice the budget. The live heap is only
// measured when a collection ends; with the soft limit at the budget they
// come often as it nears, but with a higher GOMEMLIMIT the heap could grow
// to twice the live heap before the next one measures it.
func Over(budget int64, live, objects uint64) bool {
	return budget > 0 && (live > uint64(budget) || objects > 2*uint64(budget))
}

// Watch samples the heap every interval until stop is called, and calls
// over, from its own goroutine, for each sample over the budget. stop
// waits for the goroutine to end.
func Watch(budget int64, interval time.Duration, over func(live, objects uint64)) (stop func()) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if live, objects := Heap(); Over(budget, live, objects) {
					over(live, objects)
				}
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// PaceFloor is the least soft limit Pace sets: below it the collector
// would run often for heaps that no machine minds.
const PaceFloor = 192 << 20

// Pace keeps the Go runtime's soft memory limit close to what the live
// heap needs, when no one has set it: after each collection, twice the
// live heap, at least PaceFloor, at most ceil (the budget).
//
// That is the heap GOGC=100 aims for, but a soft limit counts all the
// runtime's memory (fragmentation and freed memory not yet returned
// included) and makes the runtime return idle memory sooner: without it a
// run's peak RSS was two to three times its live heap. Following the live
// heap, it never sits below what the program holds, where the collector
// would run without end. A tighter limit (1.5 times the live heap) held
// `assay eval` of 100,000 documents to 247 MB but made a 20,000-user MIG
// scan 40% slower (docs/engine.md, Memory budget).
//
// The limit is set from a finalizer that runs after each collection. One
// pacer runs at a time: Pace and SetSoftLimit stop the one before. Pace
// returns a function that stops pacing and sets the limit back to ceil.
func Pace(ceil int64) (stop func()) {
	p := &pacer{ceil: ceil}
	paceMu.Lock()
	pacing = p
	p.adjust()
	paceMu.Unlock()
	p.arm()
	return func() {
		paceMu.Lock()
		defer paceMu.Unlock()
		if pacing == p {
			pacing = nil
			debug.SetMemoryLimit(ceil)
		}
	}
}

var (
	// paceMu orders the setting of the limit: SetSoftLimit, Pace and its
	// stop hold it, and a pacer's finalizer holds it from its check that
	// the pacer still runs to its setting the limit, so that a pacer
	// stopped meanwhile never sets the limit after whoever stopped it.
	paceMu sync.Mutex
	// pacing is the pacer that runs, if any.
	pacing *pacer
)

type pacer struct{ ceil int64 }

// sentinel is garbage from birth: its finalizer runs after the next
// collection, and arms the next one. 16 bytes keeps it out of the tiny
// allocator, whose objects share a block and may never be finalized.
type sentinel struct{ _ [16]byte }

func (p *pacer) arm() {
	runtime.SetFinalizer(new(sentinel), func(*sentinel) {
		paceMu.Lock()
		defer paceMu.Unlock()
		if pacing != p {
			return
		}
		p.adjust()
		p.arm()
	})
}

func (p *pacer) adjust() {
	live, _ := Heap()
	setPaced(paceLimit(int64(live), p.ceil))
}

// setPaced sets the limit a pacer computed; a test holds it midway.
var setPaced = debug.SetMemoryLimit

// paceLimit is the soft limit for a live heap.
func paceLimit(live, ceil int64) int64 {
	return min(max(2*live, PaceFloor), max(ceil, PaceFloor))
}

// DelayedCollection is the heap at which DelayCollection lets the
// collector run next: a scan of a small root with the built-in bundles
// allocates less than half of it, all of it before the scan ends.
const DelayedCollection = 48 << 20

// heapMinimum is the runtime's least heap goal at GOGC=100 (its
// defaultHeapMinimum); at any GOGC it is heapMinimum × GOGC/100.
const heapMinimum = 4 << 20

// delayPercent is the GOGC that puts the next collection at
// DelayedCollection, for the live heap the last collection left (0 before
// the first) and the roots the collector scans (goroutine stacks and
// globals: 5 MB in assay): the runtime's heap goal is live + (live +
// roots) × GOGC/100, and never less than heapMinimum × GOGC/100.
func delayPercent(live, roots uint64) int {
	if live >= DelayedCollection {
		return 0
	}
	p := 100 * DelayedCollection / heapMinimum
	if base := live + roots; base > 0 {
		p = min(p, int(100*(DelayedCollection-live)/base))
	}
	return p
}

var (
	// gcMu guards delaying.
	gcMu sync.Mutex
	// delaying is the delay under way, if any: the delayed collection
	// has not come yet. Its finalizer acts only while it is the one (a
	// test ends a delay by hand), as a pacer's does.
	delaying *delay
)

// delay is one delay of the collection.
type delay struct {
	// afterGC is the GOGC in force before the delay, or the one
	// SetGCPercent asked for since: set when the delayed collection comes.
	afterGC int
}

// DelayCollection holds the collector off until the heap reaches
// DelayedCollection, then puts back the GOGC in force (or the one
// SetGCPercent asked for since). A short run (a scan of one small host,
// an eval of a thousand small files) then never collects: its heap
// starts at a few megabytes, and at the default GOGC its collections come
// every few megabytes while bundles are loaded and compiled, every object
// of which is still live. They took a tenth of such a scan and a third of
// such an eval's CPU. A run that grows past DelayedCollection collects as
// before from there; the soft limit, which the delay does not touch,
// still collects earlier should it be lower. Nothing is delayed when the
// GOGC in force already lets the heap grow as far (a live heap of half of
// DelayedCollection, less the roots, at the default), nor when an
// operator set GOGC.
func DelayCollection() {
	if os.Getenv("GOGC") != "" {
		return
	}
	gcMu.Lock()
	defer gcMu.Unlock()
	if delaying != nil {
		return
	}
	percent := delayPercent(liveHeap())
	old := debug.SetGCPercent(percent)
	if old < 0 || old >= percent {
		// The collector is off, or already waits as long.
		debug.SetGCPercent(old)
		return
	}
	d := &delay{afterGC: old}
	delaying = d
	runtime.SetFinalizer(new(sentinel), func(*sentinel) {
		gcMu.Lock()
		defer gcMu.Unlock()
		if delaying != d {
			return
		}
		delaying = nil
		debug.SetGCPercent(d.afterGC)
	})
}

// liveHeap is the live heap the last collection left (0 before the
// first) and the roots the collector scans besides (stacks and globals);
// a test stands in for other heaps.
var liveHeap = func() (live, roots uint64) {
	s := []metrics.Sample{{Name: liveMetric}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(s)
	return value(s[0]), value(s[1]) + value(s[2])
}

// SetGCPercent is debug.SetGCPercent, except that before the collection
// that DelayCollection waits for, it records the percent to set once it
// has come. It returns the percent it replaces.
func SetGCPercent(percent int) int {
	gcMu.Lock()
	defer gcMu.Unlock()
	if delaying != nil {
		old := delaying.afterGC
		delaying.afterGC = percent
		return old
	}
	return debug.SetGCPercent(percent)
}
