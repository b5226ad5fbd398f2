package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// TestProfileFlags: --cpuprofile and --memprofile write profiles that
// pprof reads; the heap profile holds the command's allocations, although
// the runtime samples none unless --memprofile asks (heapSampleRate).
func TestProfileFlags(t *testing.T) {
	if runtime.MemProfileRate != 0 {
		t.Fatalf("the runtime samples allocations (rate %d) with no --memprofile", runtime.MemProfileRate)
	}
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	if _, stderr, code := execute(t, "scan", "--root", "../../examples/demo/rootfs", "--fail-on", "none", "-f", "json",
		"--cpuprofile", cpu, "--memprofile", mem); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	read := func(path string) *profile.Profile {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, err := profile.Parse(f)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		return p
	}
	read(cpu)
	heap := read(mem)
	// Allocations made by the scan's loading, compiling and judging (about
	// 30 MB, so dozens of samples at the default rate; the compile may
	// run in a goroutine of its own, engine.Precompiled.Start): the ones
	// made before the command, by package initialisation, do not count.
	scanned := false
	for _, s := range heap.Sample {
		for _, loc := range s.Location {
			for _, line := range loc.Line {
				if f := line.Function; f != nil && !strings.Contains(f.Name, ".init") {
					for _, pkg := range []string{"engine.", "pipeline.", "bundle."} {
						scanned = scanned || strings.HasPrefix(f.Name, "github.com/assay-dev/assay/"+pkg)
					}
				}
			}
		}
	}
	if !scanned {
		t.Errorf("the heap profile holds no allocation of the scan (%d samples)", len(heap.Sample))
	}
	if runtime.MemProfileRate != 0 {
		t.Errorf("sampling left on after the command (rate %d)", runtime.MemProfileRate)
	}
}
