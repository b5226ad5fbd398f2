package prometheus

import (
	"context"
	"fmt"
	"io"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
)

// Format is the output format -f prometheus.
func Format() exporters.Format {
	return exporters.Format{
		Name: "prometheus",
		Ext:  ".prom",
		Help: "Prometheus text exposition, for node_exporter's textfile collector (-o /var/lib/node_exporter/textfile/assay.prom)",
		New:  func(w io.Writer, o exporters.Options) exporters.Exporter { return New(w, o) },
	}
}

// Exporter writes one report in the Prometheus text format that
// node_exporter's textfile collector reads. The CLI writes -o files
// atomically (temporary file and rename), which the textfile collector needs
// to never read half a file.
type Exporter struct {
	w io.Writer
	o exporters.Options
}

// New returns an exporter writing to w.
func New(w io.Writer, o exporters.Options) *Exporter { return &Exporter{w: w, o: o} }

// Export implements exporters.Exporter.
func (e *Exporter) Export(ctx context.Context, r *report.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.Multi() {
		return e.exportMulti(r)
	}
	return Render(e.w, oneShot(r, false))
}

func oneShot(r *report.Report, failed bool) *ReportCollector {
	c := NewReportCollector(r)
	c.oneShot, c.failed = true, failed
	if !r.StartedAt.IsZero() {
		c.end = r.StartedAt.Add(r.Duration)
	}
	return c
}

// TargetLabel is the label that tells the targets of a multi-target run
// apart: every series of a target's section carries it, in the combined
// file and in the file of each target (-f prometheus=DIR/), so that the
// files of one directory never clash in node_exporter's textfile
// collector.
const TargetLabel = "target"

// exportMulti writes every target's metrics, each with its target label.
// A target that could not be scanned has assay_scan_success 0.
func (e *Exporter) exportMulti(r *report.Report) error {
	reg := prom.NewPedanticRegistry()
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.Report == nil {
			continue
		}
		c := oneShot(t.Report, t.Status == report.TargetFailed)
		if err := prom.WrapRegistererWith(prom.Labels{TargetLabel: label(t.Info().Name)}, reg).Register(c); err != nil {
			return fmt.Errorf("prometheus: target %s: %w", t.Info().Name, err)
		}
	}
	return Encode(e.w, reg)
}
