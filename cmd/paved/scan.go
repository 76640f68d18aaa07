package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/vuln"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

func init() { register(newScanCmd) }

type scanFlags struct {
	sbom          string
	dbDir         string
	dbMaxAge      time.Duration
	severity      string
	ignoreUnfixed bool
	ignoreFile    string
	report        string
	sarif         string
	sources       []string
	repoRoot      string
	verbose       bool
	output        string
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [IMAGE | --sbom FILE]",
		Short: "Scan an image or its SBOM for known vulnerabilities with Trivy and gate on them",
		Long: `Scan finds known vulnerabilities in OS packages (Debian dpkg and other
distributions) and language packages (Go binaries, Python, npm) with the
Trivy library, against the vulnerability database in --db-dir. It never
downloads the database (see 'paved db') and never uses a container daemon.

IMAGE is a registry reference (REPO@sha256:..., REPO:tag, registry:REF), an
OCI layout directory (DIR, oci-layout:DIR) or a 'docker save' tarball (FILE,
docker-archive:FILE). With --sbom FILE (CycloneDX or SPDX JSON, e.g. from
'paved sbom') the scan reads the SBOM instead of the image's layers; IMAGE,
if also given, only names the artifact in the reports.

The gate fails on findings of --severity (default CRITICAL,HIGH); with
--ignore-unfixed, findings without a fixed version pass. The ignore file
(default .paved-ignore.yaml, if present) suppresses findings until each
entry's expiry date:

  ignores:
    - id: CVE-2023-45853
      package: zlib1g          # optional
      reason: minizip is not built in Debian's zlib1g
      expires: 2026-06-30      # required, YYYY-MM-DD

Expired entries stop suppressing and are reported. --report writes the JSON
report (schema paved.dev/scan-report/v1), --sarif a SARIF 2.1.0 log for code
scanning; --source TYPE=FILE points findings of a package type (gobinary,
debian, python-pkg, node-pkg) or class (os-pkgs, lang-pkgs) at a file of the
repository (default: go.mod and Dockerfile when they exist in --repo-root).

Exit codes: 0 gate passed, 2 bad input (unreadable image or SBOM, missing or
stale database, malformed ignore file), 3 gate failed, 4 registry unreachable.`,
		Example: `  paved db build-fixture --db-dir .paved/db     # tests and demos; 'paved db update' online
  paved scan registry.example.com/app@sha256:3f1c... --db-dir .paved/db
  paved scan --sbom app.cdx.json registry.example.com/app@sha256:3f1c... --report scan.json --sarif scan.sarif
  paved scan build/oci --severity CRITICAL --ignore-unfixed --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.sbom, "sbom", "", "scan this SBOM file (CycloneDX or SPDX JSON) instead of the image's layers")
	dbDirFlag(cmd, &f.dbDir)
	fl.DurationVar(&f.dbMaxAge, "db-max-age", vulndb.DefaultMaxAge, "refuse a database older than this (0: no limit)")
	fl.StringVar(&f.severity, "severity", "CRITICAL,HIGH", "severities that fail the gate")
	fl.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "let findings without a fixed version pass the gate")
	fl.StringVar(&f.ignoreFile, "ignore-file", "", "ignore file (default "+vuln.DefaultIgnoreFile+" when present)")
	fl.StringVar(&f.report, "report", "", "write the JSON report to this file")
	fl.StringVar(&f.sarif, "sarif", "", "write a SARIF 2.1.0 log to this file")
	fl.StringArrayVar(&f.sources, "source", nil, "TYPE=FILE: repository file for findings of a package type or class (repeatable)")
	fl.StringVar(&f.repoRoot, "repo-root", ".", "repository directory for SARIF locations and the default ignore file")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show Trivy's log on stderr")
	outputFlag(cmd, &f.output)
	return cmd
}

func runScan(cmd *cobra.Command, args []string, f scanFlags) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	if len(args) == 0 && f.sbom == "" {
		return usageError{errors.New("give an IMAGE or --sbom FILE")}
	}
	opts, sarifOpts, err := scanOptions(cmd, f)
	if err != nil {
		return err
	}
	var r *vuln.Report
	var scanErr error
	if f.sbom != "" {
		if len(args) == 1 {
			// The image the SBOM describes; by digest, the report names
			// the digest, which paved attest requires.
			a := vuln.Artifact{Name: args[0]}
			if d, err := name.NewDigest(args[0]); err == nil {
				a.Digest = d.DigestStr()
			}
			opts = append(opts, scan.WithArtifact(a))
		}
		r, scanErr = scan.SBOM(cmd.Context(), f.sbom, opts...)
	} else {
		r, scanErr = scan.Image(cmd.Context(), args[0], opts...)
	}
	if r == nil {
		return scanErr
	}
	if err := writeReports(r, f, sarifOpts); err != nil {
		return err
	}
	if f.output == "json" {
		if err := writeJSON(cmd.OutOrStdout(), r); err != nil {
			return err
		}
	} else if err := scan.WriteTable(cmd.OutOrStdout(), r); err != nil {
		return err
	}
	return scanErr
}

// scanOptions turns the flags into scan options; the ignore file and the
// severities are checked before anything is scanned.
func scanOptions(cmd *cobra.Command, f scanFlags) ([]scan.Option, scan.SARIFOptions, error) {
	sevs, err := vuln.ParseSeverities(f.severity)
	if err != nil {
		return nil, scan.SARIFOptions{}, usageError{fmt.Errorf("invalid --severity: %w", err)}
	}
	policy := vuln.Policy{Severities: sevs, IgnoreUnfixed: f.ignoreUnfixed}
	ignorePath := f.ignoreFile
	if ignorePath == "" {
		if p := filepath.Join(f.repoRoot, vuln.DefaultIgnoreFile); fileExists(p) {
			ignorePath = p
		}
	}
	if ignorePath != "" {
		if policy.Ignores, err = vuln.LoadIgnoreFile(ignorePath); err != nil {
			return nil, scan.SARIFOptions{}, err
		}
	}
	sources, err := keyValues("--source", f.sources)
	if err != nil {
		return nil, scan.SARIFOptions{}, err
	}
	for typ, file := range map[string]string{"gobinary": "go.mod", "os-pkgs": "Dockerfile"} {
		if _, ok := sources[typ]; !ok && fileExists(filepath.Join(f.repoRoot, file)) {
			sources[typ] = file
		}
	}
	if err := atLeast("--db-max-age", f.dbMaxAge, 0, "give a duration such as 168h, or 0 for no limit"); err != nil {
		return nil, scan.SARIFOptions{}, err
	}
	maxAge := f.dbMaxAge
	if maxAge == 0 {
		maxAge = -1
	}
	opts := []scan.Option{
		scan.WithDBDir(f.dbDir), scan.WithDBMaxAge(maxAge), scan.WithPolicy(policy),
		scan.WithKeychain(keychain()),
	}
	if f.verbose {
		opts = append(opts, scan.WithLogger(slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))))
	}
	return opts, scan.SARIFOptions{Sources: sources, Root: f.repoRoot}, nil
}

// writeReports writes the --report and --sarif files, each atomically.
func writeReports(r *vuln.Report, f scanFlags, sarifOpts scan.SARIFOptions) error {
	if f.report != "" {
		var b bytes.Buffer
		if err := writeJSON(&b, r); err != nil {
			return err
		}
		if err := writeFileAtomic(f.report, b.Bytes()); err != nil {
			return err
		}
	}
	if f.sarif != "" {
		var b bytes.Buffer
		if err := scan.WriteSARIF(&b, r, sarifOpts); err != nil {
			return err
		}
		return writeFileAtomic(f.sarif, b.Bytes())
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("writing %q: %w", path, err))
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
