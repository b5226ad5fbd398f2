package bundle

import (
	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"
)

// newEvalContext is what bundle expressions (and collectors' bodies) may
// use: file() confined to the bundle, and a few string functions, all
// guarded by hclguard: together their results may not exceed the size of
// one bundle file. There are no variables.
//
// Dropped: concat and jsonencode. Without variables they only restate a
// list or an object the bundle can write as HCL, and no bundle used them.
func newEvalContext(l *loader) *hcl.EvalContext {
	budget := hclguard.NewBudget(maxFileSize, "a bundle")
	return hclguard.NewEvalContext(budget, func(name string) ([]byte, error) {
		// The path is relative to the bundle directory and may not leave
		// it; for a directory bundle the read goes through os.Root, so
		// symlinks cannot leave it either.
		src, _, err := l.readFile(name)
		if err != nil {
			return nil, safefile.WithoutPath(err)
		}
		return src, nil
	})
}

// suggest returns the known name closest to got, if it is close enough to
// be a typo, or "".
func suggest(got string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := levenshtein.Distance(got, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}
