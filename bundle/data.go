package bundle

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"go.yaml.in/yaml/v3"

	"github.com/assay-dev/assay/internal/registry"
	"github.com/assay-dev/assay/internal/safefile"
)

// DataSource produces the value of one data block, exposed to policies as
// data.NAME.
type DataSource interface {
	// Read returns the value: plain JSON-like Go values (map[string]any,
	// []any, string, json.Number, bool, nil). Diagnostics name the file and
	// line at fault where there is one.
	Read(ctx context.Context) (any, hcl.Diagnostics)
}

// DataFactory decodes the body of a data block into a DataSource. Like a
// collector factory, it returns diagnostics with the narrowest range.
type DataFactory func(body hcl.Body, env *DataEnv) (DataSource, hcl.Diagnostics)

// DataKind is one kind of data block: data "KIND" "NAME" { … }.
type DataKind struct {
	// Name is the block's first label: "file".
	Name string
	// Help is one line for the docs.
	Help string
	New  DataFactory
	// Live kinds reach outside the bundle (a directory, a web service):
	// loading only decodes and checks their blocks (Bundle.Live), and Fetch
	// reads them before each evaluation. Loading a bundle thus never
	// contacts anything, so `assay test` and `assay fmt` work offline, and
	// a daemon refreshes the data without recompiling the policies.
	Live bool
}

// DataKinds is the set of data kinds a bundle may name. The loader always
// knows "file"; NewDataKinds adds the others (bundle/datasource/all.Kinds
// holds every kind assay ships).
type DataKinds = registry.Registry[DataKind]

// FileDataKind is data "file": a JSON or YAML file of the bundle. Every
// registry made by NewDataKinds holds it.
func FileDataKind() DataKind {
	return DataKind{
		Name: "file",
		Help: "a JSON or YAML file of the bundle: path = \"data/users.yaml\"",
		New:  newFileData,
	}
}

// NewDataKinds builds a registry of the "file" kind and kinds. A duplicate
// name panics: a programming error.
func NewDataKinds(kinds ...DataKind) *DataKinds {
	return registry.New("data kind", func(k DataKind) string { return k.Name }, append([]DataKind{FileDataKind()}, kinds...)...)
}

// DataEnv is what a data kind may use while it decodes and reads.
type DataEnv struct {
	// EvalContext holds the bundle's functions (file(), …).
	EvalContext *hcl.EvalContext
	l           *loader
}

// ReadFile reads a file of the bundle by its bundle-relative path: never
// outside the bundle, bounded in size. It returns the file name to use in
// diagnostics, and records the file so they show its source. Its error
// does not repeat the path, which the caller's diagnostic names, but is
// still the cause: errors.Is sees fs.ErrNotExist or fs.ErrPermission.
func (e *DataEnv) ReadFile(name string) ([]byte, string, error) {
	if rel, err := bundlePath(name); err == nil {
		e.l.claimed[rel] = true
	}
	src, display, err := e.l.readFile(name)
	if err != nil {
		return nil, display, safefile.WithoutPath(err)
	}
	return src, display, nil
}

// fileData is data "file" "NAME" { path = "…" }.
type fileData struct {
	env     *DataEnv
	path    string
	pathRng hcl.Range
}

func newFileData(body hcl.Body, env *DataEnv) (DataSource, hcl.Diagnostics) {
	content, diags := body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "path", Required: true}},
	})
	attr, ok := content.Attributes["path"]
	if !ok {
		return nil, diags
	}
	d := &fileData{env: env, pathRng: attr.Expr.Range()}
	diags = append(diags, gohcl.DecodeExpression(attr.Expr, env.EvalContext, &d.path)...)
	if diags.HasErrors() {
		return nil, diags
	}
	if !isDataFile(d.path) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported data file",
			Detail:   fmt.Sprintf("%q is not a .json, .yaml or .yml file.", d.path),
			Subject:  d.pathRng.Ptr(),
		})
		return nil, diags
	}
	return d, diags
}

func (d *fileData) Read(context.Context) (any, hcl.Diagnostics) {
	src, filename, err := d.env.ReadFile(d.path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read data file",
			Detail:   fmt.Sprintf("Reading %q: %s.", d.path, err),
			Subject:  d.pathRng.Ptr(),
		}}
	}
	return ParseData(filename, src)
}

func isDataFile(name string) bool {
	switch path.Ext(name) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// loadDataFiles exposes the JSON and YAML files of the bundle's root and
// data/ directory as data.<basename>.
func (l *loader) loadDataFiles() {
	for _, rel := range l.dataFiles {
		if l.claimed[rel] {
			continue
		}
		src, display, err := l.readFile(rel)
		if err != nil {
			l.errorf(nil, "Cannot read file", "Reading %s: %s.", l.display(rel), describeErr(err))
			continue
		}
		v, diags := ParseData(display, src)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		// Files keeps a file's bytes for the snippets of diagnostics. Once a
		// data file has parsed, the only diagnostic left to point into it
		// is a name claimed twice, at its first line; the rest would be
		// held as long as the bundle, the size of the data again (an
		// imported MIG investigation has megabytes). A file() of it
		// later reads it again (readFile).
		if f := l.b.Files[display]; f != nil {
			if i := bytes.IndexByte(f.Bytes, '\n'); i >= 0 {
				l.b.Files[display] = &hcl.File{Bytes: bytes.Clone(f.Bytes[:i+1])}
				l.trimmed[display] = true
			}
		}
		base := path.Base(rel)
		name := strings.TrimSuffix(base, path.Ext(base))
		l.setData(name, v, hcl.Range{Filename: display,
			Start: hcl.InitialPos, End: hcl.Pos{Line: 1, Column: 1, Byte: 0}})
	}
}

// DataFilesIgnored is the summary of the warning that an implicit bundle's
// data files are not read.
const DataFilesIgnored = "Data files not loaded"

// ignoreDataFiles leaves the data files of an implicit bundle unread, as
// conftest never reads data from its policy directory: its users pass the
// directory with --data, which places each file's contents under its
// directories' names, not under its file name, so reading them here too
// would give the policies the same data twice under different names. A
// warning says so.
func (l *loader) ignoreDataFiles() {
	if len(l.dataFiles) == 0 {
		return
	}
	names := make([]string, 0, len(l.dataFiles))
	for _, rel := range l.dataFiles {
		names = append(names, l.display(rel))
	}
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  DataFilesIgnored,
		Detail: fmt.Sprintf("%q is a conftest-style directory (Rego, no .hcl), whose data files are not read, as conftest reads none from its policy directory: %s. Pass them with --data (assay eval --data %s) to give them to the policies as conftest does.",
			l.root, strings.Join(names, ", "), l.root),
	})
}

// ParseData parses a JSON (.json) or YAML (.yaml, .yml) document into plain
// values, numbers as json.Number. Errors name filename and line.
func ParseData(filename string, src []byte) (any, hcl.Diagnostics) {
	if path.Ext(filename) == ".json" {
		return parseJSON(filename, src)
	}
	return parseYAML(filename, src)
}

func parseJSON(filename string, src []byte) (any, hcl.Diagnostics) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		// One document per file: anything after it is a mistake.
		end := int(dec.InputOffset())
		var extra any
		if err2 := dec.Decode(&extra); err2 != io.EOF {
			if err2 == nil {
				err2 = errors.New("unexpected data after the JSON value")
			}
			for end < len(src) && strings.ContainsRune(" \t\r\n", rune(src[end])) {
				end++
			}
			return nil, dataDiag(filename, src, end, "Invalid JSON", err2.Error())
		}
		return v, nil
	}
	offset := len(src)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset is just past the offending byte.
		offset = int(se.Offset) - 1
	case errors.As(err, &te):
		offset = int(te.Offset)
	case errors.Is(err, io.EOF):
		err = errors.New("empty file: want a JSON value")
	}
	return nil, dataDiag(filename, src, offset, "Invalid JSON", err.Error())
}

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: `)

func parseYAML(filename string, src []byte) (any, hcl.Diagnostics) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var v any
	err := dec.Decode(&v)
	if errors.Is(err, io.EOF) {
		return nil, nil // an empty YAML file is null
	}
	if err == nil {
		var extra yaml.Node
		switch err2 := dec.Decode(&extra); {
		case errors.Is(err2, io.EOF):
		case err2 == nil:
			return nil, dataDiag(filename, src, lineStart(src, extra.Line), "Invalid YAML",
				"more than one YAML document; a data file holds one")
		default:
			err = err2
		}
	}
	if err != nil {
		return nil, yamlDiag(filename, src, err)
	}
	v, err = plain(v)
	if err != nil {
		return nil, dataDiag(filename, src, 0, "Invalid YAML", err.Error())
	}
	return v, nil
}

func yamlDiag(filename string, src []byte, err error) hcl.Diagnostics {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	offset := 0
	if m := yamlLineRE.FindStringSubmatchIndex(msg); m != nil {
		row, _ := strconv.Atoi(msg[m[2]:m[3]])
		offset = lineStart(src, row)
		if m[4] >= 0 {
			col, _ := strconv.Atoi(msg[m[4]:m[5]])
			offset += min(max(col-1, 0), len(lineOf(src, row)))
		}
		msg = msg[:m[0]] + msg[m[1]:]
	}
	return dataDiag(filename, src, offset, "Invalid YAML", msg)
}

// dataDiag points a diagnostic at a byte offset of a data file.
func dataDiag(filename string, src []byte, offset int, summary, msg string) hcl.Diagnostics {
	offset = min(max(offset, 0), len(src))
	if offset > 0 && offset < len(src) && src[offset] == '\n' {
		offset-- // point at the line's last character, not past it
	}
	line, col := 1, 1
	lineBegin := 0
	for i, c := range src[:offset] {
		if c == '\n' {
			line++
			lineBegin = i + 1
		}
	}
	col = offset - lineBegin + 1
	end := offset
	if end < len(src) && src[end] != '\n' {
		end++
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   sentence(msg),
		Subject: &hcl.Range{
			Filename: filename,
			Start:    hcl.Pos{Line: line, Column: col, Byte: offset},
			End:      hcl.Pos{Line: line, Column: col + end - offset, Byte: end},
		},
	}}
}

// plain converts YAML values to what JSON would have given, so data from
// either format looks the same to policies: string keys, json.Number.
func plain(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p, err := plain(e)
			if err != nil {
				return nil, err
			}
			x[k] = p
		}
		return x, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			p, err := plain(e)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = p
		}
		return out, nil
	case []any:
		for i, e := range x {
			p, err := plain(e)
			if err != nil {
				return nil, err
			}
			x[i] = p
		}
		return x, nil
	case int:
		return json.Number(strconv.Itoa(x)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(x, 10)), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", x)
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	}
	return v, nil
}

// equalData says whether two data values are the same.
func equalData(a, b any) bool { return reflect.DeepEqual(a, b) }
