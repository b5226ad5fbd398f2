package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// TestSelectAsOPA compares internal.assay_select with what OPA's evaluator
// selects for the loop it replaces, some x in coll; x.path == value, over
// collections of every kind and values that compare in corner cases.
func TestSelectAsOPA(t *testing.T) {
	colls := []string{
		`[{"m": "0777"}, {"m": "0644"}, {"m": "0777", "n": 1}, "0777", null, {"m": {"k": "a"}}]`,
		`{"b": {"m": "0777"}, "a": {"m": "0777", "z": 1}, "c": {"m": 1}}`,
		`{{"m": "0777"}, {"m": "0644"}, {"m": 1.0}, {"m": 1}, "x"}`,
		`{{"m": "0777", "a": 3}, {"m": "0777", "a": 1}, {"m": "0777", "a": 2}, {"a": 0}}`,
		`[{"m": {"k", "a"}}, {"m": ["k"]}, {"m": {"k": "k"}}, {"m": 1}, {"m": "1"}, {"m": 1.0}, {"m": 10e-1}]`,
		`[{"m": null}, {"m": false}, {}, {"m": {"k": null}}]`,
		`"0777"`, `7`, `[]`, `{}`,
	}
	tests := []struct{ path, op, value string }{
		{`["m"]`, "==", `"0777"`}, {`["m"]`, "==", `1`}, {`["m"]`, "==", `1.0`}, {`["m"]`, "==", `"1"`},
		{`["m", "k"]`, "==", `"k"`}, {`["m", "k"]`, "==", `"a"`}, {`["m", "k"]`, "==", `null`},
		{`["m"]`, "==", `null`}, {`["m"]`, "==", `false`}, {`[]`, "==", `"0777"`}, {`[]`, "==", `"x"`},
		{`["m"]`, "!=", `"0777"`}, {`["m"]`, "!=", `1`}, {`["m"]`, "<", `"1"`}, {`["m"]`, "<=", `1`},
		{`["m"]`, ">", `0`}, {`["m"]`, ">=", `"0777"`}, {`[]`, "!=", `"x"`}, {`[]`, ">", `null`},
		{`["m", "k"]`, "<", `"b"`}, {`["m"]`, ">", `false`},
	}
	ops := map[string]string{"==": "eq", "!=": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
	for _, coll := range colls {
		for _, tt := range tests {
			name := fmt.Sprintf("%s/%s%s%s", coll, tt.path, tt.op, tt.value)
			var ref strings.Builder
			ref.WriteString("x")
			path := ast.MustParseTerm(tt.path).Value.(*ast.Array)
			for i := range path.Len() {
				fmt.Fprintf(&ref, "[%v]", path.Elem(i))
			}
			// The collection as input: the type checker would refuse
			// some of the paths into a literal.
			query := fmt.Sprintf("r := [x | some x in input; %s %s %s]", ref.String(), tt.op, tt.value)
			rs, err := rego.New(rego.Query(query), rego.ParsedInput(ast.MustParseTerm(coll).Value)).Eval(context.Background())
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			want := ast.MustInterfaceToValue(rs[0].Bindings["r"])
			crit := criterion(ast.MustParseTerm(tt.path), ops[tt.op], ast.MustParseTerm(tt.value))
			got, err := builtinSelect(rego.BuiltinContext{}, ast.MustParseTerm(coll), ast.ArrayTerm(crit))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// As OPA's result is given: JSON, sets as arrays.
			asJSON, err := ast.JSON(got.Value)
			if err != nil {
				t.Fatal(err)
			}
			if ast.Compare(ast.MustInterfaceToValue(asJSON), want) != 0 {
				t.Errorf("%s: selected %v, OPA %v", name, got, want)
			}
		}
	}
}

// TestSelectRewrites pins which loops are handed to internal.assay_select.
func TestSelectRewrites(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // the selection's paths and values, "" for none
	}{
		{"a loop and its test", `
	some f in input.files
	f.mode == "0777"`, `[[["mode"], "eq", "0777"]]`},
		{"tests moved up to it, the constant on either side", `
	some f in input.files
	startswith(f.path, "/a")
	"root" == f.owner
	f.meta.kind == 1`, `[[["owner"], "eq", "root"], [["meta", "kind"], "eq", 1]]`},
		{"comparisons, after a lookup", `
	some f in input.files
	f.owner != "root"
	100 < f.size
	f.mode <= "0700"`, `[[["owner"], "neq", "root"], [["size"], "gt", 100], [["mode"], "lte", "0700"]]`},
		{"the element itself", `
	some c in input.ciphers
	c == "3des-cbc"
	c != "x"`, `[[[], "eq", "3des-cbc"], [[], "neq", "x"]]`},
		{"over input", `
	some v in input
	v.kind == "x"`, `[[["kind"], "eq", "x"]]`},
		{"over a local value", `
	xs := input.files
	some f in xs
	f.mode == "0777"`, `[[["mode"], "eq", "0777"]]`},
		{"in a comprehension", `
	n := count([f | some f in input.files; f.owner != "root"])
	n > 1`, `[[["owner"], "neq", "root"]]`},
		{"an index the author names", `
	some i, f in input.files
	f.mode == "0777"`, ""},
		{"not a comparison", `
	some f in input.files
	startswith(f.mode, "07")`, ""},
		{"not a constant", `
	some f in input.files
	f.mode == input.mode`, ""},
		{"a path through a variable", `
	some f in input.files
	some k
	f[k] == "0777"`, ""},
		{"a test after print", `
	some f in input.files
	print(f)
	f.mode == "0777"`, ""},
		{"over data", `
	some f in data.files
	f.mode == "0777"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "package p\ndeny if {" + tt.body + "\n}\n"
			m, err := ast.ParseModuleWithOpts("p.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			c := newCompiler(sandboxCapabilities()).
				WithStageAfterID(ast.StageCheckDeprecatedBuiltins, bodiesStage())
			c.Compile(map[string]*ast.Module{"p.rego": m})
			if c.Failed() {
				t.Fatal(c.Errors)
			}
			var got []string
			ast.WalkExprs(c.Modules["p.rego"], func(e *ast.Expr) bool {
				if e.IsCall() && e.Operator().Equal(selectRef) {
					got = append(got, e.Operand(1).String())
				}
				return false
			})
			if strings.Join(got, "; ") != tt.want {
				t.Errorf("selections %q, want %q in\n%v", got, tt.want, c.Modules["p.rego"])
			}
		})
	}
}
