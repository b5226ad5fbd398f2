package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

// jsonDocs is the same documents twice: as Go values decoded the way
// `assay eval` used to decode files (json.Number), and as JSON text.
func jsonDocs(t *testing.T, texts []string) (asMaps, asJSON []document.Entry) {
	t.Helper()
	for i, text := range texts {
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		file := fmt.Sprintf("d%03d.json", i)
		asMaps = append(asMaps, document.Entry{File: file, Document: m})
		asJSON = append(asJSON, document.Entry{File: file, JSON: []byte(text)})
	}
	return asMaps, asJSON
}

// TestEvalJSONDocumentsSameResults: documents kept as JSON text give exactly
// the results of the same documents given as Go values, per document and in
// aggregate, fused or not, whatever the parallelism.
func TestEvalJSONDocumentsSameResults(t *testing.T) {
	var texts []string
	for i := range 120 {
		path := ""
		if i%4 == 0 {
			path = fmt.Sprintf(`"path": "/etc/app/%d.conf", `, i)
		}
		texts = append(texts, fmt.Sprintf(`{%s"replicas": %d, "image": "registry/app:%d", "labels": {"team": %q},
 "ratio": %d.25, "big": 123456789012345678901234567890, "exp": 1e%d, "tags": ["a", "\u00e9\n", null, true],
 "nested": {"list": [{"n": %d}, {"n": -%d}]}}`, path, i%7, i%5, []string{"a", "b", "c"}[i%3], i, i%3, i, i))
	}
	asMaps, asJSON := jsonDocs(t, texts)

	pols := benchPolicies(t, 6)
	extra := newBundle(t, "extra", nil,
		pol{id: "numbers", rego: `package numbers
deny contains {"msg": sprintf("ratio %v big %v exp %v", [input.ratio, input.big, input.exp]), "line": input.replicas + 1} if input.ratio > 100
warn contains sprintf("tags %v nested %v", [input.tags, input.nested]) if input.replicas == 3`},
		pol{id: "fleet", mode: bundle.Aggregate, rego: `package fleet
warn contains sprintf("%d documents, %d replicas in all", [count(input.documents), sum([d.replicas | some d in input.documents])]) if true
deny contains {"msg": "has a path", "path": d.path} if { some d in input.documents; d.path }`})
	// The same documents again, read again when judged (Entry.Reread).
	reread := make([]document.Entry, len(asJSON))
	for i, d := range asJSON {
		text := d.JSON
		reread[i] = document.Entry{File: d.File, Reread: func() ([]byte, error) { return text, nil }}
	}
	for _, opts := range [][]Option{nil, {withoutFusion()}, {WithParallelism(1)}} {
		e := mustNew(t, []*bundle.Bundle{pols, extra}, opts...)
		want := mustEval(t, e, Input{Documents: asMaps})
		if again := mustEval(t, e, Input{Documents: reread}); !reflect.DeepEqual(again, want) {
			t.Fatalf("documents read again when judged give other results than Go values")
		}
		got := mustEval(t, e, Input{Documents: asJSON})
		if len(want.Findings) < 100 {
			t.Fatalf("only %d findings: the test judges too little", len(want.Findings))
		}
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got.Findings), len(want.Findings)) {
				if !reflect.DeepEqual(got.Findings[i], want.Findings[i]) {
					t.Fatalf("finding %d:\n got %+v\nwant %+v", i, got.Findings[i], want.Findings[i])
				}
			}
			t.Fatalf("results differ: %d findings from JSON, %d from Go values; policies\n got %+v\nwant %+v",
				len(got.Findings), len(want.Findings), got.Policies, want.Policies)
		}
	}
}

// TestEvalBadJSONDocument: a document whose JSON is not an object is an
// error of the policies that judge it, named after its file; the others are
// judged.
func TestEvalBadJSONDocument(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "p", rego: "package p\ndeny contains \"x\" if true"})
	for _, bad := range []string{`[1, 2]`, `null`, `{"a": 1`, `{"a": 1} {"b": 2}`, ``} {
		res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: []document.Entry{
			{File: "bad.json", JSON: []byte(bad)},
			{File: "good.json", JSON: []byte(`{"path": "/etc/good"}`)},
		}})
		p := res.Policies[0]
		if p.Status != report.StatusError || !strings.HasPrefix(p.Error, `document "bad.json": convert to Rego: decode JSON document`) {
			t.Errorf("%q: status %s error %q", bad, p.Status, p.Error)
		}
		if len(res.Findings) != 1 || res.Findings[0].Path != "/etc/good" {
			t.Errorf("%q: findings %v, want the good document's, at its path", bad, res.Findings)
		}
	}
}

// TestEvalRereadFails: a document whose file cannot be read again when it
// is judged (changed since it was checked) is an error of the policies that
// judge it, with the reason; the others are judged.
func TestEvalRereadFails(t *testing.T) {
	b := newBundle(t, "b", nil, pol{id: "p", rego: "package p\ndeny contains \"x\" if true"})
	res := mustEval(t, mustNew(t, []*bundle.Bundle{b}), Input{Documents: []document.Entry{
		{File: "changed.json", Reread: func() ([]byte, error) { return nil, errors.New("changed.json changed after assay read and checked it") }},
		{File: "good.json", Reread: func() ([]byte, error) { return []byte(`{"path": "/etc/good"}`), nil }},
	}})
	p := res.Policies[0]
	if p.Status != report.StatusError || !strings.Contains(p.Error, `document "changed.json": convert to Rego: read JSON document: changed.json changed after`) {
		t.Errorf("status %s error %q", p.Status, p.Error)
	}
	if len(res.Findings) != 1 || res.Findings[0].Path != "/etc/good" {
		t.Errorf("findings %v, want the good document's, at its path", res.Findings)
	}
}

func TestDocFields(t *testing.T) {
	m := document.Document{"kind": "x"}
	if got, err := (&document.Entry{Document: m, JSON: []byte(`{"kind": "y"}`)}).Fields(); err != nil || got.Kind() != "x" {
		t.Errorf("Document wins over JSON: got %v, %v", got, err)
	}
	got, err := (&document.Entry{JSON: []byte(`{"kind": "y", "n": 1.50}`)}).Fields()
	if err != nil || got.Kind() != "y" || got["n"] != json.Number("1.50") {
		t.Errorf("JSON decoded with numbers as text: got %#v, %v", got, err)
	}
	if _, err := (&document.Entry{JSON: []byte(`"s"`)}).Fields(); err == nil {
		t.Error("a JSON string is no document")
	}
	if got, err := (&document.Entry{}).Fields(); got != nil || err != nil {
		t.Errorf("empty Doc: %v, %v", got, err)
	}
}
