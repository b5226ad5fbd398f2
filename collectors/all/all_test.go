package all_test

import (
	"testing"

	"github.com/assay-dev/assay/collectors/all"
	"github.com/assay-dev/assay/core/schema"
)

// TestEveryKindHasSchema: every kind a shipped collector emits has a
// schema (core/schema/kinds), so that the policies reading it are typed. A
// collector added without one would leave its policies' misspelled fields
// to fail silently at run time.
func TestEveryKindHasSchema(t *testing.T) {
	for _, typ := range all.Registry().All() {
		if len(typ.DocumentKinds) == 0 {
			t.Errorf("collector %s declares no document kinds", typ.Name)
		}
		for _, k := range typ.DocumentKinds {
			if _, ok := schema.JSON(k); !ok {
				t.Errorf("collector %s emits %s documents, which have no schema: add core/schema/kinds/%s.json, validate the collector's output against it (core/schema/schematest) and run make docs", typ.Name, k, k)
			}
		}
	}
}
