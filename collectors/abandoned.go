package collectors

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// Abandoned is the set of collectors still running after the runner stopped
// waiting for them: blocked where their context does not reach (a read on a
// hung network mount) past their deadline and abandonAfter more. A Runner
// does not start such a collector again until it returns; its job is
// reported with status still_running instead, so that a daemon scanning
// every minute does not stack a new copy of a stuck collector on the last
// one each time. Keep one Abandoned across the runs of a long-lived process
// (pipeline.Scanner does, across bundle reloads); the zero value is empty
// and ready to use.
type Abandoned struct {
	mu      sync.Mutex
	running map[string]*straggler // by bundle and collector ID (key)
	idle    []func()              // to call once none is running (AfterAll)
}

// straggler is one abandoned collector, possibly several runs of it.
type straggler struct {
	since time.Time // when the first one was abandoned
	runs  int
}

// flight is one collector run, as the runner and the set see it.
type flight struct {
	returned, abandoned bool
}

func key(j Job) string { return j.Bundle + "\x00" + j.ID() }

// abandon records that the runner stops waiting for the run f of the job
// with key k. It reports false when the run has returned meanwhile: its
// result is then waiting to be taken.
func (a *Abandoned) abandon(k string, f *flight, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f.returned {
		return false
	}
	f.abandoned = true
	if a.running == nil {
		a.running = map[string]*straggler{}
	}
	s := a.running[k]
	if s == nil {
		s = &straggler{since: now}
		a.running[k] = s
	}
	s.runs++
	return true
}

// returned records that the run f has returned: if it had been abandoned,
// its collector may run again.
func (a *Abandoned) returned(k string, f *flight) {
	a.mu.Lock()
	f.returned = true
	if !f.abandoned {
		a.mu.Unlock()
		return
	}
	if s := a.running[k]; s != nil {
		if s.runs--; s.runs <= 0 {
			delete(a.running, k)
		}
	}
	var idle []func()
	if len(a.running) == 0 {
		idle, a.idle = a.idle, nil
	}
	a.mu.Unlock()
	for _, f := range idle {
		f()
	}
}

// AfterAll calls f once no abandoned collector is running: at once (and
// reports true) if none is, else when the last one returns. Closing the
// target goes through it: a collector that wakes up after its target was
// closed would read through a descriptor number the process may have
// given to another file.
func (a *Abandoned) AfterAll(f func()) (now bool) {
	a.mu.Lock()
	if len(a.running) > 0 {
		a.idle = append(a.idle, f)
		a.mu.Unlock()
		return false
	}
	a.mu.Unlock()
	f()
	return true
}

// since reports when the collector with key k was abandoned, if it is still
// running.
func (a *Abandoned) since(k string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.running[k]
	if !ok {
		return time.Time{}, false
	}
	return s.since, true
}

// Running lists the abandoned collectors that have not returned yet, as
// "BUNDLE/TYPE.NAME", sorted.
func (a *Abandoned) Running() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.running))
	for k := range a.running {
		out = append(out, strings.Replace(k, "\x00", "/", 1))
	}
	sort.Strings(out)
	return out
}
