package pipeline

import (
	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
)

// maxNetFacts bounds the network identities carried to the exporters; the
// Prometheus exporter caps them again, lower, and counts what it drops.
const maxNetFacts = 4096

// netFactsHook returns the NetFacts hook of the collector type that
// produces documents of kind, or nil. Documents of such kinds must be held
// as Go values (document.Entry.Document), since netFacts reads them.
func netFactsHook(types *collector.Registry, kind string) func(document.Document, *report.Net) {
	t, ok := collector.ForDocumentKind(types, kind)
	if !ok {
		return nil
	}
	return t.NetFacts
}

// netFacts picks the network identities (interface and neighbor MACs) out
// of the documents, through their collector types' NetFacts hooks, for the
// info metrics that PromQL joins fleet-wide. nil when the scan saw none.
func netFacts(types *collector.Registry, docs []document.Entry) *report.Net {
	var n, one report.Net
	hooks := map[string]func(document.Document, *report.Net){}
	for _, d := range docs {
		if d.Document == nil {
			continue // kept as JSON: not a kind with a hook (ReadDocuments)
		}
		kind := d.Document.Kind()
		hook, seen := hooks[kind]
		if !seen {
			hook = netFactsHook(types, kind)
			hooks[kind] = hook
		}
		if hook == nil {
			continue
		}
		one.Interfaces, one.Neighbors = one.Interfaces[:0], one.Neighbors[:0]
		hook(d.Document, &one)
		for _, i := range one.Interfaces {
			if len(n.Interfaces) < maxNetFacts {
				n.Interfaces = append(n.Interfaces, i)
			}
		}
		for _, nb := range one.Neighbors {
			if len(n.Neighbors) < maxNetFacts {
				n.Neighbors = append(n.Neighbors, nb)
			}
		}
	}
	if len(n.Interfaces) == 0 && len(n.Neighbors) == 0 {
		return nil
	}
	return &n
}
