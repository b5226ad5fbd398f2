package collector

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/core/document"
	"github.com/assay-dev/assay/core/report"
	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/internal/registry"
)

// ErrNotApplicable is returned by Collect when the collector has nothing to
// look at on this target (no sshd installed, network facts asked of an image).
// The runner reports it once, as information, not as a failure. Check it with
// errors.Is: collectors may wrap it with the reason.
var ErrNotApplicable = errors.New("not applicable")

// Collector gathers one kind of fact from a target.
//
// Collect reports documents and non-fatal problems (a file it could not read,
// a line it could not parse) through emit and goes on; it returns an error only
// when it could not do its job at all. It must honour ctx: the runner gives it a
// deadline, and a collector that outlives it is reported as timed out.
type Collector interface {
	Collect(ctx context.Context, env Env, emit Emitter) error
}

// Env is what a collector may use while it runs.
type Env struct {
	// Target is where facts are read from: the host, a root filesystem or an
	// image. Collectors never read the scanner's own filesystem directly.
	Target target.Target
	// Logger is already tagged with the collector's kind and name.
	Logger *slog.Logger
	// Name is the block label (`collect "file" "NAME"`).
	Name string
}

// Emitter receives what a collector finds. Implementations are safe for
// concurrent use, so a collector may emit from several goroutines.
type Emitter interface {
	// Emit records one document. The collector's kind and name are filled in
	// by the runner when the document leaves them empty.
	Emit(document.Document)
	// Skip records something the collector had to pass over and why (path is
	// the path inside the target, or another identifier of the item). The
	// collector carries on after a skip.
	Skip(path string, err error)
}

// Factory builds a configured Collector from the body of a collect block.
//
// It decodes the body (gohcl.DecodeBody or hcldec work well) and returns
// diagnostics whose Subject is the narrowest range at fault, so that a bundle
// author sees file:line:column for a bad regex or an unknown attribute. The
// context supplies the bundle's functions (file(), …) and variables.
type Factory func(body hcl.Body, ctx *hcl.EvalContext) (Collector, hcl.Diagnostics)

// NoConfig is the Factory of a collector type whose block takes nothing
// (collect "host" "facts" {}): it returns c, and an error at any attribute
// or block written in the body by mistake, which an empty schema reports.
func NoConfig(c Collector) Factory {
	return func(body hcl.Body, _ *hcl.EvalContext) (Collector, hcl.Diagnostics) {
		if _, diags := body.Content(&hcl.BodySchema{}); diags.HasErrors() {
			return nil, diags
		}
		return c, nil
	}
}

// HostType is the collector type whose document about a target policies
// also see as data.assay.host.
const HostType = "host"

// Type describes one collector type: what a `collect "TYPE" "NAME"` block
// names and how its body becomes a Collector.
type Type struct {
	// Name is the first label of the collect block: "file", "sshd_config".
	Name string
	// DocumentKinds are the values of the "kind" field of the documents it
	// produces ("file", "sshd_config", "net.interface").
	DocumentKinds []string
	// HostOnly collectors describe a running machine (network state): the
	// host, or one reached over SSH (target.Kind.Live). They do not apply
	// to --root or --image targets; the runner says so once.
	HostOnly bool
	// Help is one line for the docs.
	Help string
	// New decodes a collect block into a Collector.
	New Factory
	// NetFacts, when set, adds the network identities a document of this
	// type carries (interface and neighbor MACs) to net, for the info
	// metrics that PromQL joins fleet-wide. It ignores documents it has
	// nothing to take from.
	NetFacts func(doc document.Document, net *report.Net)
}

// Registry is the set of collector types a bundle may name. Build one with
// NewRegistry and give it to the bundle loader; collectors/all.Registry()
// holds every type assay ships.
type Registry = registry.Registry[Type]

// NewRegistry builds a registry of the types. A duplicate name panics: it
// is a programming error, caught by any test that builds the registry.
func NewRegistry(types ...Type) *Registry {
	return registry.New("collector type", func(t Type) string { return t.Name }, types...)
}

// ForDocumentKind returns the type of reg that produces documents of kind.
func ForDocumentKind(reg *Registry, kind string) (Type, bool) {
	for _, t := range reg.All() {
		for _, k := range t.DocumentKinds {
			if k == kind {
				return t, true
			}
		}
	}
	return Type{}, false
}
