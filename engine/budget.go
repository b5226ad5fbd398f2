package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/assay-dev/assay/internal/membudget"
)

// The memory budget (WithMemoryBudget). The heap is the process's, so a
// watcher cannot tell which of the evaluations running at once grew it.
// When it finds the heap over the budget, it stops every evaluation then
// running (with errOverBudget as the cause), and each runs again
// exclusive: alone in the process, after a collection, holding run.solo
// for writing while the others wait. An exclusive evaluation that exceeds
// the budget is to blame: if it judged several policies together, each
// runs again exclusive; a policy that exceeds it alone is charged. An
// evaluation the watcher found running alone is to blame at once. Blame
// therefore costs re-evaluations only when the budget is crossed.

// errOverBudget is the cause with which the watcher stops evaluations;
// errOverBudgetAlone when it stopped only one, which is then to blame
// without running again exclusive.
var (
	errOverBudget      = errors.New("over the memory budget")
	errOverBudgetAlone = fmt.Errorf("%w, the only evaluation running", errOverBudget)
)

// watchMemory starts the watcher for this Eval, if there is a budget.
func (r *run) watchMemory() (stop func()) {
	if r.e.cfg.memBudget <= 0 {
		return nil
	}
	return membudget.Watch(r.e.cfg.memBudget, membudget.DefaultInterval, func(live, objects uint64) {
		r.runMu.Lock()
		defer r.runMu.Unlock()
		if len(r.running) == 0 {
			return
		}
		r.e.cfg.logger.Debug("heap over the memory budget: stopping the evaluations running",
			"live", humanize.IBytes(live), "objects", humanize.IBytes(objects), "evaluations", len(r.running))
		cause := errOverBudget
		if len(r.running) == 1 {
			cause = errOverBudgetAlone
		}
		for id, cancel := range r.running {
			cancel(cause)
			delete(r.running, id)
		}
	})
}

// track registers a running evaluation for the watcher to stop, until
// the function it returns is called.
func (r *run) track(cancel context.CancelCauseFunc) (untrack func()) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	if r.running == nil {
		r.running = map[int]context.CancelCauseFunc{}
	}
	id := r.nextID
	r.nextID++
	r.running[id] = cancel
	return func() {
		r.runMu.Lock()
		defer r.runMu.Unlock()
		delete(r.running, id)
	}
}

// enter admits an evaluation: shared with the others, or exclusive, after
// a collection that returns the garbage of what was stopped. An exclusive
// evaluation that finds the heap over the budget before it starts would be
// blamed for what is not its own: the budget is too small for this scan.
func (r *run) enter(exclusive bool) (release func(), err error) {
	if !exclusive {
		r.solo.RLock()
		return r.solo.RUnlock, nil
	}
	r.solo.Lock()
	debug.FreeOSMemory()
	if live, _ := membudget.Heap(); live > uint64(r.e.cfg.memBudget) {
		return r.solo.Unlock, &evalFailure{overBudget: true, alone: true, err: fmt.Errorf(
			"the heap (%s) was over the memory budget (%s) before the evaluation started: raise the budget",
			humanize.IBytes(live), sizeString(r.e.cfg.memBudget))}
	}
	return r.solo.Unlock, nil
}

func (r *run) overBudgetError() error {
	return fmt.Errorf("evaluation exceeded the memory budget (%s)", sizeString(r.e.cfg.memBudget))
}

// chargeBudget records that the policy exceeded the budget alone: it is
// not evaluated again in this Eval, and the hook hears of it once.
func (r *run) chargeBudget(p *policy, dc *docContext, err error) {
	if !r.state[p.index].overBudget.CompareAndSwap(false, true) {
		return
	}
	r.e.cfg.logger.Warn("policy stopped: it exceeded the memory budget, and is reported with status error",
		"bundle", p.bundle.Name, "policy", p.src.ID, "input", dc.label, "err", err)
	if r.e.cfg.onOverBudget != nil {
		r.e.cfg.onOverBudget(p.bundle.Name, p.src.ID)
	}
	// What it held is garbage now: the next evaluations start clean.
	debug.FreeOSMemory()
}

// sizeString is n bytes as "64 MiB" or "1.5 GiB".
func sizeString(n int64) string {
	return strings.Replace(humanize.IBytes(uint64(n)), ".0 ", " ", 1)
}
