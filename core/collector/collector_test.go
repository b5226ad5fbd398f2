package collector_test

import (
	"context"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/assay-dev/assay/core/collector"
)

type nop struct{}

func (nop) Collect(context.Context, collector.Env, collector.Emitter) error { return nil }

// TestNoConfig: an empty block gives the collector; an attribute or a
// block written by mistake is an error at its line.
func TestNoConfig(t *testing.T) {
	for _, tc := range []struct {
		src  string
		line int // of the error; 0 for none
	}{
		{"", 0},
		{"\nuser = \"root\"\n", 2},
		{"\n\ncapture {}\n", 3},
	} {
		f, diags := hclsyntax.ParseConfig([]byte(tc.src), "bundle.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		c, diags := collector.NoConfig(nop{})(f.Body, nil)
		switch {
		case tc.line == 0 && (diags.HasErrors() || c != (nop{})):
			t.Errorf("%q: %v, %v; want the collector", tc.src, c, diags)
		case tc.line != 0 && (!diags.HasErrors() || c != nil):
			t.Errorf("%q: %v, %v; want an error", tc.src, c, diags)
		case tc.line != 0 && diags[0].Subject.Start.Line != tc.line:
			t.Errorf("%q: error at %v, want line %d", tc.src, diags[0].Subject, tc.line)
		}
	}
}
