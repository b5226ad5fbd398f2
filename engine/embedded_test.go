package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
)

// TestEmbeddedSkipsTypeCheck: the type checker is skipped only when every
// bundle is embedded; a bundle from anywhere else, alone or beside embedded
// ones, is checked, and its type error refused.
func TestEmbeddedSkipsTypeCheck(t *testing.T) {
	typeError := pol{id: "bad", rego: `package bad

deny contains msg if {
	msg := concat(",", 1)
}`}
	ok := pol{id: "ok", rego: `package ok

deny contains "x" if input.x == 1`}
	for _, tc := range []struct {
		name     string
		embedded []bool // per bundle: bad, then ok
		refused  bool
	}{
		{"not embedded", []bool{false}, true},
		{"embedded", []bool{true}, false},
		{"embedded beside a bundle from elsewhere", []bool{true, false}, true},
		{"not embedded beside an embedded bundle", []bool{false, true}, true},
		{"both embedded", []bool{true, true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := newBundle(t, "bad", nil, typeError)
			bad.Embedded = tc.embedded[0]
			bundles := []*bundle.Bundle{bad}
			if len(tc.embedded) > 1 {
				other := newBundle(t, "ok", nil, ok)
				other.Embedded = tc.embedded[1]
				bundles = append(bundles, other)
			}
			_, err := New(context.Background(), bundles)
			if refused := err != nil && strings.Contains(err.Error(), "type error"); refused != tc.refused {
				t.Errorf("refused %v (%v), want %v", refused, err, tc.refused)
			}
			// Where the type error is let through, the engine is built:
			// failing for any other reason is no pass.
			if !tc.refused && err != nil {
				t.Errorf("New: %v, want an engine", err)
			}
		})
	}
}

// TestEmbeddedWithMock: evaluation reads the type checker's types where a
// policy replaces a function with "with" (topdown tells a mocked function
// from mocked data by them), so an embedded bundle that does is checked,
// and judged as any other bundle is.
func TestEmbeddedWithMock(t *testing.T) {
	mock := pol{id: "mock", rego: `package mock

f(x) := "real" if x

deny contains msg if {
	msg := f(true) with f as "mocked"
}`}
	for _, embedded := range []bool{false, true} {
		b := newBundle(t, "b", nil, mock)
		b.Embedded = embedded
		res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: []document.Entry{{File: "a.json", Document: document.Document{}}}})
		if len(res.Findings) != 1 || res.Findings[0].Message != "mocked" {
			t.Errorf("embedded %v: findings %+v, want one, mocked", embedded, res.Findings)
		}
	}
}
