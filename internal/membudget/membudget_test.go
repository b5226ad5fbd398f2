package membudget

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

func TestDefaultFrom(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		name          string
		total, cgroup int64
		want          int64
		wantSource    string
	}{
		{"machine", 24 * gib, 0, 12 * gib, "half of the MemTotal"},
		{"container limit below the machine", 24 * gib, 2 * gib, gib, "half of the cgroup memory limit"},
		{"container limit above the machine", 4 * gib, 64 * gib, 2 * gib, "half of the MemTotal"},
		{"small machine", 300 << 20, 0, Floor, "floor"},
		{"unknown", 0, 0, Floor, "floor (memory size unknown)"},
		{"only a cgroup", 0, 8 * gib, 4 * gib, "half of the cgroup memory limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, src := defaultFrom(tc.total, tc.cgroup)
			if got != tc.want || src != tc.wantSource {
				t.Errorf("got %d (%s), want %d (%s)", got, src, tc.want, tc.wantSource)
			}
		})
	}
}

func TestMemoryFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	meminfo := write("meminfo", "MemTotal:       24683320 kB\nMemFree:        20000000 kB\n")
	if got, err := memTotal(meminfo); err != nil || got != 24683320<<10 {
		t.Errorf("memTotal = %d, %v", got, err)
	}
	if _, err := memTotal(write("bad", "Nothing: 1 kB\n")); err == nil {
		t.Error("no MemTotal: want an error")
	}

	defer func(v2, v1 string) { cgroupV2Path, cgroupV1Path = v2, v1 }(cgroupV2Path, cgroupV1Path)
	for _, tc := range []struct {
		v2, v1 string // "" = no such file
		want   int64
	}{
		{"max\n", "", 0},
		{"2147483648\n", "", 2 << 30},
		{"", "1073741824\n", 1 << 30},
		{"", "9223372036854771712\n", 0}, // v1's "unlimited"
		{"", "", 0},
	} {
		cgroupV2Path, cgroupV1Path = filepath.Join(dir, "none2"), filepath.Join(dir, "none1")
		if tc.v2 != "" {
			cgroupV2Path = write("memory.max", tc.v2)
		}
		if tc.v1 != "" {
			cgroupV1Path = write("limit_in_bytes", tc.v1)
		}
		if got := cgroupLimit(); got != tc.want {
			t.Errorf("v2 %q v1 %q: limit %d, want %d", tc.v2, tc.v1, got, tc.want)
		}
	}
}

func TestSetSoftLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	if limit, fromEnv := SetSoftLimit(512 << 20); limit != 512<<20 || fromEnv || debug.SetMemoryLimit(-1) != 512<<20 {
		t.Errorf("limit %d, from env %v", limit, fromEnv)
	}
	// The environment's GOMEMLIMIT is the runtime's (read at start; here
	// set by hand as the runtime would have).
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	if limit, fromEnv := SetSoftLimit(512 << 20); limit != 1<<30 || !fromEnv {
		t.Errorf("with GOMEMLIMIT: limit %d, from env %v, want the environment's", limit, fromEnv)
	}
}

func TestOver(t *testing.T) {
	for _, tc := range []struct {
		budget        int64
		live, objects uint64
		want          bool
	}{
		{64 << 20, 10 << 20, 100 << 20, false}, // garbage, not yet collected
		{64 << 20, 65 << 20, 65 << 20, true},
		{64 << 20, 10 << 20, 129 << 20, true},
		{0, 1 << 40, 1 << 40, false}, // no budget
	} {
		if got := Over(tc.budget, tc.live, tc.objects); got != tc.want {
			t.Errorf("Over(%d, %d, %d) = %v", tc.budget, tc.live, tc.objects, got)
		}
	}
}

// TestWatch: a heap held past the budget is seen, and stop ends the
// watching.
func TestWatch(t *testing.T) {
	live, _ := Heap()
	budget := int64(live) + 16<<20
	seen := make(chan uint64, 1)
	stop := Watch(budget, 5*time.Millisecond, func(live, _ uint64) {
		select {
		case seen <- live:
		default:
		}
	})
	defer stop()
	hold := make([]byte, 2*budget)
	for i := range hold {
		hold[i] = 1
	}
	runtime.GC() // measure the live heap now
	select {
	case got := <-seen:
		if got < uint64(budget) && len(hold) > 0 {
			t.Logf("seen through the objects measure: live %d", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the watcher never saw the heap over the budget")
	}
	runtime.KeepAlive(hold)
	stop()
	stop() // twice is fine
}

func TestPaceLimit(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct{ live, ceil, want int64 }{
		{0, 12 << 30, PaceFloor},
		{90 * mib, 12 << 30, PaceFloor},   // 180 MiB: the floor holds
		{140 * mib, 12 << 30, 280 * mib},  // twice the live heap
		{4 << 30, 6 << 30, 6 << 30},       // never past the budget
		{400 * mib, 256 * mib, 256 * mib}, // a budget under the live heap is the limit
		{100 * mib, 64 * mib, PaceFloor},  // nor under the floor
	} {
		if got := paceLimit(tc.live, tc.ceil); got != tc.want {
			t.Errorf("paceLimit(%d MiB, %d MiB) = %d MiB, want %d MiB", tc.live/mib, tc.ceil/mib, got/mib, tc.want/mib)
		}
	}
}

// TestPace: the limit follows the live heap after each collection, and
// stopping sets it back to the ceiling.
func TestPace(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	const ceil = 8 << 30
	stop := Pace(ceil)
	defer stop()
	if got := debug.SetMemoryLimit(-1); got != PaceFloor {
		t.Fatalf("at start the limit is %d, want the floor %d", got, PaceFloor)
	}
	// Hold 256 MiB live: after a collection the limit is about 512 MiB.
	held := make([][]byte, 256)
	for i := range held {
		held[i] = make([]byte, 1<<20)
		held[i][0] = 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		if got := debug.SetMemoryLimit(-1); got >= 480<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the limit did not follow a live heap of 256 MiB: %d", debug.SetMemoryLimit(-1))
		}
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(held)
	stop()
	if got := debug.SetMemoryLimit(-1); got != ceil {
		t.Errorf("after stop the limit is %d, want the ceiling %d", got, ceil)
	}
}

// TestPaceOneAtATime: a limit set by SetSoftLimit, or a new pacer, stops
// the pacer before it: it no longer moves the limit.
func TestPaceOneAtATime(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	Pace(8 << 30)
	SetSoftLimit(64 << 20)
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("a stopped pacer moved the limit: %d, want the 64 MiB SetSoftLimit set", got)
	}
}

// TestPaceStoppedMidAdjust: a limit set while the pacer's finalizer is
// setting its own stays set: the pacer, stopped, does not overwrite it
// once SetSoftLimit has returned.
func TestPaceStoppedMidAdjust(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	Pace(8 << 30)
	// The pacer's next adjustment, from its finalizer, waits midway.
	inAdjust, release, adjusted := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var once sync.Once
	paceMu.Lock()
	setPaced = func(n int64) int64 {
		held := false
		once.Do(func() { held = true; close(inAdjust); <-release })
		if held {
			defer close(adjusted)
		}
		return debug.SetMemoryLimit(n)
	}
	paceMu.Unlock()
	defer func() {
		paceMu.Lock()
		setPaced = debug.SetMemoryLimit
		paceMu.Unlock()
	}()
	runtime.GC()
	select {
	case <-inAdjust:
	case <-time.After(30 * time.Second):
		t.Fatal("the pacer did not adjust the limit after a collection")
	}
	set := make(chan struct{})
	go func() {
		SetSoftLimit(64 << 20)
		close(set)
	}()
	// Unfixed, SetSoftLimit returns at once; fixed, it waits for the
	// adjustment under way. Either way the adjustment then ends.
	select {
	case <-set:
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-adjusted
	<-set
	if got := debug.SetMemoryLimit(-1); got != 64<<20 {
		t.Errorf("the limit is %d after SetSoftLimit returned, want its 64 MiB: a stopped pacer overwrote it", got)
	}
}

// gogc reads the GOGC in force.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// withLiveHeap stands in for a run whose last collection left live bytes,
// with roots bytes of stacks and globals.
func withLiveHeap(t *testing.T, live, roots uint64) {
	saved := liveHeap
	liveHeap = func() (uint64, uint64) { return live, roots }
	t.Cleanup(func() {
		liveHeap = saved
		// A test that failed midway leaves no delay for the next.
		gcMu.Lock()
		delaying = nil
		gcMu.Unlock()
	})
}

func TestDelayPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, roots uint64
		want        int
	}{
		{0, 0, 1200},            // the heap minimum decides: 4 MiB × 12 = 48 MiB
		{0, 5 * mib, 960},       // before the first collection, roots of 5 MiB: 5 × 9.6
		{1 * mib, 0, 1200},      // the heap minimum still decides
		{4 * mib, 0, 1100},      // 4 + 4 × 11
		{8 * mib, 0, 500},       // 8 + 8 × 5
		{8 * mib, 2 * mib, 400}, // 8 + 10 × 4
		{24 * mib, 0, 100},      // half of it: the default already gets there
		{43 * mib, 0, 11},       // an eval after its documents: no delay
		{200 * mib, 0, 0},
	} {
		if got := delayPercent(tc.live, tc.roots); got != tc.want {
			t.Errorf("delayPercent(%d MiB live, %d MiB roots) = %d, want %d", tc.live>>20, tc.roots>>20, got, tc.want)
		}
	}
}

func TestDelayCollection(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	withLiveHeap(t, 0, 0)

	DelayCollection()
	if got := gogc(); got != 1200 {
		t.Fatalf("GOGC during the delay = %d, want 1200 (the next collection at %d MiB)", got, DelayedCollection>>20)
	}
	// What a load asks for meanwhile waits for the delayed collection.
	if old := SetGCPercent(400); old != 100 {
		t.Errorf("SetGCPercent during the delay replaced %d, want 100", old)
	}
	if got := gogc(); got != 1200 {
		t.Errorf("SetGCPercent during the delay set GOGC %d now; it must wait for the collection", got)
	}
	DelayCollection() // a second call changes nothing
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for gogc() != 400 {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC after the delayed collection = %d, want the 400 asked for during the delay", gogc())
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	// From then on, SetGCPercent sets it at once.
	if old := SetGCPercent(100); old != 400 {
		t.Errorf("SetGCPercent after the delay replaced %d, want 400", old)
	}
	if got := gogc(); got != 100 {
		t.Errorf("GOGC = %d after SetGCPercent(100)", got)
	}
}

// TestDelayCollectionLeavesGOGC: nothing is delayed when an operator set
// GOGC, or when the live heap is half the delayed goal or more: GOGC would
// let it grow by as many times (assay eval used to set its budget after
// reading its documents, with 43 MB live at 10,000 of them).
func TestDelayCollectionLeavesGOGC(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		live uint64
		want uint64
	}{
		{"operator's GOGC", "150", 0, 150},
		{"large live heap", "", 43 << 20, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.env)
			defer debug.SetGCPercent(debug.SetGCPercent(int(tc.want)))
			withLiveHeap(t, tc.live, 0)
			DelayCollection()
			if got := gogc(); got != tc.want {
				t.Errorf("GOGC = %d, want %d: no delay", got, tc.want)
			}
		})
	}
}

// A GOGC in force that already waits as long is left alone (Scanner.load
// sets 400 while it loads).
func TestDelayCollectionKeepsHigherGOGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	withLiveHeap(t, 8<<20, 0) // the delay's percent: 500
	debug.SetGCPercent(600)
	DelayCollection()
	if got := gogc(); got != 600 {
		t.Errorf("GOGC = %d; the 600 in force already waits longer than the delay's 500", got)
	}
	debug.SetGCPercent(400)
	DelayCollection()
	if got := gogc(); got != 500 {
		t.Errorf("GOGC = %d; want the delay's 500 over the 400 in force", got)
	}
	if old := SetGCPercent(100); old != 400 {
		t.Errorf("the delay replaced %d, want the 400 in force", old)
	}
}
