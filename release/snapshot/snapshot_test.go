package snapshot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPackages(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sbom.cdx.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"bomFormat":"CycloneDX","components":[
		{"type":"library","name":"golang.org/x/text","version":"v0.3.7","purl":"pkg:golang/golang.org/x/text@v0.3.7"},
		{"type":"operating-system","name":"debian","version":"12","components":[
			{"type":"library","name":"libc6","version":"2.36","purl":"pkg:deb/debian/libc6@2.36?arch=amd64"}]},
		{"type":"library","name":"golang.org/x/text","version":"v0.3.7","purl":"pkg:golang/golang.org/x/text@v0.3.7"}]}`), 0o644))
	got, err := packages(file)
	require.NoError(t, err)
	require.Equal(t, []string{"deb:libc6@2.36", "golang:golang.org/x/text@v0.3.7", "operating-system:debian@12"}, got)

	require.NoError(t, os.WriteFile(file, []byte(`{"spdxVersion":"SPDX-2.3"}`), 0o644))
	_, err = packages(file)
	require.ErrorContains(t, err, "want CycloneDX")
}

// TestGitOpsChange: what differs between any two runs by design (the
// registry's port, digests, times, trace and run ids, paved's version) is
// normalised; the rest of the change stays.
func TestGitOpsChange(t *testing.T) {
	repo := t.TempDir()
	gitRun(t, repo, "init", "-q", "-b", "main")
	write := func(content string) {
		require.NoError(t, os.WriteFile(filepath.Join(repo, "versions.yaml"), []byte(content), 0o644))
		gitRun(t, repo, "add", "-A")
		gitRun(t, repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
	}
	write("services: {}\n")
	seed := gitRun(t, repo, "rev-parse", "HEAD")
	write(`services:
  go-api:
    dev:
      image: 127.0.0.1:41234/services/go-api@sha256:3ebde498e23175a99b97360cde03998af1218412857afe31e2eeb47cf312c5ef
      paved_version: v0.2.0-rc.1
      deployed_at: "2026-11-22T05:56:34Z"
      trace_id: dcd584f0de84db750f02ff9f5f237afe
      run_id: release-go-api
      source_revision: d05e98391dfc
    prod:
      image: 127.0.0.1:41234/services/go-api@sha256:0000000000000000000000000000000000000000000000000000000000000000
`)
	const digest = "sha256:3ebde498e23175a99b97360cde03998af1218412857afe31e2eeb47cf312c5ef"
	got, err := gitopsChange(context.Background(), repo, seed[:len(seed)-1], replacer(Input{Registry: "127.0.0.1:41234"}), digest)
	require.NoError(t, err)
	require.NotContains(t, got, "index ")
	require.Contains(t, got, "+      image: REGISTRY/services/go-api@sha256:DIGEST")
	// Any other digest (a wrong image deployed) stays visible.
	require.Contains(t, got, "+      image: REGISTRY/services/go-api@sha256:OTHER")
	for _, k := range []string{"paved_version", "deployed_at", "trace_id", "run_id"} {
		require.Contains(t, got, "+      "+k+": NORMALISED")
	}
	require.Contains(t, got, "+      source_revision: d05e98391dfc")
}

func gitRun(t *testing.T, dir string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

func TestDiff(t *testing.T) {
	base := &Snapshot{Status: StatusOK, Steps: []Step{{Name: "build", Status: StatusOK, DurationSeconds: 1}},
		Image:        &Image{Env: []string{"A=1", "B=2"}, Cmd: []string{"/app"}, Layers: []string{"sha256:a"}},
		Attestations: map[string][]string{"attest": {"https://slsa.dev/provenance/v1"}},
		GitOps:       "+++ b/versions.yaml\n+  version: a\n"}
	cand := &Snapshot{Status: StatusOK, Steps: []Step{{Name: "build", Status: StatusOK, DurationSeconds: 9}},
		Image:        &Image{Env: []string{"B=2", "C=3"}, Cmd: []string{"/app"}, Layers: []string{"sha256:a"}},
		Attestations: map[string][]string{"attest": {"https://cyclonedx.org/bom", "https://slsa.dev/provenance/v1"}},
		GitOps:       "+++ b/versions.yaml\n+  version: b\n"}
	require.Equal(t, []Difference{
		{Step: "build", Aspect: "config.env", Baseline: "A=1", Candidate: "C=3"},
		{Step: "attest", Aspect: "attestations", Baseline: "", Candidate: "https://cyclonedx.org/bom"},
		{Step: "deploy", Aspect: "gitops", Baseline: "versions.yaml: +  version: a", Candidate: "versions.yaml: +  version: b"},
	}, Diff(base, cand), "durations are reported, never diffed")
	require.Empty(t, Diff(base, base))
}

// TestCollectExitCode: a run whose record says ok but whose paved exited
// non-zero failed: the exit code is what CI acts on.
func TestCollectExitCode(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "paved-run.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"schemaVersion":"paved.dev/run-record/v1","status":"ok",
		"steps":[{"name":"build","status":"ok"}]}`), 0o644))
	s, err := Collect(context.Background(), Input{ExitCode: 1, Output: "panic: nil map\n", RecordFile: file, Dir: dir})
	require.NoError(t, err)
	require.Equal(t, StatusFailed, s.Status)
	require.Equal(t, StepCLI, s.FailedStep())
	require.Equal(t, 1, s.Failure.ExitCode)
	require.Contains(t, s.Failure.Message, "panic: nil map")

	ok, err := Collect(context.Background(), Input{ExitCode: 0, RecordFile: file, Dir: dir})
	require.NoError(t, err)
	require.Equal(t, StatusOK, ok.Status)
	require.Contains(t, Diff(ok, s), Difference{Step: StepCLI, Aspect: "exitCode", Baseline: "0", Candidate: "1"})
}
