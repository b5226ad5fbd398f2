package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
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
