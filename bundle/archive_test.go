package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one tar entry for a test archive.
type entry struct {
	name     string
	typ      byte
	body     string
	linkname string
	size     int64 // when set, the header's size; the body is zeros
}

func makeTarGz(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.linkname}
		body := []byte(e.body)
		if e.size > 0 {
			body = make([]byte, e.size)
		}
		if typ == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarDir packs a directory as `tar czf x.tar.gz -C parent dir` would.
func tarDir(t *testing.T, dir, top string) []entry {
	t.Helper()
	var out []entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(filepath.Join(top, rel))
		if d.IsDir() {
			out = append(out, entry{name: name + "/", typ: tar.TypeDir})
			return nil
		}
		src, err := os.ReadFile(p)
		out = append(out, entry{name: name, body: string(src)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadArchive loads the good bundle from a .tar.gz, with and without a
// top directory, and finds what the directory gives.
func TestLoadArchive(t *testing.T) {
	for _, top := range []string{"ssh", "."} {
		t.Run(top, func(t *testing.T) {
			p := writeTemp(t, "ssh.tar.gz", makeTarGz(t, tarDir(t, "testdata/good/ssh", top)))
			b, diags := testLoad(context.Background(), p)
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", render(t, b.Files, diags))
			}
			checkSSH(t, b, p)
			if b.Source != p {
				t.Errorf("Source = %q", b.Source)
			}
		})
	}
}

func TestArchiveRefused(t *testing.T) {
	ok := entry{name: "bundle.hcl", body: "bundle \"x\" {}\n"}
	tests := []struct {
		name    string
		entries []entry
		want    string // in the diagnostic's detail
	}{
		{"dotdot", []entry{ok, {name: "../evil.rego", body: "package evil"}}, `Entry "../evil.rego" of ARCHIVE points outside the archive (../)`},
		{"dotdot-inside", []entry{ok, {name: "a/../../evil.rego", body: "package evil"}}, `Entry "a/../../evil.rego" of ARCHIVE points outside`},
		{"absolute", []entry{ok, {name: "/etc/cron.d/evil", body: "x"}}, `Entry "/etc/cron.d/evil" of ARCHIVE has an absolute path`},
		{"symlink", []entry{ok, {name: "passwd.rego", typ: tar.TypeSymlink, linkname: "/etc/passwd"}}, `Entry "passwd.rego" of ARCHIVE is a symbolic link (to "/etc/passwd")`},
		{"hardlink", []entry{ok, {name: "h.rego", typ: tar.TypeLink, linkname: "bundle.hcl"}}, `Entry "h.rego" of ARCHIVE is a hard link`},
		{"chardev", []entry{ok, {name: "null", typ: tar.TypeChar}}, `Entry "null" of ARCHIVE is a device`},
		{"blockdev", []entry{ok, {name: "sda", typ: tar.TypeBlock}}, `Entry "sda" of ARCHIVE is a device`},
		{"fifo", []entry{ok, {name: "pipe", typ: tar.TypeFifo}}, `Entry "pipe" of ARCHIVE is a FIFO`},
		{"duplicate", []entry{ok, {name: "./bundle.hcl", body: "bundle \"y\" {}\n"}}, `Entry "./bundle.hcl" of ARCHIVE appears twice`},
		{"oversized", []entry{ok, {name: "big.json", size: maxFileSize + 1}}, `Entry "big.json" of ARCHIVE is larger than 16 MiB`},
		{"file-and-dir", []entry{ok, {name: "a", body: "x"}, {name: "a/b.rego", body: "package b"}}, `Entry "a" of ARCHIVE is both a file and a directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTemp(t, "b.tar.gz", makeTarGz(t, tt.entries))
			b, diags := testLoad(context.Background(), p)
			if !diags.HasErrors() {
				t.Fatal("archive accepted")
			}
			want := strings.ReplaceAll(tt.want, "ARCHIVE", p)
			text := render(t, b.Files, diags)
			if !strings.Contains(text, want) {
				t.Errorf("diagnostics lack %q:\n%s", want, text)
			}
			if len(b.Policies) > 0 || len(b.Modules) > 0 {
				t.Errorf("a refused archive still gave modules")
			}
		})
	}
}

func TestArchiveNotGzip(t *testing.T) {
	p := writeTemp(t, "b.tgz", []byte("not gzip at all"))
	_, diags := testLoad(context.Background(), p)
	if !diags.HasErrors() || diags[0].Summary != "Invalid archive" {
		t.Errorf("diags = %v", diags)
	}
	// Truncated: a valid gzip header, then nothing.
	full := makeTarGz(t, tarDir(t, "testdata/good/ssh", "ssh"))
	p = writeTemp(t, "b.tgz", full[:len(full)/2])
	if _, diags := testLoad(context.Background(), p); !diags.HasErrors() {
		t.Errorf("truncated archive accepted")
	}
}
