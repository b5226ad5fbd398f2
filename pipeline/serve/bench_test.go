package serve_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/exporters/exportertest"
	"github.com/assay-dev/assay/pipeline/serve"
)

// BenchmarkScrape measures one /metrics request over a 200-policy report.
func BenchmarkScrape(b *testing.B) {
	r := exportertest.Violations()
	p0, f0 := r.Policies[0], r.Findings[0]
	for i := range 200 {
		p := p0
		p.ID = fmt.Sprintf("policy-%03d", i)
		r.Policies = append(r.Policies, p)
		f := f0
		f.PolicyID = p.ID
		r.Findings = append(r.Findings, f)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	d := &serve.Daemon{Scan: func(context.Context) (*report.Report, error) { return r, nil }, Interval: time.Hour, Listeners: []net.Listener{l}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	<-d.Scanned()
	h := d.Handler()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		io.Copy(io.Discard, w.Body)
	}
}
