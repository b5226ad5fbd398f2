package pipeline_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/hcl/v2"

	collectors "github.com/assay-dev/assay/collectors/all"
	"github.com/assay-dev/assay/pipeline"
)

func TestReadDocuments(t *testing.T) {
	collectFile := `{"schema": "assay.documents/v1", "target": {"kind": "host", "name": "/"},
  "host": {"kind": "host", "hostname": "web-1"},
  "documents": [
    {"bundle": "b", "collector": "file.keys", "document": {"kind": "file", "collector": "keys", "path": "/root/.ssh/authorized_keys", "size": 12}},
    {"bundle": "b", "collector": "host.h", "document": {"kind": "host", "collector": "h"}}
  ]}`
	for _, tc := range []struct {
		name, file, content string
		wantDocs            int
		wantHost            string
		wantCollector       string
		wantErr             string // substring of the error; "" = no error
	}{
		{name: "collect output", file: "host1.json", content: collectFile, wantDocs: 2, wantHost: "web-1", wantCollector: "file.keys"},
		{name: "plain JSON object", file: "deploy.json", content: `{"kind": "Deployment", "spec": {"replicas": 3}}`, wantDocs: 1},
		{name: "multi-document YAML", file: "k8s.yaml", content: "kind: A\n---\nkind: B\n---\n# only a comment\n", wantDocs: 2},
		{name: "YAML without extension is tried", file: "config", content: "a: 1\nb: [x, y]\n", wantDocs: 1},
		{name: "truncated JSON", file: "t.json", content: "{\"a\": [1, 2,\n", wantErr: "t.json:2:1: unexpected end of file: the JSON is truncated"},
		{name: "syntax error names line and column", file: "s.json", content: "{\n  \"a\": 1,\n  \"b\" 2\n}", wantErr: "s.json:3:7: invalid character '2'"},
		{name: "trailing data", file: "two.json", content: "{\"a\":1}\n{\"b\":2}", wantErr: "two.json:2:1: unexpected data after the JSON document"},
		{name: "top-level list", file: "l.json", content: "[1, 2]", wantErr: "l.json:1:1: the top level is a list"},
		{name: "empty file", file: "e.json", content: "  \n", wantErr: "empty file"},
		{name: "bad YAML names the document's line", file: "bad.yaml", content: "a: 1\n---\nb: [unclosed\n", wantErr: "bad.yaml:3:1: YAML document 2: yaml: did not find expected"},
		{name: "bad YAML deep in a later document names the file's line", file: "deep.yaml", content: "a: 1\n---\nb: 2\nc: [\nd: 3\n", wantErr: "deep.yaml:5:1: YAML document 2: yaml: did not find"},
		{name: "binary file", file: "bin.json", content: "\x7fELF\x02\x01\x00\x00", wantErr: "bin.json:1:1: YAML document 1: yaml: control characters are not allowed"},
		{name: "collect entry that is not an object", file: "c.json", content: "{\"schema\": \"assay.documents/v1\",\n \"documents\": [{\"document\": [1]}]}", wantErr: "c.json:2:30: json: cannot unmarshal array"},
		{name: "collect entry with null document", file: "c.json", content: `{"schema": "assay.documents/v1", "documents": [{"document": null}]}`, wantErr: `documents[0] has no "document"`},
		{name: "collect entry without document", file: "c.json", content: `{"schema": "assay.documents/v1", "documents": [{"bundle": "b"}]}`, wantErr: `documents[0] has no "document"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			docs, host, err := pipeline.ReadDocuments(path, collectors.Registry(), pipeline.DocumentOptions{})
			if tc.wantErr != "" {
				var ie *pipeline.InputError
				if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want an InputError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != tc.wantDocs {
				t.Fatalf("got %d documents, want %d: %v", len(docs), tc.wantDocs, docs)
			}
			if tc.wantHost != "" && (host == nil || host["hostname"] != tc.wantHost) {
				t.Errorf("host = %v, want hostname %q", host, tc.wantHost)
			}
			if tc.wantCollector != "" && docs[0].CollectorID != tc.wantCollector {
				t.Errorf("collector = %q, want %q", docs[0].CollectorID, tc.wantCollector)
			}
			if tc.wantHost == "" && docs[0].File != path {
				t.Errorf("a plain file's documents point at it: File = %q", docs[0].File)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		_, _, err := pipeline.ReadDocuments(dir, collectors.Registry(), pipeline.DocumentOptions{})
		if err == nil || err.Error() != dir+": a directory: want a JSON or YAML file (the output of 'assay collect', or documents)" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, _, err := pipeline.ReadDocuments(filepath.Join(t.TempDir(), "nope.json"), collectors.Registry(), pipeline.DocumentOptions{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want not-exist", err)
		}
	})
}

// TestReadDocumentsCompact: a plain JSON object file is kept as its text for
// the engine to decode when it judges it; a collect file and the documents
// netFacts reads are decoded as before.
func TestReadDocumentsCompact(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		wantJSON      bool
	}{
		{"plain object", " {\"kind\": \"Deployment\", \"n\": 1.50}\n", true},
		{"schema that is not a collect file", `{"schema": "other/v1", "documents": []}`, true},
		{"schema that is no string", `{"schema": 1}`, true},
		{"collect file", `{"schema": "assay.documents/v1", "documents": [{"document": {"kind": "x"}}]}`, true},
		{"collect file, schema last of duplicates", `{"schema": "x", "schema": "assay.documents/v1", "documents": [{"document": {"kind": "x"}}]}`, true},
		{"collect file, interface document", `{"schema": "assay.documents/v1", "documents": [{"document": {"kind": "net.interface", "mac": "aa"}}]}`, false},
		{"interface document", `{"kind": "net.interface", "mac": "aa:bb:cc:dd:ee:ff", "name": "eth0"}`, false},
		{"neighbor document", `{"kind": "net.neighbor", "mac": "aa:bb:cc:dd:ee:ff"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			docs, _, err := pipeline.ReadDocuments(path, collectors.Registry(), pipeline.DocumentOptions{})
			if err != nil || len(docs) != 1 {
				t.Fatalf("docs %v, err %v", docs, err)
			}
			d := docs[0]
			if got := d.JSON != nil; got != tc.wantJSON {
				t.Fatalf("kept as JSON = %v, want %v (Document %v)", got, tc.wantJSON, d.Document)
			}
			if tc.wantJSON {
				if d.Document != nil || (d.File != "" && string(d.JSON) != strings.TrimSpace(tc.content)) {
					t.Errorf("JSON = %q, Document = %v", d.JSON, d.Document)
				}
				if f, err := d.Fields(); err != nil || f == nil {
					t.Errorf("Fields: %v, %v", f, err)
				}
			} else if d.Document == nil {
				t.Error("no Document")
			}
		})
	}
}

// TestReadDocumentsLimits: what the engine would refuse is refused on
// reading, at its line and column; names given twice are warnings, or
// errors with Strict; a file over MaxSize is refused.
func TestReadDocumentsLimits(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		opts                pipeline.DocumentOptions
		wantErr             string   // substring of the error; "" = none
		wantWarn            []string // substrings of the warnings, in order
		wantDocs            int      // checked when set
	}{
		{name: "huge exponent", file: "n.json", content: "{\"kind\": \"x\",\n \"n\": 1e999999999}",
			wantErr: "n.json:2:7: number out of range: 1e999999999 cannot be evaluated"},
		{name: "beyond float64 in a collect file", file: "c.json",
			content: "{\"schema\": \"assay.documents/v1\",\n \"documents\": [{\"document\": {\"kind\": \"x\", \"n\": [1,\n  -2e400]}}]}",
			wantErr: "c.json:3:3: number out of range: -2e400 is beyond what a 64-bit float holds"},
		{name: "too deep", file: "d.json", content: `{"a": ` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + "}",
			wantErr: "d.json:1:1006: objects and lists nest more than 1000 levels deep"},
		{name: "duplicate names warn", file: "dup.json", content: "{\"kind\": \"x\",\n \"a\": 1,\n \"a\": 2, \"b\": {\"c\": 1, \"c\": 2}}",
			wantWarn: []string{`dup.json:3:2: "a" is given twice in one object (first at line 2, column 2)`, `dup.json:3:24: "c" is given twice`}},
		{name: "duplicate names with strict", file: "dup.json", content: "{\"kind\": \"x\",\n \"a\": 1,\n \"a\": 2}",
			opts:    pipeline.DocumentOptions{Strict: true},
			wantErr: `dup.json:3:2: "a" is given twice in one object (first at 2:2); --strict refuses that`},
		{name: "duplicate keys in YAML warn", file: "dup.yaml", content: "a: 1\n---\nb: 1\nc:\n  d: 1\n  d: 2\n",
			wantWarn: []string{`dup.yaml:6:1: YAML document 2: key "d" is given twice in one mapping: the later value wins`}, wantDocs: 2},
		{name: "duplicate keys in YAML with strict", file: "dup.yaml", content: "a: 1\n---\nb: 1\nb: 2\n",
			opts:    pipeline.DocumentOptions{Strict: true},
			wantErr: `dup.yaml:4:1: YAML document 2: key "b" is given twice in one mapping; --strict refuses that`},
		{name: "over the size limit", file: "big.json", content: `{"a": "` + strings.Repeat("x", 2000) + `"}`,
			opts:    pipeline.DocumentOptions{MaxSize: 1024},
			wantErr: "big.json: file too large: more than the 1 KiB that --max-document-size allows; raise it if the file is trusted"},
		{name: "at the size limit", file: "ok.json", content: `{"a": "` + strings.Repeat("x", 1024-10) + `"}`,
			opts: pipeline.DocumentOptions{MaxSize: 1024}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			var warnings []string
			tc.opts.Warn = func(diags hcl.Diagnostics, files map[string]*hcl.File) {
				for _, d := range diags {
					if files[d.Subject.Filename] == nil {
						t.Errorf("no source for %s", d.Subject.Filename)
					}
					warnings = append(warnings, fmt.Sprintf("%s:%d:%d: %s", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column, d.Detail))
				}
			}
			docs, _, err := pipeline.ReadDocuments(path, collectors.Registry(), tc.opts)
			if tc.wantErr != "" {
				var ie *pipeline.InputError
				if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want an InputError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(docs) == 0 || (tc.wantDocs > 0 && len(docs) != tc.wantDocs) {
				t.Fatalf("docs %v, err %v", docs, err)
			}
			if len(warnings) != len(tc.wantWarn) {
				t.Fatalf("warnings %q, want %d", warnings, len(tc.wantWarn))
			}
			for i, w := range tc.wantWarn {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %q, want %q", warnings[i], w)
				}
			}
		})
	}
}

// TestReadDocumentsPipeLimit: a pipe has no size to look at first; no more
// than the limit and a byte is read from it, and the writer is not waited
// for beyond that.
func TestReadDocumentsPipeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe.json")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	written := make(chan int64, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			written <- -1
			return
		}
		defer f.Close()
		// An endless document: only the reader closing stops this.
		n, _ := io.Copy(f, io.MultiReader(strings.NewReader(`{"a": "`), endless{}))
		written <- n
	}()
	_, _, err := pipeline.ReadDocuments(path, collectors.Registry(), pipeline.DocumentOptions{MaxSize: 1 << 20})
	if !errors.Is(err, pipeline.ErrDocumentTooLarge) {
		t.Fatalf("err = %v, want ErrDocumentTooLarge", err)
	}
	if n := <-written; n > 2<<20 {
		t.Errorf("the writer got %d bytes out: the reader read far past its limit", n)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}
