// Package registry is the one shape of assay's name → implementation
// tables: collector types, data source kinds and output formats. A
// registry is a value built from an explicit list and passed to whoever
// needs it (no init() side effects, no process-wide map), so a test builds
// its own with fakes and two registries never interfere.
package registry

import (
	"fmt"
	"slices"
	"strings"
)

// Registry maps names to entries. It is read-only once built and safe for
// concurrent use.
type Registry[T any] struct {
	what   string // "collector type", for messages
	byName map[string]T
	names  []string // sorted
}

// New builds a registry of entries named by name. what says what the
// entries are in messages ("collector type"). A duplicate or empty name is
// a programming error and panics, so any test that builds the registry
// catches it.
func New[T any](what string, name func(T) string, entries ...T) *Registry[T] {
	r := &Registry[T]{what: what, byName: make(map[string]T, len(entries))}
	for _, e := range entries {
		n := name(e)
		if n == "" {
			panic(fmt.Sprintf("registry: a %s without a name", what))
		}
		if _, dup := r.byName[n]; dup {
			panic(fmt.Sprintf("registry: %s %q registered twice", what, n))
		}
		r.byName[n] = e
		r.names = append(r.names, n)
	}
	slices.Sort(r.names)
	return r
}

// Lookup returns the entry named name. A nil registry holds nothing.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	if r == nil {
		var zero T
		return zero, false
	}
	e, ok := r.byName[name]
	return e, ok
}

// Get is Lookup with an error that lists the known names.
func (r *Registry[T]) Get(name string) (T, error) {
	e, ok := r.Lookup(name)
	if !ok {
		return e, fmt.Errorf("unknown %s %q (known: %s)", r.kind(), name, strings.Join(r.Names(), ", "))
	}
	return e, nil
}

// Names returns the registered names, sorted.
func (r *Registry[T]) Names() []string {
	if r == nil {
		return nil
	}
	return slices.Clone(r.names)
}

// All returns the entries, sorted by name.
func (r *Registry[T]) All() []T {
	if r == nil {
		return nil
	}
	out := make([]T, len(r.names))
	for i, n := range r.names {
		out[i] = r.byName[n]
	}
	return out
}

func (r *Registry[T]) kind() string {
	if r == nil || r.what == "" {
		return "name"
	}
	return r.what
}
