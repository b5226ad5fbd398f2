package pipeline

import (
	"fmt"
	"sort"
	"time"

	"github.com/assay-dev/assay/internal/hclguard"
	"github.com/assay-dev/assay/internal/safefile"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/pipeline/waiver"
)

// DefaultMaxWaiverDays is how far out a waiver may expire unless
// --max-waiver-days says otherwise: a risk is looked at again within a
// year.
const DefaultMaxWaiverDays = 365

// WaiverOptions say which waiver files apply and how they are checked.
type WaiverOptions struct {
	// Files are the waiver files (--waivers), in order: of two waivers
	// that cover a finding, the first one marks it.
	Files []string
	// MaxDays bounds how far after Now a waiver may expire (0: no limit).
	MaxDays int
	// Now fixes the clock waivers are judged by (--now, ASSAY_NOW: for
	// tests and audits); zero means the time of each scan.
	Now time.Time
}

// Clock returns the waivers' clock: Now when set, else nil (the time of
// each scan).
func (o WaiverOptions) Clock() func() time.Time {
	if o.Now.IsZero() {
		return nil
	}
	now := o.Now
	return func() time.Time { return now }
}

// LoadWaivers reads the waiver files and checks them against the policies
// of the loaded bundles: nil when there are none. A file that cannot be
// read is a usage error (exit code 2) naming it; mistakes in the files
// come back as a *DiagnosticsError (exit code 2) at file:line:col.
func (e *Env) LoadWaivers(opts WaiverOptions, bundles []*bundle.Bundle) (*waiver.Set, error) {
	if len(opts.Files) == 0 {
		return nil, nil
	}
	files := make([]waiver.File, 0, len(opts.Files))
	for _, name := range opts.Files {
		src, err := readBounded(name, safefile.Pipes, waiver.MaxFileSize, "a waiver file (HCL)", func(n int64) error {
			return fmt.Errorf("larger than the %s limit of a waiver file: split it, or waive with patterns", hclguard.Size(n))
		})
		if err != nil {
			return nil, exitcode.UsageError(fmt.Errorf("read waivers: %w", err))
		}
		files = append(files, waiver.File{Name: name, Src: src})
	}
	set, diags := waiver.Load(files)
	if !diags.HasErrors() {
		now := opts.Now
		if now.IsZero() {
			now = time.Now()
		}
		diags = append(diags, set.Check(policyNames(bundles), now, opts.MaxDays)...)
	}
	if diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags, Files: set.HCL, Code: exitcode.Usage, Message: "the waiver files have errors (see above)"}
	}
	e.warn(diags, set.HCL)
	return set, nil
}

// policyNames lists the bundles' policies as BUNDLE/POLICY.
func policyNames(bundles []*bundle.Bundle) []string {
	var out []string
	for _, b := range bundles {
		for _, p := range b.Policies {
			out = append(out, b.Name+"/"+p.ID)
		}
	}
	sort.Strings(out)
	return out
}

// WarnWaivers warns, with their source, about the waivers of a report that
// matched no finding (stale: remove or fix them) and those that expired
// while still matching findings, which count again.
func (e *Env) WarnWaivers(r *report.Report, set *waiver.Set) {
	if set == nil {
		return
	}
	entries := waiverEntries(r)
	decl := map[string]hcl.Range{}
	for _, w := range set.Waivers {
		decl[w.ID] = w.DeclRange
	}
	var diags hcl.Diagnostics
	for _, w := range entries {
		rng := decl[w.ID]
		switch {
		case w.Expired && w.Findings > 0:
			covers := fmt.Sprintf("%d findings it covers count again", w.Findings)
			if w.Findings == 1 {
				covers = "the finding it covers counts again"
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Expired waiver",
				Detail:   fmt.Sprintf("Waiver %q expired %s: %s. Fix what it waived, or renew it with a new expiry after a review.", w.ID, w.Expires, covers),
				Subject:  rng.Ptr(),
			})
		case w.Stale:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Stale waiver",
				Detail:   fmt.Sprintf("Waiver %q matched no finding in this scan: remove it once what it waived is fixed, or check its policy, targets and paths.", w.ID),
				Subject:  rng.Ptr(),
			})
		}
	}
	e.warn(diags, set.HCL)
}

// waiverEntries is what each waiver did over the whole run: in a
// multi-target report, its findings summed over the targets, and stale
// only if it matched nothing on any of them.
func waiverEntries(r *report.Report) []report.WaiverEntry {
	var out []report.WaiverEntry
	index := map[string]int{}
	for _, sec := range r.Sections() {
		if sec.Waivers == nil {
			continue
		}
		for _, w := range sec.Waivers.Entries {
			i, ok := index[w.ID]
			if !ok {
				index[w.ID] = len(out)
				out = append(out, w)
				continue
			}
			out[i].Findings += w.Findings
			out[i].Stale = out[i].Stale && w.Stale
			out[i].Expired = out[i].Expired || w.Expired
		}
	}
	return out
}
