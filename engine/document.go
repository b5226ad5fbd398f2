package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/assay-dev/assay/core/document"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Fields returns the document as Go values: Document, or JSON decoded
// (numbers as json.Number). A document kept as JSON is decoded on each
// call; the result is the caller's.
func (d *Doc) Fields() (document.Document, error) {
	if d.Document != nil || d.JSON == nil {
		return d.Document, nil
	}
	return decodeJSONObject(d.JSON)
}

// value converts the document to a Rego value. The engine calls it when it
// judges the document and keeps the result no longer than that.
func (d *Doc) value() (ast.Value, error) {
	fields, err := d.Fields()
	if err != nil {
		return nil, err
	}
	return ast.InterfaceToValue(map[string]any(fields))
}

// decodeJSONObject decodes the text of one JSON object.
func decodeJSONObject(data []byte) (document.Document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode JSON document: %w", err)
	}
	if m == nil {
		return nil, errors.New("decode JSON document: null, want an object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode JSON document: unexpected data after the object")
	}
	return m, nil
}

// documentPath is the document's "path" field, else Doc.File. v is the
// document's Rego value when it has been converted, which is where the path
// of a document kept as JSON is read from.
func documentPath(d *Doc, v ast.Value) string {
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
