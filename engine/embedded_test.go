package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
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
		})
	}
}
