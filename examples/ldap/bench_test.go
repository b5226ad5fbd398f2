package ldapexample

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assay-dev/assay/engine/datasource/ldap/ldaptest"
)

// BenchmarkDirectoryScan is the performance case: 10,000 directory
// users with 3 keys each against 10,000 home directories. One iteration is
// fetch (bundle load with the paged LDAP search) + scan (reading every
// authorized_keys file and /etc/passwd into documents) + evaluation of both
// policies. Until the file collector and the engine are on this branch, the
// scan and the evaluation are this package's stand-ins (fileDocs,
// evaluator), which do what they will do. bench/ldap.sh runs it.
//
// Peers, measured in the same run: ldapsearch (OpenLDAP's own client,
// paged the same way, output to /dev/null) for the fetch, and `cat` of the
// same files for the scan.
func BenchmarkDirectoryScan(b *testing.B) {
	n := 10000
	if s := os.Getenv("ASSAY_BENCH_USERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	users := make([]ldaptest.User, n)
	root := b.TempDir()
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
		writeFile(b, root, "home/"+uid+"/.ssh/authorized_keys", strings.Join(lines, "\n")+"\n")
		fmt.Fprintf(&passwd, "%s:x:%d:100::/home/%s:/bin/bash\n", uid, 10000+i, uid)
	}
	writeFile(b, root, "etc/passwd", passwd.String())
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

	if ls, err := exec.LookPath("ldapsearch"); err == nil {
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
