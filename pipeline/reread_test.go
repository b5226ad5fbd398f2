package pipeline_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	collectors "github.com/assay-dev/assay/collectors/all"
	"github.com/assay-dev/assay/pipeline"
	"github.com/hashicorp/hcl/v2"
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

// TestReadDocumentFilesInOrder: files read side by side come back in the
// order given, documents, warnings and the held-text budget alike; of
// several bad files the first is the error; a FIFO among them is read in
// its turn, once its writer comes.
func TestReadDocumentFilesInOrder(t *testing.T) {
	dir := t.TempDir()
	const n = 64
	var files []string
	for i := range n {
		f := filepath.Join(dir, fmt.Sprintf("%02d.json", i))
		text := fmt.Sprintf(`{"kind": "k", "n": %d, "dup%d": 1, "dup%d": 2}`, i, i, i)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	withFIFO := slices.Insert(slices.Clone(files), n/2, fifo)
	go func() {
		// The writer comes late: the readers are as far ahead as they go
		// by then.
		time.Sleep(100 * time.Millisecond)
		os.WriteFile(fifo, []byte(`{"kind": "k", "n": "fifo"}`), 0o600)
	}()

	// Budget for about half the files: which are kept must not depend
	// on which reader finished first.
	restore := pipeline.SetHeldTextBudget(int64(n/2) * int64(len(`{"kind": "k", "n": 10, "dup10": 1, "dup10": 2}`)))
	defer restore()
	var warned []string
	env := &pipeline.Env{Collectors: collectors.Registry()}
	col, err := env.ReadDocumentFiles(withFIFO, pipeline.DocumentOptions{Warn: func(diags hcl.Diagnostics, _ map[string]*hcl.File) {
		for _, d := range diags {
			warned = append(warned, filepath.Base(d.Subject.Filename))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Documents) != n+1 {
		t.Fatalf("%d documents, want %d", len(col.Documents), n+1)
	}
	// The budget, spent in the order of the files.
	var held int64
	for i, d := range col.Documents {
		if d.File != withFIFO[i] {
			t.Fatalf("document %d is from %s, want %s", i, d.File, withFIFO[i])
		}
		size := int64(len(fmt.Sprintf(`{"kind": "k", "n": %d, "dup%d": 1, "dup%d": 2}`, i, i, i)))
		if d.File == fifo {
			if d.JSON == nil {
				t.Errorf("the FIFO's text is not kept")
			}
			held += int64(len(d.JSON)) // kept, whatever the budget
			continue
		}
		if i > n/2 {
			size = int64(len(fmt.Sprintf(`{"kind": "k", "n": %d, "dup%d": 1, "dup%d": 2}`, i-1, i-1, i-1)))
		}
		wantKept := held+size <= int64(n/2)*int64(len(`{"kind": "k", "n": 10, "dup10": 1, "dup10": 2}`))
		if wantKept {
			held += size
		}
		if (d.JSON != nil) != wantKept || (d.Reread != nil) == wantKept {
			t.Errorf("%s: kept %v, want %v", d.File, d.JSON != nil, wantKept)
		}
	}
	var want []string
	for _, f := range files {
		want = append(want, filepath.Base(f))
	}
	if !slices.Equal(warned, want) {
		t.Errorf("warnings in the order %v, want the files' %v", warned, want)
	}

	bad := slices.Clone(files)
	for _, i := range []int{5, 40} {
		bad[i] = filepath.Join(dir, fmt.Sprintf("bad%d.json", i))
		if err := os.WriteFile(bad[i], []byte(`{"n": `), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.ReadDocumentFiles(bad, pipeline.DocumentOptions{}); err == nil || !strings.Contains(err.Error(), "bad5.json") {
		t.Errorf("of two bad files, the error is not the first's: %v", err)
	}
}

// TestReadStdinLargestLimit: standard input under the largest
// --max-document-size is read whole, not taken for empty.
func TestReadStdinLargestLimit(t *testing.T) {
	env := &pipeline.Env{Collectors: collectors.Registry(), Stdin: strings.NewReader(`{"kind": "k", "n": 1}`)}
	col, err := env.ReadDocumentFiles([]string{"-"}, pipeline.DocumentOptions{MaxSize: math.MaxInt64})
	if err != nil || len(col.Documents) != 1 {
		t.Fatalf("stdin under the largest limit: %v, %v", col, err)
	}
}

// TestReadDocumentFilesHoldNothingPastShare: when the files' text is more
// than four times the budget, the budget would spare little reading
// again, and the text it held would stay live to the end: none is held.
// Standard input is kept all the same: it cannot be read again.
func TestReadDocumentFilesHoldNothingPastShare(t *testing.T) {
	dir := t.TempDir()
	text := `{"kind": "k", "n": 1}`
	write := func(n int) []string {
		var files []string
		for i := range n {
			f := filepath.Join(dir, fmt.Sprintf("%d-%02d.json", n, i))
			if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		return files
	}
	restore := pipeline.SetHeldTextBudget(2 * int64(len(text)))
	defer restore()
	env := &pipeline.Env{Collectors: collectors.Registry(), Stdin: strings.NewReader(text)}
	for _, tc := range []struct {
		files int
		kept  int
	}{
		{8, 2},  // four times the budget: the first two are kept
		{9, 0},  // past it: none
		{20, 0}, // far past it
	} {
		files := append(write(tc.files), "-")
		col, err := env.ReadDocumentFiles(files, pipeline.DocumentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, d := range col.Documents {
			if d.File == "-" {
				if d.Reread != nil {
					t.Errorf("%d files: standard input is to be read again; it cannot be", tc.files)
				}
				continue
			}
			if d.JSON != nil {
				kept++
			} else if got, err := d.Text(); err != nil || string(got) != text {
				t.Errorf("%s read again: %q, %v", d.File, got, err)
			}
		}
		if kept != tc.kept {
			t.Errorf("%d files of twice the budget's text: %d kept, want %d", tc.files, kept, tc.kept)
		}
		env.Stdin = strings.NewReader(text)
	}
}
