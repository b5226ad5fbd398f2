package ldapexample

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assay-dev/assay/bundle/datasource/ldap/ldaptest"
	"github.com/assay-dev/assay/internal/testenv"
)

// BenchmarkDirectoryScan is the performance case in one process:
// 10,000 directory users with 3 keys each against 10,000 home directories.
// One iteration is fetch (bundle load with the paged LDAP search) + scan
// (this package's fileDocs, the file collector's document shape) +
// evaluation of both policies by the real engine. It splits the CPU time by
// phase; bench/ldap.sh times the real CLI (assay scan --root) instead.
//
// Peers, measured in the same run: ldapsearch (OpenLDAP's own client,
// paged the same way, output to /dev/null) for the fetch, and `cat` of the
// same files for the scan.
func BenchmarkDirectoryScan(b *testing.B) {
	n := benchUsers(b)
	root := b.TempDir()
	users := writeFixture(b, root, n)
	srv := ldaptest.Start(b, users, "")
	b.Setenv("ASSAY_LDAP_PASSWORD", ldaptest.ReaderPassword)

	var fetch, scan, eval, fetchCPU, scanCPU, evalCPU time.Duration
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		bd, data, diags := loadBundle(b, srv.URL)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		t1, c1 := time.Now(), cpuTime()
		docs := fileDocs(b, root)
		t2, c2 := time.Now(), cpuTime()
		got := newEvaluator(b, bd, data).findings(b, docs)
		t3, c3 := time.Now(), cpuTime()
		fetchCPU += c1 - c0
		scanCPU += c2 - c1
		evalCPU += c3 - c2
		if want := (n + 99) / 100; len(got) != want {
			b.Fatalf("%d findings, want %d", len(got), want)
		}
		fetch += t1.Sub(t0)
		scan += t2.Sub(t1)
		eval += t3.Sub(t2)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	per := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
	b.ReportMetric(per(fetch), "fetch-ms")
	b.ReportMetric(per(scan), "scan-ms")
	b.ReportMetric(per(eval), "eval-ms")
	b.ReportMetric(per(fetch+scan+eval), "total-ms")
	// CPU time of this process (all threads): on a loaded machine, wall
	// time measures the neighbours too.
	b.ReportMetric(per(cpu), "cpu-ms")
	b.ReportMetric(per(fetchCPU), "fetch-cpu-ms")
	b.ReportMetric(per(scanCPU), "scan-cpu-ms")
	b.ReportMetric(per(evalCPU), "eval-cpu-ms")
	b.ReportMetric(peakRSSMiB(), "peak-rss-MiB")

	if ls, ok := testenv.OptionalTool(b, "ldapsearch", "ldap-utils"); ok {
		t := time.Now()
		cmd := exec.Command(ls, "-LLL", "-x", "-H", srv.URL, "-D", ldaptest.ReaderDN, "-y", pwFile(b),
			"-b", ldaptest.PeopleDN, "-E", "pr=500/noprompt", "(&(objectClass=assayKeyHolder)(uid=*))",
			"uid", "homeDirectory", "loginShell", "sshPublicKey")
		if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "dn: uid=u00000") {
			b.Fatalf("ldapsearch: %v", err)
		}
		b.ReportMetric(time.Since(t).Seconds()*1000, "ldapsearch-ms")
	}
	cmd := exec.Command("sh", "-c", "cat home/*/.ssh/authorized_keys etc/passwd >/dev/null")
	cmd.Dir = root
	t := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(t).Seconds()*1000, "cat-ms")
}

func pwFile(b *testing.B) string {
	p := b.TempDir() + "/pw"
	if err := os.WriteFile(p, []byte(ldaptest.ReaderPassword), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMiB is this process's peak resident memory (VmHWM): the assay side
// only, slapd is another process.
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// benchUsers is ASSAY_BENCH_USERS, 10,000 by default.
func benchUsers(t testing.TB) int {
	s := os.Getenv("ASSAY_BENCH_USERS")
	if s == "" {
		return 10000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("ASSAY_BENCH_USERS=%q: want a positive number", s)
	}
	return n
}

// writeFixture writes the case under root: n users' authorized_keys
// files (3 directory keys each, one with options, a comment line; every
// 100th file holds a stranger's key) and /etc/passwd, and returns the
// directory users. The scan finds (n+99)/100 foreign keys.
func writeFixture(t testing.TB, root string, n int) []ldaptest.User {
	t.Helper()
	users := make([]ldaptest.User, n)
	var passwd strings.Builder
	passwd.WriteString("root:x:0:0:root:/root:/bin/bash\n")
	for i := range users {
		uid := fmt.Sprintf("u%05d", i)
		keys := []string{
			ldaptest.Key("ssh-ed25519", uid+"a", uid+"@a"),
			ldaptest.Key("ssh-rsa", uid+"b", uid+"@b"),
			ldaptest.Key("ssh-ed25519", uid+"c", ""),
		}
		users[i] = ldaptest.User{UID: uid, Home: "/home/" + uid, Keys: keys}
		lines := []string{"# managed", keys[0], `no-pty,command="/bin/true" ` + keys[1], keys[2]}
		if i%100 == 0 {
			lines = append(lines, ldaptest.Key("ssh-ed25519", "stranger", "stranger"))
		}
		writeFile(t, root, "home/"+uid+"/.ssh/authorized_keys", strings.Join(lines, "\n")+"\n")
		fmt.Fprintf(&passwd, "%s:x:%d:100::/home/%s:/bin/bash\n", uid, 10000+i, uid)
	}
	writeFile(t, root, "etc/passwd", passwd.String())
	return users
}

// TestBenchFixture is not a test: bench/ldap.sh runs it (with
// ASSAY_BENCH_FIXTURE=DIR) to hold the benchmark's fixture while it times
// the real CLI. It writes DIR/root (the target tree), DIR/bundle (the
// example bundle pointed at a private slapd), DIR/password and DIR/env
// (shell assignments: LDAP_URL, LDAP_BIND_DN, LDAP_BASE_DN, LDAP_FILTER), then DIR/ready, and keeps slapd running until DIR/stop
// appears (or 30 minutes pass); t.Cleanup then stops slapd.
func TestBenchFixture(t *testing.T) {
	dir := os.Getenv("ASSAY_BENCH_FIXTURE")
	if dir == "" {
		t.Skip("ASSAY_BENCH_FIXTURE is not set: bench/ldap.sh runs this to hold the benchmark fixture")
	}
	root := filepath.Join(dir, "root")
	srv := ldaptest.Start(t, writeFixture(t, root, benchUsers(t)), "")
	copyBundle(t, filepath.Join(dir, "bundle"), srv.URL)
	files := map[string]string{
		"password": ldaptest.ReaderPassword,
		"env": fmt.Sprintf("LDAP_URL='%s'\nLDAP_BIND_DN='%s'\nLDAP_BASE_DN='%s'\nLDAP_FILTER='%s'\n",
			srv.URL, ldaptest.ReaderDN, ldaptest.PeopleDN, "(&(objectClass=assayKeyHolder)(uid=*))"),
		"ready": "",
	}
	for _, name := range []string{"password", "env", "ready"} {
		writeFile(t, dir, name, files[name])
	}
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error("DIR/stop did not appear within 30 minutes")
}
