package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/exitcode"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/engine"
)

// FleetMember is one target's part of a fleet evaluation: its report,
// judged on its own, and the documents the fleet policies take.
type FleetMember struct {
	Report *report.Report
	Host   document.Document
	Labels map[string]string
	// Documents may hold only those the fleet policies take
	// (engine.Engine.TakesFleet).
	Documents []document.Entry
}

// judgeFleet evaluates the fleet policies once over every member and adds
// each one's results and the findings reported at it to its report. A run
// of one target is a fleet of one.
func (p *Pipeline) judgeFleet(ctx context.Context, members []FleetMember) error {
	if !p.Engine.HasFleet() {
		return nil
	}
	start := time.Now()
	targets := make([]engine.FleetTarget, len(members))
	for i, m := range members {
		targets[i] = engine.FleetTarget{Name: m.Report.Target.Name, Target: m.Report.Target, Host: m.Host, Labels: m.Labels, Documents: m.Documents}
	}
	res, err := p.Engine.EvalFleet(ctx, targets)
	if err != nil {
		return fmt.Errorf("evaluate fleet policies: %w", err)
	}
	took := time.Since(start).Seconds()
	for i, m := range members {
		r := m.Report
		r.Policies = append(r.Policies, res.Targets[i].Policies...)
		r.Findings = append(r.Findings, res.Targets[i].Findings...)
		r.Timings.EvaluateSeconds += took
		r.Timings.TotalSeconds += took
		r.Sort()
	}
	return nil
}

// ReadFleetFiles reads the files of `assay eval --fleet`: each file is one
// target, the output of `assay collect` on it (or plain documents, a
// target of kind documents named by the file). A host is named by its host
// name, since every host's own name is "/"; two files that name the same
// target are refused, naming both. Errors are exit code 2.
func (e *Env) ReadFleetFiles(files []string, opts DocumentOptions) ([]*Collected, error) {
	if opts.Warn == nil {
		opts.Warn = e.warn
	}
	seen := map[string]string{}
	out := make([]*Collected, 0, len(files))
	for _, f := range files {
		start := time.Now()
		var (
			docs []document.Entry
			host document.Document
			info *target.Info
			err  error
		)
		if f == stdinName {
			docs, host, err = readStdin(e.Stdin, e.Collectors, opts)
		} else {
			docs, host, info, err = readDocuments(f, e.Collectors, opts)
		}
		if err != nil {
			return nil, exitcode.UsageError(err)
		}
		col := &Collected{Target: target.Info{Kind: target.KindDocuments, Name: f}, Host: host, Documents: docs}
		if info != nil && info.Name != "" {
			col.Target = *info
		}
		if hn, _ := host["hostname"].(string); col.Target.Kind == target.KindHost && hn != "" {
			col.Target.Name = hn
		}
		if other, dup := seen[col.Target.Name]; dup {
			return nil, exitcode.UsageError(&InputError{File: f, Err: fmt.Errorf("target %q is also the target of %s: give each target's documents once", col.Target.Name, other)})
		}
		seen[col.Target.Name] = f
		col.Duration = time.Since(start)
		out = append(out, col)
	}
	if len(out) == 0 {
		return nil, exitcode.UsageError(errors.New("--fleet needs the documents of at least one target"))
	}
	return out, nil
}

// EvaluateFleet judges each target's documents on its own, as Evaluate
// would, then the fleet policies once over all of them: one section per
// target, the fleet findings at the targets they name. The report is
// redacted as Evaluate's.
func (p *Pipeline) EvaluateFleet(ctx context.Context, cols []*Collected) (*report.Report, error) {
	start := time.Now()
	sources, err := p.fetchData(ctx)
	if err != nil {
		return nil, err
	}
	members := make([]FleetMember, len(cols))
	for i, col := range cols {
		r, err := p.evaluate(ctx, col, sources)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", col.Target.Name, err)
		}
		members[i] = FleetMember{Report: r, Host: col.Host, Documents: col.Documents}
	}
	if err := p.judgeFleet(ctx, members); err != nil {
		return nil, err
	}
	r := fleetReport(p, members, start)
	newRedactor(p.Secrets).redactReport(r)
	return r, nil
}
