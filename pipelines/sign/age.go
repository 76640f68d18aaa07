package sign

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ParseAge parses a maximum age such as "7d", "2w", "36h" or "90m": a Go
// duration, or a whole number of days (d) or weeks (w). It must be positive.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	switch {
	case strings.HasSuffix(s, "d"), strings.HasSuffix(s, "w"):
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		var n int64
		n, err = strconv.ParseInt(s[:len(s)-1], 10, 32)
		if err == nil && n > 0 && n <= 36500 {
			d = time.Duration(n) * unit
		}
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, failure.BadInputErr(fmt.Errorf("parsing age %q: use a positive duration such as 7d, 2w or 36h", s))
	}
	return d, nil
}

// ParseRequire splits a comma-separated list of attestation kinds
// (sbom,vuln,provenance) and rejects unknown ones.
func ParseRequire(s string) ([]string, error) {
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if _, ok := kindTypes[k]; !ok {
			return nil, failure.BadInputErr(fmt.Errorf("parsing required attestations %q: unknown attestation %q: use sbom, vuln or provenance", s, k))
		}
		out = append(out, k)
	}
	return out, nil
}
