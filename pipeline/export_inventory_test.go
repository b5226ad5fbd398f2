package pipeline

import (
	"sort"

	"github.com/assay-dev/assay/targets/ssh"
)

func currentUserForTest() string {
	a, _ := ssh.ParseURL("ssh://x")
	return a.User
}

func sortStrings(s []string) { sort.Strings(s) }
