package changelog_test

import (
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/paved-dev/paved/release/changelog"
)

func Example() {
	data := []byte("# Changelog\n\n## [Unreleased]\n\n### Added\n- `paved release publish`.\n\n## [0.1.0] - 2026-10-01\n\n### Added\n- The first release.\n")
	c, err := changelog.Parse(data)
	if err != nil {
		panic(err)
	}
	d, err := c.Decide(semver.MustParse("0.1.0"), "")
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Version, "is", d.Reason)
	out, err := changelog.Release(data, d.Version, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// v0.2.0 is a minor release (Unreleased has Added)
	// # Changelog
	//
	// ## [Unreleased]
	//
	// ## [0.2.0] - 2026-11-02
	//
	// ### Added
	// - `paved release publish`.
	//
	// ## [0.1.0] - 2026-10-01
	//
	// ### Added
	// - The first release.
}
