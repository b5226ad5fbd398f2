package bundle

import (
	"fmt"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// newEvalContext is what bundle expressions (and collectors' bodies) may
// use: file() confined to the bundle, and a few string and collection
// functions. There are no variables.
func newEvalContext(l *loader) *hcl.EvalContext {
	return &hcl.EvalContext{
		Functions: map[string]function.Function{
			"file":       fileFunc(l),
			"concat":     stdlib.ConcatFunc,
			"format":     stdlib.FormatFunc,
			"join":       stdlib.JoinFunc,
			"jsonencode": stdlib.JSONEncodeFunc,
			"lower":      stdlib.LowerFunc,
			"replace":    stdlib.ReplaceFunc,
			"split":      stdlib.SplitFunc,
			"trimspace":  stdlib.TrimSpaceFunc,
			"upper":      stdlib.UpperFunc,
		},
	}
}

// fileFunc is file(path): the text of a file of the bundle. The path is
// relative to the bundle directory and may not leave it; for a directory
// bundle the read goes through os.Root, so symlinks cannot leave it either.
func fileFunc(l *loader) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			src, _, err := l.readFile(name)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, fmt.Errorf("%s", describeErr(err)))
			}
			if !utf8.Valid(src) {
				return cty.NilVal, function.NewArgError(0, fmt.Errorf("%q is not UTF-8 text", name))
			}
			return cty.StringVal(string(src)), nil
		},
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
