package hclguard

import (
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Budget is what the function calls of one evaluation context may produce
// together, in bytes: every result is charged, the text of file() as much
// as format()'s. A call whose result would go beyond what is left is an
// error at the call. A Budget is safe for concurrent use.
type Budget struct {
	max   int64
	owner string
	used  atomic.Int64
}

// NewBudget returns a budget of max bytes for the function calls of owner
// ("a bundle"), which error messages name.
func NewBudget(max int64, owner string) *Budget {
	return &Budget{max: max, owner: owner}
}

// Remaining returns the bytes left.
func (b *Budget) Remaining() int64 { return max(b.max-b.used.Load(), 0) }

// check refuses a result of up to n bytes when it would not fit; exact
// says n is the result's size rather than a bound on it.
func (b *Budget) check(fn string, n int64, exact bool) error {
	left := b.Remaining()
	if n <= left {
		return nil
	}
	would := "would produce up to"
	if exact {
		would = "would produce"
	}
	return fmt.Errorf("%s(…) %s %s bytes, more than the %s bytes left of the %s that the function calls of %s may produce together. Put long text in a file and read it with file() once",
		fn, would, Count(n), Count(left), Size(b.max), b.owner)
}

// charge takes the size of a result from the budget.
func (b *Budget) charge(fn string, v cty.Value) error {
	n := valueSize(v)
	if err := b.check(fn, n, true); err != nil {
		return err
	}
	b.used.Add(n)
	return nil
}

// listElementCost is what a list element costs besides its text: a
// cty.Value and its boxed string.
const listElementCost = 64

// valueSize is the size a result is charged: its text, and
// listElementCost for each element of a collection.
func valueSize(v cty.Value) int64 {
	if v.IsNull() || !v.IsKnown() {
		return 0
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return int64(len(v.AsString()))
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		var n int64
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			n += listElementCost + valueSize(e)
		}
		return n
	}
	return 0
}

// NewEvalContext returns an evaluation context without variables whose
// functions are the guarded ones (Functions), charging b.
func NewEvalContext(b *Budget, read ReadFile) *hcl.EvalContext {
	return &hcl.EvalContext{Functions: Functions(b, read)}
}

// Count writes n with thousands separators: 1,000,000.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// Size writes a size in bytes as GiB, MiB or KiB when it is a whole number of
// them.
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return Count(n>>30) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return Count(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return Count(n>>10) + " KiB"
	}
	return Count(n) + " bytes"
}
