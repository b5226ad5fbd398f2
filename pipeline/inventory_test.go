package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadInventory(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []string // canonical targets, then labels as k=v
		err                 string
	}{
		{name: "lines", file: "hosts", content: "# fleet\nssh://root@web1\n\n  ssh://db1:2222  # the database\nssh://[fd00::5]:22\n",
			want: []string{"ssh://root@web1:22", "ssh://ME@db1:2222", "ssh://ME@[fd00::5]:22"}},
		{name: "a bare host in a line file", file: "hosts", content: "ssh://web1\nweb2\n", err: "hosts:2: \"web2\": want ssh://"},
		{name: "a path in a URL", file: "hosts", content: "ssh://web1/etc\n", err: "hosts:1: \"ssh://web1/etc\": an SSH target is a host"},
		{name: "a password", file: "hosts", content: "ssh://root:hunter2@web1\n", err: "a password in the URL is refused"},
		{name: "yaml", file: "fleet.yaml", content: `
defaults:
  user: auditor
  labels: {site: par1}
hosts:
  - web1.example.com
  - host: db1.example.com
    port: 2222
    labels: {role: db}
  - {host: "fd00::7", user: root}
  - ssh://backup@10.0.0.9
`, want: []string{"ssh://auditor@web1.example.com:22 site=par1", "ssh://auditor@db1.example.com:2222 role=db site=par1", "ssh://root@[fd00::7]:22 site=par1", "ssh://backup@10.0.0.9:22 site=par1"}},
		{name: "yaml unknown field", file: "fleet.yml", content: "hosts:\n  - host: web1\n    usr: root\n", err: "fleet.yml:3:5: unknown field \"usr\""},
		{name: "yaml bad label", file: "fleet.yaml", content: "hosts:\n  - {host: web1, labels: {\"a-b\": x}}\n", err: "fleet.yaml:2:5: label \"a-b\""},
		{name: "yaml no host", file: "fleet.yaml", content: "hosts:\n  - {user: root}\n", err: "fleet.yaml:2:5: no host"},
		{name: "yaml URL and fields", file: "fleet.yaml", content: "hosts:\n  - {host: \"ssh://web1\", port: 22}\n", err: "not both"},
		{name: "yaml syntax", file: "fleet.yaml", content: "hosts: [\n", err: "fleet.yaml: yaml: line 1"},
		{name: "yaml empty", file: "fleet.yaml", content: "", want: nil},
	}
	me := currentUserForTest()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadInventory(p)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.file) {
					t.Fatalf("error %v, want one naming %s and saying %q", err, tt.file, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				s := g.Address.String()
				var labels []string
				for k, v := range g.Labels {
					labels = append(labels, k+"="+v)
				}
				if len(labels) > 0 {
					sortStrings(labels)
					s += " " + strings.Join(labels, " ")
				}
				names = append(names, s)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "ME@", me+"@"))
			}
			if strings.Join(names, "\n") != strings.Join(want, "\n") {
				t.Errorf("targets:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestRemoteTargetsDuplicates(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "hosts")
	if err := os.WriteFile(inv, []byte("ssh://root@web1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := RemoteTargets([]string{"ssh://root@web1:22"}, inv)
	if err == nil || !strings.Contains(err.Error(), inv+":1: target ssh://root@web1:22 is also named at --target") {
		t.Errorf("duplicate: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("ssh://h\n", maxInventoryTargets+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInventory(big); err == nil || !strings.Contains(err.Error(), "more than 10000 targets") {
		t.Errorf("too many targets: %v", err)
	}
}
