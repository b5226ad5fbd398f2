package report

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 10, "abcdefg…"},
		{"ééééé", 6, "é…"}, // never half a rune
		{"abc", 2, "…"},
	} {
		got := Shorten(tc.in, tc.n)
		if got != tc.want || len(got) > max(tc.n, len("…")) || !utf8.ValidString(got) {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestSkipLog(t *testing.T) {
	long := strings.Repeat("n", 1<<20)
	for _, tc := range []struct {
		name     string
		max      int
		add      func(l *SkipLog)
		listed   int
		total    int
		byReason []SkipCount
	}{
		{name: "empty", add: func(*SkipLog) {}},
		{name: "counted by class, listed in order", max: 2,
			add: func(l *SkipLog) {
				l.Add("/a", "open a: permission denied", "permission denied")
				l.Add("/b", "open b: permission denied", "permission denied")
				l.Add("/c", "not a regular file: fifo", "not a regular file")
			},
			listed: 2, total: 3,
			byReason: []SkipCount{{"permission denied", 2}, {"not a regular file", 1}}},
		{name: "no class: counted by reason", add: func(l *SkipLog) { l.Add("/x", "odd", "") },
			listed: 1, total: 1, byReason: []SkipCount{{"odd", 1}}},
		{name: "default max", add: func(l *SkipLog) {
			for range DefaultMaxSkips + 5 {
				l.Add("/x", "r", "r")
			}
		}, listed: DefaultMaxSkips, total: DefaultMaxSkips + 5, byReason: []SkipCount{{"r", DefaultMaxSkips + 5}}},
		{name: "reasons beyond the cap are other reasons", add: func(l *SkipLog) {
			for i := range MaxSkipReasons + 3 {
				l.Add("/x", "r", fmt.Sprintf("reason %03d", i))
			}
		}, listed: MaxSkipReasons + 3, total: MaxSkipReasons + 3},
		{name: "megabyte names are cut", add: func(l *SkipLog) { l.Add("/"+long, long, long) },
			listed: 1, total: 1, byReason: []SkipCount{{Shorten(long, MaxSkipText), 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &SkipLog{Max: tc.max}
			tc.add(l)
			var r CollectorResult
			l.Fill(&r)
			if len(r.Skipped) != tc.listed || r.SkippedTotal != tc.total {
				t.Errorf("listed %d of %d, want %d of %d", len(r.Skipped), r.SkippedTotal, tc.listed, tc.total)
			}
			for _, s := range r.Skipped {
				if len(s.Path) > MaxSkipText || len(s.Reason) > MaxSkipText {
					t.Errorf("skip of %d+%d bytes kept", len(s.Path), len(s.Reason))
				}
			}
			if len(r.SkippedByReason) > MaxSkipReasons+1 {
				t.Errorf("%d reasons kept", len(r.SkippedByReason))
			}
			sum := 0
			for _, c := range r.SkippedByReason {
				sum += c.Count
			}
			if sum != tc.total {
				t.Errorf("reasons count %d skips, want %d", sum, tc.total)
			}
			if tc.byReason != nil && !reflect.DeepEqual(r.SkippedByReason, tc.byReason) {
				t.Errorf("by reason %v, want %v", r.SkippedByReason, tc.byReason)
			}
			if tc.name == "reasons beyond the cap are other reasons" {
				if got := r.SkippedByReason[0]; got != (SkipCount{OtherReasons, 3}) {
					t.Errorf("first reason %v, want 3 %s", got, OtherReasons)
				}
			}
		})
	}
}
