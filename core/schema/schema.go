// Package schema holds the JSON Schema of every document kind the built-in
// collectors emit (docs/schemas/KIND.json are the same files). The
// collectors' tests validate their real output against them, so they cannot
// drift from what policies see; the engine type-checks policies with them,
// and `assay schema` prints them.
//
// The settings (and sources) of sshd_config documents list every keyword
// of collectors/sshd.SettingKeywords; a test there keeps them in step
// (go test ./collectors/sshd -run TestSchemaKeywords -update).
package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed kinds/*.json
var files embed.FS

// Dir is where the schema files are in this package's folder.
const Dir = "kinds"

// Kinds returns the document kinds that have a schema, sorted.
func Kinds() []string {
	entries, err := files.ReadDir(Dir)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(out)
	return out
}

// JSON returns the schema file of a document kind, and false when the kind
// has none.
func JSON(kind string) ([]byte, bool) {
	b, err := files.ReadFile(Dir + "/" + kind + ".json")
	if err != nil {
		return nil, false
	}
	return b, true
}

var (
	parsedMu sync.Mutex
	parsed   = map[string]map[string]any{}
)

// Of returns the decoded schema of a document kind, and false when the kind
// has none. Callers must not modify it.
func Of(kind string) (map[string]any, bool) {
	parsedMu.Lock()
	defer parsedMu.Unlock()
	if s, ok := parsed[kind]; ok {
		return s, true
	}
	b, ok := JSON(kind)
	if !ok {
		return nil, false
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		panic(fmt.Sprintf("schema %s: %v", kind, err)) // embedded, tested
	}
	parsed[kind] = s
	return s, true
}

// Document is the schema of one document of any of the kinds (a policy
// evaluated per document): the kind's schema, or anyOf them. It returns
// false when a kind has no schema.
func Document(kinds ...string) (map[string]any, bool) {
	kinds = slices.Compact(slices.Sorted(slices.Values(kinds)))
	if len(kinds) == 0 {
		return nil, false
	}
	var alts []any
	for _, k := range kinds {
		s, ok := Of(k)
		if !ok {
			return nil, false
		}
		alts = append(alts, s)
	}
	if len(alts) == 1 {
		return alts[0].(map[string]any), true
	}
	return map[string]any{"anyOf": alts}, true
}

// Aggregate is the input of an aggregate policy over documents of the
// kinds: {"documents": [DOCUMENT…]}.
func Aggregate(kinds ...string) (map[string]any, bool) {
	d, ok := Document(kinds...)
	if !ok {
		return nil, false
	}
	return input("the input of an aggregate policy: every document it judges", "documents", d), true
}

// Fleet is the schema of a fleet policy's input: input.targets, one entry
// per target of the run with its name, kind, host facts, labels and the
// documents of the kinds given (engine's EvalFleet builds it).
func Fleet(kinds ...string) (map[string]any, bool) {
	d, ok := Document(kinds...)
	if !ok {
		return nil, false
	}
	host, ok := Of("host")
	if !ok {
		return nil, false
	}
	str := map[string]any{"type": "string"}
	target := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"name":      str,
			"kind":      str,
			"host":      host,
			"labels":    map[string]any{"type": "object", "additionalProperties": str},
			"documents": arrayOf(d),
		},
		"additionalProperties": false,
		"required":             []any{"name", "kind", "host", "labels", "documents"},
	}
	return input("the input of a fleet policy: every target of the run", "targets", target), true
}

// input is the schema of a policy input that is an object of one field,
// an array of items.
func input(description, field string, items map[string]any) map[string]any {
	return map[string]any{
		"type":                 "object",
		"description":          description,
		"properties":           map[string]any{field: arrayOf(items)},
		"additionalProperties": false,
		"required":             []any{field},
	}
}

func arrayOf(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}

// Field returns the schema of the field key of an object schema node. When
// the node does not allow it, ok is false and known lists the fields it
// does allow, sorted. A node that says nothing about its fields (no
// properties, or additional properties allowed) allows every key, with
// open set.
func Field(node map[string]any, key string) (child map[string]any, known []string, open, ok bool) {
	if alts, isAny := node["anyOf"].([]any); isAny {
		var union []map[string]any
		for _, a := range alts {
			m, _ := a.(map[string]any)
			c, k, o, found := Field(m, key)
			if o {
				return c, nil, true, true
			}
			if found {
				union = append(union, c)
			}
			known = append(known, k...)
		}
		switch len(union) {
		case 0:
			return nil, slices.Compact(slices.Sorted(slices.Values(known))), false, false
		case 1:
			return union[0], nil, false, true
		default:
			alts := make([]any, len(union))
			for i, u := range union {
				alts[i] = u
			}
			return map[string]any{"anyOf": alts}, nil, false, true
		}
	}
	props, _ := node["properties"].(map[string]any)
	if p, found := props[key]; found {
		m, _ := p.(map[string]any)
		return m, nil, false, true
	}
	if node["additionalProperties"] != false {
		m, _ := node["additionalProperties"].(map[string]any)
		return m, nil, true, true
	}
	for k := range props {
		known = append(known, k)
	}
	slices.Sort(known)
	return nil, known, false, false
}

// Items returns the schema of the elements of an array schema node, or nil.
func Items(node map[string]any) map[string]any {
	if alts, isAny := node["anyOf"].([]any); isAny {
		var out []any
		for _, a := range alts {
			m, _ := a.(map[string]any)
			if it := Items(m); it != nil {
				out = append(out, it)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case 1:
			return out[0].(map[string]any)
		}
		return map[string]any{"anyOf": out}
	}
	m, _ := node["items"].(map[string]any)
	return m
}

// Encode writes a schema as the files are written: keys sorted, two-space
// indentation, a final newline.
func Encode(v any) ([]byte, error) {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(buf.String()), nil
}
