package network

import (
	"context"
	"testing"

	"github.com/assay-dev/assay/collectors"
	"github.com/assay-dev/assay/collectors/network/arpndp/arpndptest"
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/schema/schematest"
	"github.com/assay-dev/assay/targets"
)

// TestDocumentsMatchSchema runs the interfaces and neighbors collectors
// on this machine's real network state, through the runner as a scan
// does, and a capture of recorded ARP/NDP traffic, and validates every
// document against the net.interface and net.neighbor schemas.
func TestDocumentsMatchSchema(t *testing.T) {
	h, err := targets.Host()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var jobs []collectors.Job
	for _, typ := range []collector.Type{InterfacesType(), NeighborsType()} {
		c, diags := typ.New(parseBody(t, ""), nil)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		jobs = append(jobs, collectors.Job{Type: typ, Name: "all", Collector: c})
	}
	var docs []document.Document
	kinds := map[string]int{}
	for _, out := range (&collectors.Runner{Target: h}).Run(context.Background(), jobs) {
		if out.Result.Status != "ok" {
			t.Fatalf("%s: %s %s", out.Job.ID(), out.Result.Status, out.Result.Error)
		}
		docs = append(docs, out.Documents...)
	}

	frames := arpndptest.Mix(arpndptest.Hosts(3))
	c := &neighborsCollector{capture: &captureSpec{pcapFile: writePcap(t, frames, len(frames)), iface: "eth0", maxMACs: 10}}
	var rec recorder
	if err := c.Collect(context.Background(), collector.Env{}, &rec); err != nil {
		t.Fatal(err)
	}
	for _, d := range rec.docs {
		d[document.FieldCollector] = "capture" // what the runner adds
	}
	docs = append(docs, rec.docs...)
	for _, d := range docs {
		kinds[d.Kind()]++
	}
	if kinds[KindInterface] == 0 || kinds[KindNeighbor] == 0 {
		t.Fatalf("documents by kind %v: want both", kinds)
	}
	schematest.Check(t, docs)
}
