package document

// Document is one fact, as policies see it: `input` in Rego.
//
// It is a JSON object built from plain Go values (string, bool, int, int64,
// float64, []any, map[string]any, []string, nil) so that it converts to a Rego
// value without a JSON round trip. Every document has "kind" and "collector"
// (the block label); documents about a file also carry "path", the path inside
// the target, so that findings can point at it. docs/documents.md is the schema
// reference for each kind.
type Document map[string]any

// Well-known document fields.
const (
	FieldKind      = "kind"
	FieldCollector = "collector"
	FieldPath      = "path"
)

// NewDocument returns a document of the given kind for the named collector.
func New(kind, collector string) Document {
	return Document{FieldKind: kind, FieldCollector: collector}
}

// Kind returns the document's "kind", or "".
func (d Document) Kind() string { s, _ := d[FieldKind].(string); return s }

// Collector returns the document's "collector" (the block label), or "".
func (d Document) Collector() string { s, _ := d[FieldCollector].(string); return s }

// Path returns the document's "path" inside the target, or "".
func (d Document) Path() string { s, _ := d[FieldPath].(string); return s }
