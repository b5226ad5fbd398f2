package host_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/assay-dev/assay/collectors/host"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/targets"
)

func TestParseOSRelease(t *testing.T) {
	in := "# comment\nNAME=\"Debian GNU/Linux\"\nVERSION_ID='12'\nID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nbroken line\n"
	want := map[string]any{"name": "Debian GNU/Linux", "version_id": "12", "id": "debian", "pretty_name": "Debian GNU/Linux 12 (bookworm)"}
	if got := host.ParseOSRelease([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestFactsFromRoot(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "etc"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "usr/lib"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "etc/hostname"), []byte("web-1\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "usr/lib/os-release"), []byte("ID=alpine\nVERSION_ID=3.20.0\n"), 0o644))
	// /etc/os-release is usually a symlink to ../usr/lib/os-release; an
	// absolute one must resolve inside the root.
	must(os.Symlink("/usr/lib/os-release", filepath.Join(dir, "etc/os-release")))
	must(os.WriteFile(filepath.Join(dir, "etc/machine-id"), []byte("0123456789abcdef\n"), 0o444))
	tgt, err := targets.OpenDir(dir)
	must(err)
	defer tgt.Close()

	doc := host.Facts(tgt, nil)
	if doc["hostname"] != "web-1" || doc["machine_id"] != "0123456789abcdef" {
		t.Errorf("hostname/machine id: %v", doc)
	}
	if osr := doc["os"].(map[string]any); osr["id"] != "alpine" || osr["version_id"] != "3.20.0" {
		t.Errorf("os: %v", osr)
	}
	if _, ok := doc["kernel"]; ok {
		t.Errorf("a root filesystem has no running kernel: %v", doc["kernel"])
	}
	if doc.Kind() != "host" {
		t.Errorf("kind %q", doc.Kind())
	}
}

// skips records what Facts reports as skipped.
type skips map[string]error

func (s skips) Emit(document.Document)      {}
func (s skips) Skip(path string, err error) { s[path] = err }

func TestFactsBoundedFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A sparse 1 GiB /etc/hostname costs no disk and must cost no memory.
	f, err := os.Create(filepath.Join(dir, "etc/hostname"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "etc/os-release"), []byte("ID=debian\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tgt, err := targets.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	skipped := skips{}
	doc := host.Facts(tgt, skipped)
	if doc["hostname"] != "" {
		t.Errorf("hostname %q from an oversized file", doc["hostname"])
	}
	if err := skipped["/etc/hostname"]; err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("skip of /etc/hostname = %v, want a size error", err)
	}
	if osr := doc["os"].(map[string]any); osr["id"] != "debian" {
		t.Errorf("the other facts are still read: os = %v", osr)
	}
}
