package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/assay-dev/assay/core/report"
)

// ErrNothingChecked is what a scan that judged nothing fails with (exit
// code 3, unless --allow-empty): every policy skipped, as when the target
// holds none of what the bundles look at. A CI gate must not read that as
// clean.
var ErrNothingChecked = errors.New("nothing was checked")

// Bounds of the reasons NothingChecked lists: the table and the JSON
// report list every skipped policy.
const (
	maxSkipGroups    = 5
	maxSkipReasonLen = 300
)

// NothingChecked wraps ErrNothingChecked with why nothing was: the reasons
// the policies were skipped, most frequent first, and what to do.
func NothingChecked(r *report.Report) error {
	const (
		todo       = "point the scan at what the bundles check (--root, --image, -b), or pass --allow-empty to accept a scan that checks nothing"
		enableTodo = "enable some, or pass --allow-empty to accept a scan that checks nothing"
	)
	if len(r.Policies) == 0 {
		disabled := 0
		if r.Tailoring != nil {
			disabled = len(r.Tailoring.Disabled)
		}
		switch disabled {
		case 0:
			return fmt.Errorf("%w: the bundles hold no policy; %s", ErrNothingChecked, todo)
		case 1:
			return fmt.Errorf("%w: the overlays disabled the only policy of the bundles; %s", ErrNothingChecked, enableTodo)
		}
		return fmt.Errorf("%w: the overlays disabled all %d policies of the bundles; %s", ErrNothingChecked, disabled, enableTodo)
	}
	var parts []string
	groups := r.SkipGroups()
	for i, g := range groups {
		if i == maxSkipGroups {
			parts = append(parts, fmt.Sprintf("%d more reasons", len(groups)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%d because %s", len(g.Policies), report.Shorten(g.Reason, maxSkipReasonLen)))
	}
	all := fmt.Sprintf("all %d policies were", len(r.Policies))
	if len(r.Policies) == 1 {
		all = "the only policy was"
	}
	return fmt.Errorf("%w: %s skipped (%s); %s", ErrNothingChecked, all, strings.Join(parts, "; "), todo)
}
