package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/bundle/datasource/ldap/ldaptest"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/pipeline"
)

// syncBuffer is a bytes.Buffer safe to write from the daemon's goroutines
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveInProcess runs the real `assay serve` command line in this process on
// a loopback port until the test ends, and returns its base URL and stderr.
func serveInProcess(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	return serveRoot(t, newRootCmd(), args...)
}

// serveRoot is serveInProcess with the given root command.
func serveRoot(t *testing.T, root *cobra.Command, args ...string) (string, *syncBuffer) {
	t.Helper()
	return serveListening(t, root, append([]string{"--jitter", "0", "--log-level", "info"}, args...)...)
}

// serveListening runs `assay serve --listen ADDR args…` on a free loopback
// port, with no other flag added, and waits until it is ready.
func serveListening(t *testing.T, root *cobra.Command, args ...string) (string, *syncBuffer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	root.SetArgs(append([]string{"serve", "--listen", addr}, args...))
	root.SetOut(io.Discard)
	root.SetErr(stderr)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve ended with %v\n%s", err, stderr)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop within 15s")
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, stderr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready within 15s:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scrape(t *testing.T, base string) (string, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return string(b), nil
}

// metricValue returns the value of the series whose line starts with
// prefix (name and labels, in the exposition's label order), or "".
func metricValue(text, prefix string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(line, prefix))
		}
	}
	return ""
}

var (
	bundleInfoRE   = regexp.MustCompile(`(?m)^assay_bundle_info\{bundle="swap",.*version="([^"]*)"\} 1$`)
	policyStatusRE = regexp.MustCompile(`(?m)^assay_policy_status\{bundle="swap",policy="([^"]+)",status="([^"]+)"\} 1$`)
)

// swapState is what one scrape says about the bundle: "" before the first
// scan, else "VERSION a=STATUS[ b=STATUS]". An error is a scrape that mixes
// versions or shows the bundle twice.
func swapState(text string) (string, error) {
	infos := bundleInfoRE.FindAllStringSubmatch(text, -1)
	pols := policyStatusRE.FindAllStringSubmatch(text, -1)
	if len(infos) == 0 && len(pols) == 0 {
		return "", nil
	}
	if len(infos) != 1 {
		return "", fmt.Errorf("%d assay_bundle_info series for bundle swap, want 1", len(infos))
	}
	state := infos[0][1]
	for _, p := range pols {
		state += " " + p[1] + "=" + p[2]
	}
	switch state {
	case "1.0.0 a=fail", "2.0.0 a=pass b=fail":
		return state, nil
	}
	return "", fmt.Errorf("inconsistent scrape: %q", state)
}

// swapBundle writes one version of the test bundle: v1's policy a fails;
// v2's passes and adds policy b; "broken" has an HCL syntax error.
func swapBundle(t *testing.T, dir, version string) {
	t.Helper()
	var src string
	switch version {
	case "1.0.0":
		src = `bundle "swap" { version = "1.0.0" }
collect "host" "facts" {}
policy "a" {
  input = [collect.host.facts]
  rego  = <<-EOT
    package swap.a
    deny contains "v1 says no" if true
  EOT
}
`
	case "2.0.0":
		src = `bundle "swap" { version = "2.0.0" }
collect "host" "facts" {}
policy "a" {
  input = [collect.host.facts]
  rego  = <<-EOT
    package swap.a
    deny contains "never" if false
  EOT
}
policy "b" {
  input = [collect.host.facts]
  rego  = <<-EOT
    package swap.b
    deny contains "v2 adds b" if true
  EOT
}
`
	default:
		src = `bundle "swap" { version = "3.0.0" }
policy "a" {
  input = [collect.host.facts
}
`
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pointAt makes link name target, atomically (a new symlink renamed over
// the old one): how bundles are deployed under a running daemon.
func pointAt(t *testing.T, link, target string) {
	t.Helper()
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

// TestServeSwapsBundlesWhileScraped swaps a bundle under a running `assay
// serve` (--bundle-refresh) while a client scrapes /metrics without pause:
// every scrape shows exactly one version of the bundle, with that version's
// policies; a broken version is refused and the old one keeps serving.
func TestServeSwapsBundlesWhileScraped(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "2.0.0", "3.0.0"} {
		swapBundle(t, filepath.Join(dir, "v"+v), v)
	}
	current := filepath.Join(dir, "current")
	pointAt(t, current, filepath.Join(dir, "v1.0.0"))
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	// --scan-timeout: the default (the interval, 10ms) fails scans on a
	// loaded machine, which is not what this test is about.
	base, stderr := serveInProcess(t, "--bundle", current, "--root", root, "--interval", "10ms", "--scan-timeout", "10s", "--bundle-refresh", "30ms")

	// The scraper runs until told to stop, at most 20,000 scrapes or 60 s.
	var (
		mu     sync.Mutex
		seen   = map[string]int{}
		bad    []string
		last   string
		stop   = make(chan struct{})
		halted = make(chan struct{})
	)
	go func() {
		defer close(halted)
		deadline := time.Now().Add(60 * time.Second)
		for i := 0; i < 20000 && time.Now().Before(deadline); i++ {
			select {
			case <-stop:
				return
			default:
			}
			text, err := scrape(t, base)
			state := ""
			if err == nil {
				state, err = swapState(text)
			}
			mu.Lock()
			if err != nil && len(bad) < 10 {
				bad = append(bad, err.Error())
			}
			seen[state]++
			last = text
			mu.Unlock()
		}
	}()
	// waitFor waits until the scraper has seen state n more times than
	// before (several scans, so the swap has settled).
	waitFor := func(state string, n int) {
		t.Helper()
		mu.Lock()
		from := seen[state]
		mu.Unlock()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			got := seen[state]
			mu.Unlock()
			if got >= from+n {
				return
			}
			select {
			case <-halted:
				t.Fatalf("the scraper stopped before it saw %q", state)
			default:
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no scrape showed %q within 20s; seen %v\n%s", state, seen, stderr)
	}

	waitFor("1.0.0 a=fail", 20)
	pointAt(t, current, filepath.Join(dir, "v2.0.0"))
	waitFor("2.0.0 a=pass b=fail", 20)
	pointAt(t, current, filepath.Join(dir, "v1.0.0"))
	waitFor("1.0.0 a=fail", 20)
	pointAt(t, current, filepath.Join(dir, "v2.0.0"))
	waitFor("2.0.0 a=pass b=fail", 20)

	// v3 does not parse: every refresh fails, v2 keeps serving.
	pointAt(t, current, filepath.Join(dir, "v3.0.0"))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "reload failed") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	waitFor("2.0.0 a=pass b=fail", 20)
	close(stop)
	<-halted

	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("%d+ bad scrapes, first ones:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	total := 0
	for _, n := range seen {
		total += n
	}
	t.Logf("%d scrapes: %v", total, seen)
	if v := metricValue(last, "assay_config_last_reload_successful "); v != "0" {
		t.Errorf("assay_config_last_reload_successful = %q after the broken version, want 0", v)
	}
	if v := metricValue(last, "assay_scan_success "); v != "1" {
		t.Errorf("assay_scan_success = %q, want 1: the old bundles keep scanning", v)
	}
	log := stderr.String()
	for _, want := range []string{
		"reload failed; keeping the bundles already loaded",
		filepath.Join(current, "bundle.hcl") + ":4",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}

// TestServeKeepsLastGoodData takes the directory of a data "ldap" block down
// under a running `assay serve`: scans go on with the last good entries
// (their findings stay), assay_data_source_up drops to 0 and its last
// success stops moving; when the directory is back, the data is fresh again.
func TestServeKeepsLastGoodData(t *testing.T) {
	key := func(seed string) string { return ldaptest.Key("ssh-ed25519", seed, "") }
	srv := ldaptest.Start(t, []ldaptest.User{
		{UID: "alice", Home: "/home/alice", Keys: []string{key("a")}},
		{UID: "bob", Home: "/home/bob", Keys: []string{key("b1"), key("b2")}},
	}, "")
	t.Setenv("ASSAY_CLI_TEST_PW", ldaptest.ReaderPassword)
	dir := dataBundle(t, ldapBlock(srv.URL)+`
collect "host" "facts" {}

policy "keys" {
  input = [collect.host.facts]
  rego  = <<-EOT
    package live.keys
    deny contains sprintf("%s has %d keys", [e.uid[0], count(e.sshPublicKey)]) if {
      some e in data.people
    }
  EOT
}
`)
	root := t.TempDir()
	// --scan-timeout: the default (the 20ms interval) would fail scans on a
	// loaded machine; this test is about stale data, not slow scans.
	base, stderr := serveInProcess(t, "--bundle", dir, "--root", root, "--interval", "20ms", "--scan-timeout", "10s", "--allow-env", "ASSAY_CLI_TEST_PW")

	const up = `assay_data_source_up{bundle="data-cli-test",kind="ldap",name="people"} `
	const last = `assay_data_source_last_success_timestamp_seconds{bundle="data-cli-test",kind="ldap",name="people"} `
	const findings = `assay_findings{bundle="data-cli-test",enforcement="mandatory",kind="deny",policy="keys",policy_severity="medium"} `
	// until waits for a scrape for which ok holds, and returns it.
	until := func(what string, ok func(text string) bool) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var text string
		for time.Now().Before(deadline) {
			var err error
			if text, err = scrape(t, base); err == nil && ok(text) {
				return text
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no scrape showed %s within 20s; last:\n%s\nlog:\n%s", what, text, stderr)
		return ""
	}
	fresh := until("fresh data", func(s string) bool { return metricValue(s, up) == "1" })
	if got := metricValue(fresh, findings); got != "2" {
		t.Fatalf("findings = %q, want 2 (one per directory user)", got)
	}
	if got := metricValue(fresh, `assay_data_source_entries{bundle="data-cli-test",kind="ldap",name="people"} `); got != "2" {
		t.Errorf("entries = %q, want 2", got)
	}

	srv.Stop()
	stale := until("stale data", func(s string) bool { return metricValue(s, up) == "0" })
	if got := metricValue(stale, findings); got != "2" {
		t.Errorf("findings while the directory is down = %q, want 2: the last good data is kept", got)
	}
	if got := metricValue(stale, "assay_scan_success "); got != "1" {
		t.Errorf("assay_scan_success = %q while stale, want 1", got)
	}
	staleAt := metricValue(stale, last)
	// Several scans later the data is still the same, from the same fetch.
	time.Sleep(150 * time.Millisecond)
	later := until("stale data", func(s string) bool { return metricValue(s, up) == "0" })
	if got := metricValue(later, last); got != staleAt || got == "" {
		t.Errorf("last success moved from %q to %q while the directory was down", staleAt, got)
	}
	if !strings.Contains(stderr.String(), "data source unavailable; judging with its last good data") {
		t.Errorf("the log does not say the data is stale:\n%s", stderr)
	}
	if strings.Contains(stderr.String(), ldaptest.ReaderPassword) {
		t.Error("the password appears in the log")
	}

	srv.Restart(t)
	back := until("fresh data again", func(s string) bool { return metricValue(s, up) == "1" && metricValue(s, last) != staleAt })
	if got := metricValue(back, findings); got != "2" {
		t.Errorf("findings after the directory came back = %q, want 2", got)
	}
}

// stuck is a collector blocked where no deadline reaches, as a read on a
// hung network mount is, until the test releases it.
type stuck struct {
	release <-chan struct{}
	runs    *atomic.Int32
}

func (s stuck) Collect(context.Context, collector.Env, collector.Emitter) error {
	s.runs.Add(1)
	<-s.release
	return nil
}

// goroutineFloor is the fewest goroutines seen over 300 ms: what is left
// between scans, whatever a scan in progress adds.
func goroutineFloor() int {
	low := runtime.NumGoroutine()
	for range 30 {
		time.Sleep(10 * time.Millisecond)
		low = min(low, runtime.NumGoroutine())
	}
	return low
}

// TestServeDoesNotStackCollectors is the item 7 at the command
// line: `assay serve --interval 200ms --collector-timeout 200ms` over a
// bundle that hashes a 200 GB sparse file (max_file_size = 1T) and has a
// collector stuck where no deadline reaches (a test collector type). Scan
// after scan the goroutines stay where they were once the stuck collector
// was abandoned: the hashing stops at its deadline and never overruns; the
// stuck collector is not started again but reported still_running and
// counted in assay_collector_overruns_total. Released, it runs again.
func TestServeDoesNotStackCollectors(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "data"), 0o755))
	f, err := os.Create(filepath.Join(root, "data", "big"))
	must(err)
	must(f.Truncate(200 << 30)) // sparse: no disk, minutes of hashing
	must(f.Close())
	dir := t.TempDir()
	must(os.WriteFile(filepath.Join(dir, "bundle.hcl"), []byte(`bundle "leak" { version = "1.0.0" }
collect "file" "big" {
  paths         = ["/data"]
  hashes        = ["sha256"]
  max_file_size = "1T"
}
collect "stuck" "k" {}
policy "big" {
  input = [collect.file.big, collect.stuck.k]
  rego  = <<-EOT
    package leak.big
    deny contains "a big file" if input.size > 0
  EOT
}
`), 0o644))

	release := make(chan struct{})
	var runs atomic.Int32
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	c := &cli{base: *pipeline.Builtin(tool())}
	c.base.Collectors = collector.NewRegistry(append(c.base.Collectors.All(), collector.Type{
		Name: "stuck", DocumentKinds: []string{"stuck"}, Help: "blocks until released",
		New: func(hcl.Body, *hcl.EvalContext) (collector.Collector, hcl.Diagnostics) {
			return stuck{release: release, runs: &runs}, nil
		},
	})...)
	cmd := &cobra.Command{Use: "assay", SilenceUsage: true, SilenceErrors: true}
	c.log.register(cmd.PersistentFlags())
	cmd.AddCommand(c.serveCmd())
	base, stderr := serveRoot(t, cmd, "--bundle", dir, "--root", root,
		"--interval", "200ms", "--collector-timeout", "200ms", "--scan-timeout", "20s")

	const (
		scans    = "assay_scans_total "
		overruns = `assay_collector_overruns_total{bundle="leak",collector="stuck.k"} `
	)
	// scrapeAfter waits for a scrape once n scans have completed.
	scrapeAfter := func(n int, also func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		var text string
		for time.Now().Before(deadline) {
			text, err = scrape(t, base)
			if v, _ := strconv.Atoi(metricValue(text, scans)); err == nil && v >= n && (also == nil || also(text)) {
				return text
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no scrape after %d scans within 30s; last:\n%s\nlog:\n%s", n, text, stderr)
		return ""
	}

	scrapeAfter(3, nil)
	before := goroutineFloor()
	text := scrapeAfter(10, nil)
	after := goroutineFloor()
	t.Logf("goroutines between scans: %d after 3 scans, %d after 10", before, after)
	if after > before+3 {
		t.Errorf("goroutines grew from %d to %d over 7 scans: collectors are stacking", before, after)
	}
	for _, want := range []string{
		`assay_collector_failed{bundle="leak",collector="file.big",reason="timeout"} 1`,
		`assay_collector_overruns_total{bundle="leak",collector="file.big"} 0`,
		`assay_collector_failed{bundle="leak",collector="stuck.k",reason="still_running"} 1`,
		"assay_scan_success 1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, linesMatching(text, "assay_collector_", "assay_scan_success"))
		}
	}
	if v, _ := strconv.Atoi(metricValue(text, overruns)); v < 5 {
		t.Errorf("%s= %q after 10 scans, want at least 5", overruns, metricValue(text, overruns))
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the stuck collector was started %d times, want once", n)
	}

	// Once its run returns, the collector is started again, and succeeds.
	close(release)
	released = true
	scrapeAfter(0, func(s string) bool {
		return metricValue(s, `assay_collector_success{bundle="leak",collector="stuck.k"} `) == "1"
	})
	if n := runs.Load(); n < 2 {
		t.Errorf("the released collector was started %d times in all, want it started again", n)
	}
	log := stderr.String()
	for _, want := range []string{"abandoned, and not started again until it returns", "collector still running from an earlier scan; not started again"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q", want)
		}
	}
}

// linesMatching keeps the lines of text that start with one of prefixes.
func linesMatching(text string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestServeKeepsBundlesOnHostileReload sends `assay serve` SIGHUP with
// hostile bundles in place of its good one: HCL nested a million deep
// (which overflowed the stack, killing the daemon: this test binary with
// it) and functions that would make gigabytes. Each reload fails, and
// the daemon keeps scanning with the bundles it had.
func TestServeKeepsBundlesOnHostileReload(t *testing.T) {
	dir := t.TempDir()
	swapBundle(t, filepath.Join(dir, "good"), "1.0.0")
	hostileBundle(t, filepath.Join(dir, "deep"), nested(1_000_000))
	hostileBundle(t, filepath.Join(dir, "replace"), nestedReplace(31))
	current := filepath.Join(dir, "current")
	pointAt(t, current, filepath.Join(dir, "good"))
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	base, stderr := serveInProcess(t, "--bundle", current, "--root", root, "--interval", "10ms", "--scan-timeout", "10s")

	for i, hostile := range []struct{ name, says string }{
		{"deep", "Nested too deeply"},
		{"replace", "replace(…) would produce"},
	} {
		pointAt(t, current, filepath.Join(dir, hostile.name))
		// SIGHUP, as an operator would send it; serve has installed its
		// handler before it is ready.
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for strings.Count(stderr.String(), "reload failed") <= i && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		log := stderr.String()
		if strings.Count(log, "reload failed; keeping the bundles already loaded") != i+1 || !strings.Contains(log, hostile.says) {
			t.Fatalf("%s: the log does not say the reload failed with %q:\n%.3000s", hostile.name, hostile.says, log)
		}
		// Scans go on with the good bundle.
		text, err := scrape(t, base)
		if err != nil {
			t.Fatal(err)
		}
		if state, err := swapState(text); err != nil || state != "1.0.0 a=fail" {
			t.Errorf("%s: after the reload the daemon serves %q (%v), want the good bundle", hostile.name, state, err)
		}
		if v := metricValue(text, "assay_config_last_reload_successful "); v != "0" {
			t.Errorf("%s: assay_config_last_reload_successful = %q, want 0", hostile.name, v)
		}
	}
}

// TestServeMemoryBudget: a policy over --max-memory does not take the
// daemon down: each scan completes with that policy in error and the
// others judged, assay_policy_memory_exceeded_total counts the scans, and
// the daemon keeps serving.
func TestServeMemoryBudget(t *testing.T) {
	// serve sets the Go runtime's soft limit of this process; the tests
	// after this one get theirs back.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	dir := t.TempDir()
	var rego strings.Builder
	rego.WriteString("    package mem.doubling\n    deny contains \"never\" if {\n      s0 := \"abcdefgh\"\n")
	for i := 1; i <= 27; i++ {
		fmt.Fprintf(&rego, "      s%d := concat(\"\", [s%d, s%d])\n", i, i-1, i-1)
	}
	rego.WriteString("      count(s27) < 0\n    }\n")
	src := `bundle "mem" { version = "1.0.0" }
collect "host" "facts" {}
policy "doubling" {
  input = [collect.host.facts]
  rego  = <<-EOT
` + rego.String() + `  EOT
}
policy "ok" {
  input = [collect.host.facts]
  rego  = <<-EOT
    package mem.ok
    deny contains "judged" if true
  EOT
}
`
	if err := os.MkdirAll(filepath.Join(dir, "mem"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mem", "bundle.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	base, stderr := serveInProcess(t, "--bundle", filepath.Join(dir, "mem"), "--root", root, "--interval", "100ms", "--scan-timeout", "2m", "--max-memory", "64MiB")
	var text string
	for deadline := time.Now().Add(2 * time.Minute); ; {
		var err error
		if text, err = scrape(t, base); err != nil {
			t.Fatalf("scrape: %v\n%s", err, stderr)
		}
		if n := metricValue(text, `assay_policy_memory_exceeded_total{bundle="mem",policy="doubling"} `); n != "" && n != "1" {
			break // two scans or more have stopped it, and the daemon serves
		}
		if time.Now().After(deadline) {
			t.Fatalf("assay_policy_memory_exceeded_total did not reach 2 within 2 minutes:\n%s\n%s", text, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`assay_policy_status{bundle="mem",policy="doubling",status="error"} 1`,
		`assay_findings{bundle="mem",enforcement="mandatory",kind="deny",policy="ok",policy_severity="medium"} 1`,
		`assay_scan_success 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	if metricValue(text, `assay_policy_memory_exceeded_total{bundle="mem",policy="ok"} `) != "" {
		t.Error("the policy judged with the hog is counted as over the budget")
	}
	if !strings.Contains(stderr.String(), `msg="policy stopped: it exceeded the memory budget, and is reported with status error" bundle=mem policy=doubling`) {
		t.Errorf("no warning in the log:\n%s", stderr)
	}
}

// TestServeStartsAsTold: with no --jitter and no --log-level, serve logs
// where it listens, its bundles, interval, jitter and target, and its first
// scan; the jitter is a tenth of the interval, not 30s (an --interval 5s
// once waited up to 35s between scans), and never more than the interval.
func TestServeStartsAsTold(t *testing.T) {
	root := filepath.Join("..", "..", "examples", "demo", "rootfs")
	waitLog := func(t *testing.T, stderr *syncBuffer, want ...string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			out := stderr.String()
			missing := ""
			for _, w := range want {
				if !strings.Contains(out, w) {
					missing = w
					break
				}
			}
			if missing == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("stderr lacks %q:\n%s", missing, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"defaults", []string{"--interval", "5s"},
			[]string{"interval=5s jitter=500ms"}},
		{"jitter longer than the interval", []string{"--interval", "2s", "--jitter", "1m"},
			[]string{"level=WARN msg=\"--jitter is longer than --interval; using the interval\"", "interval=2s jitter=2s"}},
		{"jitter zero", []string{"--interval", "2s", "--jitter", "0"},
			[]string{"interval=2s jitter=0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, stderr := serveListening(t, newRootCmd(), append([]string{"--root", root}, tc.args...)...)
			addr := strings.TrimPrefix(base, "http://")
			waitLog(t, stderr, append(tc.want,
				"level=INFO msg=\"assay serve starting\" listen="+addr,
				"ssh-baseline 1.0.0",
				"target="+root,
				"msg=\"Listening on\" address="+addr,
				"level=INFO msg=\"scan completed\" findings=")...)
		})
	}
}
