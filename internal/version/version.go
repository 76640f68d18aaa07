// Package version holds the version of paved itself, stamped at build time.
package version

import "runtime/debug"

// Version is paved's semantic version. Release builds set it with
// -ldflags "-X github.com/paved-dev/paved/internal/version.Version=vX.Y.Z".
var Version = ""

// Get returns paved's version: the stamped one, else the module version
// recorded by the Go toolchain, else "v0.0.0-dev".
func Get() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "v0.0.0-dev"
}
