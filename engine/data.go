package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
)

// SetData publishes live data (the bundles' data "ldap", data "http"
// blocks, fetched by bundle.Fetch) for the evaluations that follow:
// data[NAME] becomes data.NAME, replacing what an earlier SetData put there;
// names not given keep their value. It waits for a running Eval to end and
// writes every name in one transaction, so an evaluation sees all of the
// new data or none of it. Nothing is recompiled.
//
// data.assay and the names of the bundles' own data (files, data "file")
// are refused: those are fixed when the engine is built.
func (e *Engine) SetData(ctx context.Context, data map[string]any) error {
	names := make([]string, 0, len(data))
	for name := range data {
		if name == "assay" || name == "" {
			return fmt.Errorf("set data: data.%s is reserved", name)
		}
		if e.static[name] {
			return fmt.Errorf("set data: data.%s is the bundles' own data, not live data", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	// Convert before taking the lock: a directory of thousands of entries
	// takes a while, and evaluations need not wait for it.
	values := make([]ast.Value, len(names))
	conv := sharedStrings{} // a directory repeats its attribute names
	for i, name := range names {
		t, err := conv.term(data[name])
		if err != nil {
			return fmt.Errorf("set data: data.%s: %w", name, err)
		}
		values[i] = t.Value
	}
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	txn, err := e.store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return fmt.Errorf("set data: %w", err)
	}
	for i, name := range names {
		if err := e.store.Write(ctx, txn, storage.AddOp, storage.Path{name}, values[i]); err != nil {
			e.store.Abort(ctx, txn)
			return fmt.Errorf("set data: data.%s: %w", name, err)
		}
	}
	if err := e.store.Commit(ctx, txn); err != nil {
		return fmt.Errorf("set data: %w", err)
	}
	return nil
}
