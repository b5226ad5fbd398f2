package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assay-dev/assay/core/report"
)

// TestReadAheadBounded: the readers hold no more than readAheadBytes of
// files the caller has not taken, even while the caller reads a FIFO in
// its turn, which lasts as long as its writer takes: else the text of
// every file after it is held, past the budget of held text.
func TestReadAheadBounded(t *testing.T) {
	defer func(old int64) { readAheadBytes = old }(readAheadBytes)
	readAheadBytes = 16 << 10
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	files := []string{fifo}
	text := fmt.Sprintf(`{"kind": "k", "pad": %q}`, strings.Repeat("a", 1000))
	for i := range 200 {
		f := filepath.Join(dir, fmt.Sprintf("%03d.json", i))
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	a := readAhead(files, Builtin(report.Tool{Name: "assay"}).Collectors, DocumentOptions{})
	defer a.stop()
	if r := a.wait(0); r != nil {
		t.Fatal("a reader read the FIFO, not the caller in its turn")
	}
	read := func() int {
		a.mu.Lock()
		defer a.mu.Unlock()
		n := 0
		for _, done := range a.read[1:] {
			if done {
				n++
			}
		}
		return n
	}
	// The caller is reading the FIFO now: the readers fill their room,
	// and go no further. Past readAheadBytes a reader takes no file; each
	// may have been reading one as the room filled.
	cost := int64(len(text)) + readAheadFileCost
	least, most := int(readAheadBytes/cost), int(readAheadBytes/cost)+runtime.GOMAXPROCS(0)
	for deadline := time.Now().Add(10 * time.Second); read() < least && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := read(); n < least || n > most {
		t.Fatalf("the readers read %d files ahead of the caller, want %d to %d", n, least, most)
	}
	for i := 1; i < len(files); i++ {
		if r := a.wait(i); r == nil || r.err != nil {
			t.Fatalf("%s: %+v", files[i], r)
		}
	}
}
