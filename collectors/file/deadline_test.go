package file

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/target"
)

// expiring is a context whose deadline strikes after its Err has been
// asked n times: mid-read, at a point the test chooses, without timing.
type expiring struct {
	context.Context
	n atomic.Int64
}

func expireAfter(n int64) *expiring {
	e := &expiring{Context: context.Background()}
	e.n.Store(n)
	return e
}

func (e *expiring) Err() error {
	if e.n.Add(-1) < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// consumed counts what a reader gave.
type consumed struct {
	r io.Reader
	n int64
}

func (c *consumed) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// gzipBomb is n gzip members of 16 MiB of zeros each: 16 KiB a member,
// 16n MiB once decompressed. Three members fit in the first 64 KiB the
// collector reads from the file: after that only the checks on the
// decompressed side can stop the read.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw := gzip.NewWriter(&member)
	if _, err := io.Copy(zw, io.LimitReader(zeros{}, 16<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(member.Bytes(), n)
}

// TestReadStopsAtDeadline: every loop of a file's read checks the context
// between blocks (hashing, content lines, decompressed output), so a read
// that would go on for long ends with the deadline's error, having read a
// few blocks.
func TestReadStopsAtDeadline(t *testing.T) {
	lines := bytes.Repeat([]byte(strings.Repeat("a", 1023)+"\n"), 64<<10) // 64 MiB of lines
	for _, tc := range []struct {
		name  string
		body  string
		src   func() io.Reader
		total int64 // bytes the source holds
	}{
		{"hashing", `hashes = ["sha256", "sha512"]`, func() io.Reader { return io.LimitReader(zeros{}, 64<<20) }, 64 << 20},
		{"content lines", `content = "^needle$"`, func() io.Reader { return bytes.NewReader(lines) }, int64(len(lines))},
		{"capture", `capture = true
  max_content_bytes = "1G"`, func() io.Reader { return bytes.NewReader(lines) }, int64(len(lines))},
		{"decompression", `content = "^needle$"
  decompress = true`, func() io.Reader { return bytes.NewReader(gzipBomb(t, 3)) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCollector(t, `paths = ["/"]
  max_file_size = "1T"
  `+tc.body)
			src := &consumed{r: tc.src()}
			_, err := c.s.read(expireAfter(3), src)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("read: %v, want the deadline's error", err)
			}
			if tc.total > 0 && src.n >= tc.total {
				t.Errorf("read all %d bytes before stopping", src.n)
			}
		})
	}
}

// TestWalkStopsAtDeadline: the walkers check the context between the
// entries of one directory, not only between directories, so a directory of
// millions of entries does not outlive the deadline. The deadline strikes
// at the first document.
func TestWalkStopsAtDeadline(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{}
	mfs := fstest.MapFS{}
	for i := range 200 {
		name := fmt.Sprintf("d/f%03d", i)
		files[name] = ""
		mfs[name] = &fstest.MapFile{}
	}
	writeTree(t, root, files)
	for _, tc := range []struct {
		name string
		tgt  target.Target
	}{
		{"openat walk", openDir(t, root)},
		{"io/fs walk", mapTarget{mfs}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCollector(t, `paths = ["/d"]`)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &cancelling{cancel: cancel}
			err := c.Collect(ctx, collector.Env{Target: tc.tgt, Name: "t"}, rec)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("collect: %v, want the context's error", err)
			}
			if n := rec.docs.Load(); n != 1 {
				t.Errorf("%d documents emitted, want 1: the walk went on past the deadline", n)
			}
		})
	}
}

// cancelling ends the collector's context at the first document.
type cancelling struct {
	cancel context.CancelFunc
	docs   atomic.Int32
}

func (c *cancelling) Emit(document.Document) {
	c.docs.Add(1)
	c.cancel()
}

func (c *cancelling) Skip(string, error) {}

// TestTimedOutCollectorReturns is the case through the runner:
// hashing (or matching lines of) a 200 GB sparse file with max_file_size =
// 1T and a short timeout. The collector must return once its deadline has
// passed, not be abandoned and read on for minutes: the runner's set of
// abandoned collectors empties and the goroutines settle back to where they
// were. Nothing here measures speed: the bounds only stop a test that
// would otherwise wait for minutes.
func TestTimedOutCollectorReturns(t *testing.T) {
	root := t.TempDir()
	big := filepath.Join(root, "data", "big")
	must(t, os.MkdirAll(filepath.Dir(big), 0o755))
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 30); err != nil { // sparse: no disk, only reading time
		f.Close()
		t.Skipf("cannot make a 200 GB sparse file here: %v", err)
	}
	f.Close()
	tgt := openDir(t, root)
	for _, tc := range []struct{ name, body string }{
		{"hashing", `hashes = ["sha256"]`},
		{"content lines", `content = "^needle$"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := settledGoroutines(t, -1)
			c := mustCollector(t, `paths = ["/data"]
  max_file_size = "1T"
  `+tc.body)
			abandoned := &collectors.Abandoned{}
			r := &collectors.Runner{Target: tgt, Timeout: 100 * time.Millisecond, Abandoned: abandoned}
			outs := r.Run(context.Background(), []collectors.Job{{Bundle: "b", Type: Type(), Name: "big", Collector: c}})
			if got := outs[0].Result; got.Status != "timeout" {
				t.Errorf("status %s (%s), want timeout", got.Status, got.Error)
			}
			deadline := time.Now().Add(10 * time.Second)
			for len(abandoned.Running()) > 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if left := abandoned.Running(); len(left) > 0 {
				t.Fatalf("the collector is still reading 10s after its deadline: %v", left)
			}
			if after := settledGoroutines(t, before); after > before {
				t.Errorf("%d goroutines after the run, %d before: the collector left some behind", after, before)
			}
		})
	}
}

// settledGoroutines waits (at most 10 s) until the number of goroutines
// stops changing, or falls to want when want >= 0, and returns it.
func settledGoroutines(t *testing.T, want int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last, stable := runtime.NumGoroutine(), 0
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n := runtime.NumGoroutine()
		if want >= 0 && n <= want {
			return n
		}
		if n == last {
			stable++
		} else {
			last, stable = n, 0
		}
		if want < 0 && stable >= 10 {
			return n
		}
	}
	return runtime.NumGoroutine()
}

// ctxTarget is a mapTarget whose files are opened with the reader's
// context, as an image's are.
type ctxTarget struct {
	mapTarget
	got []context.Context
}

func (c *ctxTarget) OpenContext(ctx context.Context, name string) (fs.File, error) {
	c.got = append(c.got, ctx)
	return c.Open(name)
}

// TestImageReadsTakeTheContext: on a target that can end its reads with a
// context (an image), the collector opens the files it reads with its own.
func TestImageReadsTakeTheContext(t *testing.T) {
	tgt := &ctxTarget{mapTarget: mapTarget{fstest.MapFS{"etc/motd": {Data: []byte("hello\n")}}}}
	c := mustCollector(t, `paths = ["/etc"]
  hashes = ["sha256"]`)
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "collector")
	rec := &recorder{}
	if err := c.Collect(ctx, collector.Env{Target: tgt, Name: "t"}, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.docs) != 1 || len(tgt.got) != 1 || tgt.got[0].Value(key{}) != "collector" {
		t.Errorf("%d documents, files opened with contexts %v; want the collector's", len(rec.docs), tgt.got)
	}
}
