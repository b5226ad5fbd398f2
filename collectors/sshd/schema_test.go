package sshd

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/schema"
	"github.com/assay-dev/assay/core/schema/schematest"
	"github.com/assay-dev/assay/internal/golden"
	"github.com/assay-dev/assay/targets"
)

// schemaFile is the sshd_config schema, whose settings and sources list
// SettingKeywords.
const schemaFile = "../../core/schema/kinds/sshd_config.json"

// TestSchemaKeywords keeps the schema's settings and sources in step with
// the keywords of every modelled release: a release that adds one makes
// this test fail until it is regenerated with -update.
func TestSchemaKeywords(t *testing.T) {
	b, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	settings, sources := map[string]any{}, map[string]any{}
	for _, k := range SettingKeywords() {
		settings[k] = map[string]any{"anyOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		}}
		sources[k] = map[string]any{
			"type":                 "object",
			"properties":           map[string]any{"path": map[string]any{"type": "string"}, "line": map[string]any{"type": "integer"}},
			"required":             []any{"path", "line"},
			"additionalProperties": false,
		}
	}
	props["settings"].(map[string]any)["properties"] = settings
	props["sources"].(map[string]any)["properties"] = sources
	got, err := schema.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	golden.File(t, schemaFile, got)
}

// TestDocumentsMatchSchema validates every document the collector emits on
// the corpus (with its connection specs) and on the distributions'
// fixtures against the sshd_config schema.
func TestDocumentsMatchSchema(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			root := writeTree(t, c.files)
			col := &Collector{Path: DefaultPath}
			for _, spec := range c.specs {
				ci, err := parseSpec(spec)
				if err != nil {
					t.Fatal(err)
				}
				col.Specs = append(col.Specs, *ci)
			}
			s, err := collect(t, col, root)
			if err != nil {
				t.Fatal(err)
			}
			schematest.Check(t, s.docs)
		})
	}
	for _, f := range distroFixtures {
		t.Run(f.name, func(t *testing.T) {
			tgt, err := targets.OpenDir(materialize(t, f.name))
			if err != nil {
				t.Fatal(err)
			}
			defer tgt.Close()
			s := &sink{}
			if err := (&Collector{Path: DefaultPath, Specs: []ConnInfo{{User: "root", Addr: "192.0.2.1"}}}).Collect(context.Background(), collector.Env{Target: tgt, Name: "main"}, s); err != nil {
				t.Fatal(err)
			}
			schematest.Check(t, s.docs)
		})
	}
}
