package engine

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/assay-dev/assay/bundle"
)

// TestParamsInData: each bundle's params are at data.assay.params[BUNDLE],
// with the values in force (an overlay's), and a bundle without params has
// an empty object there.
func TestParamsInData(t *testing.T) {
	b1 := newBundle(t, "b1", nil, pol{id: "p", rego: "package p\ndeny contains 1 if false"})
	limit := cty.NumberIntVal(4)
	b1.Params = []*bundle.Param{{Name: "limit", Type: cty.Number, Default: limit, Value: cty.NumberIntVal(2)},
		{Name: "names", Type: cty.List(cty.String), Default: cty.ListValEmpty(cty.String), Value: cty.ListValEmpty(cty.String)}}
	b2 := newBundle(t, "b-2", nil, pol{id: "q", rego: "package q\ndeny contains 1 if false"})
	data, err := mergeData([]*bundle.Bundle{b1, b2})
	if err != nil {
		t.Fatal(err)
	}
	got := data["assay"].(map[string]any)["params"].(map[string]any)
	want := map[string]any{"b1": map[string]any{"limit": json.Number("2"), "names": []any{}}, "b-2": map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("data.assay.params = %#v, want %#v", got, want)
	}
	if _, err := New(context.Background(), []*bundle.Bundle{b1, b2}); err != nil {
		t.Fatal(err)
	}
}
