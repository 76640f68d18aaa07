package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aquasecurity/trivy/pkg/cache"
	"github.com/aquasecurity/trivy/pkg/fanal/artifact"
	artimage "github.com/aquasecurity/trivy/pkg/fanal/artifact/image"
	artsbom "github.com/aquasecurity/trivy/pkg/fanal/artifact/sbom"
	ttypes "github.com/aquasecurity/trivy/pkg/types"
	xos "github.com/aquasecurity/trivy/pkg/x/os"

	// Trivy's RPM analyzer reads rpmdb.sqlite through database/sql; this
	// is the driver Trivy's CLI registers.
	_ "modernc.org/sqlite"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/vuln"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// ErrNoDB means no database directory was given (WithDBDir).
var ErrNoDB = errors.New("no vulnerability database directory given")

// Image scans the image at src: a registry reference (tag or digest), an
// OCI layout directory, or a docker-save tarball. It returns the report
// with the gate applied (WithPolicy); when the gate fails it returns the
// report and a policy error (failure.Policy). Bad input (unreadable image,
// missing or stale database) is failure.BadInput.
func Image(ctx context.Context, src string, opts ...Option) (*vuln.Report, error) {
	o := newOptions(opts)
	started := o.now()
	img, err := loadImage(ctx, src, o)
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading image %q: %w", src, err))
	}
	ti := trivyImage{Image: img, name: src, digest: digest.String()}
	a := vuln.Artifact{Name: src, Digest: digest.String(), Kind: "image"}
	return run(ctx, o, started, a, func(c cache.ArtifactCache) (artifact.Artifact, error) {
		art, err := artimage.NewArtifact(ti, c, artifactOption(o.parallel))
		if err != nil {
			return nil, fmt.Errorf("preparing image %q: %w", src, err)
		}
		return art, nil
	})
}

// SBOM scans the packages listed in an SBOM file (CycloneDX or SPDX JSON)
// instead of an image's layers. Name the image the SBOM describes with
// WithArtifact. Results and errors are as for Image.
func SBOM(ctx context.Context, file string, opts ...Option) (*vuln.Report, error) {
	o := newOptions(opts)
	started := o.now()
	if err := checkSBOM(file); err != nil {
		return nil, err
	}
	a := vuln.Artifact{Name: file, Kind: "sbom"}
	return run(ctx, o, started, a, func(c cache.ArtifactCache) (artifact.Artifact, error) {
		return artsbom.NewArtifact(file, upstreamCache{c}, artifactOption(o.parallel))
	})
}

// run opens the database, scans, and builds the gated report.
func run(ctx context.Context, o options, started time.Time, a vuln.Artifact, newArtifact func(cache.ArtifactCache) (artifact.Artifact, error)) (*vuln.Report, error) {
	if o.dbDir == "" {
		return nil, failure.BadInputErr(fmt.Errorf("scanning %q: %w; pass --db-dir", a.Name, ErrNoDB))
	}
	db, err := vulndb.Open(o.dbDir, vulndb.WithMaxAge(o.dbMaxAge), vulndb.WithClock(o.now))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	defer vulndb.LogTo(o.logger)()
	defer keepTempDir()()

	rep, err := runTrivy(ctx, newArtifact)
	if err != nil {
		return nil, classifyScan(a, err)
	}
	r := newReport(o, started, a, rep, db.Metadata)
	if err := vuln.Evaluate(r, o.policy, r.FinishedAt); err != nil {
		return r, err
	}
	return r, nil
}

func newReport(o options, started time.Time, a vuln.Artifact, rep ttypes.Report, meta vulndb.Metadata) *vuln.Report {
	a.OS = osName(rep)
	if o.artifact.Name != "" {
		a.Name = o.artifact.Name
	}
	if o.artifact.Digest != "" {
		a.Digest = o.artifact.Digest
	}
	return &vuln.Report{
		SchemaVersion: vuln.SchemaVersion,
		Artifact:      a,
		Scanner:       vuln.ScannerInfo{Name: "trivy", Version: trivyVersion()},
		DB: vuln.DBInfo{SchemaVersion: meta.Version, UpdatedAt: meta.UpdatedAt.UTC(),
			NextUpdate: meta.NextUpdate.UTC(), DownloadedAt: meta.DownloadedAt.UTC()},
		StartedAt:  started.UTC().Truncate(time.Second),
		FinishedAt: o.now().UTC().Truncate(time.Second),
		Findings:   findings(rep),
	}
}

// keepTempDir makes sure Trivy's per-process temporary directory
// (TMPDIR/trivy-PID, created once per process and never removed by the
// library) exists for this scan, and removes it afterwards when empty so
// that no directory is left behind. Scans are serialised by vulndb.Open.
func keepTempDir() (cleanup func()) {
	dir := xos.TempDir()
	_ = os.MkdirAll(dir, 0o755)
	return func() { _ = os.Remove(dir) }
}

// classifyScan makes a failed scan bad input when the artifact itself is at
// fault (a corrupt layer, an undecodable SBOM) and keeps cancellation as it
// is.
func classifyScan(a vuln.Artifact, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return failure.TransientErr(fmt.Errorf("scanning %q: %w", a.Name, err))
	}
	return failure.BadInputErr(fmt.Errorf("scanning %q: %w", a.Name, err))
}

// checkSBOM fails early, as bad input, on a missing or empty SBOM file.
func checkSBOM(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("reading SBOM %q: %w", file, err))
	}
	if fi.IsDir() || fi.Size() == 0 {
		return failure.BadInputErr(fmt.Errorf("reading SBOM %q: not a CycloneDX or SPDX JSON file", file))
	}
	return nil
}
