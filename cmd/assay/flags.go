package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/assay-dev/assay/bundle/source"
	"github.com/assay-dev/assay/collectors/file"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/exporters"
	"github.com/assay-dev/assay/internal/membudget"
	"github.com/assay-dev/assay/pipeline"
	"github.com/assay-dev/assay/targets/ssh"
)

// bundleHelp describes what --bundle accepts.
const bundleHelp = "policy bundle: a directory, a .tar.gz, an https:// URL or an oci://REF (repeatable; default: the built-in bundles)"

// registerFetch adds the flags that say how --bundle sources are fetched
// and checked.
func registerFetch(fs *pflag.FlagSet, f *pipeline.FetchOptions) {
	fs.StringArrayVar(&f.VerifyKeys, "verify-key", nil, "refuse any bundle not signed by the public key in this PEM `FILE` (repeatable: any of the keys)")
	fs.StringVar(&f.CacheDir, "bundle-cache", "", "keep remote bundles in `DIR` and use the last copy that loaded when the source is unreachable")
	fs.DurationVar(&f.Timeout, "bundle-timeout", source.DefaultTimeout, "give up fetching a remote bundle after this long")
}

// registerTarget adds the flags that choose what is scanned: the host,
// --root DIR or --image REF.
func registerTarget(fs *pflag.FlagSet, t *pipeline.TargetSpec) {
	fs.StringVar(&t.Root, "root", "", "scan an unpacked root filesystem at `DIR` instead of this host")
	fs.StringVar(&t.Image, "image", "", "scan a container image: image.tar (docker save), oci:DIR[@digest|:tag], or a registry `REF` (docker://REF forces one)")
	fs.StringVar(&t.Platform, "platform", "", "platform of a multi-platform --image, os/arch[/variant]")
	fs.BoolVar(&t.InsecureRegistry, "insecure-registry", false, "allow plain HTTP for a loopback --image registry")
	fs.BoolVar(&t.AllowProc, "allow-proc", false, "let bundles read what processes keep in /proc (environ, cmdline, mem, …) and the kernel's memory files; refused otherwise")
}

// secretFlags are the operator's allowances for the secrets that bundles'
// live data sources name: nothing else lets a bundle read one.
type secretFlags struct{ env, files []string }

func (s *secretFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&s.env, "allow-env", nil, "let data sources read the environment variable `NAME` as a credential, for any host or for NAME@HOST only (repeatable); its value is redacted from the output")
	fs.StringArrayVar(&s.files, "allow-secret-file", nil, "let data sources read the file `PATH` as a credential (password_file), for any host or for PATH@HOST only (repeatable); its content is redacted from the output")
}

// apply gives env the allowances (and a logger that redacts them).
func (s *secretFlags) apply(env *pipeline.Env) error { return env.AllowSecrets(s.env, s.files) }

// registerScan adds the flags shared by scan, collect and serve.
func registerScan(fs *pflag.FlagSet, c *pipeline.ScanConfig) {
	fs.StringArrayVarP(&c.Bundles, "bundle", "b", nil, bundleHelp)
	registerFetch(fs, &c.Fetch)
	registerTarget(fs, &c.Target)
	fs.DurationVar(&c.CollectorTimeout, "collector-timeout", 5*time.Minute, "stop a collector that runs longer than this")
	fs.DurationVar(&c.EvalTimeout, "eval-timeout", 10*time.Second, "stop a policy evaluation that runs longer than this")
	fs.IntVar(&c.Parallel, "parallel", 0, "evaluations and collectors run at once (0: one per CPU); with --target or --inventory, the targets scanned at once (0: 4)")
}

// registerRemote adds the flags that choose SSH targets and say how they
// are reached and trusted (scan and collect).
func registerRemote(fs *pflag.FlagSet, t *pipeline.TargetSpec) {
	fs.StringArrayVar(&t.Targets, "target", nil, "scan the host at `URL`, ssh://[user@]host[:port], over SSH (SFTP, read-only; repeatable)")
	fs.StringVar(&t.Inventory, "inventory", "", "scan the SSH targets listed in `FILE`: one ssh:// URL a line, or YAML (.yaml) with per-host user, port and labels")
	fs.StringArrayVar(&t.SSH.KnownHosts, "known-hosts", nil, "check host keys against this known_hosts `FILE` (repeatable; default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts); an unknown or changed key fails the target")
	fs.StringArrayVar(&t.SSH.Identities, "identity", nil, "authenticate with the private key in `FILE` and its FILE-cert.pub certificate (repeatable; ssh-agent's keys are offered too)")
	fs.DurationVar(&t.SSH.ConnectTimeout, "connect-timeout", ssh.DefaultConnectTimeout, "give up on a target that has not connected, shown its host key and accepted a key within this long")
	fs.DurationVar(&t.SSH.ReadTimeout, "read-timeout", ssh.DefaultReadTimeout, "fail a target that does not answer one SFTP request within this long")
	fs.BoolVar(&t.AllowFailedTargets, "allow-failed-targets", false, "a target that cannot be scanned is reported but does not make the exit code 3")
	t.SSH.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
}

// registerOverlays adds --overlay, for the commands that evaluate.
func registerOverlays(fs *pflag.FlagSet, files *[]string) {
	fs.StringArrayVar(files, "overlay", nil, "tailor the bundles with the overlay `FILE`: set their params, disable policies (with a reason), change severities; the bundles stay as signed (repeatable, applied in order)")
}

// registerDocuments adds the flags that bound the --documents files.
func registerDocuments(fs *pflag.FlagSet, o *pipeline.DocumentOptions) {
	o.MaxSize = pipeline.DefaultMaxDocumentSize
	fs.Var(sizeFlag{&o.MaxSize}, "max-document-size", "refuse a --documents file larger than this `SIZE` (64MiB, 512KiB, 2GiB)")
	fs.BoolVar(&o.Strict, "strict", false, "refuse a document that gives a name twice in one object (default: warn, and the later value wins)")
}

// registerMemory adds --max-memory, for the commands that evaluate.
func registerMemory(fs *pflag.FlagSet, budget *int64) {
	fs.Var(sizeFlag{budget}, "max-memory", "stop a policy evaluation that grows the heap past this `SIZE` (the policy has status error); also the Go soft memory limit unless GOMEMLIMIT is set (default: half of the machine's or container's memory, at least 256MiB, with a soft limit that follows the live heap)")
}

// applyMemoryBudget resolves --max-memory (unset: half of this machine's
// or container's memory) and sets the Go runtime's soft memory limit to
// it, unless the environment sets GOMEMLIMIT; with neither, the limit
// follows the live heap up to the budget.
func applyMemoryBudget(flag int64, log *slog.Logger) (int64, error) {
	budget, source := flag, "--max-memory"
	if budget == 0 {
		budget, source = membudget.Default()
	} else if budget < membudget.Min {
		return 0, exitcode.UsageError(fmt.Errorf("--max-memory %s: below the %s that assay itself needs; give more",
			sizeFlag{&budget}, sizeFlag{&[]int64{membudget.Min}[0]}))
	}
	limit, fromEnv := membudget.SetSoftLimit(budget)
	membudget.DelayCollection()
	paced := flag == 0 && !fromEnv
	if paced {
		// No one chose a limit: it follows the live heap, up to the
		// budget, so that peak RSS does not grow to three times what
		// the run holds (membudget.Pace). Pacing lasts the process.
		membudget.Pace(budget)
	}
	log.Debug("memory budget", "budget", sizeFlag{&budget}.String(), "source", source,
		"soft_limit", sizeFlag{&limit}.String(), "soft_limit_from_GOMEMLIMIT", fromEnv, "soft_limit_paced", paced)
	return budget, nil
}

// sizeFlag is a number of bytes, given as 64MiB, 512k, 1G or 4096: the
// suffixes of a collect block's max_size (file.ParseBytes), all powers of
// 1024. Every size flag of the CLI is one.
type sizeFlag struct{ n *int64 }

func (s sizeFlag) String() string {
	if s.n == nil || *s.n == 0 {
		return "0"
	}
	return strings.ReplaceAll(strings.Replace(humanize.IBytes(uint64(*s.n)), ".0 ", " ", 1), " ", "")
}

func (s sizeFlag) Set(v string) error {
	n, err := file.ParseBytes(v)
	if err != nil {
		return errors.New("want a size such as 64MiB, 512KiB or 1G")
	}
	if n == 0 {
		return errors.New("want a size above 0, such as 64MiB")
	}
	*s.n = n
	return nil
}

func (s sizeFlag) Type() string { return "SIZE" }

// outputFlags choose the formats, where each goes, and the CI gate.
type outputFlags struct {
	formats    []string
	output     string
	failOn     string
	showWaived bool
	push       pushFlags
}

func (o *outputFlags) register(fs *pflag.FlagSet, formats *exporters.Registry) {
	fs.StringArrayVarP(&o.formats, "format", "f", nil,
		"output `FORMAT` ("+strings.Join(formats.Names(), ", ")+"); repeat as FORMAT=FILE to write several outputs from one scan, FORMAT=DIR/ for one file per target (default table)")
	fs.StringVarP(&o.output, "output", "o", "", "write the output to `FILE` (atomically) instead of stdout")
	fs.StringVar(&o.failOn, "fail-on", "info", "lowest `SEVERITY` of a mandatory finding that fails the run (exit 1): info, low, medium, high, critical, or none")
	fs.BoolVar(&o.showWaived, "show-waived", false, "list waived findings in the table too (they are counted in its summary either way)")
	o.push.register(fs)
}

// plan checks --fail-on and every -f/-o before anything runs.
func (o *outputFlags) plan(env *pipeline.Env) (*pipeline.Outputs, error) {
	out, err := env.PlanOutputs(o.formats, o.output, o.failOn)
	if err != nil {
		return nil, err
	}
	out.ShowWaived = o.showWaived
	if out.Push, err = o.push.parse(); err != nil {
		return nil, err
	}
	return out, nil
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorAllowed: colour only on a terminal and never with NO_COLOR set
// (https://no-color.org: any non-empty value).
func colorAllowed(w io.Writer) bool {
	return os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(w)
}
