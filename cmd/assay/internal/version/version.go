// Package version holds the build's version, set with -ldflags by the
// Makefile and read from the module build info otherwise.
package version

import "runtime/debug"

// Version is set at build time: -X .../version.Version=v1.2.3.
var Version = ""

// String returns the version, falling back to the module version or "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
