package report

import "sort"

// NoDocumentReason is the skip reason of a policy whose collectors say
// nothing more: they ran and found nothing to judge.
const NoDocumentReason = "no document to judge"

// Checked counts the policies that judged something: every status but
// skip.
func (r *Report) Checked() int {
	n := 0
	for _, p := range r.Policies {
		if p.Status != StatusSkip {
			n++
		}
	}
	return n
}

// NothingChecked reports whether no policy judged anything: every one was
// skipped (its collectors found nothing, or did not apply), or there was
// none.
func (r *Report) NothingChecked() bool { return r.Checked() == 0 }

// SkipGroup is the skipped policies that share a reason.
type SkipGroup struct {
	Reason string
	// Policies are BUNDLE/POLICY, sorted.
	Policies []string
}

// SkipGroups groups the skipped policies by their reason, the largest
// group first (then by reason).
func (r *Report) SkipGroups() []SkipGroup {
	byReason := map[string][]string{}
	for _, p := range r.Policies {
		if p.Status != StatusSkip {
			continue
		}
		reason := p.SkipReason
		if reason == "" {
			reason = NoDocumentReason
		}
		byReason[reason] = append(byReason[reason], p.Bundle+"/"+p.ID)
	}
	out := make([]SkipGroup, 0, len(byReason))
	for reason, ps := range byReason {
		sort.Strings(ps)
		out = append(out, SkipGroup{Reason: reason, Policies: ps})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Policies) != len(out[j].Policies) {
			return len(out[i].Policies) > len(out[j].Policies)
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}
