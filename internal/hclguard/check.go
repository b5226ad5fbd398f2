package hclguard

import (
	"fmt"
	"math"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Check refuses the expressions of body that could make evaluation spend
// far more than the file's size, before anything is evaluated:
//
//   - for expressions, [for …] and %{ for }: their result grows with the
//     product of the lists they go over, which no budget sees coming;
//   - numbers beyond float64's range (1e300000000): turning one into text
//     writes every digit;
//   - arithmetic on anything but numbers written in the file: "1e300000000"
//   - 1 is such a number too.
//
// Each is an error diagnostic at the expression. body must come from
// hclsyntax (Parse); other bodies are not checked.
func Check(body hcl.Body) hcl.Diagnostics {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	w := &checker{}
	hclsyntax.Walk(b, w)
	return w.diags
}

// checker walks a body for Check. arith counts the arithmetic expressions
// it is in: only the outermost is checked, so a refused a + b + c is one
// error, not one per operator.
type checker struct {
	diags hcl.Diagnostics
	arith int
}

func (c *checker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	switch e := n.(type) {
	case *hclsyntax.ForExpr:
		c.diags = append(c.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "For expressions are not supported",
			Detail:   "assay evaluates no for expressions ([for …] or %{ for }): their result can grow far beyond the file. Write the list or the text out.",
			Subject:  e.SrcRange.Ptr(),
		})
	case *hclsyntax.LiteralValueExpr:
		if d := checkNumber(e.Val, e.SrcRange); d != nil {
			c.diags = append(c.diags, d)
		}
	}
	if e, ok := n.(hclsyntax.Expression); ok && arithmetic(e) {
		if c.arith == 0 {
			c.diags = append(c.diags, checkArithmetic(e)...)
		}
		c.arith++
	}
	return nil
}

func (c *checker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	if e, ok := n.(hclsyntax.Expression); ok && arithmetic(e) {
		c.arith--
	}
	return nil
}

// arithmetic reports whether e is an arithmetic operation (unary minus
// included).
func arithmetic(e hclsyntax.Expression) bool {
	switch e := e.(type) {
	case *hclsyntax.BinaryOpExpr:
		return isArithmetic(e.Op)
	case *hclsyntax.UnaryOpExpr:
		return e.Op == hclsyntax.OpNegate
	}
	return false
}

func isArithmetic(op *hclsyntax.Operation) bool {
	switch op {
	case hclsyntax.OpAdd, hclsyntax.OpSubtract, hclsyntax.OpMultiply, hclsyntax.OpDivide, hclsyntax.OpModulo:
		return true
	}
	return false
}

// checkArithmetic accepts arithmetic whose operands are numbers written in
// the file (or arithmetic on them), and whose result is in range.
func checkArithmetic(e hclsyntax.Expression) hcl.Diagnostics {
	if !constantNumber(e) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unsupported arithmetic",
			Detail:   "assay evaluates arithmetic on numbers written in the file only, such as 64 * 1024; a string or a function's result turned into a number can be any size. Write the number out.",
			Subject:  e.Range().Ptr(),
		}}
	}
	if !literalsInRange(e) {
		// Each is an error of its own; and 1e300000000 % 7 takes long.
		return nil
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		// 42 + true: decoding reports it where the value is used.
		return nil
	}
	if d := checkNumber(v, e.Range()); d != nil {
		return hcl.Diagnostics{d}
	}
	return nil
}

// constantNumber reports whether e is built of number literals in range,
// unary minus and arithmetic only.
func constantNumber(e hclsyntax.Expression) bool {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		// true and null are no numbers at all: evaluation says so.
		return e.Val.Type() != cty.String
	case *hclsyntax.ParenthesesExpr:
		return constantNumber(e.Expression)
	case *hclsyntax.UnaryOpExpr:
		return e.Op == hclsyntax.OpNegate && constantNumber(e.Val)
	case *hclsyntax.BinaryOpExpr:
		return isArithmetic(e.Op) && constantNumber(e.LHS) && constantNumber(e.RHS)
	}
	return false
}

// literalsInRange reports whether the number literals of e are in range.
func literalsInRange(e hclsyntax.Expression) bool {
	ok := true
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if l, isLit := n.(*hclsyntax.LiteralValueExpr); isLit && checkNumber(l.Val, l.SrcRange) != nil {
			ok = false
		}
		return nil
	})
	return ok
}

// checkNumber refuses a known number that float64 cannot hold (beyond
// ±1.8e308, or so small that it would be 0).
func checkNumber(v cty.Value, rng hcl.Range) *hcl.Diagnostic {
	if v.Type() != cty.Number || !v.IsKnown() || v.IsNull() {
		return nil
	}
	if FitsFloat64(v.AsBigFloat()) {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Number out of range",
		Detail:   fmt.Sprintf("assay reads numbers of float64's range (about ±1.8e308, and 0 or at least 2.2e-308 in size); this one is about 2^%d.", v.AsBigFloat().MantExp(nil)),
		Subject:  rng.Ptr(),
	}
}

// FitsFloat64 reports whether f is finite and in float64's range: zero,
// or neither overflowing nor underflowing to zero.
func FitsFloat64(f *big.Float) bool {
	if f.IsInf() {
		return false
	}
	if f.Sign() == 0 {
		return true
	}
	x, _ := f.Float64()
	return !math.IsInf(x, 0) && x != 0
}
