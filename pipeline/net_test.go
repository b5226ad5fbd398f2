package pipeline

import (
	"testing"

	collectors "github.com/assay-dev/assay/collectors/all"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
)

func TestNetFacts(t *testing.T) {
	docs := []document.Entry{
		{Document: document.Document{"kind": "net.interface", "name": "eth0", "mac": "52:54:00:12:34:56"}},
		{Document: document.Document{"kind": "net.interface", "name": "lo", "mac": ""}},
		{Document: document.Document{"kind": "net.neighbor", "interface": "eth0", "ip": "10.0.0.1", "mac": "52:54:00:aa:bb:cc", "source": "arp_cache"}},
		{Document: document.Document{"kind": "file", "path": "/etc/passwd", "mac": "52:54:00:aa:bb:cc"}},
	}
	types := collectors.Registry()
	n := netFacts(types, docs)
	if n == nil || len(n.Interfaces) != 1 || len(n.Neighbors) != 1 {
		t.Fatalf("got %+v", n)
	}
	if n.Interfaces[0] != (report.NetInterface{Name: "eth0", MAC: "52:54:00:12:34:56"}) {
		t.Errorf("interface %+v", n.Interfaces[0])
	}
	if n.Neighbors[0] != (report.NetNeighbor{Interface: "eth0", IP: "10.0.0.1", MAC: "52:54:00:aa:bb:cc", Source: "arp_cache"}) {
		t.Errorf("neighbor %+v", n.Neighbors[0])
	}
	if netFacts(types, docs[3:]) != nil {
		t.Error("no network documents must give nil")
	}
}

// skippingTarget is a target that passed over some of its content.
type skippingTarget struct{ target.Target }

func (skippingTarget) Info() target.Info { return target.Info{Kind: target.KindImage, Name: "app.tar"} }
func (skippingTarget) Skips() []report.Skip {
	return []report.Skip{{Path: "/../etc/passwd", Reason: "escapes the root"}}
}
func (skippingTarget) SkipsTotal() int { return 3 }
func (skippingTarget) SkipsByReason() []report.SkipCount {
	return []report.SkipCount{{Reason: "escapes the root", Count: 3}}
}

func TestTargetSkipsReported(t *testing.T) {
	r, ok := targetSkips(skippingTarget{})
	if !ok || r.Type != "target" || r.Name != "image" || r.SkippedTotal != 3 || len(r.Skipped) != 1 ||
		len(r.SkippedByReason) != 1 || r.SkippedByReason[0].Count != 3 {
		t.Errorf("got %+v, %v", r, ok)
	}
	if _, ok := targetSkips(documentsOnly{}); ok {
		t.Error("a target without skips reported some")
	}
}

type documentsOnly struct{ target.Target }
