package file

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/schema/schematest"
)

// TestDocumentsMatchSchema validates the documents of searches that
// between them produce every field (owners, links, sparse files, content
// matching and capture, digests, gzip, long lines) against the file schema.
func TestDocumentsMatchSchema(t *testing.T) {
	root := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("secret=1\n"))
	zw.Close()
	writeTree(t, root, map[string]string{
		"etc/passwd":   "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n",
		"etc/group":    "root:x:0:\nalice:x:1000:\n",
		"srv/a.txt":    "one\ntwo\n\xff\xfebad\n",
		"srv/bin.dat":  "a\x00b\n",
		"srv/old.gz":   gz.String(),
		"srv/long":     "short\n" + strings.Repeat("k", maxLineBytes+10) + "\n",
		"srv/empty":    "",
		"srv/sub/deep": "one\n",
	})
	must(t, os.Symlink("a.txt", filepath.Join(root, "srv/link")))
	sparse, err := os.Create(filepath.Join(root, "srv/sparse"))
	must(t, err)
	must(t, sparse.Truncate(1<<20))
	sparse.Close()
	var docs []document.Document
	for _, body := range []string{
		`paths = ["/srv"]
  capture = true
  content = ["^(one|two)$"]
  matchany = true
  report  = "all"
  decompress = true
  hashes  = ["sha256", "md5", "sha1", "sha384", "sha512", "sha3_256", "sha3_512"]`,
		`paths = ["/srv", "/etc"]
  report = "all"`,
		`paths = ["/srv"]
  content = "^(one|two|short|k+)$"
  macroal = true
  mismatch = ["content"]
  mode = "^-"
  size = "<10M"
  mtime = ">1s"
  owner = ["root", "alice"]`,
	} {
		docs = append(docs, collect(t, mustCollector(t, body), openDir(t, root)).docs...)
	}
	schematest.Check(t, docs)
	seen := map[string]bool{}
	for _, d := range docs {
		for k := range d {
			seen[k] = true
		}
	}
	// The fields that only some files have: a test that never emits them
	// would not check their types.
	for _, k := range []string{"link", "sparse", "hashes", "content", "owner", "group"} {
		if !seen[k] {
			t.Errorf("no document has %q", k)
		}
	}
}
