package bundle

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestDeepDataAndRego: the other parsers of a bundle bound nesting
// themselves (encoding/json and yaml v3 at 10,000 levels, OPA's parser at
// 100,000 recursion steps): a file nested 60,000 deep is a diagnostic
// naming it, not a crash. If a library dropped its limit, this test
// would die with the stack. (YAML's block style cannot nest 10,000 deep
// within the 16 MiB of a file: each level indents one more space.)
func TestDeepDataAndRego(t *testing.T) {
	// Just beyond each limit: OPA's parser takes 8 steps a parenthesis
	// and 2 an array.
	const n = 60_000
	tests := []struct {
		name, file, src, says string
	}{
		{"json", "deep.json", strings.Repeat("[", n) + strings.Repeat("]", n), "exceeded max depth"},
		{"yaml flow", "deep.yaml", strings.Repeat("[", n) + strings.Repeat("]", n), "exceeded max depth"},
		{"rego parentheses", "deep.rego", "package deep\n\nx := " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n", "max parsing recursion depth exceeded"},
		{"rego arrays", "deep.rego", "package deep\n\nx := " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "\n", "max parsing recursion depth exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A bundle with HCL: a conftest-style directory reads no data files.
			_, diags := testLoadFS(fstest.MapFS{tt.file: {Data: []byte(tt.src)}, "ok.rego": {Data: []byte("package ok\n")},
				"bundle.hcl": {Data: []byte("bundle \"b\" {}\n")}}, "b")
			msg := strings.ToLower(diags.Error())
			if !diags.HasErrors() || !strings.Contains(msg, tt.says) || !strings.Contains(msg, tt.file) {
				t.Fatalf("got %.500s", diags.Error())
			}
		})
	}
}
