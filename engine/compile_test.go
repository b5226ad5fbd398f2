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
