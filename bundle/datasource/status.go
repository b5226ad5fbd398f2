package datasource

import (
	"sort"
	"sync"
	"time"
)

// Status is the outcome of a data source's fetches, for metrics and for
// assay serve's status: enough to say "this data is stale" without a secret.
type Status struct {
	// Kind is the data kind ("ldap"); Source the block's location
	// ("bundle.hcl:12,1") followed by the URL without credentials.
	Kind, Source string
	// LastAttempt and LastSuccess are the end times of the last fetch and
	// of the last one that succeeded (zero if none did).
	LastAttempt, LastSuccess time.Time
	// Duration is how long the last fetch took.
	Duration time.Duration
	// Entries counts what the last successful fetch returned (LDAP entries,
	// top-level JSON items).
	Entries int
	// Err is the last fetch's error message, "" when it succeeded.
	Err string
}

// Stale reports whether the last fetch failed: policies were (or would be)
// judged with the previous good data, or with none.
func (s Status) Stale() bool { return s.Err != "" }

var (
	statusMu sync.Mutex
	statuses = map[string]Status{}
)

// Record stores the outcome of one fetch. err's message must not hold a
// secret.
func Record(kind, source string, start time.Time, entries int, err error) {
	now := time.Now()
	statusMu.Lock()
	defer statusMu.Unlock()
	key := kind + "\x00" + source
	s := statuses[key]
	s.Kind, s.Source = kind, source
	s.LastAttempt = now
	s.Duration = now.Sub(start)
	if err != nil {
		s.Err = err.Error()
	} else {
		s.Err = ""
		s.LastSuccess = now
		s.Entries = entries
	}
	statuses[key] = s
}

// Statuses returns every recorded source, sorted by kind and source.
func Statuses() []Status {
	statusMu.Lock()
	defer statusMu.Unlock()
	out := make([]Status, 0, len(statuses))
	for _, s := range statuses {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Source < out[j].Source
	})
	return out
}

// Entries counts a fetched value for Status and metrics: a list's items, an
// object's keys, 1 for a scalar, 0 for null.
func Entries(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	case nil:
		return 0
	}
	return 1
}
