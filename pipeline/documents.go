package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"

	"github.com/hashicorp/hcl/v2"
	"sigs.k8s.io/yaml"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
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

// TargetsDocumentsSchema identifies the JSON `assay collect` writes for
// several SSH targets into one file: a section per target.
const TargetsDocumentsSchema = "assay.documents.targets/v1"

// TargetsDocumentsFile is `assay collect` over several targets into one
// file: each section is the documents file of that target (absent for a
// target never reached), with its status.
type TargetsDocumentsFile struct {
	Schema  string                 `json:"schema"`
	Tool    report.Tool            `json:"tool"`
	Targets []TargetDocumentsEntry `json:"targets"`
}

// TargetDocumentsEntry is one target of a TargetsDocumentsFile.
type TargetDocumentsEntry struct {
	Target    target.Info         `json:"target"`
	Status    report.TargetStatus `json:"status"`
	Error     string              `json:"error,omitempty"`
	Labels    map[string]string   `json:"labels,omitempty"`
	Documents *DocumentsFile      `json:"documents,omitempty"`
}

// NewTargetsDocumentsFile packages the sections of a multi-target collect.
func NewTargetsDocumentsFile(tool report.Tool, sections []TargetDocuments) *TargetsDocumentsFile {
	f := &TargetsDocumentsFile{Schema: TargetsDocumentsSchema, Tool: tool, Targets: []TargetDocumentsEntry{}}
	for _, s := range sections {
		f.Targets = append(f.Targets, TargetDocumentsEntry{Target: s.Info, Status: s.Status, Error: s.Error, Labels: s.Target.Labels, Documents: s.File})
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

// DefaultMaxDocumentSize bounds one file of documents unless
// DocumentOptions.MaxSize says otherwise.
const DefaultMaxDocumentSize = 64 << 20

// DocumentOptions say how document files are read.
type DocumentOptions struct {
	// MaxSize bounds one file, in bytes (0: DefaultMaxDocumentSize). A
	// larger file is refused without reading more than MaxSize+1 bytes of
	// it, pipes included.
	MaxSize int64
	// Strict refuses a JSON object or YAML mapping that gives a name
	// twice; otherwise the later value wins and Warn is told.
	Strict bool
	// Warn receives warnings about a file (names given twice), with the
	// file's text for the snippets; nil drops them.
	Warn func(diags hcl.Diagnostics, files map[string]*hcl.File)

	// keptText, when set, is made true by readDocuments when the file
	// gave one document kept as its JSON text, which ReadDocumentFiles
	// may then read again instead of holding (heldTextBudget).
	keptText *bool
}

// heldTextBudget bounds the JSON text that `assay eval` keeps between
// reading its files and judging them. Below it the text stays in memory:
// reading a file twice costs more than holding it, and a smaller heap
// makes the collector run more often. Past it each regular file is read
// again when judged, so that a run over 100,000 files of 4 KB does not
// hold 400 MB of their text.
var heldTextBudget int64 = 32 << 20

// heldTextShare: when the regular files' text is more than this many
// times heldTextBudget, none of it is held. The budget would then spare
// the reading again of under a quarter of the files (100,000 files of
// 4.5 KB: 7%, 0.15 s of 30 s of CPU), while the text it holds stays live
// to the end of the run, and the collector lets the heap grow to twice
// what is live: 32 MiB held was 60 MB of peak RSS.
const heldTextShare = 4

func (o DocumentOptions) maxSize() int64 {
	if o.MaxSize <= 0 {
		return DefaultMaxDocumentSize
	}
	return o.MaxSize
}

// ReadDocuments reads one file for `assay eval`: either the output of
// `assay collect`, or any JSON or YAML file, which becomes one document per
// object (a multi-document YAML file gives several), as conftest reads its
// inputs. host is the collect file's host facts, or nil. types are the
// collector types, whose NetFacts hooks read some documents as Go values.
//
// JSON is checked as the engine will decode it (engine.CheckJSON): a number
// out of range or nesting too deep is an InputError at its line and column
// here, not a policy error later.
func ReadDocuments(path string, types *collector.Registry, opts DocumentOptions) (docs []document.Entry, host document.Document, err error) {
	docs, host, _, err = readDocuments(path, types, opts)
	return docs, host, err
}

// readDocuments is ReadDocuments, and the target a collect file names
// (nil for other files).
func readDocuments(path string, types *collector.Registry, opts DocumentOptions) ([]document.Entry, document.Document, *target.Info, error) {
	data, err := readLimited(path, opts.maxSize())
	if err != nil {
		return nil, nil, nil, err
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".yaml" || ext == ".yml" {
		return noInfo(readYAML(path, data, opts))
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil, nil, &InputError{File: path, Err: errors.New("empty file: want a JSON or YAML document")}
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		// Not JSON: let YAML try, which also covers JSON-compatible YAML.
		return noInfo(readYAML(path, data, opts))
	}
	info, err := engine.CheckJSON(data)
	if err != nil {
		return nil, nil, nil, checkError(path, data, err)
	}
	if err := duplicates(path, data, info, opts); err != nil {
		return nil, nil, nil, err
	}
	if info.Top != '{' {
		return nil, nil, nil, &InputError{File: path, Line: 1, Col: 1, Err: fmt.Errorf("the top level is a %s: assay documents are JSON objects", kindName(info.Top))}
	}
	if info.Schema == DocumentsSchema {
		return fromCollectFile(path, data, types)
	}
	if info.Schema == TargetsDocumentsSchema {
		return nil, nil, nil, &targetsFileError{InputError{File: path,
			Err: errors.New("this is the output of 'assay collect' over several targets: judge it with 'assay eval --fleet', each target its own section")}, data}
	}
	if netFactsHook(types, info.Kind) == nil {
		// Kept as its text, which the engine decodes only while it
		// judges it: held as Go maps, 10,000 such documents took most of
		// the memory of `assay eval` (docs/engine.md). Past the run's
		// budget of held text, ReadDocumentFiles does not even keep the
		// text of a regular file: it is read again when judged.
		if opts.keptText != nil {
			*opts.keptText = true
		}
		return []document.Entry{{File: path, JSON: trimmed}}, nil, nil, nil
	}
	// netFacts reads these as Go values.
	obj, err := document.DecodeJSONObject(data)
	if err != nil {
		return nil, nil, nil, jsonError(path, data, err)
	}
	return []document.Entry{{File: path, Document: obj}}, nil, nil, nil
}

// targetsFileError is what readDocuments returns for a file of several
// targets' documents (TargetsDocumentsSchema): an error for `assay eval`,
// the file's data for `assay eval --fleet`.
type targetsFileError struct {
	InputError
	data []byte
}

func (e *targetsFileError) Unwrap() error { return &e.InputError }

// readLimited reads a documents file within max bytes, refusing a regular
// file by its size before reading. A pipe is fine (assay eval --documents
// <(assay collect …)); a named FIFO is waited on until its writer opens
// it, whichever of the two commands starts first.
func readLimited(path string, max int64) ([]byte, error) {
	return readBounded(path, safefile.PipesWaiting, max, "a JSON or YAML file (the output of 'assay collect', or documents)", func(n int64) error {
		return fmt.Errorf("%w: more than the %s that --max-document-size allows; raise it if the file is trusted", ErrDocumentTooLarge, hclguard.Size(n))
	})
}

// ErrDocumentTooLarge is the cause of an InputError for a file over
// DocumentOptions.MaxSize.
var ErrDocumentTooLarge = errors.New("file too large")

// checkError locates what engine.CheckJSON refused.
func checkError(path string, data []byte, err error) error {
	var je *engine.JSONError
	if !errors.As(err, &je) {
		return &InputError{File: path, Err: err}
	}
	line, col := lineCol(data, je.Offset)
	cause := je.Err
	if errors.Is(cause, io.ErrUnexpectedEOF) {
		cause = errors.New("unexpected end of file: the JSON is truncated")
	}
	return &InputError{File: path, Line: line, Col: col, Err: cause}
}

// duplicates reports the names given twice in one object: warnings, or
// with Strict the first as an error.
func duplicates(path string, data []byte, info engine.JSONInfo, opts DocumentOptions) error {
	if info.DuplicatesTotal == 0 {
		return nil
	}
	if opts.Strict {
		d := info.Duplicates[0]
		line, col := lineCol(data, d.Offset)
		fl, fc := lineCol(data, d.First)
		return &InputError{File: path, Line: line, Col: col, Err: fmt.Errorf(
			"%q is given twice in one object (first at %d:%d); --strict refuses that: remove one, or drop --strict to let the later value win", d.Name, fl, fc)}
	}
	if opts.Warn == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for i, d := range info.Duplicates {
		line, col := lineCol(data, d.Offset)
		fl, fc := lineCol(data, d.First)
		detail := fmt.Sprintf("%q is given twice in one object (first at line %d, column %d): the later value wins. --strict refuses such files.", d.Name, fl, fc)
		if i == len(info.Duplicates)-1 && info.DuplicatesTotal > len(info.Duplicates) {
			detail += fmt.Sprintf("\n%d more names given twice in this file are not listed.", info.DuplicatesTotal-len(info.Duplicates))
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Name given twice in a JSON object",
			Detail:   detail,
			Subject: &hcl.Range{Filename: path,
				Start: hcl.Pos{Line: line, Column: col, Byte: int(d.Offset)},
				End:   hcl.Pos{Line: line, Column: col + len(d.Name) + 2, Byte: int(d.Offset) + len(d.Name) + 2}},
		})
	}
	opts.Warn(diags, map[string]*hcl.File{path: {Bytes: data}})
	return nil
}

func kindName(k byte) string {
	switch k {
	case '[':
		return "list"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// noInfo is for files that name no target.
func noInfo(docs []document.Entry, host document.Document, err error) ([]document.Entry, document.Document, *target.Info, error) {
	return docs, host, nil, err
}

// fromCollectFile reads the output of `assay collect`. Each document is
// kept as its JSON text, as compactDocument keeps plain files.
func fromCollectFile(path string, data []byte, types *collector.Registry) ([]document.Entry, document.Document, *target.Info, error) {
	var f struct {
		Target    target.Info       `json:"target"`
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
		return nil, nil, nil, jsonError(path, data, err)
	}
	docs := make([]document.Entry, 0, len(f.Documents))
	for i, e := range f.Documents {
		if e.Document == nil || string(e.Document) == "null" {
			return nil, nil, nil, &InputError{File: path, Err: fmt.Errorf("documents[%d] has no \"document\"", i)}
		}
		d := document.Entry{Bundle: e.Bundle, CollectorID: e.Collector, JSON: e.Document}
		// The whole file passed engine.CheckJSON: this only reads the kind.
		info, err := engine.CheckJSON(e.Document)
		if err != nil || info.Top != '{' {
			return nil, nil, nil, collectEntryError(path, data, i)
		}
		if netFactsHook(types, info.Kind) != nil {
			// netFacts reads these as Go values.
			fields, err := d.Fields()
			if err != nil {
				return nil, nil, nil, &InputError{File: path, Err: fmt.Errorf("documents[%d]: %w", i, err)}
			}
			d.JSON, d.Document = nil, fields
		}
		docs = append(docs, d)
	}
	return docs, f.Host, &f.Target, nil
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

func readYAML(path string, data []byte, opts DocumentOptions) ([]document.Entry, document.Document, error) {
	var docs []document.Entry
	var warnings hcl.Diagnostics
	for i, part := range splitYAML(data) {
		if len(bytes.TrimSpace(part.text)) == 0 {
			continue
		}
		var v any
		err := yaml.UnmarshalStrict(part.text, &v)
		if dups := yamlDuplicates(err); len(dups) > 0 {
			// Strict decoding refuses only keys given twice; the plain
			// decoding keeps the later value, as it always has.
			first := dups[0]
			if opts.Strict {
				return nil, nil, &InputError{File: path, Line: part.line + first.line - 1, Col: 1, Err: fmt.Errorf(
					"YAML document %d: key %s is given twice in one mapping; --strict refuses that: remove one, or drop --strict to let the later value win", i+1, first.key)}
			}
			for _, d := range dups {
				line := part.line + d.line - 1
				warnings = append(warnings, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Key given twice in a YAML mapping",
					Detail:   fmt.Sprintf("YAML document %d: key %s is given twice in one mapping: the later value wins. --strict refuses such files.", i+1, d.key),
					Subject:  &hcl.Range{Filename: path, Start: hcl.Pos{Line: line, Column: 1}, End: hcl.Pos{Line: line, Column: 1}},
				})
			}
			v = nil
			err = yaml.Unmarshal(part.text, &v)
		}
		if err != nil {
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
	if len(warnings) > 0 && opts.Warn != nil {
		if len(warnings) > engine.MaxDuplicatesListed {
			warnings = warnings[:engine.MaxDuplicatesListed]
		}
		opts.Warn(warnings, map[string]*hcl.File{path: {Bytes: data}})
	}
	return docs, nil, nil
}

// yamlDup is a key the YAML decoder found twice in one mapping, at a line
// counted from the start of the document it was given.
type yamlDup struct {
	line int
	key  string // quoted, as the decoder quotes it
}

var yamlDupRE = regexp.MustCompile(`line (\d+): key ("(?:[^"\\]|\\.)*") already set in map`)

// yamlDuplicates lists the keys given twice that a strict YAML decoding
// reported, if that is what err is about.
func yamlDuplicates(err error) []yamlDup {
	if err == nil {
		return nil
	}
	var dups []yamlDup
	for _, m := range yamlDupRE.FindAllStringSubmatch(err.Error(), -1) {
		line, convErr := strconv.Atoi(m[1])
		if convErr == nil {
			dups = append(dups, yamlDup{line: line, key: m[2]})
		}
	}
	return dups
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

// ReadDocumentFiles reads the files `assay eval` judges into one
// collection: every document, and the host facts of the first collect
// file that has them. "-" is the env's standard input. A file that cannot
// be read is exit code 2, naming the file (and line and column for a syntax
// error); of several, the first in the order given. Warnings go to the
// env's Warnings unless opts.Warn says otherwise, in the order of the files.
//
// Regular files are read and checked side by side (readAhead); standard
// input, pipes and FIFOs are read in turn, in the order given, so that a
// FIFO whose writer never comes blocks no more than it did.
func (e *Env) ReadDocumentFiles(files []string, opts DocumentOptions) (*Collected, error) {
	if opts.Warn == nil {
		opts.Warn = e.warn
	}
	start := time.Now()
	name := "documents"
	if len(files) == 1 {
		name = files[0]
	}
	col := &Collected{Target: target.Info{Kind: target.KindDocuments, Name: name}}
	ahead := readAhead(files, e.Collectors, opts)
	defer ahead.stop()
	var (
		held  int64 // document text kept, against heldTextBudget
		total int64 // the text of the regular files, kept or not
		kept  []int // the documents of regular files whose text is kept
	)
	for i, f := range files {
		r := ahead.wait(i)
		regular := r != nil // the readers read regular files only
		if r == nil {
			r = &fileRead{}
			o := opts
			o.keptText = &r.keptText
			if f == stdinName {
				r.docs, r.host, r.err = readStdin(e.Stdin, e.Collectors, o)
			} else {
				r.docs, r.host, r.err = ReadDocuments(f, e.Collectors, o)
			}
		} else {
			for _, w := range r.warnings {
				opts.Warn(w.diags, w.files)
			}
		}
		if r.err != nil {
			return nil, exitcode.UsageError(r.err)
		}
		if r.keptText {
			// Past the budget, a regular file is read again when
			// judged (a pipe's text is kept: it cannot be); decided
			// here, in the order of the files, so that which files are
			// kept does not depend on the readers' race.
			d := &r.docs[0]
			if regular {
				total += int64(len(d.JSON))
			}
			if regular && held+int64(len(d.JSON)) > heldTextBudget {
				d.JSON, d.Reread = nil, rereader(f, d.JSON, opts.maxSize())
			} else {
				held += int64(len(d.JSON))
				if regular {
					kept = append(kept, len(col.Documents))
				}
			}
		}
		col.Documents = append(col.Documents, r.docs...)
		if col.Host == nil && r.host != nil {
			col.Host = r.host
		}
	}
	if total > heldTextShare*heldTextBudget {
		for _, i := range kept {
			d := &col.Documents[i]
			d.JSON, d.Reread = nil, rereader(d.File, d.JSON, opts.maxSize())
		}
	}
	col.Duration = time.Since(start)
	return col, nil
}

// fileRead is one file as a reader of readAhead left it.
type fileRead struct {
	docs     []document.Entry
	host     document.Document
	err      error
	keptText bool
	warnings []fileWarning
	// cost is what the file counts against readAheadBytes.
	cost int64
}

type fileWarning struct {
	diags hcl.Diagnostics
	files map[string]*hcl.File
}

// readAheadBytes bounds what the readers of readAhead hold for the caller
// to take: the files' sizes, and readAheadFileCost for each. Readers take
// no file while past it; the caller wakes them once it has taken half. So
// a run holds heldTextBudget and this much more, whether the caller keeps
// up or waits on a pipe (assay eval <(assay collect …) *.json).
var readAheadBytes int64 = 8 << 20

// readAheadFileCost is about what a file's result costs besides its text,
// so that many small files are bounded too.
const readAheadFileCost = 1 << 10

// filesAhead reads regular files on several goroutines, ahead of the
// caller, who takes them in order with wait. A file read is told by a
// flag and one condition variable, not a channel per file: at 100,000
// files, channels made up front were 11 MB, as much again as the
// documents read.
type filesAhead struct {
	files []string

	mu      sync.Mutex
	room    sync.Cond   // readers wait on it while held >= readAheadBytes
	ready   sync.Cond   // the caller waits on it for the file it is at
	results []*fileRead // nil for a file left to the caller
	read    []bool      // whether a reader is done with the file
	next    int         // the next file a reader takes
	held    int64       // the cost of the files read and not yet taken
	stopped bool
}

// readAhead starts reading files side by side: as many readers as the
// process has CPUs, each taking the next file not yet taken, while the
// files read and not yet waited for cost less than readAheadBytes. A file
// that is not regular (standard input, a pipe, a FIFO, a device) is left
// to the caller, to be read in turn.
func readAhead(files []string, types *collector.Registry, opts DocumentOptions) *filesAhead {
	a := &filesAhead{files: files, results: make([]*fileRead, len(files)), read: make([]bool, len(files))}
	a.room.L, a.ready.L = &a.mu, &a.mu
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		go func() {
			for {
				i, ok := a.take()
				if !ok {
					return
				}
				a.finish(i, readRegular(files[i], types, opts))
			}
		}()
	}
	return a
}

// take gives a reader the next file, once there is room; false when there
// is none left or the caller stopped.
func (a *filesAhead) take() (int, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for !a.stopped && a.next < len(a.files) && a.held >= readAheadBytes {
		a.room.Wait()
	}
	if a.stopped || a.next >= len(a.files) {
		return 0, false
	}
	a.next++
	return a.next - 1, true
}

// finish hands the caller file i as a reader left it.
func (a *filesAhead) finish(i int, r *fileRead) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r != nil {
		a.held += r.cost
	}
	a.results[i], a.read[i] = r, true
	a.ready.Signal() // only the caller waits on ready
}

// readRegular reads a regular file for readAhead, keeping its warnings to
// be given in order; nil for any other file.
func readRegular(path string, types *collector.Registry, opts DocumentOptions) *fileRead {
	if path == stdinName {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil // the caller reads it, and reports its error
	}
	r := &fileRead{cost: fi.Size() + readAheadFileCost}
	o := opts
	o.keptText = &r.keptText
	if opts.Warn != nil {
		o.Warn = func(diags hcl.Diagnostics, files map[string]*hcl.File) {
			r.warnings = append(r.warnings, fileWarning{diags, files})
		}
	}
	r.docs, r.host, r.err = ReadDocuments(path, types, o)
	return r
}

// wait returns file i as a reader left it, or nil when the caller is to
// read it.
func (a *filesAhead) wait(i int) *fileRead {
	a.mu.Lock()
	defer a.mu.Unlock()
	for !a.read[i] {
		a.ready.Wait()
	}
	r := a.results[i]
	a.results[i] = nil // the caller holds it now
	if r != nil {
		a.held -= r.cost
		if a.held <= readAheadBytes/2 {
			a.room.Broadcast()
		}
	}
	return r
}

// stop tells the readers to take no more files. Each finishes the one it
// has: a regular file, read within its size limit.
func (a *filesAhead) stop() {
	a.mu.Lock()
	a.stopped = true
	a.room.Broadcast()
	a.mu.Unlock()
}

// rereadSeed keys the hashes by which a document file read again is known
// to hold what was checked.
var rereadSeed = maphash.MakeSeed()

// rereader returns how to read a regular file's document text again when
// the engine judges it. The text read again must be the text checked (by
// a 64-bit hash of it): a file changed in between is an error of that
// document, not a document that skipped the checks.
func rereader(path string, text []byte, maxSize int64) func() ([]byte, error) {
	sum := maphash.Bytes(rereadSeed, text)
	return func() ([]byte, error) {
		data, err := safefile.ReadLimited(path, maxSize, safefile.RegularOnly)
		if err != nil {
			return nil, fmt.Errorf("read %s again: %w", path, err)
		}
		data = bytes.TrimSpace(data)
		if maphash.Bytes(rereadSeed, data) != sum {
			return nil, fmt.Errorf("%s changed after assay read and checked it; judge files nothing is writing to", path)
		}
		return data, nil
	}
}
