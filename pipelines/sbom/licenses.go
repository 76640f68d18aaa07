package sbom

import (
	"context"
	"sync/atomic"
	"unsafe"

	"github.com/google/licensecheck"
)

// Syft classifies license texts (a LICENSE file, a Debian copyright file
// its parser cannot read) with google/licensecheck. Syft's CreateSBOM builds
// that scanner eagerly, whether or not the image has a license text to
// classify: compiling every SPDX license pattern costs about a second of CPU
// and 100 MB of allocations in every process, more than cataloging a
// service image. paved hands Syft the same scanner built lazily instead:
// Syft's own scanner type, with the same coverage threshold, whose
// classifier is licensecheck's built-in scanner, compiled on the first text
// to classify (once per process) and never for an image that has none. The
// SBOM is the same as with the eager scanner (TestLazyLicenseScanner).
//
// Syft keeps the scanner type and its context key internal, so they are
// reached by linkname, with these declarations matching Syft v1.42.0
// (internal/licenses): ScannerConfig is {CoverageThreshold float64; Scanner
// func([]byte) licensecheck.Coverage}; Scanner is an interface value, two
// words. The test above fails if Syft changes them.

type syftScannerConfig struct {
	CoverageThreshold float64
	Scanner           func([]byte) licensecheck.Coverage
}

// syftScanner is the memory layout of a non-empty interface value (its
// words are pointers, so the garbage collector keeps the scanner alive).
type syftScanner struct{ itab, data unsafe.Pointer }

//go:linkname syftNewScanner github.com/anchore/syft/internal/licenses.NewScanner
func syftNewScanner(c *syftScannerConfig) (syftScanner, error)

//go:linkname syftSetContextLicenseScanner github.com/anchore/syft/internal/licenses.SetContextLicenseScanner
func syftSetContextLicenseScanner(ctx context.Context, s syftScanner) context.Context

// licenseCoverage is the share of a text (percent) that must match a
// license; Syft's default.
const licenseCoverage = 75

// classified counts the license texts classified in this process; tests
// read it.
var classified atomic.Int64

// withLicenseScanner returns ctx carrying the lazy license scanner, which
// CreateSBOM then uses instead of building its own.
func withLicenseScanner(ctx context.Context) (context.Context, error) {
	s, err := syftNewScanner(&syftScannerConfig{CoverageThreshold: licenseCoverage, Scanner: func(text []byte) licensecheck.Coverage {
		classified.Add(1)
		return licensecheck.Scan(text)
	}})
	if err != nil {
		return nil, err
	}
	return syftSetContextLicenseScanner(ctx, s), nil
}
