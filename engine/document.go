package engine

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/document"
)

// regoValue converts the document to a Rego value. The engine calls it when it
// judges the document and keeps the result no longer than that. A document
// kept as JSON text, or read again as text, is decoded straight to the Rego
// value (json.go).
func regoValue(d *document.Entry) (ast.Value, error) {
	text, err := d.Text()
	if err != nil {
		return nil, fmt.Errorf("read JSON document: %w", err)
	}
	if text != nil {
		v, err := decodeJSON(text)
		if err != nil {
			return nil, fmt.Errorf("decode JSON document: %w", err)
		}
		if _, ok := v.(ast.Object); !ok {
			return nil, fmt.Errorf("decode JSON document: %s, want an object", ast.ValueName(v))
		}
		return v, nil
	}
	return ast.InterfaceToValue(map[string]any(d.Document))
}

// documentPath is the document's "path" field, else Entry.File. v is the
// document's Rego value when it has been converted, which is where the path
// of a document kept as JSON is read from.
func documentPath(d *document.Entry, v ast.Value) string {
	if d.Document != nil {
		if p := d.Document.Path(); p != "" {
			return p
		}
		return d.File
	}
	if obj, ok := v.(ast.Object); ok {
		if t := obj.Get(ast.InternedTerm(document.FieldPath)); t != nil {
			if p, ok := t.Value.(ast.String); ok && p != "" {
				return string(p)
			}
		}
	}
	return d.File
}
