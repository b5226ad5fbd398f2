package jsonout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/exporters/jsonout"
	"github.com/assay-dev/assay/internal/golden"
)

// TestTailoring: the JSON report records the overlays beside the bundles
// (name, file, SHA-256) and every disabled policy with its reason.
func TestTailoring(t *testing.T) {
	var buf bytes.Buffer
	if err := jsonout.New(&buf, exporters.Options{}).Export(context.Background(), exportertest.Tailored()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tailoring struct {
			Overlays []struct{ Name, SHA256 string }
			Disabled []struct{ Bundle, Policy, Reason string } `json:"disabled_policies"`
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if o := doc.Tailoring.Overlays; len(o) != 2 || o[0].Name != "acme-cis-l1" || len(o[0].SHA256) != 64 {
		t.Errorf("overlays: %+v", o)
	}
	if d := doc.Tailoring.Disabled; len(d) != 1 || d[0].Policy != "no-shell" || d[0].Reason == "" {
		t.Errorf("disabled policies: %+v", d)
	}
	golden.Check(t, "tailored.json", buf.Bytes())

	// Without overlays there is no tailoring key at all.
	buf.Reset()
	if err := jsonout.New(&buf, exporters.Options{}).Export(context.Background(), exportertest.CleanImage()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(`"tailoring"`)) {
		t.Error("an untailored report has a tailoring key")
	}
}
