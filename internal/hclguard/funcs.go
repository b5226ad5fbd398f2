package hclguard

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// ReadFile reads the file that file(name) names. The caller decides what
// name may be (confined to a directory, bounded in size).
type ReadFile func(name string) ([]byte, error)

// Functions returns the guarded functions by name: format, join, lower,
// replace, split, trimspace and upper, as cty's stdlib defines them, and
// file when read is not nil. Each result is charged to b; those that can
// grow their arguments (format, join, replace, split, file) are checked
// against what is left before the result is built.
//
// Functions that cannot be checked before they run are not offered: no
// concat, jsonencode, regex or formatlist.
func Functions(b *Budget, read ReadFile) map[string]function.Function {
	fns := map[string]function.Function{
		"format":    guard("format", stdlib.FormatFunc, b, formatBound),
		"join":      guard("join", stdlib.JoinFunc, b, joinBound),
		"lower":     guard("lower", stdlib.LowerFunc, b, firstArgBound),
		"replace":   guard("replace", stdlib.ReplaceFunc, b, replaceBound),
		"split":     guard("split", stdlib.SplitFunc, b, splitBound),
		"trimspace": guard("trimspace", stdlib.TrimSpaceFunc, b, firstArgBound),
		"upper":     guard("upper", stdlib.UpperFunc, b, firstArgBound),
	}
	if read != nil {
		fns["file"] = fileFunc(b, read)
	}
	return fns
}

// guard wraps base: bound returns, from the arguments, a size the result
// cannot exceed, checked before base runs; the result's own size is
// charged after.
func guard(name string, base function.Function, b *Budget, bound func([]cty.Value) int64) function.Function {
	return function.New(&function.Spec{
		Description: base.Description(),
		Params:      base.Params(),
		VarParam:    base.VarParam(),
		Type:        base.ReturnTypeForValues,
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			for _, a := range args {
				if !a.IsWhollyKnown() {
					return base.Call(args)
				}
			}
			if err := b.check(name, bound(args), false); err != nil {
				return cty.NilVal, err
			}
			v, err := base.Call(args)
			if err != nil {
				return v, err
			}
			if err := b.charge(name, v); err != nil {
				return cty.NilVal, err
			}
			return v, nil
		},
	})
}

// fileFunc is file(path): the text of a file that read returns.
func fileFunc(b *Budget, read ReadFile) function.Function {
	return function.New(&function.Spec{
		Description: "Reads the text of a file.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			src, err := read(name)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			if !utf8.Valid(src) {
				return cty.NilVal, function.NewArgError(0, fmt.Errorf("%q is not UTF-8 text", name))
			}
			if err := b.check("file", int64(len(src)), true); err != nil {
				return cty.NilVal, err
			}
			v := cty.StringVal(string(src))
			return v, b.charge("file", v)
		},
	})
}

func str(v cty.Value) string {
	if v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// firstArgBound is for lower, upper and trimspace: their result is about
// the size of their argument (case mapping can change it by a few bytes a
// character, and is charged exactly after).
func firstArgBound(args []cty.Value) int64 { return int64(len(str(args[0]))) }

// joinBound is join(sep, lists...): every element and the separators.
func joinBound(args []cty.Value) int64 {
	sep := int64(len(str(args[0])))
	var n, count int64
	for _, list := range args[1:] {
		if list.IsNull() || !list.CanIterateElements() {
			continue
		}
		for it := list.ElementIterator(); it.Next(); {
			_, e := it.Element()
			n += int64(len(str(e)))
			count++
		}
	}
	if count > 1 {
		n += sep * (count - 1)
	}
	return n
}

// replaceBound is replace(str, substr, replace), which replaces literal
// text: each occurrence grows the string by len(replace) - len(substr).
func replaceBound(args []cty.Value) int64 {
	s, old, repl := str(args[0]), str(args[1]), str(args[2])
	var count int64
	if old == "" {
		// strings.Replace inserts at every character boundary.
		count = int64(utf8.RuneCountInString(s)) + 1
	} else {
		count = int64(strings.Count(s, old))
	}
	return int64(len(s)) + max(0, count*(int64(len(repl))-int64(len(old))))
}

// splitBound is split(sep, str): the text, and an element per piece.
func splitBound(args []cty.Value) int64 {
	sep, s := str(args[0]), str(args[1])
	var pieces int64
	if sep == "" {
		pieces = int64(utf8.RuneCountInString(s))
	} else {
		pieces = int64(strings.Count(s, sep)) + 1
	}
	return int64(len(s)) + pieces*listElementCost
}

// huge stands for a size beyond any budget; sums saturate at it.
const huge = math.MaxInt64 / 4

func add(a, b int64) int64 { return min(a+min(b, huge), huge) }

// formatBound is format(spec, args...): the text of spec, and for each
// verb its width, its precision and the most its argument can print. It
// reads spec as cty's format does: %%, or % flags width .precision [n]
// verb.
func formatBound(args []cty.Value) int64 {
	spec, vals := str(args[0]), args[1:]
	var n int64
	next := 0 // index of the next argument
	for i := 0; i < len(spec); {
		if spec[i] != '%' {
			n++
			i++
			continue
		}
		if i+1 < len(spec) && spec[i+1] == '%' {
			n++
			i += 2
			continue
		}
		i++
		sharp := false
		for i < len(spec) && strings.IndexByte("0#-+ ", spec[i]) >= 0 {
			sharp = sharp || spec[i] == '#'
			i++
		}
		width, prec := int64(0), int64(-1)
		i, width = digits(spec, i)
		if i < len(spec) && spec[i] == '.' {
			i, prec = digits(spec, i+1)
		}
		if i < len(spec) && spec[i] == '[' {
			var idx int64
			i, idx = digits(spec, i+1)
			if i < len(spec) && spec[i] == ']' {
				i++
			}
			next = int(min(idx, int64(len(vals)+1))) - 1
		}
		if i >= len(spec) {
			break
		}
		mode := spec[i]
		i++
		var arg cty.Value
		if next >= 0 && next < len(vals) {
			arg = vals[next]
		}
		next++
		n = add(n, width)
		n = add(n, max(prec, 0))
		if arg != cty.NilVal {
			n = add(n, verbBound(mode, sharp, arg))
		}
	}
	return n
}

// digits reads a decimal number at spec[i:], saturating at huge.
func digits(spec string, i int) (int, int64) {
	var v int64
	for i < len(spec) && '0' <= spec[i] && spec[i] <= '9' {
		v = min(v*10+int64(spec[i]-'0'), huge)
		i++
	}
	return i, v
}

// verbBound is the most one verb prints of arg, width and precision
// aside.
func verbBound(mode byte, sharp bool, arg cty.Value) int64 {
	if arg.IsNull() {
		return 4 // null
	}
	switch mode {
	case 't':
		return 5
	case 'v':
		switch {
		case !sharp && arg.Type() == cty.String:
			return int64(len(arg.AsString()))
		case !sharp && arg.Type() == cty.Number:
			return numberBound(arg)
		}
		return jsonBound(arg)
	case 's':
		if arg.Type() == cty.String {
			return int64(len(arg.AsString()))
		}
		return jsonBound(arg)
	case 'q':
		if arg.Type() == cty.String {
			return 6*int64(len(arg.AsString())) + 2
		}
		return 6*jsonBound(arg) + 2
	}
	// A number verb: cty converts a string argument to a number first.
	num, err := convert.Convert(arg, cty.Number)
	if err != nil || num.IsNull() {
		return 0
	}
	return numberBound(num)
}

// numberBound is the most a number prints in any base or notation: its
// binary digits before the point and its decimal digits after it, and
// the digits of its 512-bit mantissa.
func numberBound(v cty.Value) int64 {
	f := v.AsBigFloat()
	exp := int64(f.MantExp(nil))
	if exp < 0 {
		exp = -exp
	}
	return add(exp, 200)
}

// jsonBound is the most cty's JSON encoding of v takes.
func jsonBound(v cty.Value) int64 {
	if v.IsNull() || !v.IsKnown() {
		return 4
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return 6*int64(len(v.AsString())) + 2
	case ty == cty.Number:
		return numberBound(v)
	case ty == cty.Bool:
		return 5
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		n := int64(2)
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if k.Type() == cty.String {
				n = add(n, 6*int64(len(k.AsString()))+3)
			}
			n = add(n, jsonBound(e)+1)
		}
		return n
	}
	return 4
}
