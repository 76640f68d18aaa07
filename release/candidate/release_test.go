//go:build release

package candidate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/release/apps"
)

// releaseRunners are the CI runners hack/release-check.sh test builds.
func releaseRunners(t *testing.T) Runners {
	r := Runners{Act: os.Getenv("PAVED_ACT"), GitLabCILocal: os.Getenv("PAVED_GITLAB_CI_LOCAL")}
	if r.Act == "" || r.GitLabCILocal == "" {
		t.Skip("run through hack/release-check.sh test: it builds act and gitlab-ci-local")
	}
	return r
}

func keyPassword() ([]byte, error) { return []byte(os.Getenv("COSIGN_PASSWORD")), nil }

// TestReleaseBreakingCandidate builds a baseline paved from HEAD and a
// candidate from HEAD with a patch that renames the --env flag, which
// every app's CI wrapper passes, and takes both through go-api's own
// workflow with real binaries: the report must name the regression, the
// app and the step. hack/release-check.sh test runs it with the inputs it
// builds.
func TestReleaseBreakingCandidate(t *testing.T) {
	bases, db, key := os.Getenv("PAVED_RELEASE_BASES"), os.Getenv("PAVED_RELEASE_DB"), os.Getenv("PAVED_RELEASE_KEY")
	if bases == "" || db == "" || key == "" {
		t.Skip("run through hack/release-check.sh test: it builds the bases, database and key")
	}
	ctx := context.Background()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	work := t.TempDir()
	env := os.Environ()

	baseSrc, candSrc := filepath.Join(work, "baseline-src"), filepath.Join(work, "candidate-src")
	require.NoError(t, Export(ctx, repo, "HEAD", baseSrc))
	require.NoError(t, Export(ctx, repo, "HEAD", candSrc))
	runGo := filepath.Join(candSrc, "cmd", "paved", "run.go")
	src, err := os.ReadFile(runGo)
	require.NoError(t, err)
	patched := strings.Replace(string(src), `fl.StringVar(&f.env, "env",`, `fl.StringVar(&f.env, "environment",`, 1)
	require.NotEqual(t, string(src), patched, "the patch no longer applies: pick another flag the wrappers use")
	require.NoError(t, os.WriteFile(runGo, []byte(patched), 0o644))

	base := &Paved{Version: "v0.0.1", Binary: filepath.Join(work, "bin", "paved-baseline"), Tree: baseSrc}
	cand := Paved{Version: "v0.0.2-rc.1", Binary: filepath.Join(work, "bin", "paved-candidate"), Tree: candSrc}
	require.NoError(t, Build(ctx, baseSrc, base.Version, base.Binary, env))
	require.NoError(t, Build(ctx, candSrc, cand.Version, cand.Binary, env))

	list, err := apps.Load(filepath.Join(repo, apps.File))
	require.NoError(t, err)
	selected, err := list.Select([]string{"go-api"})
	require.NoError(t, err)
	rep, err := Check(ctx, Options{
		Repo: repo, Apps: selected, Bases: list.Bases, BasesDir: bases, Fixtures: list.Fixtures,
		Candidate: cand, Baseline: base, DBDir: db, Key: key, Env: env, WorkDir: filepath.Join(work, "runs"),
		Now: time.Now, Runners: releaseRunners(t), Password: keyPassword,
	})
	require.NoError(t, err)
	var md strings.Builder
	require.NoError(t, rep.WriteMarkdown(&md))
	t.Log("\n" + md.String())

	require.Equal(t, Fail, rep.Verdict)
	app := rep.Apps[0]
	require.Equal(t, "go-api", app.Name)
	require.Equal(t, VerdictRegression, app.Verdict)
	require.True(t, app.Blocking)
	require.Equal(t, "ok", app.Baseline.Status, "the baseline must pass go-api for the comparison to mean anything")
	require.Equal(t, "cli", app.Candidate.Failure.Step)
	require.Contains(t, app.Candidate.Failure.Message, "--env")
	var cli *Classified
	for i := range app.Differences {
		if app.Differences[i].Key(app.Name) == "go-api/cli/status" {
			cli = &app.Differences[i]
		}
	}
	require.NotNil(t, cli, "no status difference at the cli step")
	require.Equal(t, ClassRegression, cli.Classification)
	require.Equal(t, "go-api/cli/status", cli.Key(app.Name))
	require.Contains(t, md.String(), "`go-api/cli/status` | regression")
}

// TestReleaseSameSourceNoDifferences takes two builds of HEAD that differ
// only in their stamped version through all three apps: whatever the
// normalisation leaves must be nothing, or every release would carry noise.
func TestReleaseSameSourceNoDifferences(t *testing.T) {
	bases, db, key := os.Getenv("PAVED_RELEASE_BASES"), os.Getenv("PAVED_RELEASE_DB"), os.Getenv("PAVED_RELEASE_KEY")
	if bases == "" || db == "" || key == "" {
		t.Skip("run through hack/release-check.sh test: it builds the bases, database and key")
	}
	ctx := context.Background()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	work := t.TempDir()
	env := os.Environ()
	src := filepath.Join(work, "src")
	require.NoError(t, Export(ctx, repo, "HEAD", src))
	base := &Paved{Version: "v0.0.1", Binary: filepath.Join(work, "bin", "paved-baseline"), Tree: src}
	cand := Paved{Version: "v0.0.2-rc.1", Binary: filepath.Join(work, "bin", "paved-candidate"), Tree: src}
	require.NoError(t, Build(ctx, src, base.Version, base.Binary, env))
	require.NoError(t, Build(ctx, src, cand.Version, cand.Binary, env))

	list, err := apps.Load(filepath.Join(repo, apps.File))
	require.NoError(t, err)
	rep, err := Check(ctx, Options{
		Repo: repo, Apps: list.Apps, Bases: list.Bases, BasesDir: bases, Fixtures: list.Fixtures,
		Candidate: cand, Baseline: base, DBDir: db, Key: key, Env: env, WorkDir: filepath.Join(work, "runs"),
		Now: time.Now, Runners: releaseRunners(t), Password: keyPassword,
	})
	require.NoError(t, err)
	var md strings.Builder
	require.NoError(t, rep.WriteMarkdown(&md))
	t.Log("\n" + md.String())
	require.Equal(t, Pass, rep.Verdict)
	for _, app := range rep.Apps {
		require.Empty(t, app.Differences, app.Name)
	}
}
