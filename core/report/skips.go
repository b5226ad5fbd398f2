package report

import (
	"sort"
	"unicode/utf8"
)

// Bounds of what a SkipLog keeps. A target decides how many items a
// collector passes over and how long their names are (an image can hold a
// million entries with names of a megabyte), so every list and string of a
// skip summary has a limit; counts are never capped.
const (
	// DefaultMaxSkips is how many skips a SkipLog lists when its Max is 0.
	DefaultMaxSkips = 1000
	// MaxSkipText bounds each path and reason kept, in bytes.
	MaxSkipText = 4096
	// MaxSkipReasons bounds the distinct reasons counted; skips for any
	// further reason are counted under OtherReasons.
	MaxSkipReasons = 100
)

// OtherReasons is the reason under which a SkipLog counts skips once it has
// seen MaxSkipReasons distinct reasons.
const OtherReasons = "(other reasons)"

// SkipCount is how many items were skipped for one reason.
type SkipCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// SkipLog records what a collector or a target passed over, in bounded
// memory: the first Max skips (each path and reason cut to MaxSkipText
// bytes), the count of all, and the count per reason. It is not safe for
// concurrent use.
type SkipLog struct {
	// Max is how many skips are listed (0: DefaultMaxSkips).
	Max int

	skips  []Skip
	total  int
	counts map[string]int
}

// Add records one skip. reason says why this item was skipped; class names
// the cause it shares with other items ("permission denied", "name longer
// than 4096 bytes"), which is what skips are counted by. An empty class
// counts the skip under its reason.
func (l *SkipLog) Add(path, reason, class string) {
	l.total++
	limit := l.Max
	if limit <= 0 {
		limit = DefaultMaxSkips
	}
	if len(l.skips) < limit {
		l.skips = append(l.skips, Skip{Path: Shorten(path, MaxSkipText), Reason: Shorten(reason, MaxSkipText)})
	}
	if class == "" {
		class = reason
	}
	class = Shorten(class, MaxSkipText)
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	if _, seen := l.counts[class]; !seen && len(l.counts) >= MaxSkipReasons {
		class = OtherReasons
	}
	l.counts[class]++
}

// Skips lists the first Max skips, in the order they were added.
func (l *SkipLog) Skips() []Skip { return l.skips }

// Total counts every skip.
func (l *SkipLog) Total() int { return l.total }

// ByReason counts the skips per reason, most frequent first (then by
// reason), at most MaxSkipReasons+1 entries.
func (l *SkipLog) ByReason() []SkipCount {
	if len(l.counts) == 0 {
		return nil
	}
	out := make([]SkipCount, 0, len(l.counts))
	for r, n := range l.counts {
		out = append(out, SkipCount{Reason: r, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// Fill copies the log into a collector result: Skipped, SkippedTotal and
// SkippedByReason.
func (l *SkipLog) Fill(r *CollectorResult) {
	r.Skipped, r.SkippedTotal, r.SkippedByReason = l.Skips(), l.Total(), l.ByReason()
}

// Shorten cuts s to at most n bytes, on a UTF-8 boundary, ending it with
// "…" when it was cut: a bounded, still readable prefix of a name that may
// be arbitrarily long.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := max(n-len(ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
