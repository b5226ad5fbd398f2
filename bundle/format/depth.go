package format

import (
	"bytes"

	"github.com/open-policy-agent/opa/v1/ast"
)

// maxRegoDepth bounds how deep the brackets of a Rego module may nest for
// the formatter. OPA's parser stops at 100,000 recursion steps, but its
// formatter takes time that grows faster than the square of the depth:
// 2 s for arrays 2,000 deep, a minute for 8,000, minutes beyond. No
// policy nests 256 deep.
const maxRegoDepth = 256

// checkRegoDepth refuses a module whose (, [ or { nest deeper than
// maxRegoDepth, outside strings, raw strings and comments, with an error
// at the bracket beyond.
func checkRegoDepth(name string, src []byte) error {
	depth := 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case '"':
			for i++; i < len(src) && src[i] != '"' && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '`':
			for i++; i < len(src) && src[i] != '`'; i++ {
			}
		case '(', '[', '{':
			depth++
			if depth > maxRegoDepth {
				row := 1 + bytes.Count(src[:i], []byte("\n"))
				col := i - bytes.LastIndexByte(src[:i], '\n')
				return ast.Errors{ast.NewError(ast.ParseErr, &ast.Location{File: name, Row: row, Col: col},
					"brackets nested more than %d levels deep: assay fmt formats Rego at most %d deep (OPA's formatter slows down past it). Write the value flatter", maxRegoDepth, maxRegoDepth)}
			}
		case ')', ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return nil
}
