package registry

import (
	"reflect"
	"testing"
)

type entry struct{ name, help string }

func nameOf(e entry) string { return e.name }

func TestRegistry(t *testing.T) {
	r := New("format", nameOf, entry{"table", "t"}, entry{"json", "j"})
	if got := r.Names(); !reflect.DeepEqual(got, []string{"json", "table"}) {
		t.Errorf("Names = %v", got)
	}
	if e, ok := r.Lookup("json"); !ok || e.help != "j" {
		t.Errorf("Lookup(json) = %v, %v", e, ok)
	}
	if _, err := r.Get("xml"); err == nil || err.Error() != `unknown format "xml" (known: json, table)` {
		t.Errorf("Get(xml) error = %v", err)
	}
	if all := r.All(); len(all) != 2 || all[0].name != "json" {
		t.Errorf("All = %v", all)
	}
	var none *Registry[entry]
	if _, ok := none.Lookup("x"); ok || none.Names() != nil || none.All() != nil {
		t.Error("a nil registry must hold nothing")
	}
}

func TestRegistryPanics(t *testing.T) {
	for name, entries := range map[string][]entry{
		"duplicate": {{"a", ""}, {"a", ""}},
		"empty":     {{"", ""}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			New("thing", nameOf, entries...)
		})
	}
}
