package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline"
	"github.com/assay-dev/assay/targets"
)

// wakesLate is a collector blocked where no deadline reaches until the test
// releases it; then it reads its target, as a collector stuck on a hung
// mount does when the mount comes back.
type wakesLate struct {
	release <-chan struct{}
	read    chan<- error
}

func (w wakesLate) Collect(_ context.Context, env collector.Env, _ collector.Emitter) error {
	<-w.release
	_, err := env.Target.Stat("etc")
	w.read <- err
	return nil
}

// TestCloseWaitsForAbandoned closes a Scanner while a collector it
// abandoned is still running: the target stays open until that collector
// returns (a closed root's descriptor number may be handed to another file,
// and the collector would then read outside its root), then closes.
func TestCloseWaitsForAbandoned(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte(`bundle "late" { version = "1.0.0" }
collect "late" "k" {}
policy "p" {
  input = [collect.late.k]
  rego  = <<-EOT
    package late.p
    deny contains "x" if false
  EOT
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	read := make(chan error, 1)
	env := pipeline.Builtin(report.Tool{Name: "assay"})
	env.Collectors = collector.NewRegistry(append(env.Collectors.All(), collector.Type{
		Name: "late", DocumentKinds: []string{"late"},
		New: func(hcl.Body, *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) {
			return wakesLate{release: release, read: read}, nil
		},
	})...)
	// The runtime's poller and the confined lookups keep descriptors they
	// open on first use: have them open before counting.
	if pr, pw, err := os.Pipe(); err == nil {
		pr.Close()
		pw.Close()
	}
	if d, err := targets.OpenDir(root); err == nil {
		_, _ = d.Stat("etc")
		d.Close()
	}
	fds := openFDs(t)
	s, err := env.NewScanner(context.Background(), pipeline.ScanConfig{
		Bundles: []string{dir}, Target: pipeline.TargetSpec{Root: root}, CollectorTimeout: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Scan(context.Background()) // abandons the collector, 1s after its deadline
	if err != nil {
		close(release)
		t.Fatal(err)
	}
	if st := r.Collectors[0].Status; st != report.CollectorTimeout {
		t.Errorf("status %s, want timeout", st)
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	close(release)
	if err := <-read; err != nil {
		t.Errorf("the collector read its target after Close and got %v: the target was closed under it", err)
	}
	// Once it has returned, the target is closed: the process is back to
	// the descriptors it had before the Scanner (counted from outside, so
	// as not to race with the close).
	deadline := time.Now().Add(10 * time.Second)
	for openFDs(t) > fds && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := openFDs(t); n > fds {
		t.Errorf("%d descriptors open after the abandoned collector returned, %d before the Scanner: the target is still open", n, fds)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}
