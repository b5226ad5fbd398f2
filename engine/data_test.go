package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/open-policy-agent/opa/v1/ast"
)

// TestSetData replaces live data between evaluations without recompiling,
// and refuses the names the engine owns.
func TestSetData(t *testing.T) {
	ctx := context.Background()
	b := newBundle(t, "live", map[string]any{"limits": map[string]any{"max": json.Number("1")}}, pol{
		id: "users", rego: `package live.users
deny contains sprintf("%s is not in the directory", [input.user]) if not input.user in {e.uid | some e in data.people}
`,
	})
	e, err := New(ctx, []*bundle.Bundle{b})
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Documents: []document.Entry{{Document: document.Document{"kind": "x", "user": "alice"}}}}
	findings := func() int {
		t.Helper()
		r, err := e.Eval(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return len(r.Findings)
	}
	steps := []struct {
		name string
		data map[string]any
		err  string
		want int
	}{
		{"before any data", nil, "", 1},
		{"alice listed", map[string]any{"people": []any{map[string]any{"uid": "alice"}}}, "", 0},
		{"alice gone", map[string]any{"people": []any{map[string]any{"uid": "bob"}}}, "", 1},
		{"alice back", map[string]any{"people": []any{map[string]any{"uid": "alice"}}, "other": json.Number("3")}, "", 0},
		{"reserved", map[string]any{"assay": map[string]any{}}, "reserved", 0},
		{"static data", map[string]any{"limits": map[string]any{}}, "bundles' own data", 0},
		{"not a value", map[string]any{"people": make(chan int)}, "data.people", 0},
	}
	for _, s := range steps {
		if s.data != nil {
			err := e.SetData(ctx, s.data)
			if (err == nil) != (s.err == "") || (err != nil && !strings.Contains(err.Error(), s.err)) {
				t.Fatalf("%s: SetData = %v, want %q", s.name, err, s.err)
			}
		}
		// A refused SetData changes nothing: alice is still listed.
		if got := findings(); got != s.want {
			t.Errorf("%s: %d findings, want %d", s.name, got, s.want)
		}
	}
}

// TestExtraDataRefusals: data given beside the bundles' (WithData for
// evaluation, TestOptions.Data for assay test) may not take data.assay nor
// clash with a bundle's data, and is refused the same way by both.
func TestExtraDataRefusals(t *testing.T) {
	ctx := context.Background()
	b := testBundleWithTests(t) // data.limits.max
	cases := []struct {
		name string
		data map[string]any
		want string
	}{
		{"reserved", map[string]any{"assay": map[string]any{}}, "data: data.assay is reserved for assay's own facts"},
		{"clash", map[string]any{"limits": "x"}, "data.limits is defined by a bundle and by --data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(ctx, []*bundle.Bundle{b}, WithData(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: err %v, want %q", err, c.want)
			}
			if _, err := RunTests(ctx, []*bundle.Bundle{b}, TestOptions{Data: c.data}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("RunTests: err %v, want %q", err, c.want)
			}
		})
	}
	// Data that merges is accepted by both.
	extra := map[string]any{"limits": map[string]any{"min": 1}, "other": true}
	if _, err := New(ctx, []*bundle.Bundle{b}, WithData(extra)); err != nil {
		t.Errorf("New: %v", err)
	}
	if _, err := RunTests(ctx, []*bundle.Bundle{b}, TestOptions{Data: extra}); err != nil {
		t.Errorf("RunTests: %v", err)
	}
}

// TestSharedStrings: the store's values are those ast.InterfaceToValue
// makes, with one term per distinct string shared by every place that
// holds it, names and values alike.
func TestSharedStrings(t *testing.T) {
	user := func(name string) map[string]any {
		return map[string]any{"label": name, "maxdepth": json.Number("1"), "mismatch": true, "none": nil,
			"contents": []any{map[string]any{"prefixes": []any{"#", "ssh-ed25519 AAAA"}, "exact": []any{}, "ratio": 0.5}},
			"tags":     []string{"a", "b"}}
	}
	data := map[string]any{"searches": map[string]any{"u1": user("u1"), "u2": user("u2")}}
	conv := sharedStrings{}
	got, err := conv.term(data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ast.InterfaceToValue(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Value.Compare(want) != 0 {
		t.Fatalf("converted\n%v\nwant\n%v", got, want)
	}
	// The same name in two objects, and the same value in two arrays, are
	// one term.
	searches := got.Value.(ast.Object).Get(ast.StringTerm("searches"))
	u1, u2 := searches.Get(ast.StringTerm("u1")), searches.Get(ast.StringTerm("u2"))
	if keyTerm(t, u1, "label") != keyTerm(t, u2, "label") {
		t.Error("the name label is made twice")
	}
	first := func(u *ast.Term) *ast.Term {
		return u.Get(ast.StringTerm("contents")).Get(ast.IntNumberTerm(0)).Get(ast.StringTerm("prefixes")).Get(ast.IntNumberTerm(0))
	}
	if first(u1) != first(u2) {
		t.Error("the value \"#\" is made twice")
	}
}

// keyTerm returns the term of an object's key.
func keyTerm(t *testing.T, obj *ast.Term, name string) *ast.Term {
	t.Helper()
	var found *ast.Term
	obj.Value.(ast.Object).Foreach(func(k, _ *ast.Term) {
		if k.Value.Compare(ast.String(name)) == 0 {
			found = k
		}
	})
	if found == nil {
		t.Fatalf("no key %s", name)
	}
	return found
}
