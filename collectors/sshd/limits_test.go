package sshd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHugeFiles makes each file the collector reads a 200 GB sparse file in
// a hostile root. Read whole with fs.ReadFile, any of them made the Go
// runtime ask for 200 GB at once and die (a fatal error, not a panic). Now
// each is refused past its bound: the main file fails the collector with a
// message naming the limit, an include is a configuration error, and the
// account and package files are left out as when they are missing.
func TestHugeFiles(t *testing.T) {
	for _, tc := range []struct {
		name, huge, config string
		wantErr            string // the collector fails with it
		wantDocErr         string // the document's errors hold it
	}{
		{name: "main file", huge: "etc/ssh/sshd_config", wantErr: "larger than 16 MiB"},
		{name: "include", huge: "etc/ssh/huge.conf", config: "Include /etc/ssh/huge.conf\n", wantDocErr: "larger than 16 MiB"},
		{name: "passwd", huge: "etc/passwd", config: "Port ssh\n"},
		{name: "group", huge: "etc/group", config: "Port ssh\n"},
		{name: "services", huge: "etc/services", config: "Port ssh\n"},
		{name: "dpkg status", huge: "var/lib/dpkg/status"},
		{name: "apk database", huge: "lib/apk/db/installed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{"etc/ssh/sshd_config": tc.config, "etc/services": "ssh 22/tcp\n"})
			p := filepath.Join(root, tc.huge)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(200 << 30); err != nil {
				f.Close()
				t.Skipf("cannot make a 200 GB sparse file here: %v", err)
			}
			f.Close()
			c, _ := factory(t, "")
			s, err := collect(t, c, root)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "/etc/ssh/sshd_config") {
					t.Errorf("err = %v, want it to name the file and say %q", err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("collect: %v", err)
			case len(s.docs) == 0:
				t.Error("no document")
			case tc.wantDocErr != "" && !strings.Contains(errorsText(s.docs[0]), tc.wantDocErr):
				t.Errorf("document errors %q, want %q", errorsText(s.docs[0]), tc.wantDocErr)
			}
		})
	}
}
