package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline"
)

// TestReadFleetFiles: each file, or each section of a multi-target collect
// file, is one target; what cannot be a fleet is refused (exit 2) naming
// the file.
func TestReadFleetFiles(t *testing.T) {
	collect := func(kind, name, hostname string) string {
		return `{"schema": "assay.documents/v1", "tool": {"name": "assay"}, "target": {"kind": "` + kind + `", "name": "` + name + `"},
"host": {"hostname": "` + hostname + `"}, "collectors": [], "documents": [{"bundle": "b", "collector": "file.x", "document": {"kind": "file", "path": "/x"}}]}`
	}
	multi := func(sections string) string {
		return `{"schema": "assay.documents.targets/v1", "tool": {"name": "assay"}, "targets": [` + sections + `]}`
	}
	tests := []struct {
		name  string
		files map[string]string // in the order given
		order []string
		want  []string // target names and statuses, or the error
		err   string
	}{
		{name: "hosts by their host names, roots by their own", order: []string{"a.json", "b.json", "c.json"},
			files: map[string]string{"a.json": collect("host", "/", "web-1"), "b.json": collect("host", "/", "web-2"), "c.json": collect("root", "/srv/rootfs", "x")},
			want:  []string{"web-1 ok", "web-2 ok", "/srv/rootfs ok"}},
		{name: "plain documents are a target named by the file", order: []string{"doc.json"},
			files: map[string]string{"doc.json": `{"kind": "thing"}`}, want: []string{"doc.json ok"}},
		{name: "sections of a multi-target file", order: []string{"m.json"},
			files: map[string]string{"m.json": multi(`{"target": {"kind": "ssh", "name": "ssh://a:22"}, "status": "ok", "labels": {"site": "x"}, "documents": ` + collect("ssh", "ssh://a:22", "a") + `},
{"target": {"kind": "ssh", "name": "ssh://b:22"}, "status": "failed", "error": "refused"}`)},
			want: []string{"ssh://a:22 ok", "ssh://b:22 failed"}},
		{name: "the same host twice", order: []string{"a.json", "b.json"},
			files: map[string]string{"a.json": collect("host", "/", "web-1"), "b.json": collect("host", "/", "web-1")},
			err:   `b.json: target "web-1" is also the target of a.json`},
		{name: "a section with an unknown status", order: []string{"m.json"},
			files: map[string]string{"m.json": multi(`{"target": {"kind": "ssh", "name": "ssh://a:22"}, "status": "maybe"}`)},
			err:   `m.json: targets[0]: status "maybe"`},
		{name: "a section that names no target", order: []string{"m.json"},
			files: map[string]string{"m.json": multi(`{"target": {}, "status": "ok"}`)},
			err:   `m.json: targets[0] names no target`},
		{name: "an ok section without documents", order: []string{"m.json"},
			files: map[string]string{"m.json": multi(`{"target": {"kind": "ssh", "name": "ssh://a:22"}, "status": "ok"}`)},
			err:   `targets[0] (ssh://a:22) is ok but has no documents`},
		{name: "a broken document in a section", order: []string{"m.json"},
			files: map[string]string{"m.json": multi(`{"target": {"kind": "ssh", "name": "ssh://a:22"}, "status": "ok", "documents": {"schema": "assay.documents/v1", "documents": [{"bundle": "b", "collector": "c"}]}}`)},
			err:   `targets[0] (ssh://a:22): m.json: documents[0] has no "document"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, name := range tt.order {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(tt.files[name]), 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			env := pipeline.Builtin(report.Tool{Name: "assay"})
			got, err := env.ReadFleetFiles(paths, pipeline.DocumentOptions{})
			if tt.err != "" {
				if err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), dir+"/", ""), tt.err) || exitcode.Of(err, 0) != exitcode.Usage {
					t.Fatalf("err = %v (exit %d), want one containing %q, exit 2", err, exitcode.Of(err, 0), tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, in := range got {
				name := strings.TrimPrefix(in.Target.Name, dir+"/")
				names = append(names, name+" "+string(in.Status))
				if (in.Collected == nil) != (in.Status == report.TargetFailed) {
					t.Errorf("%s: documents %v with status %s", name, in.Collected != nil, in.Status)
				}
			}
			if strings.Join(names, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("targets %q, want %q", names, tt.want)
			}
		})
	}
}
