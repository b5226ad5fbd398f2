package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

// DocumentsSchema identifies the JSON written by `assay collect` and read by
// `assay eval` (docs/documents.md).
const DocumentsSchema = "assay.documents/v1"

// DocumentsFile is the output of `assay collect`: every document with the
// bundle and collector that produced it, the host facts and how each
// collector fared.
type DocumentsFile struct {
	Schema     string                   `json:"schema"`
	Tool       report.Tool              `json:"tool"`
	Target     target.Info              `json:"target"`
	Host       document.Document        `json:"host"`
	Collectors []report.CollectorResult `json:"collectors"`
	Documents  []document.Entry         `json:"documents"`
}

// NewDocumentsFile packages collected documents for `assay collect`.
func NewDocumentsFile(tool report.Tool, c *Collected) *DocumentsFile {
	info := c.Target
	f := &DocumentsFile{Schema: DocumentsSchema, Tool: tool, Target: info, Host: c.Host, Collectors: c.Collectors, Documents: []document.Entry{}}
	for _, d := range c.Documents {
		f.Documents = append(f.Documents, document.Entry{Bundle: d.Bundle, CollectorID: d.CollectorID, Document: d.Document})
	}
	return f
}

// InputError is a document file that cannot be read; it names the file and,
// for syntax errors, the line and column.
type InputError struct {
	File      string
	Line, Col int
	Err       error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// ReadDocuments reads one file for `assay eval`: either the output of
// `assay collect`, or any JSON or YAML file, which becomes one document per
// object (a multi-document YAML file gives several), as conftest reads its
// inputs. host is the collect file's host facts, or nil. types are the
// collector types, whose NetFacts hooks read some documents as Go values.
func ReadDocuments(path string, types *collector.Registry) (docs []document.Entry, host document.Document, err error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, nil, &InputError{File: path, Err: errors.New("a directory: want a JSON or YAML file (the output of 'assay collect', or documents)")}
	}
	// A pipe is fine (assay eval --documents <(assay collect …)); the path
	// is already in the message, so only the cause is kept.
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, &InputError{File: path, Err: err}
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".yaml" || ext == ".yml" {
		return readYAML(path, data)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil, &InputError{File: path, Err: errors.New("empty file: want a JSON or YAML document")}
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		// Not JSON: let YAML try, which also covers JSON-compatible YAML.
		return readYAML(path, data)
	}
	if d, ok := compactDocument(path, trimmed, types); ok {
		return []document.Entry{d}, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, jsonError(path, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		end := int64(len(bytes.TrimRight(data, " \t\r\n")))
		off := dec.InputOffset()
		// Point at the first byte of what follows the document.
		for off > 0 && off <= end && !isSpace(data[off-1]) {
			off--
		}
		line, col := lineCol(data, off)
		return nil, nil, &InputError{File: path, Line: line, Col: col, Err: errors.New("unexpected data after the JSON document")}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil, &InputError{File: path, Line: 1, Col: 1, Err: fmt.Errorf("the top level is a %s: assay documents are JSON objects", jsonType(v))}
	}
	if obj["schema"] == DocumentsSchema {
		return fromCollectFile(path, data, types)
	}
	return []document.Entry{{File: path, Document: obj}}, nil, nil
}

// compactDocument keeps a plain JSON object file as its text, which the
// engine decodes only while it judges it: held as Go maps, 10,000 such
// documents took most of the memory of `assay eval` (docs/engine.md). It
// reports false for anything else — invalid JSON, a collect file, a
// document netFacts reads — which the full decoder then handles and, for
// errors, locates.
func compactDocument(path string, data []byte, types *collector.Registry) (document.Entry, bool) {
	schema, kind, ok := topFields(data)
	if !ok || schema == DocumentsSchema || netFactsHook(types, kind) != nil {
		return document.Entry{}, false
	}
	return document.Entry{File: path, JSON: data}, true
}

// topFields decodes only the top level of a JSON object, which also
// validates all of it, and returns its "schema" and "kind" as the full
// decoder reads them: a key's last value wins, and a value that is not a
// string is none. ok is false when data is not a valid JSON object.
func topFields(data []byte) (schema, kind string, ok bool) {
	if len(data) == 0 || data[0] != '{' {
		return "", "", false
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return "", "", false
	}
	_ = json.Unmarshal(top["schema"], &schema)
	_ = json.Unmarshal(top[document.FieldKind], &kind)
	return schema, kind, true
}

// fromCollectFile reads the output of `assay collect`. Each document is
// kept as its JSON text, as compactDocument keeps plain files.
func fromCollectFile(path string, data []byte, types *collector.Registry) ([]document.Entry, document.Document, error) {
	var f struct {
		Host      document.Document `json:"host"`
		Documents []struct {
			Bundle    string          `json:"bundle"`
			Collector string          `json:"collector"`
			Document  json.RawMessage `json:"document"`
		} `json:"documents"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, jsonError(path, data, err)
	}
	docs := make([]document.Entry, 0, len(f.Documents))
	for i, e := range f.Documents {
		if e.Document == nil || string(e.Document) == "null" {
			return nil, nil, &InputError{File: path, Err: fmt.Errorf("documents[%d] has no \"document\"", i)}
		}
		d := document.Entry{Bundle: e.Bundle, CollectorID: e.Collector, JSON: e.Document}
		_, kind, ok := topFields(e.Document)
		if !ok {
			return nil, nil, collectEntryError(path, data, i)
		}
		if netFactsHook(types, kind) != nil {
			// netFacts reads these as Go values.
			fields, err := d.Fields()
			if err != nil {
				return nil, nil, &InputError{File: path, Err: fmt.Errorf("documents[%d]: %w", i, err)}
			}
			d.JSON, d.Document = nil, fields
		}
		docs = append(docs, d)
	}
	return docs, f.Host, nil
}

// collectEntryError locates what is wrong with the collect file's document
// i, which is not a JSON object: decoding the file as Go values names the
// line and column.
func collectEntryError(path string, data []byte, i int) error {
	var full DocumentsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&full); err != nil {
		return jsonError(path, data, err)
	}
	return &InputError{File: path, Err: fmt.Errorf("documents[%d]: \"document\" is not a JSON object", i)}
}

func readYAML(path string, data []byte) ([]document.Entry, document.Document, error) {
	var docs []document.Entry
	for i, part := range splitYAML(data) {
		if len(bytes.TrimSpace(part.text)) == 0 {
			continue
		}
		var v any
		if err := yaml.Unmarshal(part.text, &v); err != nil {
			return nil, nil, yamlError(path, part.line, i+1, err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			if v == nil {
				continue
			}
			return nil, nil, &InputError{File: path, Line: part.line, Col: 1, Err: fmt.Errorf("YAML document %d is a %s: assay documents are objects", i+1, jsonType(v))}
		}
		docs = append(docs, document.Entry{File: path, Document: obj})
	}
	if len(docs) == 0 {
		return nil, nil, &InputError{File: path, Err: errors.New("no document in the file")}
	}
	return docs, nil, nil
}

// yamlLine finds the line a YAML parser names ("yaml: line 3: …"), counted
// from the start of the document it was given.
var yamlLine = regexp.MustCompile(`\bline (\d+): `)

// yamlError locates a YAML error in the file: the parser counts lines from
// the start of the document (after its "---"), and names no column, so the
// error points at the line's first column.
func yamlError(path string, partLine, n int, err error) error {
	line, msg := partLine, err.Error()
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		if rel, convErr := strconv.Atoi(msg[m[2]:m[3]]); convErr == nil && rel > 0 {
			// The relative line number would contradict the located one.
			line, msg = partLine+rel-1, msg[:m[0]]+msg[m[1]:]
		}
	}
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	return &InputError{File: path, Line: line, Col: 1, Err: fmt.Errorf("YAML document %d: %s", n, msg)}
}

type yamlPart struct {
	text []byte
	line int
}

// splitYAML splits a multi-document YAML stream at "---" lines, keeping each
// part's first line number for error messages.
func splitYAML(data []byte) []yamlPart {
	var parts []yamlPart
	start, startLine, line := 0, 1, 1
	for i := 0; i <= len(data); i++ {
		if i == len(data) || data[i] == '\n' {
			lineStart := bytes.LastIndexByte(data[:i], '\n') + 1
			if strings.TrimRight(string(data[lineStart:i]), " \r\t") == "---" {
				parts = append(parts, yamlPart{text: data[start:lineStart], line: startLine})
				start, startLine = min(i+1, len(data)), line+1
			}
			line++
		}
	}
	return append(parts, yamlPart{text: data[start:], line: startLine})
}

func jsonError(path string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read, the offending one included.
		line, col := lineCol(data, se.Offset-1)
		return &InputError{File: path, Line: line, Col: col, Err: err}
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		return &InputError{File: path, Line: line, Col: col, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		line, col := lineCol(data, int64(len(data)))
		return &InputError{File: path, Line: line, Col: col, Err: errors.New("unexpected end of file: the JSON is truncated")}
	}
	return &InputError{File: path, Err: err}
}

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func jsonType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// ReadDocumentFiles reads the files `assay eval` judges into one
// collection: every document, and the host facts of the first collect
// file that has them. A file that cannot be read is exit code 2, naming
// the file (and line and column for a syntax error).
func (e *Env) ReadDocumentFiles(files []string) (*Collected, error) {
	start := time.Now()
	name := "documents"
	if len(files) == 1 {
		name = files[0]
	}
	col := &Collected{Target: target.Info{Kind: target.KindDocuments, Name: name}}
	for _, f := range files {
		docs, host, err := ReadDocuments(f, e.Collectors)
		if err != nil {
			return nil, exitcode.UsageError(err)
		}
		col.Documents = append(col.Documents, docs...)
		if col.Host == nil && host != nil {
			col.Host = host
		}
	}
	col.Duration = time.Since(start)
	return col, nil
}
