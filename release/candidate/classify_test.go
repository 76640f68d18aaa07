package candidate

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/release/snapshot"
)

// okRun is a passing run whose image runs as user.
func okRun(user string) *Outcome {
	return &Outcome{Attempts: 1, Snapshot: &snapshot.Snapshot{
		Status: snapshot.StatusOK,
		Steps:  []snapshot.Step{{Name: "preflight", Status: "ok"}, {Name: "build", Status: "ok"}, {Name: "gate", Status: "ok"}},
		Image:  &snapshot.Image{User: user},
		Gate:   &snapshot.Gate{Passed: true},
	}}
}

// failedRun failed at step with exit code.
func failedRun(step string, code, attempts int) *Outcome {
	steps := []snapshot.Step{{Name: "preflight", Status: "ok"}}
	if step != "build" {
		steps = append(steps, snapshot.Step{Name: "build", Status: "ok"})
	}
	return &Outcome{Attempts: attempts, Snapshot: &snapshot.Snapshot{
		Status: snapshot.StatusFailed, ExitCode: code,
		Failure: &snapshot.Failure{Step: step, ExitCode: code, Message: step + " failed"},
		Steps:   append(steps, snapshot.Step{Name: step, Status: "failed", Error: step + " failed"}),
	}}
}

// exitedAfterOK wrote an ok run record, every step ok, then paved exited
// with code, as snapshot.Collect sees it.
func exitedAfterOK(code int) *Outcome {
	o := okRun("0")
	o.Snapshot.Status, o.Snapshot.ExitCode = snapshot.StatusFailed, code
	o.Snapshot.Failure = &snapshot.Failure{Step: snapshot.StepCLI, ExitCode: code, Message: "paved exited with 1 after writing a run record"}
	return o
}

// brokenAt failed at step after building an image running as user.
func brokenAt(step, user string) *Outcome {
	o := failedRun(step, 3, 1)
	o.Snapshot.Image = &snapshot.Image{User: user}
	return o
}

func TestClassify(t *testing.T) {
	notes := Notes{{Key: "go-api/build/config.user", Entry: "go-api runs as nonroot"}}
	tests := []struct {
		name        string
		app         string
		base, cand  *Outcome
		verdict     string
		differences []string // KEY=classification
	}{
		{name: "same outputs", app: "go-api", base: okRun("0"), cand: okRun("0"), verdict: VerdictPass},
		{name: "expected via change notes", app: "go-api", base: okRun("0"), cand: okRun("65532"),
			verdict: VerdictPass, differences: []string{"go-api/build/config.user=expected"}},
		{name: "same change unnamed for another app", app: "node-web", base: okRun("0"), cand: okRun("65532"),
			verdict: VerdictRegression, differences: []string{"node-web/build/config.user=regression"}},
		{name: "candidate fails where baseline passes", app: "python-api", base: okRun("0"), cand: failedRun("gate", 3, 1),
			verdict: VerdictRegression, differences: []string{
				"python-api/gate/status=regression", "python-api/build/config.user=regression", "python-api/gate/verdict=regression",
				"python-api/cli/exitCode=regression"}},
		{name: "ok record with a non-zero exit", app: "go-api", base: okRun("0"), cand: exitedAfterOK(1),
			verdict: VerdictRegression, differences: []string{"go-api/cli/exitCode=regression"}},
		{name: "candidate flakes twice where the baseline passed", app: "go-api", base: okRun("0"), cand: failedRun("push", 4, 2),
			verdict: VerdictRegression, differences: []string{
				"go-api/gate/status=regression", "go-api/push/status=regression", "go-api/build/config.user=expected",
				"go-api/gate/verdict=regression", "go-api/cli/exitCode=regression"}},
		{name: "both flake", app: "go-api", base: failedRun("push", 4, 2), cand: failedRun("push", 4, 2), verdict: VerdictInfraFlake},
		{name: "baseline flake", app: "go-api", base: failedRun("push", 4, 2), cand: okRun("0"), verdict: VerdictInfraFlake},
		{name: "app broken with both", app: "node-web", base: failedRun("build", 2, 1), cand: failedRun("build", 2, 1), verdict: VerdictAppBroken},
		{name: "both fail at one step with other exit codes", app: "node-web", base: failedRun("gate", 3, 1), cand: failedRun("gate", 1, 1),
			verdict: VerdictRegression, differences: []string{"node-web/cli/exitCode=regression"}},
		{name: "both fail at one step, a completed step differs", app: "node-web", base: brokenAt("gate", "0"), cand: brokenAt("gate", "65532"),
			verdict: VerdictRegression, differences: []string{"node-web/build/config.user=regression"}},
		{name: "both fail at one step, the difference expected", app: "go-api", base: brokenAt("gate", "0"), cand: brokenAt("gate", "65532"),
			verdict: VerdictAppBroken, differences: []string{"go-api/build/config.user=expected"}},
		{name: "both fail at different steps", app: "node-web", base: failedRun("build", 2, 1), cand: failedRun("gate", 3, 1),
			verdict: VerdictRegression, differences: []string{"node-web/build/status=regression", "node-web/gate/status=regression", "node-web/cli/exitCode=regression"}},
		{name: "first release passes", app: "go-api", cand: okRun("0"), verdict: VerdictPass},
		{name: "first release fails", app: "go-api", cand: failedRun("scan", 1, 1),
			verdict: VerdictRegression, differences: []string{"go-api/scan/status=regression"}},
		{name: "first release flake", app: "go-api", cand: failedRun("push", 4, 2), verdict: VerdictInfraFlake},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			verdict, diffs := Classify(tc.app, tc.base, tc.cand, notes)
			require.Equal(t, tc.verdict, verdict)
			var got []string
			for _, d := range diffs {
				got = append(got, d.Key(tc.app)+"="+d.Classification)
			}
			require.ElementsMatch(t, tc.differences, got)
		})
	}
}

func TestCheckVersion(t *testing.T) {
	tests := []struct{ version, baseline, wantErr string }{
		{"v0.1.0-rc.1", "", ""},
		{"v0.2.0-rc.3", "v0.1.0", ""},
		{"v0.0.0-rc.check", "", ""},
		{"0.1.0-rc.1", "", "want semver"},
		{"v0.1-rc.1", "", "want semver"},
		{"v0.1.0", "", "has no pre-release"},
		{"v0.1.0-rc.1", "v0.1.0", "not above the previous release v0.1.0"},
	}
	for _, tc := range tests {
		t.Run(tc.version+"/"+tc.baseline, func(t *testing.T) {
			err := CheckVersion(tc.version, tc.baseline)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
