package document

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Entry is a document with where it came from: what the collect phase
// hands to the engine, what `assay collect` writes and `assay eval` reads.
type Entry struct {
	// Bundle that collected it; "" for documents read from files (assay eval)
	// that belong to no bundle.
	Bundle string `json:"bundle,omitempty"`
	// CollectorID names the collect block that produced it, "TYPE.NAME"
	// (collect.TYPE.NAME in policies' inputs); "" when unknown.
	CollectorID string `json:"collector,omitempty"`
	// File is the file the document was read from (assay eval on plain
	// JSON/YAML files, conftest-style); findings without a path of their
	// own point at it. "" for collected documents, which carry "path".
	File string `json:"-"`
	// Document is the document as Go values. Either it or JSON is set.
	Document Document `json:"document"`
	// JSON, when Document is nil, is the document as the text of a JSON
	// object (numbers keep their text, as with json.Decoder.UseNumber).
	// The engine decodes it only while it judges the document, so a large
	// input can be held in this compact form: 10,000 documents of 850
	// bytes take 9 MB as text, 63 MB as Go maps and 105 MB as Rego values
	// (docs/engine.md). Fields decodes it for other readers.
	JSON []byte `json:"-"`
	// Reread, when Document and JSON are nil, reads the document's JSON
	// text again from the regular file it was first read and checked
	// from: a run over many files then holds none of their text between
	// reading and judging (100,000 documents of 4 KB are 400 MB of text).
	// It fails if the file no longer holds what was checked.
	Reread func() ([]byte, error) `json:"-"`
}

// Text returns the document's JSON text, when it is kept as text (JSON)
// or is to be read again (Reread); nil when it is held as Go values.
func (e *Entry) Text() ([]byte, error) {
	switch {
	case e.Document != nil:
		return nil, nil
	case e.JSON != nil:
		return e.JSON, nil
	case e.Reread != nil:
		return e.Reread()
	}
	return nil, nil
}

// MarshalJSON writes the entry as `assay collect` does, whichever form
// holds the document.
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry // without this method
	p := plain(e)
	text, err := e.Text()
	if err != nil {
		return nil, err
	}
	if text != nil {
		return json.Marshal(struct {
			Bundle      string          `json:"bundle,omitempty"`
			CollectorID string          `json:"collector,omitempty"`
			Document    json.RawMessage `json:"document"`
		}{p.Bundle, p.CollectorID, text})
	}
	return json.Marshal(p)
}

// Fields returns the document as Go values: Document, or its Text decoded
// (numbers as json.Number). A document kept as text is decoded on each
// call; the result is the caller's.
func (e *Entry) Fields() (Document, error) {
	text, err := e.Text()
	if err != nil || text == nil {
		return e.Document, err
	}
	return DecodeJSONObject(text)
}

// DecodeJSONObject decodes the text of one JSON object, numbers as
// json.Number.
func DecodeJSONObject(data []byte) (Document, error) {
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
