// Package schematest validates documents against their kind's schema
// (core/schema) with a real JSON Schema validator, for the collectors'
// tests: what they emit on real fixtures must match what policies are
// type-checked against.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/schema"
)

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// Compile returns the compiled schema of a kind.
func Compile(kind string) (*jsonschema.Schema, error) {
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[kind]; ok {
		return s, nil
	}
	b, ok := schema.JSON(kind)
	if !ok {
		return nil, fmt.Errorf("no schema for document kind %q", kind)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", kind, err)
	}
	c := jsonschema.NewCompiler()
	url := "https://assay.invalid/schemas/" + kind + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", kind, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", kind, err)
	}
	compiled[kind] = s
	return s, nil
}

// Validate checks a document against the schema of its kind, as policies
// see it: after a JSON round trip.
func Validate(d document.Document) error {
	s, err := Compile(d.Kind())
	if err != nil {
		return err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode document: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("decode document: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%s document %s does not match its schema: %w", d.Kind(), d.Path(), err)
	}
	return nil
}

// Check validates every document and fails t for each that does not
// match. It fails t, too, when there is no document: a check of nothing
// cannot fail.
func Check(t testing.TB, docs []document.Document) {
	t.Helper()
	if len(docs) == 0 {
		t.Fatal("no document to validate")
	}
	for _, d := range docs {
		if err := Validate(d); err != nil {
			t.Error(err)
		}
	}
}
