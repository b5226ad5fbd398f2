package engine

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
)

func TestNewDataErrors(t *testing.T) {
	p := pol{id: "p", rego: "package p\ndeny contains 1 if false"}
	tests := []struct {
		name    string
		data    [2]map[string]any
		wantErr string
	}{
		{"clash between bundles", [2]map[string]any{{"x": 1}, {"x": 2}}, `bundle "b2": data: data.x is defined by two bundles`},
		{"nested clash", [2]map[string]any{{"x": map[string]any{"y": 1}}, {"x": map[string]any{"y": "z"}}}, "data.x.y is defined by two bundles"},
		{"host is reserved", [2]map[string]any{{"assay": map[string]any{"host": 1}}, nil}, "data.assay.host is reserved"},
		{"params are reserved", [2]map[string]any{{"assay": map[string]any{"params": map[string]any{}}}, nil}, "data.assay.params is reserved"},
		{"assay must be an object", [2]map[string]any{{"assay": 1}, nil}, "data.assay must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b1 := newBundle(t, "b1", tt.data[0], p)
			b2 := newBundle(t, "b2", tt.data[1], pol{id: "q", rego: "package q\ndeny contains 1 if false"})
			_, err := New(context.Background(), []*bundle.Bundle{b1, b2})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		rego string
		want []string
	}{
		{
			name: "http.send refused",
			rego: "package p\ndeny contains r.body if { r := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1\"}) }",
			want: []string{"b/p.rego:2:32: http.send is not allowed in assay policies"},
		},
		{
			name: "net.lookup_ip_addr refused",
			rego: "package p\ndeny contains \"x\" if {\n\tnet.lookup_ip_addr(\"localhost\")\n}",
			want: []string{"b/p.rego:3:2: net.lookup_ip_addr is not allowed in assay policies"},
		},
		{
			name: "json.match_schema refused",
			rego: "package p\ndeny contains \"x\" if {\n\t[ok, _] := json.match_schema(input, {\"$ref\": \"file:///etc/passwd\"})\n\tnot ok\n}",
			want: []string{"b/p.rego:3:13: json.match_schema is not allowed in assay policies"},
		},
		{
			name: "type error",
			rego: "package p\ndeny contains msg if { msg := 1 + \"a\" }",
			want: []string{"b/p.rego:2:31: Rego type error: Plus: invalid argument(s)"},
		},
		{
			name: "unsafe vars, sorted by position",
			rego: "package p\ndeny contains m if { m := y }\nwarn contains m if { m := z }",
			want: []string{
				"b/p.rego:2:22: Rego unsafe var error: Var y is unsafe",
				"b/p.rego:3:22: Rego unsafe var error: Var z is unsafe",
			},
		},
		{
			name: "undefined function",
			rego: "package p\ndeny contains x if { x := nosuch.fn(1) }",
			want: []string{"b/p.rego:2:27: Rego type error: Undefined function nosuch.fn"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, "b", nil, pol{id: "p", rego: tt.rego})
			_, err := New(context.Background(), []*bundle.Bundle{b})
			got := diagLines(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("diagnostics:\n got %q\nwant %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("diagnostic %d:\n got %q\nwant prefix %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestNewPolicyErrors(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "norules", rego: "package lib\nhelper := 1"})
	_, err := New(context.Background(), []*bundle.Bundle{b})
	got := diagLines(t, err)
	want := []string{`b/bundle.hcl:10:1: Policy has no finding rules: Package data.lib of policy "norules" defines no deny, violation or warn rule, so it can never report anything.`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diagnostics %q, want %q", got, want)
	}
}

// TestCompileHints: an undefined function or an unsafe var says which name
// was probably meant, and an unsafe var says what it means in plain words.
func TestCompileHints(t *testing.T) {
	lib := pol{id: "lib", rego: "package lib\n\nsetting(k) := input.settings[k]\n\nenabled := true\n\ndeny contains \"never\" if false"}
	unsafe := func(name string) string {
		return name + " is used but never given a value: assign it first (" + name + " := …), take it from a collection (some " + name + " in …), or check its spelling."
	}
	tests := []struct {
		name string
		rego string
		want string
	}{
		{"builtin", "package p\n\ndeny contains x if {\n\tx := splitt(input.a, \",\")\n}",
			"b/p.rego:4:7: Rego type error: Undefined function splitt. Did you mean split?"},
		{"builtin, letters swapped", "package p\n\ndeny contains \"x\" if cuont(input.a) > 1",
			"Undefined function cuont. Did you mean count?"},
		{"builtin with a dot", "package p\n\ndeny contains \"x\" if strings.replace_nn(input.a, \"b\", \"c\")",
			"Undefined function strings.replace_nn. Did you mean strings.replace_n?"},
		{"function of an imported package", "package p\n\nimport data.lib\n\ndeny contains x if x := lib.settng(\"a\")",
			"Undefined function data.lib.settng. Did you mean data.lib.setting?"},
		{"function of the same package", "package p\n\nnormalize(s) := lower(s)\n\ndeny contains x if x := normalise(input.a)",
			"Undefined function normalise. Did you mean normalize?"},
		{"nothing near", "package p\n\ndeny contains x if x := frobnicate(1)",
			"Undefined function frobnicate."},
		{"var of the rule", "package p\n\ndeny contains msgg if {\n\tinput.a\n\tmsg := \"x\"\n}",
			"b/p.rego:3:15: Rego unsafe var error: Var msgg is unsafe. " + unsafe("msgg") + " Did you mean msg?"},
		{"rule of the package", "package p\n\nallowed if input.a\n\ndeny contains \"x\" if not allowd",
			"Var allowd is unsafe. " + unsafe("allowd") + " Did you mean allowed?"},
		{"import", "package p\n\nimport data.lib\n\ndeny contains \"x\" if libb.enabled",
			"Var libb is unsafe. " + unsafe("libb") + " Did you mean lib?"},
		{"no name near", "package p\n\ndeny contains \"x\" if y == 1",
			"Var y is unsafe. " + unsafe("y")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBundle(t, "b", nil, pol{id: "p", rego: tt.rego}, lib)
			_, err := New(context.Background(), []*bundle.Bundle{b})
			got := diagLines(t, err)
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("diagnostics:\n got %q\nwant one containing %q", got, tt.want)
			}
			if strings.HasSuffix(tt.want, ".") && strings.Contains(got[0], "Did you mean") {
				t.Errorf("suggests a name nothing is near: %q", got[0])
			}
		})
	}
}
