package schema

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestFilesCanonical: every file is valid JSON in the form Encode writes,
// so that regenerating one (collectors/sshd's -update) changes only what
// changed.
func TestFilesCanonical(t *testing.T) {
	kinds := Kinds()
	if want := []string{"file", "host", "image.config", "net.interface", "net.neighbor", "sshd_config"}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for _, k := range kinds {
		b, _ := JSON(k)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		enc, err := Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(enc) != string(b) {
			t.Errorf("%s.json is not in canonical form (keys sorted, two-space indent)", k)
		}
		if v["title"] != k || v["additionalProperties"] != false {
			t.Errorf("%s.json: title %v, additionalProperties %v; want the kind and false", k, v["title"], v["additionalProperties"])
		}
	}
}

func TestField(t *testing.T) {
	doc, _ := Document("sshd_config", "file")
	tests := []struct {
		path  []string
		ok    bool
		open  bool
		known []string
	}{
		{[]string{"settings", "permitrootlogin"}, true, false, nil},
		{[]string{"settings", "permitrootlgin"}, false, false, []string{"passwordauthentication", "permitrootlogin"}},
		{[]string{"mode"}, true, false, nil},
		{[]string{"distribution", "anything"}, true, true, nil},
		// Refused: the fields of either kind are known.
		{[]string{"pth"}, false, false, []string{"kind", "mode", "path", "settings"}},
	}
	for _, tt := range tests {
		node := doc
		var ok, open bool
		var known []string
		for _, k := range tt.path {
			node, known, open, ok = Field(node, k)
			if !ok {
				break
			}
		}
		if ok != tt.ok || open != tt.open {
			t.Errorf("%v: ok %v open %v, want %v %v", tt.path, ok, open, tt.ok, tt.open)
		}
		if !ok && len(known) == 0 {
			t.Errorf("%v: refused with no known fields", tt.path)
		}
		for _, k := range tt.known {
			if !slices.Contains(known, k) {
				t.Errorf("%v: known fields %v lack %q", tt.path, known, k)
			}
		}
		if !slices.IsSorted(known) {
			t.Errorf("%v: known fields %v not sorted", tt.path, known)
		}
	}
	if _, ok := Document("nope"); ok {
		t.Error("a kind without schema gave one")
	}
	agg, _ := Aggregate("file")
	if it := Items(agg["properties"].(map[string]any)["documents"].(map[string]any)); it["title"] != "file" {
		t.Errorf("aggregate items %v", it["title"])
	}
}
