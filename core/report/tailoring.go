package report

import (
	"encoding/json"
	"fmt"
)

// Tailoring is what overlay files (--overlay) changed in the bundles of a
// run, for an auditor to see beside the bundle digests: which files, by
// their SHA-256; the policies they disabled and why; the severities and
// params they changed. The bundles themselves are untouched (a signed
// bundle stays verified); docs/tailoring.md describes overlays.
type Tailoring struct {
	Overlays []Overlay `json:"overlays"`
	// Disabled are the policies not evaluated, with the reason given.
	Disabled []DisabledPolicy `json:"disabled_policies,omitempty"`
	// Severities are the policies whose severity an overlay changed.
	Severities []SeverityChange `json:"severity_changes,omitempty"`
	// Params are the params whose value in force is not the bundle's
	// default.
	Params []ParamSetting `json:"params,omitempty"`
}

// Overlay is one overlay file applied.
type Overlay struct {
	// Name is the overlay block's label ("acme-cis-l1").
	Name string `json:"name"`
	// File is the path given to --overlay.
	File string `json:"file"`
	// SHA256 is the hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Description is the overlay's own, if any.
	Description string `json:"description,omitempty"`
}

// DisabledPolicy is a policy an overlay switched off.
type DisabledPolicy struct {
	Bundle string `json:"bundle"`
	Policy string `json:"policy"`
	Title  string `json:"title,omitempty"`
	Reason string `json:"reason"`
	// Overlay is the name of the overlay that disabled it (the last one,
	// when several did).
	Overlay string `json:"overlay"`
}

// SeverityChange is a policy whose severity an overlay set.
type SeverityChange struct {
	Bundle  string   `json:"bundle"`
	Policy  string   `json:"policy"`
	From    Severity `json:"from"`
	To      Severity `json:"to"`
	Reason  string   `json:"reason,omitempty"`
	Overlay string   `json:"overlay"`
}

// ParamSetting is a param whose value in force differs from the bundle's
// default. Values are as policies see them (numbers, strings, booleans,
// lists, objects).
type ParamSetting struct {
	Bundle  string `json:"bundle"`
	Name    string `json:"name"`
	Value   any    `json:"value"`
	Default any    `json:"default"`
	Overlay string `json:"overlay"`
}

// Empty reports whether nothing was tailored: no overlay applied.
func (t *Tailoring) Empty() bool { return t == nil || len(t.Overlays) == 0 }

// Short is the first 12 hex digits of the file's SHA-256, for people.
func (o Overlay) Short() string {
	if len(o.SHA256) > 12 {
		return o.SHA256[:12]
	}
	return o.SHA256
}

// ValueText writes a param value as JSON: 3, "10:30:60", ["a","b"].
func ValueText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
