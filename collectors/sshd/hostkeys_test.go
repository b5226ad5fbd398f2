package sshd

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// statOnce is a target whose file once answers Stat and is then gone: an
// SSH target that lost its connection, or a file removed mid-scan.
type statOnce struct {
	fstest.MapFS
	name  string
	stats int
}

func (s *statOnce) Stat(name string) (fs.FileInfo, error) {
	if name == s.name {
		if s.stats++; s.stats > 1 {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
		}
	}
	return s.MapFS.Stat(name)
}

// TestBadPermissionsStatOnce: the warning about a private key others can
// read gives the permissions its check saw. It stat'ed the file a second
// time for them, and a failing second stat was a nil FileInfo dereferenced.
func TestBadPermissionsStatOnce(t *testing.T) {
	fsys := &statOnce{MapFS: fstest.MapFS{
		"etc/ssh/sshd_config":      {Data: []byte("HostKey /etc/ssh/ssh_host_bad_key\n")},
		"etc/ssh/ssh_host_bad_key": {Data: []byte("not a key\n"), Mode: 0o644},
	}, name: "etc/ssh/ssh_host_bad_key"}
	prof, err := newProfile("9.2p1", buildFull, distroUpstream)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := evaluateWith(fsys, "/etc/ssh/sshd_config", nil, prof, evalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "Permissions 0644 for '/etc/ssh/ssh_host_bad_key' are too open."
	if !strings.Contains(errorsText(doc), want) {
		t.Errorf("errors %q, want %q", errorsText(doc), want)
	}
}
