// Package all links every data source kind into the binary: import it for
// its side effects (each kind registers with bundle from init()).
package all

import (
	_ "github.com/assay-dev/assay/bundle/datasource/http" // data "http"
	_ "github.com/assay-dev/assay/bundle/datasource/ldap" // data "ldap"
)
