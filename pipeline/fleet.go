package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/assay-dev/assay/core/collector"
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

// judgeFleet evaluates the fleet policies once over every member, adds
// each one's results and the findings reported at it to its report, and
// settles the report (evaluate leaves that to it when the engine has fleet
// policies). A run of one target is a fleet of one.
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
		// The skip reasons, waivers, baseline and scores of all its
		// policies, the fleet's included: evaluate left them to this.
		p.settle(r)
	}
	return nil
}

// fleetDocuments copies out the documents fleet policies take, so that the
// others can be dropped.
func fleetDocuments(e *engine.Engine, docs []document.Entry) []document.Entry {
	var out []document.Entry
	for i := range docs {
		if e.TakesFleet(&docs[i]) {
			out = append(out, docs[i])
		}
	}
	return out
}

// FleetInput is one target of `assay eval --fleet`: its documents, or
// why it could not be collected (a failed section of a multi-target
// collect file).
type FleetInput struct {
	// Collected is nil for a target that failed.
	Collected *Collected
	Target    target.Info
	Status    report.TargetStatus
	Error     string
	Labels    map[string]string
}

// ReadFleetFiles reads the files of `assay eval --fleet`: each file is one
// target, the output of `assay collect` on it (or plain documents, a
// target of kind documents named by the file), or the output of `assay
// collect` over several targets, a target per section. A host is named by
// its host name, since every host's own name is "/"; two files that name
// the same target are refused, naming both. Errors are exit code 2.
func (e *Env) ReadFleetFiles(files []string, opts DocumentOptions) ([]FleetInput, error) {
	if opts.Warn == nil {
		opts.Warn = e.warn
	}
	seen := map[string]string{}
	var out []FleetInput
	add := func(file string, in FleetInput) error {
		if in.Collected != nil {
			if hn, _ := in.Collected.Host["hostname"].(string); in.Target.Kind == target.KindHost && hn != "" {
				in.Target.Name = hn
			}
			in.Collected.Target = in.Target
		}
		if other, dup := seen[in.Target.Name]; dup {
			return &InputError{File: file, Err: fmt.Errorf("target %q is also the target of %s: give each target's documents once", in.Target.Name, other)}
		}
		seen[in.Target.Name] = file
		out = append(out, in)
		return nil
	}
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
		var multi *targetsFileError
		if errors.As(err, &multi) {
			sections, err := readTargetsFile(f, multi.data, e.Collectors)
			if err != nil {
				return nil, exitcode.UsageError(err)
			}
			for _, s := range sections {
				if err := add(f, s); err != nil {
					return nil, exitcode.UsageError(err)
				}
			}
			continue
		}
		if err != nil {
			return nil, exitcode.UsageError(err)
		}
		in := FleetInput{Target: target.Info{Kind: target.KindDocuments, Name: f}, Status: report.TargetOK,
			Collected: &Collected{Host: host, Documents: docs, Duration: time.Since(start)}}
		if info != nil && info.Name != "" {
			in.Target = *info
		}
		if err := add(f, in); err != nil {
			return nil, exitcode.UsageError(err)
		}
	}
	if len(out) == 0 {
		return nil, exitcode.UsageError(errors.New("--fleet needs the documents of at least one target"))
	}
	return out, nil
}

// readTargetsFile reads the sections of a multi-target collect file.
func readTargetsFile(path string, data []byte, types *collector.Registry) ([]FleetInput, error) {
	var f struct {
		Targets []struct {
			Target    target.Info         `json:"target"`
			Status    report.TargetStatus `json:"status"`
			Error     string              `json:"error"`
			Labels    map[string]string   `json:"labels"`
			Documents json.RawMessage     `json:"documents"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, jsonError(path, data, err)
	}
	out := make([]FleetInput, 0, len(f.Targets))
	for i, t := range f.Targets {
		in := FleetInput{Target: t.Target, Status: t.Status, Error: t.Error, Labels: t.Labels}
		switch {
		case t.Target.Name == "":
			return nil, &InputError{File: path, Err: fmt.Errorf("targets[%d] names no target", i)}
		case t.Status == report.TargetFailed:
			out = append(out, in)
			continue
		case t.Status != report.TargetOK:
			return nil, &InputError{File: path, Err: fmt.Errorf("targets[%d]: status %q: want %q or %q", i, t.Status, report.TargetOK, report.TargetFailed)}
		case len(t.Documents) == 0 || string(t.Documents) == "null":
			return nil, &InputError{File: path, Err: fmt.Errorf("targets[%d] (%s) is ok but has no documents", i, t.Target.Name)}
		}
		docs, host, _, err := fromCollectFile(path, t.Documents, types)
		if err != nil {
			return nil, fmt.Errorf("targets[%d] (%s): %w", i, t.Target.Name, err)
		}
		in.Collected = &Collected{Host: host, Documents: docs}
		out = append(out, in)
	}
	return out, nil
}

// EvaluateFleet judges each target's documents on its own, as Evaluate
// would, then the fleet policies once over all of them: one report with a
// section per target (report.Report.Targets), the fleet findings in the
// sections of the targets they name. A target that failed to be collected
// is a failed section, left out of the fleet. The report is redacted as
// Evaluate's.
func (p *Pipeline) EvaluateFleet(ctx context.Context, inputs []FleetInput) (*report.Report, error) {
	start := time.Now()
	sources, err := p.fetchData(ctx)
	if err != nil {
		return nil, err
	}
	r := NewReport(p.Tool, target.Info{}, p.Bundles)
	r.StartedAt = start.UTC()
	r.Targets = make([]report.TargetResult, len(inputs))
	var members []FleetMember
	for i, in := range inputs {
		sec := report.TargetResult{Status: in.Status, Error: in.Error, Labels: in.Labels}
		if in.Collected == nil {
			sec.Report = NewReport(p.Tool, in.Target, p.Bundles)
			sec.Report.StartedAt = start.UTC()
			sec.Report.DataSources = sources
			r.Targets[i] = sec
			continue
		}
		rep, err := p.evaluate(ctx, in.Collected, sources)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Target.Name, err)
		}
		sec.Report = rep
		r.Targets[i] = sec
		members = append(members, FleetMember{Report: rep, Host: in.Collected.Host, Labels: in.Labels, Documents: in.Collected.Documents})
	}
	if err := p.judgeFleet(ctx, members); err != nil {
		return nil, err
	}
	red := newRedactor(p.Secrets)
	for i := range r.Targets {
		red.redactReport(r.Targets[i].Report)
		r.Targets[i].Error = red.String(r.Targets[i].Error)
	}
	r.Timings.TotalSeconds = time.Since(start).Seconds()
	return r, nil
}
