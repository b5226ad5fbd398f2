package bundle

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

// liveReads counts the reads of the test's live kind.
var liveReads atomic.Int32

type countingSource struct{ fail bool }

func (s countingSource) Read(context.Context) (any, hcl.Diagnostics) {
	liveReads.Add(1)
	if s.fail {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "down"}}
	}
	return []any{"entry"}, nil
}

// testLiveKind is the fake live data kind "test_live".
func testLiveKind() DataKind {
	return DataKind{Name: "test_live", Live: true, New: func(body hcl.Body, _ *DataEnv) (DataSource, hcl.Diagnostics) {
		content, diags := body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "fail"}}})
		_, fail := content.Attributes["fail"]
		return countingSource{fail: fail}, diags
	}}
}

func liveFS(body string) fstest.MapFS {
	return fstest.MapFS{"bundle.hcl": {Data: []byte(body)}, "known.json": {Data: []byte(`[1]`)}}
}

// TestLiveDataIsFetchedNotLoaded: loading decodes a live block without
// reading it; Fetch reads each block once, and reports failures per block.
func TestLiveDataIsFetchedNotLoaded(t *testing.T) {
	liveReads.Store(0)
	b, diags := testLoadFS(liveFS(`bundle "one" {}
data "test_live" "people" {}
data "test_live" "down" { fail = true }
`), "one")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if n := liveReads.Load(); n != 0 {
		t.Fatalf("loading read %d live sources", n)
	}
	if _, ok := b.Data["people"]; ok || len(b.Live) != 2 || b.Data["known"] == nil {
		t.Fatalf("Data %v, Live %d: want the file data loaded and two live blocks", b.Data, len(b.Live))
	}
	got := Fetch(context.Background(), []*Bundle{b})
	if len(got) != 2 || liveReads.Load() != 2 {
		t.Fatalf("Fetch returned %d results after %d reads", len(got), liveReads.Load())
	}
	if got[0].Name != "people" || got[0].Failed() || got[0].Bundle != "one" || got[0].Kind != "test_live" {
		t.Errorf("people: %+v", got[0])
	}
	if got[1].Name != "down" || !got[1].Failed() {
		t.Errorf("down: %+v", got[1])
	}
}

func TestLiveDataConflicts(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"live and live", `data "test_live" "people" {}`, `data "test_live" "people" {}`, "Conflicting data"},
		{"live and file data", `data "test_live" "known" {}`, ``, "Conflicting data"},
		{"different names", `data "test_live" "people" {}`, `data "test_live" "hosts" {}`, ""},
		{"reserved", `data "test_live" "assay" {}`, ``, "Reserved data name"},
		{"twice in a bundle", "data \"test_live\" \"x\" {}\ndata \"test_live\" \"x\" {}", ``, "Duplicate data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, d1 := testLoadFS(fstest.MapFS{"bundle.hcl": {Data: []byte("bundle \"a\" {}\n" + tt.a)}}, "a")
			b, d2 := testLoadFS(liveFS("bundle \"b\" {}\n"+tt.b), "b")
			diags := append(append(d1, d2...), Conflicts([]*Bundle{a, b})...)
			if (tt.want == "") != !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("diags = %v, want %q", diags, tt.want)
			}
		})
	}
}

// TestDataEnvReadFileError: the error of DataEnv.ReadFile names no path
// (the data kind's diagnostic does) but still says why, to errors.Is: a
// kind may treat a missing file apart from an unreadable one.
func TestDataEnvReadFileError(t *testing.T) {
	var got error
	kind := DataKind{Name: "test_reader", New: func(body hcl.Body, env *DataEnv) (DataSource, hcl.Diagnostics) {
		_, _, got = env.ReadFile("missing.pem")
		return countingSource{}, nil
	}}
	l := &Loader{DataKinds: NewDataKinds(kind)}
	if _, diags := l.LoadFS(context.Background(), fstest.MapFS{"bundle.hcl": {Data: []byte("bundle \"r\" {}\ndata \"test_reader\" \"x\" {}\n")}}, "r"); diags.HasErrors() {
		t.Fatal(diags)
	}
	if !errors.Is(got, fs.ErrNotExist) || strings.Contains(got.Error(), "missing.pem") {
		t.Errorf("ReadFile of a missing file: %v; want fs.ErrNotExist, without the path", got)
	}
}
