package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/assay-dev/assay/core/exitcode"
)

// osImage is a one-layer image holding the given files.
func osImage(t *testing.T, files map[string]string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, data)
	}
	tw.Close()
	raw := buf.Bytes()
	if files == nil { // a malformed layer: a tar cut in the middle of a header
		raw = bytes.Repeat([]byte("not a tar"), 100)
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// cutImage is osImage with its layer's tar cut short: the files are whole,
// the two zero blocks that end the archive are missing.
func cutImage(t *testing.T, files map[string]string) v1.Image {
	t.Helper()
	raw, err := osImage(t, files).Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := raw[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	data = data[:len(data)-1024]
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func saveImage(t *testing.T, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("assay.test/app:latest")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScanImage runs `assay scan --image` with the GitHub Actions example
// bundle over images that pass, fail and are broken, and checks the exit
// codes CI gates on and that the report names the image.
func TestScanImage(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	bundle := filepath.Join(filepath.Dir(file), "..", "..", "examples", "github-actions", "bundle")
	debian := func(v string) map[string]string {
		return map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"" + v + "\"\nPRETTY_NAME=\"Debian GNU/Linux " + v + "\"\n"}
	}
	current, old := osImage(t, debian("12")), osImage(t, debian("11"))
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, _ := name.ParseReference(host+"/app:old", name.Insecure)
	if err := remote.Write(ref, old, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		image string
		extra []string
		code  int
	}{
		{"supported base passes", saveImage(t, current), nil, 0},
		{"old base fails the gate", saveImage(t, old), nil, 1},
		{"old base under --fail-on critical", saveImage(t, old), []string{"--fail-on", "critical"}, 0},
		{"no os-release fails", saveImage(t, osImage(t, map[string]string{"app": "binary"})), nil, 1},
		{"malformed image is an input error", saveImage(t, osImage(t, nil)), nil, 2},
		{"layer cut before its end-of-archive marker is an input error", saveImage(t, cutImage(t, debian("12"))), nil, 2},
		{"missing image is an input error", filepath.Join(t.TempDir(), "none.tar"), nil, 2},
		{"registry without --insecure-registry", host + "/app:old", nil, 2},
		{"registry over plain HTTP when asked", host + "/app:old", []string{"--insecure-registry"}, 1},
		{"unreachable registry fails the scan", "127.0.0.1:1/app:old", []string{"--insecure-registry"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"scan", "--image", tc.image, "-b", bundle, "-f", "json=" + out, "--log-level", "error"}, tc.extra...)
			if code := run(args); code != tc.code {
				t.Fatalf("assay %s: exit %d, want %d", strings.Join(args, " "), code, tc.code)
			}
			if tc.code >= 2 {
				return
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Target struct{ Kind, Name, Digest string } `json:"target"`
			}
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Target.Kind != "image" || rep.Target.Name != tc.image || !strings.HasPrefix(rep.Target.Digest, "sha256:") {
				t.Errorf("report target = %+v, want the image and its digest", rep.Target)
			}
		})
	}
}

// TestImageSkipsLogFormat: the warnings about an image's hostile entries go
// through the command's logger, so --log-format json makes them JSON.
func TestImageSkipsLogFormat(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	bundle := filepath.Join(filepath.Dir(file), "..", "..", "examples", "github-actions", "bundle")
	img := saveImage(t, osImage(t, map[string]string{"../evil": "x", "etc/os-release": "ID=debian\n"}))
	var stderr bytes.Buffer
	root := newRootCmd()
	root.SetErr(&stderr)
	root.SetOut(io.Discard)
	root.SetArgs([]string{"collect", "--image", img, "-b", bundle, "-o", filepath.Join(t.TempDir(), "docs.json"), "--log-format", "json"})
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), `"msg":"image entry skipped"`) {
		t.Fatalf("no JSON log line for the skipped entry; stderr:\n%s", stderr.String())
	}
}

// TestScanHostileLayout: an OCI layout whose index.json is not a small
// regular file inside the layout is an input error (exit 2) with a message
// naming the file, and never a hang or an unbounded read. A deadline
// detects a hang; it says nothing about speed.
func TestScanHostileLayout(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	bundle := filepath.Join(filepath.Dir(file), "..", "..", "examples", "github-actions", "bundle")
	img := osImage(t, map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n"})
	layoutDir := func(t *testing.T) string {
		d := t.TempDir()
		p, err := layout.Write(d, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AppendImage(img); err != nil {
			t.Fatal(err)
		}
		return d
	}
	replaceIndex := func(t *testing.T, d string, make func(p string) error) string {
		p := filepath.Join(d, "index.json")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := make(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		make func(t *testing.T, p string) error
		msg  string
	}{
		{"a link to the zero device", func(_ *testing.T, p string) error { return os.Symlink("/dev/zero", p) }, "not a link out of it"},
		{"a FIFO", func(_ *testing.T, p string) error { return syscall.Mkfifo(p, 0o644) }, "index.json: a fifo, not a regular file"},
		{"17 MiB", func(_ *testing.T, p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(17 << 20)
		}, "index.json: 17825792 bytes, more than the 16777216 (16 MiB) allowed"},
		{"a link out of the layout", func(t *testing.T, p string) error {
			out := filepath.Join(t.TempDir(), "index.json")
			if err := os.WriteFile(out, []byte(`{"schemaVersion":2,"manifests":[]}`), 0o644); err != nil {
				return err
			}
			return os.Symlink(out, p)
		}, "not a link out of it"},
	} {
		t.Run("index.json is "+tc.name, func(t *testing.T) {
			d := layoutDir(t)
			idx := replaceIndex(t, d, func(p string) error { return tc.make(t, p) })
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var stderr bytes.Buffer
			root := newRootCmd()
			root.SetErr(&stderr)
			root.SetOut(io.Discard)
			root.SetArgs([]string{"scan", "--image", "oci:" + d, "-b", bundle, "-f", "json=" + filepath.Join(t.TempDir(), "report.json"), "--log-level", "error"})
			done := make(chan error, 1)
			go func() { done <- root.ExecuteContext(ctx) }()
			var err error
			select {
			case err = <-done:
			case <-ctx.Done():
				if f, err := os.OpenFile(idx, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close() // release a reader stuck opening the FIFO
				}
				t.Fatal("assay scan did not return within a minute: it hangs")
			}
			if code := exitcode.Of(err, -1); code != exitcode.Usage {
				t.Errorf("exit code %d (%v), want %d", code, err, exitcode.Usage)
			}
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "oci:"+d) {
				t.Errorf("error %v; want it to name the layout and say %q", err, tc.msg)
			}
		})
	}
}

// longNameLayer is a layer tar with n entries whose names are size bytes
// long (PAX path records, written by hand: archive/tar's writer takes
// seconds to check such names under -race), then /etc/os-release.
func longNameLayer(t *testing.T, n, size int) []byte {
	t.Helper()
	header := func(name string, typ byte, size int) []byte {
		blk := make([]byte, 512)
		copy(blk, name)
		copy(blk[100:], "0000644\x00")
		copy(blk[108:], "0000000\x00")
		copy(blk[116:], "0000000\x00")
		copy(blk[124:], fmt.Sprintf("%011o\x00", size))
		copy(blk[136:], "14000000000\x00")
		blk[156] = typ
		copy(blk[257:], "ustar\x0000")
		copy(blk[148:], "        ")
		sum := 0
		for _, b := range blk {
			sum += int(b)
		}
		copy(blk[148:], fmt.Sprintf("%06o\x00 ", sum))
		return blk
	}
	padded := func(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }
	var out []byte
	for i := range n {
		kv := " path=" + fmt.Sprintf("%06d", i) + strings.Repeat("n", size-6) + "\n"
		l := len(kv) + len(strconv.Itoa(len(kv)))
		if len(strconv.Itoa(l)) != len(strconv.Itoa(len(kv))) {
			l++
		}
		rec := strconv.Itoa(l) + kv
		out = append(out, header("PaxHeaders/x", tar.TypeXHeader, len(rec))...)
		out = append(out, padded([]byte(rec))...)
		out = append(out, header("short", tar.TypeReg, 1)...)
		out = append(out, padded([]byte("x"))...)
	}
	release := "ID=debian\nVERSION_ID=\"12\"\n"
	out = append(out, header("etc/os-release", tar.TypeReg, len(release))...)
	out = append(out, padded([]byte(release))...)
	return append(out, make([]byte, 1024)...)
}

// TestScanLongNames is the hostile-input issue's image of long names (3,000
// entries with 1 MB names gave a 1 GB report and 20 MB of warnings), scaled
// down to 300 entries of 16 KiB (targets/image tests 100 KB names; gzipping
// those under -race takes long here): every output and the warnings stay
// small, and each says how many entries were skipped and why.
func TestScanLongNames(t *testing.T) {
	const n = 300
	_, file, _, _ := runtime.Caller(0)
	bundle := filepath.Join(filepath.Dir(file), "..", "..", "examples", "github-actions", "bundle")
	raw := longNameLayer(t, n, 16<<10)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	ref := saveImage(t, img)
	dir := t.TempDir()
	formats := []struct{ name, says string }{
		{"json", `"count": 300`},
		{"sarif", "skipped 300 item(s): malformed entry: name longer than 4096 bytes"},
		{"junit", "300 malformed entry: name longer than 4096 bytes"},
		{"table", "skipped 300 item(s): 300 malformed entry: name longer than 4096 bytes"},
		{"prometheus", `assay_collector_skipped_items{bundle="",collector="target.image"} 300`},
	}
	args := []string{"scan", "--image", ref, "-b", bundle}
	for _, f := range formats {
		args = append(args, "-f", f.name+"="+filepath.Join(dir, f.name))
	}
	var stderr bytes.Buffer
	root := newRootCmd()
	root.SetErr(&stderr)
	root.SetOut(io.Discard)
	root.SetArgs(args)
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("assay %s: %v", strings.Join(args, " "), err)
	}
	for _, f := range formats {
		out, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > 1<<20 { // before: megabytes, each name kept whole
			t.Errorf("-f %s wrote %d bytes for %d skipped entries", f.name, len(out), n)
		}
		if !bytes.Contains(out, []byte(f.says)) {
			t.Errorf("-f %s does not say %q", f.name, f.says)
		}
	}
	if stderr.Len() > 64<<10 {
		t.Errorf("%d bytes of warnings", stderr.Len())
	}
	if !strings.Contains(stderr.String(), "by_reason=\"300 malformed entry") {
		t.Errorf("the warnings do not count the skips by reason:\n%.2000s", stderr.String())
	}
}

// TestScanDanglingLink: a symbolic link in an image that points nowhere,
// followed by a file search, is reported as a dangling link, not as a file
// that "vanished during the scan".
func TestScanDanglingLink(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/localtime", Typeflag: tar.TypeSymlink, Linkname: "/usr/share/zoneinfo/Nowhere", Mode: 0o777},
		{Name: "etc/alternatives", Typeflag: tar.TypeSymlink, Linkname: "missing/dir", Mode: 0o777},
	} {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	raw := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	if err := os.WriteFile(filepath.Join(bundle, "bundle.hcl"), []byte(`bundle "links" {
  version = "1.0.0"
}

collect "file" "etc" {
  paths           = ["/etc"]
  follow_symlinks = true
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	// The bundle has no policy: the scan checks nothing, and says so
	// unless --allow-empty.
	args := []string{"scan", "--image", saveImage(t, img), "-b", bundle, "-f", "json=" + out, "--log-level", "error", "--allow-empty"}
	if code := run(args); code != 0 {
		t.Fatalf("assay %s: exit %d", strings.Join(args, " "), code)
	}
	raw, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Collectors []struct {
			Kind            string
			Skipped         []struct{ Path, Reason string }
			SkippedByReason []struct {
				Reason string
				Count  int
			} `json:"skipped_by_reason"`
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/etc/localtime":    "follow symlink: dangling link to /usr/share/zoneinfo/Nowhere",
		"/etc/alternatives": "follow symlink: dangling link to missing/dir",
	}
	for _, c := range rep.Collectors {
		if c.Kind != "file" {
			continue
		}
		got := map[string]string{}
		for _, s := range c.Skipped {
			got[s.Path] = s.Reason
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("skipped %v, want %v", got, want)
		}
		if len(c.SkippedByReason) != 1 || c.SkippedByReason[0].Reason != "dangling link" || c.SkippedByReason[0].Count != 2 {
			t.Errorf("by reason %+v, want 2 dangling link", c.SkippedByReason)
		}
		return
	}
	t.Fatalf("no file collector in the report: %s", raw)
}

// TestImageConfigPolicy scans images with the bundle make dist-test judges
// assay's own image with (packaging/image-policy): it must run as an
// unprivileged user and hold no shell. The image's configuration reaches
// the policies through the image_config collector, without the values of
// its environment.
func TestImageConfigPolicy(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	bundle := filepath.Join(filepath.Dir(file), "..", "..", "packaging", "image-policy")
	passwd := "root:x:0:0:root:/root:/sbin/nologin\ntoor:x:0:0::/root:/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/sbin/nologin\n"
	configured := func(files map[string]string, user string) v1.Image {
		t.Helper()
		if files == nil {
			files = map[string]string{}
		}
		files["etc/passwd"] = passwd
		files["usr/bin/assay"] = "binary"
		img, err := mutate.Config(osImage(t, files), v1.Config{
			User: user, Entrypoint: []string{"/usr/bin/assay"},
			Env: []string{"PATH=/usr/bin", "DEPLOY_TOKEN=hunter2-secret"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	for _, tc := range []struct {
		name  string
		img   v1.Image
		code  int
		finds []string
	}{
		{"nobody by number, no shell", configured(nil, "65534:65534"), 0, nil},
		{"nobody by name", configured(nil, "nobody"), 0, nil},
		{"no USER runs as root", configured(nil, ""), 1, []string{"USER is not set"}},
		{"root by number", configured(nil, "0"), 1, []string{`runs as root: USER is \"0\"`}},
		{"a name with uid 0", configured(nil, "toor"), 1, []string{`has uid 0 in /etc/passwd`}},
		{"a shell", configured(map[string]string{"bin/sh": "#!"}, "65534"), 1, []string{"the image has a shell: /bin/sh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ref := saveImage(t, tc.img)
			report, docs := filepath.Join(dir, "report.json"), filepath.Join(dir, "docs.json")
			args := []string{"scan", "--image", ref, "-b", bundle, "-f", "json=" + report, "--log-level", "error"}
			if code := run(args); code != tc.code {
				t.Fatalf("assay %s: exit %d, want %d", strings.Join(args, " "), code, tc.code)
			}
			raw, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.finds {
				if !strings.Contains(string(raw), f) {
					t.Errorf("the report does not say %q", f)
				}
			}
			if code := run([]string{"collect", "--image", ref, "-b", bundle, "-o", docs, "--log-level", "error"}); code != 0 {
				t.Fatalf("assay collect: exit %d", code)
			}
			raw, err = os.ReadFile(docs)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), `"DEPLOY_TOKEN"`) || strings.Contains(string(raw), "hunter2") {
				t.Errorf("the documents should name DEPLOY_TOKEN without its value:\n%s", raw)
			}
		})
	}
}
