// Package precompiled holds the built-in bundles compiled at build time
// (engine.Precompile), which a scan of them rebuilds instead of compiling
// their Rego again: most of a scan's start-up (docs/engine.md, Start-up).
//
// builtin.go is generated, and TestPrecompiledBuiltin in the pipeline
// package fails while it is not that of the bundles in policies/. After
// changing them, or OPA, run:
//
//	go generate ./pipeline/precompiled
//
// A binary whose generated file is stale still scans correctly: the
// engine compares digests and compiles the bundles as usual.
package precompiled

//go:generate go test .. -run TestPrecompiledBuiltin -update

import (
	"encoding/base64"
	"sync"

	"github.com/assay-dev/assay/engine"
)

// Builtin returns the compiled form of the built-in bundles, decoded from
// base64 once. Its Start rebuilds their compiler while they load.
var Builtin = sync.OnceValue(func() *engine.Precompiled {
	// A damaged constant decodes to what it can; its sum then does not
	// match, and the engine says so (at debug level) and compiles the
	// bundles from their sources.
	data, _ := base64.StdEncoding.DecodeString(builtinData)
	return &engine.Precompiled{Digest: builtinDigest, Data: string(data), Sum: builtinSum}
})
