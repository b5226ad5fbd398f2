package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			docs, host, err := pipeline.ReadDocuments(path, collectors.Registry())
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
		_, _, err := pipeline.ReadDocuments(dir, collectors.Registry())
		if err == nil || err.Error() != dir+": a directory: want a JSON or YAML file (the output of 'assay collect', or documents)" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, _, err := pipeline.ReadDocuments(filepath.Join(t.TempDir(), "nope.json"), collectors.Registry())
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
			docs, _, err := pipeline.ReadDocuments(path, collectors.Registry())
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
