package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/assay-dev/assay/core/document"

	"github.com/hashicorp/hcl/v2"

	"github.com/assay-dev/assay/core/target"
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

// Type describes one registered collector kind.
type Type struct {
	// Name is the first label of the collect block: "file", "sshd_config".
	Name string
	// DocumentKinds are the values of the "kind" field of the documents it
	// produces ("file", "sshd_config", "net.interface").
	DocumentKinds []string
	// HostOnly collectors describe the running machine (network state) and do
	// not apply to --root or --image targets; the runner says so once.
	HostOnly bool
	// Help is one line for `assay collectors` and the docs.
	Help string
	// New decodes a collect block into a Collector.
	New Factory
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Type{}
)

// Register makes a collector kind available to bundles. It is meant to be
// called from init() and panics on a duplicate name, which is a programming
// error caught by any test that links both.
func Register(k Type) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if k.Name == "" || k.New == nil {
		panic("collectors: Register needs a name and a factory")
	}
	if _, dup := registry[k.Name]; dup {
		panic(fmt.Sprintf("collectors: kind %q registered twice", k.Name))
	}
	registry[k.Name] = k
}

// Lookup returns the registered kind with that name.
func Lookup(name string) (Type, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	k, ok := registry[name]
	return k, ok
}

// Kinds returns every registered kind, sorted by name.
func Kinds() []Type {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Type, 0, len(registry))
	for _, k := range registry {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// KindNames returns the registered kind names, sorted; bundle diagnostics use
// it for "did you mean".
func KindNames() []string {
	ks := Kinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Name
	}
	return names
}
