package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSSHScale is bench/ssh.sh's measurement, not part of make test: it
// runs only with ASSAY_SSH_BENCH=N (N sshd servers, 50 in the bench). It
// scans inventories of growing size with --parallel 16 and reports hosts
// per minute and assay's peak RSS (GNU time), then the same trees scanned
// locally with --root one after the other. Each inventory holds at least
// 16 targets, so that the rows differ in the number of targets only.
func TestSSHScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ASSAY_SSH_BENCH"))
	if n == 0 {
		t.Skip("a benchmark: ASSAY_SSH_BENCH=50 (bench/ssh.sh)")
	}
	requireSSHLab(t)
	gnuTime := "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		t.Fatalf("GNU time not installed: apt-get install time")
	}
	start := time.Now()
	l := newSSHLab(t, n)
	l.start()
	t.Logf("lab of %d sshd started in %s", n, time.Since(start).Round(time.Millisecond))
	kh := l.knownHosts("known_hosts", l.hosts...)
	ids := l.identities(l.hosts[:3]...) // every key type; users cycle through them
	exe, err := exec.LookPath("assay")
	if err != nil {
		t.Fatal(err)
	}
	rss := regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
	measure := func(ns string, args ...string) (time.Duration, int, int) {
		argv := append([]string{gnuTime, "-v", exe}, args...)
		if ns != "" {
			argv = append([]string{"ip", "netns", "exec", ns}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=")
		var stderr bytes.Buffer
		cmd.Stderr, cmd.Stdout = &stderr, nil
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		m := rss.FindStringSubmatch(stderr.String())
		if m == nil {
			t.Fatalf("no RSS in: %s", stderr.String())
		}
		kb, _ := strconv.Atoi(m[1])
		return d, kb, code
	}
	var report strings.Builder
	fmt.Fprintf(&report, "| targets | --parallel | wall | hosts/minute | peak RSS |\n|---|---|---|---|---|\n")
	// Every size at least --parallel, so that the rows differ in the
	// number of targets only, not in how many are read at once.
	done := map[int]bool{}
	for _, size := range []int{max(n/3, min(16, n)), max(2*n/3, min(16, n)), n} {
		if size < 1 || done[size] {
			continue
		}
		done[size] = true
		inv := l.inventory(fmt.Sprintf("inv-%d.yaml", size), l.hosts[:size]...)
		out := t.TempDir()
		d, kb, code := measure(l.hosts[0].ns, append([]string{"scan", "--inventory", inv, "--known-hosts", kh, "--parallel", "16",
			"-f", "json=" + out + "/all.json", "-f", "prometheus=" + out + "/prom/"}, ids...)...)
		if code != 1 {
			t.Fatalf("scan of %d targets: exit %d", size, code)
		}
		fmt.Fprintf(&report, "| %d | 16 | %.2fs | %.0f | %.1f MiB |\n", size, d.Seconds(), float64(size)/d.Minutes(), float64(kb)/1024)
	}
	var total time.Duration
	maxKB := 0
	for _, h := range l.hosts {
		d, kb, code := measure("", "scan", "--root", h.tree, "-f", "json", "-o", os.DevNull)
		if code != 1 {
			t.Fatalf("--root %s: exit %d", h.tree, code)
		}
		total += d
		maxKB = max(maxKB, kb)
	}
	fmt.Fprintf(&report, "| %d local `--root` scans in sequence | — | %.2fs | %.0f | %.1f MiB (each) |\n", n, total.Seconds(), float64(n)/total.Minutes(), float64(maxKB)/1024)
	t.Logf("\n%s", report.String())
	if p := os.Getenv("ASSAY_SSH_BENCH_OUT"); p != "" {
		if err := os.WriteFile(p, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
