package sshd

import (
	"slices"
	"sync"
)

// SettingKeywords returns, sorted and lower-case, every keyword that may be a
// key of an sshd_config document's settings (and sources): what sshd -T
// prints in any modelled release, for any distribution's build. core/schema
// types the settings with it, and a test keeps the two in step.
var SettingKeywords = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	for _, rel := range releaseNames {
		for _, d := range []distro{distroUpstream, distroDebian, distroRedHat, distroAlpine} {
			for _, b := range []buildOptions{buildFull, buildMinimal} {
				p, err := newProfile(rel, b, d)
				if err != nil {
					continue // a combination no distribution ships
				}
				for k := range p.printed {
					seen[k] = true
				}
				for k := range conditional {
					if p.supports(k) {
						seen[k] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
})
