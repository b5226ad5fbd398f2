package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// failDirFS is a MapFS whose directory dir cannot be listed.
type failDirFS struct {
	fstest.MapFS
	dir string
}

var errListing = errors.New("listing refused")

func (f failDirFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == f.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errListing}
	}
	return f.MapFS.ReadDir(name)
}

// TestListFiles: which files belong to a bundle, and which of them the
// loader reads by itself. Each entry is shown as "name kind", with the type
// of a file that is not regular and the error of one that cannot be listed.
func TestListFiles(t *testing.T) {
	file := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
	tests := []struct {
		name string
		fsys fs.FS
		want []string
	}{
		{"empty", fstest.MapFS{}, nil},
		{"hcl only in the root", fstest.MapFS{
			"bundle.hcl":       file(""),
			"sub/other.hcl":    file(""),
			"policies/x.hcl":   file(""),
			"policy.hcl.orig":  file(""),
			"data/settings.hc": file(""),
		}, []string{
			"bundle.hcl hcl",
			"data/settings.hc other",
			"policies/x.hcl other",
			"policy.hcl.orig other",
			"sub/other.hcl other",
		}},
		{"rego anywhere", fstest.MapFS{
			"a.rego":               file(""),
			"policies/b.rego":      file(""),
			"policies/deep/c.rego": file(""),
			"testdata/d.rego":      file(""),
			"data/e.rego":          file(""),
		}, []string{
			"a.rego rego",
			"data/e.rego rego",
			"policies/b.rego rego",
			"policies/deep/c.rego rego",
			"testdata/d.rego rego",
		}},
		{"data in the root and data/", fstest.MapFS{
			"limits.json":        file("{}"),
			"users.yaml":         file(""),
			"groups.yml":         file(""),
			"data/ports.json":    file("{}"),
			"data/sub/x.json":    file("{}"),
			"lists/allowed.json": file("{}"),
			"notes.txt":          file(""),
		}, []string{
			"data/ports.json data",
			"data/sub/x.json other",
			"groups.yml data",
			"limits.json data",
			"lists/allowed.json other",
			"notes.txt other",
			"users.yaml data",
		}},
		{"hidden files and directories", fstest.MapFS{
			"bundle.hcl":             file(""),
			".manifest":              file("{}"),
			".signatures.json":       file("{}"),
			".git/config":            file(""),
			".git/hooks/x.rego":      file(""),
			"data/.cache.json":       file("{}"),
			"policies/.old/p.rego":   file(""),
			"policies/.swp.rego":     file(""),
			"policies/visible.rego":  file(""),
			"README.md":              file(""),
			"templates/message.tmpl": file(""),
		}, []string{
			"README.md other",
			"bundle.hcl hcl",
			"policies/visible.rego rego",
			"templates/message.tmpl other",
		}},
		{"files of any type, unfollowed", fstest.MapFS{
			"pipe.rego":   &fstest.MapFile{Mode: fs.ModeNamedPipe},
			"link.json":   &fstest.MapFile{Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink},
			"regular.hcl": file(""),
		}, []string{
			"link.json data L---------",
			"pipe.rego rego p---------",
			"regular.hcl hcl",
		}},
		{"walk order is not sorted order", fstest.MapFS{
			"a/b.rego":   file(""),
			"a.rego":     file(""),
			"a-b/c.rego": file(""),
		}, []string{
			"a/b.rego rego", // sorted, it would come last
			"a-b/c.rego rego",
			"a.rego rego",
		}},
		{"unreadable directory", failDirFS{MapFS: fstest.MapFS{
			"bundle.hcl":       file(""),
			"policies/a.rego":  file(""),
			"zz/after.rego":    file(""),
			"policies/b/c.hcl": file(""),
		}, dir: "policies"}, []string{
			"bundle.hcl hcl",
			"policies error: readdir policies: listing refused",
			"zz/after.rego rego",
		}},
		{"unreadable root", failDirFS{MapFS: fstest.MapFS{
			"bundle.hcl": file(""),
		}, dir: "."}, []string{
			". error: readdir .: listing refused",
		}},
	}
	kinds := map[FileKind]string{OtherFile: "other", HCLFile: "hcl", RegoFile: "rego", DataFile: "data"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range ListFiles(tt.fsys) {
				s := fmt.Sprintf("%s %s", e.Name, kinds[e.Kind])
				if e.Err != nil {
					s = fmt.Sprintf("%s error: %v", e.Name, e.Err)
				} else if e.Type != 0 {
					s += " " + e.Type.String()
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ListFiles (-want +got):\n%s", diff)
			}
		})
	}
}
