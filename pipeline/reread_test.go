package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	collectors "github.com/assay-dev/assay/collectors/all"
	"github.com/assay-dev/assay/pipeline"
)

// TestReadDocumentFilesReread: under the budget of held text a document
// file's text is kept; past it a regular file is read again when judged,
// and one changed in between is an error, not a document that skipped the
// checks.
func TestReadDocumentFilesReread(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i, text := range []string{`{"kind": "a", "n": 1}`, "\n  {\"kind\": \"b\", \"n\": 2}\n"} {
		f := filepath.Join(dir, []string{"a.json", "b.json"}[i])
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	env := &pipeline.Env{Collectors: collectors.Registry()}

	col, err := env.ReadDocumentFiles(files, pipeline.DocumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range col.Documents {
		if d.JSON == nil || d.Reread != nil {
			t.Errorf("%s: under the budget the text is kept, not read again", d.File)
		}
	}

	restore := pipeline.SetHeldTextBudget(int64(len(`{"kind": "a", "n": 1}`)))
	defer restore()
	col, err = env.ReadDocumentFiles(files, pipeline.DocumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := &col.Documents[0], &col.Documents[1]
	if a.JSON == nil || b.JSON != nil || b.Reread == nil {
		t.Fatalf("the first file fits the budget and is kept, the second is read again: got JSON %q / %q", a.JSON, b.JSON)
	}
	if text, err := b.Text(); err != nil || string(text) != `{"kind": "b", "n": 2}` {
		t.Fatalf("read again: %q, %v", text, err)
	}
	if err := os.WriteFile(files[1], []byte(`{"kind": "b", "n": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if text, err := b.Text(); err == nil || !strings.Contains(err.Error(), "b.json changed after assay read and checked it") {
		t.Fatalf("a file changed since it was checked: got %q, %v", text, err)
	}
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Text(); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("a file removed since: %v", err)
	}
}
