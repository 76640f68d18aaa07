package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	cireport "github.com/paved-dev/paved/ci/report"
	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/scan"
)

func init() { register(newCICmd) }

func newCICmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ci",
		Short: "Show a finished run where the CI shows results (the wrappers call it)",
		Long: `ci reads what paved run build-scan-deploy left in its --report-dir (the run
record, the scan report) and hands it to the CI: 'paved ci github' and
'paved ci gitlab'. paved's wrappers run it after every run, passed or failed.
Exit codes: 0 written, 2 no run record in --report-dir.`,
	}
	cmd.AddCommand(newCIGitHubCmd(), newCIGitLabCmd())
	return cmd
}

func newCIGitHubCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "github --report-dir DIR",
		Short: "Job summary, ::error annotations and step outputs for GitHub Actions",
		Long: `github appends the run's summary (each step's status and time, the image
digest, the findings and the failing ones with their fixed versions, the
GitOps commit) to $GITHUB_STEP_SUMMARY and writes it to DIR/summary.md,
prints an ::error annotation for each finding that failed the gate (or for
the step that failed), and appends the outputs status, image, digest,
gitops-commit, run-record, sarif and sbom to $GITHUB_OUTPUT.`,
		Example: `  paved run build-scan-deploy . --report-dir "$RUNNER_TEMP/paved" || status=$?
  paved ci github --report-dir "$RUNNER_TEMP/paved"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := cireport.Load(dir)
			if err != nil {
				return err
			}
			var md bytes.Buffer
			if err := r.Markdown(&md); err != nil {
				return err
			}
			if err := writeReportFile(dir, cireport.SummaryFile, md.Bytes()); err != nil {
				return err
			}
			if err := appendEnvFile(envGitHubStepSummary, md.Bytes()); err != nil {
				return err
			}
			var outs bytes.Buffer
			for _, name := range sortedOutputs(r.Outputs()) {
				fmt.Fprintf(&outs, "%s=%s\n", name, r.Outputs()[name])
			}
			if err := appendEnvFile(envGitHubOutput, outs.Bytes()); err != nil {
				return err
			}
			return r.Annotations(cmd.OutOrStdout())
		},
	}
	reportDirFlag(cmd, &dir)
	return cmd
}

func newCIGitLabCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "gitlab --report-dir DIR",
		Short: "Container-scanning and dotenv reports and the job log summary for GitLab CI",
		Long: `gitlab writes, into DIR, the GitLab reports the component declares under
artifacts:reports: the container-scanning report (` + cireport.GitLabScanFile + `,
GitLab's format ` + scan.GitLabSchemaVersion + `, when the scan ran) and the dotenv report
(` + cireport.DotenvFile + `: PAVED_STATUS, PAVED_IMAGE, PAVED_DIGEST, PAVED_GITOPS_COMMIT, …);
the CycloneDX SBOM is the run's sbom.cdx.json. It prints the run's summary
in the job log and writes it to DIR/summary.md.`,
		Example: `  paved run build-scan-deploy . --report-dir paved-out || status=$?
  paved ci gitlab --report-dir paved-out`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := cireport.Load(dir)
			if err != nil {
				return err
			}
			if r.Scan != nil {
				var b bytes.Buffer
				if err := scan.WriteGitLab(&b, r.Scan, r.Record.Image, r.Record.PavedVersion); err != nil {
					return err
				}
				if err := writeReportFile(dir, cireport.GitLabScanFile, b.Bytes()); err != nil {
					return err
				}
			}
			var env, md bytes.Buffer
			if err := r.Dotenv(&env); err != nil {
				return err
			}
			if err := r.Markdown(&md); err != nil {
				return err
			}
			if err := writeReportFile(dir, cireport.DotenvFile, env.Bytes()); err != nil {
				return err
			}
			if err := writeReportFile(dir, cireport.SummaryFile, md.Bytes()); err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(md.Bytes())
			return err
		},
	}
	reportDirFlag(cmd, &dir)
	return cmd
}

func reportDirFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVar(dst, "report-dir", "", "the --report-dir of paved run build-scan-deploy (required)")
	_ = cmd.MarkFlagRequired("report-dir")
}

// writeReportFile writes one report into the report directory atomically.
func writeReportFile(dir, name string, data []byte) error {
	return sbom.WriteFile(filepath.Join(dir, name), data)
}

// appendEnvFile appends data to the file GitHub names in the environment
// variable, when it is set (outside GitHub Actions it is not).
func appendEnvFile(variable string, data []byte) error {
	path := getenv(variable)
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening $%s %q: %w", variable, path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing $%s %q: %w", variable, path, err)
	}
	return f.Close()
}

func sortedOutputs(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
