package image

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
)

// expiring is a context whose deadline strikes after its Err has been
// asked n times: mid-read, at a point the test chooses, without timing.
type expiring struct {
	context.Context
	n atomic.Int64
}

func (e *expiring) Err() error {
	if e.n.Add(-1) < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// TestOpenContextEndsTheSkip reads a file that sits behind 8 MiB of another
// in a compressed layer, without a spill file: reaching it decompresses the
// layer from its start within one Read. That skip checks the reader's
// context every MiB, so a collector out of time stops in it instead of
// decompressing on (a layer can hold gigabytes before the file).
func TestOpenContextEndsTheSkip(t *testing.T) {
	ref := writeTarball(t, imageOf(t, compression.GZip, []ent{
		reg("big", strings.Repeat("\x00", 8<<20)),
		reg("after", "the file a collector wants\n"),
	}))
	img := mustOpen(t, ref, Options{SpillLimit: -1})
	for _, tc := range []struct {
		name string
		ctx  func() context.Context
		want error // nil: the content
	}{
		{"no deadline", context.Background, nil},
		// one check as the read starts, one before the first MiB skipped
		{"deadline during the skip", func() context.Context {
			e := &expiring{Context: context.Background()}
			e.n.Store(2)
			return e
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := img.OpenContext(tc.ctx(), "after")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			switch {
			case tc.want == nil && (err != nil || string(b) != "the file a collector wants\n"):
				t.Errorf("read %q, %v", b, err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("read %d bytes, error %v; want %v", len(b), err, tc.want)
			}
		})
	}
}
