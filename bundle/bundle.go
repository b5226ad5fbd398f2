// Package bundle loads policy bundles: HCL files that declare what to collect
// and which Rego policies judge it, with their metadata, plus Rego modules and
// data files. Every mistake becomes an hcl.Diagnostic naming file, line and
// column; rendering them is the CLI's business.
package bundle

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/assay-dev/assay/core/collector"
	"github.com/assay-dev/assay/core/report"
)

// Bundle is a loaded, validated bundle.
type Bundle struct {
	Name        string
	Version     string
	Description string
	// Source is where the bundle came from, as the user named it.
	Source string
	// Digest ("sha256:…") and Revision identify a bundle loaded from an
	// archive (bundle/source); empty for a directory.
	Digest, Revision string
	// Signer is the id of the key whose signature verified the archive
	// (--verify-key); empty when no signature was checked.
	Signer string
	// Implicit is set for a plain directory of conftest-style Rego with no
	// HCL: each Rego package with deny/warn/violation rules becomes a policy.
	Implicit bool
	// Embedded is set for a bundle compiled into the assay binary
	// (policies/). Its Rego passed OPA's type checker when the binary was
	// tested (make test: TestEmbeddedBundlesTypeCheck), so a run of
	// embedded bundles only may skip the checker at start-up: the engine's
	// trusted says when (not if a module uses "with").
	Embedded bool
	Collects []*Collect
	Policies []*Policy
	// Modules are all Rego modules of the bundle, policies' and libraries',
	// parsed. Test modules (*_test.rego) are in Tests, not here.
	Modules []*Module
	Tests   []*Module
	// Data is merged into the Rego data document: Data["known_macs"] is
	// data.known_macs. It holds what loading read (data files, data "file");
	// the live sources are in Live.
	Data map[string]any
	// Live are the data blocks of live kinds (data "ldap", data "http"),
	// decoded but not read: Fetch reads them before each evaluation.
	Live []*LiveData
	// Params are the bundle's tunables (param blocks), in declaration
	// order; policies read their values at data.assay.params["NAME"].
	Params []*Param
	// Files holds the source of every file loaded (HCL, Rego, data), by the
	// filename used in diagnostics, so the CLI can print snippets. Load fills
	// it even when it returns errors.
	Files map[string]*hcl.File
	// RegoVersion is the Rego syntax the bundle's modules are parsed with
	// (bundle block attribute rego_version; v1 unless it says "v0").
	// Implicit bundles parse each module as v1 and fall back to v0, so the
	// modules' own versions (Module.Parsed.RegoVersionSpan()) may differ.
	RegoVersion ast.RegoVersion
	// DeclRange is the bundle block's definition; empty for a bundle without
	// one (its name is then the directory's).
	DeclRange hcl.Range

	// dataRanges says where each Data key was declared, for conflicts
	// between bundles.
	dataRanges map[string]hcl.Range
}

// Collect is one configured collect block.
type Collect struct {
	Type      collector.Type
	Name      string
	Collector collector.Collector
	DeclRange hcl.Range
}

// ID is "KIND.NAME", the name policies use (collect.KIND.NAME) and documents
// carry.
func (c *Collect) ID() string { return c.Type.Name + "." + c.Name }

// Mode says how a policy sees its documents.
type Mode string

// Policy modes.
const (
	// PerDocument evaluates the policy once per document: input is the
	// document.
	PerDocument Mode = "document"
	// Aggregate evaluates the policy once over all its documents:
	// input.documents is the list.
	Aggregate Mode = "aggregate"
	// Fleet evaluates the policy once over the documents of every target
	// of the run: input.targets lists each target (its name, kind, host
	// facts, labels and documents), and each finding names the target it
	// is reported at (docs/fleet.md).
	Fleet Mode = "fleet"
)

// Policy is one policy: metadata plus the Rego package that judges.
type Policy struct {
	ID          string
	Title       string
	Description string
	Severity    report.Severity
	Enforcement report.Enforcement
	Controls    []string
	Remediation string
	// Inputs are the collector IDs ("sshd_config.main") whose documents the
	// policy judges. Empty means every document of the bundle and every
	// document that belongs to no bundle (assay eval on plain JSON files).
	Inputs []string
	Mode   Mode
	// Package is the Rego package path of the policy's module,
	// "data.assay.ssh.password_auth"; the engine queries its deny, violation
	// and warn rules (and their deny_* / warn_* variants).
	Package ast.Ref
	// Module is the policy's own Rego module (also listed in Bundle.Modules).
	Module *Module
	// DeclRange is the policy block's definition, for diagnostics and for
	// report.Policy.Source.
	DeclRange hcl.Range
	// Refined is set by the loader once it has filled the metadata the HCL
	// left unset from the module's METADATA annotations. The engine then
	// takes the metadata as it is, and does not read the annotations
	// again: an overlay may have changed the severity since.
	Refined bool
}

// Module is one parsed Rego module.
type Module struct {
	// Name is unique among the modules of a bundle: the file name for a
	// .rego file, "FILE.hcl#policy.ID" for inline Rego. Use it as the
	// compiler's module key; Filename is not unique.
	Name string
	// Filename is the name used in diagnostics: the .rego file, or the HCL
	// file for inline (heredoc) Rego, whose rows are then HCL line numbers.
	Filename string
	Source   []byte
	Parsed   *ast.Module
	// Inline is set for Rego written in the HCL file (a heredoc): Source is
	// then padded with newlines so that its rows are the HCL file's lines.
	Inline bool

	// shift maps an inline module's rows to the columns its HCL heredoc
	// indentation (<<-EOT) removed, so columns point into the HCL file.
	shift map[int]int
}

// Package returns the module's package path, "data.assay.ssh".
func (m *Module) Package() ast.Ref { return m.Parsed.Package.Path }

// AllEmbedded says whether there are bundles and every one is built in
// (Embedded): the engine then trusts their type check to the tests, and a
// scan defers their fusion.
func AllEmbedded(bundles []*Bundle) bool {
	for _, b := range bundles {
		if !b.Embedded {
			return false
		}
	}
	return len(bundles) > 0
}
