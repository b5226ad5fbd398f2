package pipeline_test

import (
	"testing"

	"github.com/assay-dev/assay/core/target"
	"github.com/assay-dev/assay/pipeline"
)

// TestUniqueTargetFileName: targets whose names make the same file name
// get -2, -3… in the order they come; the host is named by its kind.
func TestUniqueTargetFileName(t *testing.T) {
	used := map[string]bool{}
	for _, tc := range []struct {
		info target.Info
		want string
	}{
		{target.Info{Kind: target.KindSSH, Name: "ssh://root@web1:22"}, "root@web1_22"},
		{target.Info{Kind: target.KindSSH, Name: "ssh://root@web1/22"}, "root@web1_22-2"},
		{target.Info{Kind: target.KindSSH, Name: "ssh://root@web1?22"}, "root@web1_22-3"},
		{target.Info{Kind: target.KindHost, Name: "/"}, "host"},
		{target.Info{Kind: target.KindHost, Name: "/"}, "host-2"},
		{target.Info{Kind: target.KindSSH, Name: "ssh://db1"}, "db1"},
	} {
		if got := pipeline.UniqueTargetFileName(tc.info, used); got != tc.want {
			t.Errorf("UniqueTargetFileName(%q) = %q, want %q", tc.info.Name, got, tc.want)
		}
	}
	if len(used) != 6 {
		t.Errorf("used holds %d names, want 6: %v", len(used), used)
	}
}
