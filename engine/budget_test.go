package engine

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/internal/membudget"
)

// Policies that grow the heap without bound. Unstopped, the range reaches
// gigabytes before any deadline; the doubling is capped at 1 GiB
// (2^27 times 8 bytes) so that a broken budget cannot take the machine.
var (
	rangeHog = `deny contains "never" if {
	count(numbers.range(1, 1000000000)) < 0
}`
	doublingHog = func() string {
		var b strings.Builder
		b.WriteString("deny contains \"never\" if {\n\ts0 := \"abcdefgh\"\n")
		for i := 1; i <= 27; i++ {
			fmt.Fprintf(&b, "\ts%d := concat(\"\", [s%d, s%d])\n", i, i-1, i-1)
		}
		b.WriteString("\tcount(s27) < 0\n}")
		return b.String()
	}()
)

// TestMemoryBudget: a policy whose evaluation grows the heap past the
// budget has status error with the budget in its message; the policies
// evaluated with it (in the same fused query, on the same documents)
// still report their findings; the hook hears of it once.
func TestMemoryBudget(t *testing.T) {
	const budget = 64 << 20
	for _, tc := range []struct {
		name     string
		rego     string
		parallel int
	}{
		// One worker: the watcher finds the hog's query running alone
		// and blames it at once (the range grows slowly under -race).
		{"numbers.range", rangeHog, 1},
		// Two: both queries are stopped and run again exclusive.
		{"string doubling", doublingHog, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBundle(t, "b", nil,
				pol{id: "hog", rego: "package hog\n" + tc.rego},
				pol{id: "fast", rego: "package fast\ndeny contains sprintf(\"fast %s\", [input.n]) if true"})
			var (
				mu      sync.Mutex
				charged []string
			)
			e := mustNew(t, []*bundle.Bundle{b},
				WithMemoryBudget(budget), WithParallelism(tc.parallel),
				// Only a guard: the budget must stop the hog long before,
				// though under -race on a loaded machine the range takes
				// tens of seconds to reach it.
				WithEvalTimeout(2*time.Minute),
				WithOverBudget(func(bundle, policy string) {
					mu.Lock()
					defer mu.Unlock()
					charged = append(charged, bundle+"/"+policy)
				}))
			if e.fused == nil {
				t.Fatal("the two policies are not fused: the test would not cover blame within one query")
			}
			var docs []document.Entry
			for i := range 3 {
				docs = append(docs, document.Entry{Document: document.Document{"n": fmt.Sprint(i)}})
			}
			res := mustEval(t, e, Input{Documents: docs})
			byID := map[string]report.PolicyResult{}
			for _, p := range res.Policies {
				byID[p.ID] = p
			}
			if p := byID["hog"]; p.Status != report.StatusError || p.Error != "evaluation exceeded the memory budget (64 MiB)" || p.Findings != 0 {
				t.Errorf("hog: status %s, error %q, %d findings; want error \"evaluation exceeded the memory budget (64 MiB)\"", p.Status, p.Error, p.Findings)
			}
			if p := byID["fast"]; p.Status != report.StatusFail || p.Findings != 3 {
				t.Errorf("fast: status %s, error %q, %d findings; want fail with 3", p.Status, p.Error, p.Findings)
			}
			if fmt.Sprint(charged) != "[b/hog]" {
				t.Errorf("over-budget hook heard %v, want [b/hog] once", charged)
			}
			if live, _ := membudget.Heap(); live > budget {
				t.Errorf("live heap %d MiB after Eval: what the hog held was not released", live>>20)
			}
		})
	}
}

// TestMemoryBudgetUnused: under a budget that is never reached, results
// are those without one.
func TestMemoryBudgetUnused(t *testing.T) {
	b := benchPolicies(t, 6)
	docs := manyDocs(60)
	want := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: docs})
	got := mustEval(t, mustNew(t, []*bundle.Bundle{b}, WithMemoryBudget(1<<40)), Input{Documents: docs})
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results differ under a budget never reached")
	}
}

// TestMemoryBudgetExhausted: when the heap is over the budget whatever is
// evaluated (here the test holds it), the policies are charged and Eval
// ends: an evaluation run again exclusive finds the heap over the budget
// before it starts and says so, rather than running again without end.
func TestMemoryBudgetExhausted(t *testing.T) {
	const budget = 32 << 20
	b := newBundle(t, "b", nil, pol{id: "slow", rego: "package slow\n" + slowRego})
	e := mustNew(t, []*bundle.Bundle{b}, WithMemoryBudget(budget), WithParallelism(2), WithEvalTimeout(time.Minute))
	held := make([]byte, 2*budget)
	for i := range held {
		held[i] = 1
	}
	res := mustEval(t, e, Input{Documents: manyDocs(4)})
	runtime.KeepAlive(held)
	p := res.Policies[0]
	if p.Status != report.StatusError || !strings.Contains(p.Error, "memory budget (32 MiB)") {
		t.Errorf("status %s, error %q: want the memory budget", p.Status, p.Error)
	}
}
