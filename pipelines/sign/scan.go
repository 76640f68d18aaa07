package sign

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// TrivyDBURI names Trivy's vulnerability database in the vulnerability
// attestation's scanner.db.uri.
const TrivyDBURI = "https://github.com/aquasecurity/trivy-db"

// defaultScannerURI names the scanner of a report that names none.
const defaultScannerURI = "https://github.com/paved-dev/paved/scan"

// ScanOf describes the scan that made r, for VulnPredicate: r itself as
// the scanner's result, its scanner, Trivy's database by schema version and
// build time, and r's start and finish times.
func ScanOf(r *vuln.Report) (Scan, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return Scan{}, fmt.Errorf("encoding scan report of %q: %w", r.Artifact.Name, err)
	}
	s := Scan{Report: body, ScannerURI: r.Scanner.Name, ScannerVersion: r.Scanner.Version, StartedOn: r.StartedAt, FinishedOn: r.FinishedAt}
	if s.ScannerURI == "" {
		s.ScannerURI = defaultScannerURI
	}
	if r.DB.SchemaVersion > 0 {
		s.DBURI = TrivyDBURI
		s.DBVersion = fmt.Sprintf("%d (updated %s)", r.DB.SchemaVersion, r.DB.UpdatedAt.UTC().Format(time.RFC3339))
	}
	return s, nil
}

// ScanFromReport reads paved's scan report from its JSON, as a file given
// to paved attest: the report's bytes are the scanner's result, unchanged.
// The scan finished at the report's finishedAt, or at fallback (for
// example the file's modification time) when the report has none; its
// start is left to VulnPredicate.
func ScanFromReport(report []byte, fallback time.Time) (Scan, error) {
	if _, err := parseScanReport(report); err != nil {
		return Scan{}, failure.BadInputErr(fmt.Errorf("reading scan report: %w", err))
	}
	var r vuln.Report
	if err := json.Unmarshal(report, &r); err != nil {
		return Scan{}, failure.BadInputErr(fmt.Errorf("reading scan report: %w", err))
	}
	s, err := ScanOf(&r)
	if err != nil {
		return Scan{}, err
	}
	s.Report, s.StartedOn = report, time.Time{}
	if s.FinishedOn.IsZero() {
		s.FinishedOn = fallback
	}
	return s, nil
}
