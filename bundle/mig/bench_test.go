package mig

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/collectors/file"
	"github.com/assay-dev/assay/targets"
)

// actionN is a MIG action with n per-user authorized_keys searches.
func actionN(n int) []byte {
	searches := map[string]any{}
	for i := range n {
		user := fmt.Sprintf("user%05d", i)
		searches[user] = map[string]any{
			"paths":    []string{"/home/" + user + "/.ssh/"},
			"names":    []string{"^authorized_keys2?$"},
			"contents": []string{fmt.Sprintf(`^((#.*)|(\s*)|(ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%040d .*))$`, i)},
			"options":  map[string]any{"macroal": true, "matchall": true, "maxdepth": 1, "mismatch": []string{"content"}},
		}
	}
	b, _ := json.Marshal(map[string]any{"name": "ak", "syntaxversion": 2,
		"operations": []any{map[string]any{"module": "file", "parameters": map[string]any{"searches": searches}}}})
	return b
}

func BenchmarkConvert4000(b *testing.B) {
	a := actionN(4000)
	for b.Loop() {
		if _, err := Convert(a, "b", PerSearch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMIG4000 runs the 4,000 collect blocks mig import makes for 4,000
// users (one search per home directory) against a tree of 4,000 homes.
func BenchmarkMIG4000(b *testing.B) {
	root := b.TempDir()
	for i := range 4000 {
		dir := fmt.Sprintf("%s/home/user%05d/.ssh", root, i)
		os.MkdirAll(dir, 0o700)
		body := fmt.Sprintf("# user\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%040d u@h\n", i)
		if i%100 == 0 {
			body += "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRogue mallory@evil\n"
		}
		os.WriteFile(dir+"/authorized_keys", []byte(body), 0o600)
	}
	bundle, err := Convert(actionN(4000), "b", PerSearch)
	if err != nil {
		b.Fatal(err)
	}
	cols, _ := decodeBundleB(b, bundle)
	k := file.Type()
	var jobs []collectors.Job
	for id, c := range cols {
		jobs = append(jobs, collectors.Job{Type: k, Name: id, Collector: c})
	}
	tgt, err := targets.OpenDir(root)
	if err != nil {
		b.Fatal(err)
	}
	defer tgt.Close()
	for b.Loop() {
		outs := (&collectors.Runner{Target: tgt, Parallel: 8}).Run(context.Background(), jobs)
		n := 0
		for _, o := range outs {
			n += len(o.Documents)
		}
		if n != 40 {
			b.Fatalf("%d rogue files, want 40", n)
		}
	}
}

// migTree writes n users' authorized_keys under root, one in 100 with a
// rogue key, matching actionN's searches.
func migTree(b *testing.B, n int) string {
	b.Helper()
	root := filepath.Join(b.TempDir(), "rootfs")
	for i := range n {
		dir := fmt.Sprintf("%s/home/user%05d/.ssh", root, i)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		body := fmt.Sprintf("# user\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%040d u@h\n", i)
		if i%100 == 0 {
			body += "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRogue mallory@evil\n"
		}
		if err := os.WriteFile(dir+"/authorized_keys", []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// BenchmarkImportedScan is what assay scan -b BUNDLE --root TREE does with
// an imported investigation of N per-user searches: load the bundle
// (HCL, N collect blocks, the shared module), compile, collect and
// evaluate. ns/search should not grow with N.
func BenchmarkImportedScan(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("searches=%d", n), func(b *testing.B) {
			root := migTree(b, n)
			_, dir := convertDir(b, actionN(n), "ak", PerSearch)
			b.ReportAllocs()
			for b.Loop() {
				r, err := scanDir(b, dir, root).Scan(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Findings) != n/100 {
					b.Fatalf("%d findings, want %d", len(r.Findings), n/100)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/search")
		})
	}
}
