package disttest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/testenv"
)

// TestChecksums: sha256sum itself checks every artifact against SHA256SUMS,
// and SHA256SUMS lists every artifact.
func TestChecksums(t *testing.T) {
	dir := distDir(t)
	sha := testenv.RequireTool(t, "sha256sum", "coreutils")
	command(t, dir, sha, "--check", "--strict", "SHA256SUMS")
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "SHA256SUMS" && !strings.HasPrefix(e.Name(), "assay-image") && !strings.Contains(string(sums), "  "+e.Name()+"\n") {
			t.Errorf("SHA256SUMS does not list %s", e.Name())
		}
	}
}

// TestArchive opens the archive of this platform: what it holds, owned by
// root and dated alike, and a static, path-free binary that says its version.
func TestArchive(t *testing.T) {
	v := version(t)
	top := "assay_" + v + "_linux_" + runtime.GOARCH + "/"
	f, err := os.Open(artifact(t, "assay_*_linux_"+runtime.GOARCH+".tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]*tar.Header{}
	var bin []byte
	var mtime int64 = -1
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.Name, top) {
			t.Errorf("%s is not under %s", h.Name, top)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s owned by %d:%d (%s:%s), want 0:0 without names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if mtime == -1 {
			mtime = h.ModTime.Unix()
		} else if h.ModTime.Unix() != mtime {
			t.Errorf("%s dated %v, others %d", h.Name, h.ModTime, mtime)
		}
		name := strings.TrimPrefix(h.Name, top)
		files[name] = h
		if name == "assay" {
			if bin, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, want := range []string{"assay", "README.md", "CHANGELOG.md", "completions/assay.bash", "completions/assay.zsh",
		"completions/assay.fish", "man/man1/assay.1", "man/man1/assay-scan.1", "man/man1/assay-serve.1"} {
		if files[want] == nil {
			t.Errorf("the archive has no %s", want)
		}
	}
	if h := files["assay"]; h == nil || h.Mode != 0o755 {
		t.Fatalf("assay: %+v, want mode 0755", h)
	}
	checkStatic(t, "the archive's assay", bin, runtime.GOARCH)
	if bytes.Contains(bin, []byte(repoRoot(t))) {
		t.Errorf("the binary holds the build directory %s: build with -trimpath", repoRoot(t))
	}
	p := filepath.Join(t.TempDir(), "assay")
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if out := command(t, "/", p, "version"); !strings.HasPrefix(out, "assay "+versionOf(v)+" ") {
		t.Errorf("assay version = %q, want %s", out, versionOf(v))
	}
}

// versionOf is the version the binary says, from the one in file names
// (which drop a leading v).
func versionOf(fileVersion string) string {
	if len(fileVersion) > 0 && fileVersion[0] >= '0' && fileVersion[0] <= '9' && strings.Count(fileVersion, ".") >= 2 {
		return "v" + fileVersion
	}
	return fileVersion
}

// TestBinaries: every platform make dist built, packaged or not, is a static
// binary for its architecture.
func TestBinaries(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(distDir(t), "bin", "*_*"))
	var platforms []string
	for _, d := range dirs {
		plat := filepath.Base(d)
		platforms = append(platforms, plat)
		b, err := os.ReadFile(filepath.Join(d, "assay"))
		if err != nil {
			t.Fatal(err)
		}
		checkStatic(t, plat, b, strings.TrimPrefix(plat, "linux_"))
	}
	if !slices.Contains(platforms, "linux_amd64") || !slices.Contains(platforms, "linux_arm64") {
		t.Errorf("built for %v, want linux_amd64 and linux_arm64", platforms)
	}
}

// checkStatic: an ELF executable for goarch with no program interpreter and
// no shared libraries.
func checkStatic(t *testing.T, what string, b []byte, goarch string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]; f.Machine != want {
		t.Errorf("%s: machine %v, want %v", what, f.Machine, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter: not static (CGO_ENABLED=0)", what)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s links %v", what, libs)
	}
}

// TestSBOM compares the CycloneDX SBOM with what Go itself says is linked
// into the binary (go version -m): every module, at its version.
func TestSBOM(t *testing.T) {
	raw, err := os.ReadFile(artifact(t, "assay_*_linux_"+runtime.GOARCH+".cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bom struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name, Version, PURL string
			} `json:"component"`
		} `json:"metadata"`
		Components []struct {
			Name, Version string
			PURL          string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" || bom.Metadata.Component.Name != "github.com/assay-dev/assay" || bom.Metadata.Timestamp == "" {
		t.Errorf("SBOM header: %s %s, component %+v, timestamp %q", bom.BOMFormat, bom.SpecVersion, bom.Metadata.Component, bom.Metadata.Timestamp)
	}
	have := map[string]string{}
	for _, c := range bom.Components {
		have[c.Name] = c.Version
	}
	out := command(t, "/", "go", "version", "-m", hostBinary(t))
	deps := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "dep" {
			deps++
			if have[f[1]] != f[2] {
				t.Errorf("the SBOM has %s at %q, the binary links %s", f[1], have[f[1]], f[2])
			}
		}
	}
	if deps < 20 {
		t.Errorf("go version -m lists %d modules: is the binary built with module info?\n%s", deps, out)
	}
}
