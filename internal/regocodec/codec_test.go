package regocodec

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// corpus holds a module of every construct the codec keeps: imports,
// every kind of term and expression, else chains, defaults, functions,
// with, comprehensions, template strings, tabs and inline (no-text)
// locations.
var corpus = map[string]string{
	"a.rego": `package corpus.a

import data.corpus.b
import input.doc as d

default allow := false

allow if {
	input.user == "admin"
	not input.blocked
	count(input.groups) > 1.5
}

deny contains msg if {
	some f in input.files
	f.mode == "0777"
	msg := sprintf("%s is world-writable", [f.path])
}

deny contains msg if {
	some i, x in input.list
	every y in x.items { y > i }
	msg := $"item {i} of {count(x.items)}"
}

ids := {x.id | some x in input.items}
names := [n | some n in input.names; n != null]
by_id := {x.id: x | some x in input.items}
obj := {"a": [1, 2, {"b": true}], "c": {3, 4}, "n": null}

f(x) := y if {
	y := x * 2
} else := 0 if {
	x < 0
} else := -1

g(x, y) := x + y

tabbed if {
	x := b.value with input as {"v": 1}
	x == 1
}

p.q.r[k] := v if {
	some k, v in input.map
}
`,
	"b.rego": "package corpus.b\n\n# a comment\nvalue := 1\n",
}

func parse(t testing.TB) (map[string]*ast.Module, map[string][]byte) {
	t.Helper()
	modules := map[string]*ast.Module{}
	sources := map[string][]byte{}
	for name, src := range corpus {
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{ProcessAnnotation: true})
		if err != nil {
			t.Fatal(err)
		}
		modules[name] = m
		sources[name] = []byte(src)
	}
	return modules, sources
}

func TestRoundTrip(t *testing.T) {
	parsed, sources := parse(t)
	c := ast.NewCompiler().WithEnablePrintStatements(true)
	c.Compile(parsed)
	if c.Failed() {
		t.Fatal(c.Errors)
	}
	for _, tc := range []struct {
		name string
		set  Set
	}{
		{"parsed", Set{Modules: parsed, Sources: sources, RewrittenVars: map[ast.Var]ast.Var{}}},
		{"compiled", Set{Modules: c.Modules, Sources: sources, RewrittenVars: c.RewrittenVars}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Encode(tc.set)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(string(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Modules) != len(tc.set.Modules) {
				t.Fatalf("got %d modules, want %d", len(got.Modules), len(tc.set.Modules))
			}
			for k, want := range tc.set.Modules {
				m := got.Modules[k]
				if !m.Equal(want) || m.String() != want.String() {
					t.Errorf("%s: decoded\n%s\nwant\n%s", k, m, want)
				}
				if m.RegoVersionSpan() != want.RegoVersionSpan() {
					t.Errorf("%s: rego version %v, want %v", k, m.RegoVersionSpan(), want.RegoVersionSpan())
				}
				compareLocations(t, k, want, m)
				for _, r := range m.Rules {
					for ; r != nil; r = r.Else {
						if r.Module != m {
							t.Errorf("%s: rule %v does not point at its module", k, r.Head.Name)
						}
					}
				}
			}
			if !maps.EqualFunc(got.Sources, tc.set.Sources, bytes.Equal) {
				t.Errorf("sources differ")
			}
			if !maps.Equal(got.RewrittenVars, tc.set.RewrittenVars) {
				t.Errorf("rewritten vars %v, want %v", got.RewrittenVars, tc.set.RewrittenVars)
			}
			if tc.name == "compiled" && len(got.RewrittenVars) == 0 {
				t.Error("the compiled corpus rewrote no variable: the test checks nothing")
			}
		})
	}
}

// compareLocations walks both modules in step and compares every node's
// location, text included.
func compareLocations(t *testing.T, key string, want, got *ast.Module) {
	t.Helper()
	var a, b []string
	collect := func(out *[]string) func(x any) bool {
		return func(x any) bool {
			switch x.(type) {
			case *ast.Comment, *ast.Annotations, []*ast.Comment, []*ast.Annotations:
				return true // not kept: compiled modules need neither
			}
			if n, ok := x.(ast.Node); ok {
				if l := n.Loc(); l != nil {
					*out = append(*out, fmt.Sprintf("%T %s:%d:%d@%d %q %v", x, l.File, l.Row, l.Col, l.Offset, l.Text, l.Tabs))
				} else {
					*out = append(*out, fmt.Sprintf("%T nil", x))
				}
			}
			return false
		}
	}
	ast.NewGenericVisitor(collect(&a)).Walk(want)
	ast.NewGenericVisitor(collect(&b)).Walk(got)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("%s: node %d: location %s, want %s", key, i, b[i], a[i])
				return
			}
		}
		t.Errorf("%s: %d located nodes, want %d", key, len(b), len(a))
	}
	if len(a) < 50 && key == "a.rego" {
		t.Errorf("%s: only %d nodes walked", key, len(a))
	}
}

// TestTextOutsideSource: a location whose text is not its module's
// source at its offset (the compiler makes some) keeps its own text.
func TestTextOutsideSource(t *testing.T) {
	parsed, sources := parse(t)
	m := parsed["b.rego"]
	m.Rules[0].Location = &ast.Location{File: "b.rego", Row: 4, Col: 1, Offset: 2, Text: []byte("elsewhere")}
	data, err := Encode(Set{Modules: map[string]*ast.Module{"b.rego": m}, Sources: sources})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if l := got.Modules["b.rego"].Rules[0].Location; string(l.Text) != "elsewhere" || l.Offset != 2 {
		t.Errorf("location %+v", l)
	}
}

// TestDecodeRefusesDamage: every truncation, and a foreign version, is an
// ErrFormat, never a panic or a huge allocation.
func TestDecodeRefusesDamage(t *testing.T) {
	parsed, sources := parse(t)
	data, err := Encode(Set{Modules: parsed, Sources: sources})
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(data) {
		if _, err := Decode(string(data[:n])); !errors.Is(err, ErrFormat) {
			t.Fatalf("decoding %d of %d bytes: %v, want ErrFormat", n, len(data), err)
		}
	}
	if _, err := Decode(string(append(bytes.Clone(data), 0))); !errors.Is(err, ErrFormat) {
		t.Errorf("a trailing byte: %v, want ErrFormat", err)
	}
	other := bytes.Clone(data)
	other[0] = version + 1
	if _, err := Decode(string(other)); !errors.Is(err, ErrFormat) {
		t.Errorf("another version: %v, want ErrFormat", err)
	}
	huge := []byte{version, 0xff, 0xff, 0xff, 0xff, 0x0f}
	if _, err := Decode(string(huge)); !errors.Is(err, ErrFormat) {
		t.Errorf("a huge count: %v, want ErrFormat", err)
	}
}

// TestEncodeRefusesUnknownNodes: a node the codec does not know is an
// error, not a silent loss.
func TestEncodeRefusesUnknownNodes(t *testing.T) {
	parsed, sources := parse(t)
	m := parsed["b.rego"]
	m.Rules[0].Head.Value = &ast.Term{Value: &ast.Not{Body: ast.MustParseBody("true")}}
	if _, err := Encode(Set{Modules: map[string]*ast.Module{"b.rego": m}, Sources: sources}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("encoding a Not value: %v, want not supported", err)
	}
}
