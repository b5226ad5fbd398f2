package prometheus

import (
	"context"
	"io"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters"
)

// Format is the output format -f prometheus.
func Format() exporters.Format {
	return exporters.Format{
		Name: "prometheus",
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
	c := NewReportCollector(r)
	c.oneShot = true
	if !r.StartedAt.IsZero() {
		c.end = r.StartedAt.Add(r.Duration)
	}
	return Render(e.w, c)
}
