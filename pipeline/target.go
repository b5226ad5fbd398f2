package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/targets"
	"github.com/assay-dev/assay/targets/image"
)

// TargetSpec chooses what is scanned: the host, a root filesystem or an
// image.
type TargetSpec struct {
	// Root is an unpacked root filesystem to scan instead of this host.
	Root string
	// Image is a container image: image.tar (docker save), oci:DIR, or a
	// registry reference.
	Image string
	// Platform chooses in a multi-platform image, os/arch[/variant].
	Platform string
	// InsecureRegistry allows plain HTTP to a loopback image registry.
	InsecureRegistry bool
	// AllowProc lets collectors read what processes keep in a live procfs
	// (environ, cmdline, mem, …) and the kernel's memory files, on the
	// host or in a --root tree (targets.AllowProc).
	AllowProc bool
	// Targets are ssh://[user@]host[:port] URLs (--target) and Inventory
	// a file of them (--inventory): a multi-target run (ScanTargets,
	// CollectTargets), reached and trusted as SSH says.
	Targets   []string
	Inventory string
	SSH       SSHOptions
	// AllowFailedTargets keeps a target that could not be scanned from
	// making the exit code 3 (--allow-failed-targets).
	AllowFailedTargets bool
}

// Bounds of the warnings about an image's skipped layer entries: at most
// maxLoggedSkips lines for single entries, each path and reason cut to
// maxLoggedText bytes, then one line with the count and the
// maxLoggedReasons most frequent reasons.
const (
	maxLoggedSkips   = 20
	maxLoggedText    = 512
	maxLoggedReasons = 10
)

// OpenTarget opens the target spec names. What the user must fix (a
// missing directory, a malformed image) is exit code 2; a registry that
// cannot be reached is exit code 3.
func (e *Env) OpenTarget(ctx context.Context, spec TargetSpec) (target.Target, error) {
	switch {
	case spec.Remote():
		return nil, exitcode.UsageError(errors.New("--target and --inventory scan several targets: this command takes one (the host, --root or --image)"))
	case spec.Root != "" && spec.Image != "":
		return nil, exitcode.UsageError(errors.New("--root and --image choose different targets: give one"))
	case spec.Image != "":
		return e.openImage(ctx, spec)
	case spec.Root != "":
		fi, err := os.Stat(spec.Root)
		if err != nil {
			return nil, exitcode.UsageError(fmt.Errorf("--root: %w", err))
		}
		if !fi.IsDir() {
			return nil, exitcode.UsageError(fmt.Errorf("--root %s: not a directory", spec.Root))
		}
		tgt, err := targets.OpenDir(spec.Root, spec.dirOptions()...)
		if err != nil {
			return nil, exitcode.UsageError(err)
		}
		return tgt, nil
	}
	tgt, err := targets.Host(spec.dirOptions()...)
	if err != nil {
		return nil, exitcode.ScanError(err)
	}
	return tgt, nil
}

func (spec TargetSpec) dirOptions() []targets.Option {
	if spec.AllowProc {
		return []targets.Option{targets.AllowProc()}
	}
	return nil
}

func (e *Env) openImage(ctx context.Context, spec TargetSpec) (target.Target, error) {
	img, err := image.Open(ctx, spec.Image, image.Options{Platform: spec.Platform, Insecure: spec.InsecureRegistry})
	if errors.Is(err, image.ErrFetch) && !errors.Is(err, image.ErrPlainHTTP) {
		return nil, exitcode.ScanError(err)
	}
	if err != nil {
		return nil, exitcode.UsageError(err)
	}
	// The layer entries the image index did not take: hostile names,
	// links out of the root, unreadable sparse files.
	if img.SkipsTotal() > 0 {
		logger := e.logger()
		for i, s := range img.Skips() {
			if i == maxLoggedSkips {
				break
			}
			logger.Warn("image entry skipped", "path", report.Shorten(s.Path, maxLoggedText), "reason", report.Shorten(s.Reason, maxLoggedText))
		}
		logger.Warn("image entries skipped", "image", img.Info().Name, "count", img.SkipsTotal(), "by_reason", reasonCounts(img.SkipsByReason()))
	}
	return img, nil
}

// reasonCounts renders the most frequent skip reasons for a log line:
// "2999 malformed entry: …; 1 hard link to a directory".
func reasonCounts(rs []report.SkipCount) string {
	var parts []string
	for i, r := range rs {
		if i == maxLoggedReasons {
			parts = append(parts, fmt.Sprintf("%d more reasons", len(rs)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%d %s", r.Count, report.Shorten(r.Reason, maxLoggedText)))
	}
	return strings.Join(parts, "; ")
}
