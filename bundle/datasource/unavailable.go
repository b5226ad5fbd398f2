package datasource

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Unavailable is the Extra of a diagnostic saying that a data source could
// not be fetched: the bundle is fine, the world is not (exit code 3, not 2).
type Unavailable struct {
	// Kind and Source name the source: "ldap", "ldaps://ldap.example.com/…".
	// Source never holds a secret.
	Kind, Source string
}

// UnavailableDiag builds an error diagnostic marked Unavailable. detail must
// not hold a secret: callers build it from their own words and errors that
// never carry one (go-ldap and net/http errors do not echo credentials).
func UnavailableDiag(kind, source string, subject *hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  subject,
		Extra:    Unavailable{Kind: kind, Source: source},
	}
}

// IsUnavailable reports whether diags has errors and every one of them is a
// data source that could not be fetched: the scan should fail with exit
// code 3 rather than call the bundle broken.
func IsUnavailable(diags hcl.Diagnostics) bool {
	n := 0
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if _, ok := hcl.DiagnosticExtra[Unavailable](d); !ok {
			return false
		}
		n++
	}
	return n > 0
}
