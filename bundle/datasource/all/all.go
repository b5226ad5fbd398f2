// Package all lists every data kind assay ships.
package all

import (
	"github.com/assay-dev/assay/bundle"
	"github.com/assay-dev/assay/bundle/datasource/http"
	"github.com/assay-dev/assay/bundle/datasource/ldap"
)

// Kinds returns every data kind: "file" (built into the loader), "http"
// and "ldap". Add yours on its own line.
func Kinds() *bundle.DataKinds {
	return bundle.NewDataKinds(
		http.DataKind(), // data "http"
		ldap.DataKind(), // data "ldap"
	)
}
