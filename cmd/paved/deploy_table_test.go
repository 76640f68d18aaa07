package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// gateCell is one cell of the gate table: the starting state of its
// service (reached before the gates are declared) and the command.
type gateCell struct {
	seed func(t *testing.T, r *gateRepo, svc string)
	args []string
	code int
	want string // in the output
}

// refusal is what a refused gate prints, by case.
var refusal = map[string]string{
	gUnsigned: `no signature verifies with key "keys/cosign.pub"`, gWrongKey: `no signature verifies with key "keys/cosign.pub"`,
	gFailedScan: "failed its gate", gStaleScan: "older than the maximum scan age 168h0m0s",
	gNoApproval: "needs an approval (paved-gitops.yaml: approval: required)", gLocked: "is locked since",
	gUnlock: `no signature verifies with key "keys/cosign.pub"`, gOK: "pushed",
}

// imageCases are the cases of an image that fails a gate of staging.
var imageCases = []string{gUnsigned, gWrongKey, gFailedScan, gStaleScan}

// lockSeed leaves svc in env locked by a rollback to the wrong-key image.
func lockSeed(t *testing.T, r *gateRepo, svc, env string) {
	r.bump(t, svc, env, gWrongKey)
	r.bump(t, svc, env, gStaleScan)
	r.rollback(t, svc, env)
}

// gateCells returns the cells of one verb on one layout, by case; a case
// missing from the map does not apply (its reason is in TestDeployGateTable).
func gateCells(verb, layout string, r *gateRepo) map[string]gateCell {
	none := func(*testing.T, *gateRepo, string) {}
	cells := map[string]gateCell{}
	switch verb {
	case "bump":
		for _, c := range imageCases {
			cells[c] = gateCell{none, []string{"--env", "staging", "--image", r.ref(c)}, 3, refusal[c]}
		}
		cells[gNoApproval] = gateCell{none, []string{"--env", "prod", "--image", r.ref(gOK)}, 3, refusal[gNoApproval]}
		lock := func(t *testing.T, r *gateRepo, svc string) { lockSeed(t, r, svc, "staging") }
		cells[gLocked] = gateCell{lock, []string{"--env", "staging", "--image", r.ref(gOK)}, 3, refusal[gLocked]}
		cells[gUnlock] = gateCell{lock, []string{"--env", "staging", "--image", r.ref(gUnsigned), "--unlock", "--reason", "fixed"}, 3, refusal[gUnlock]}
		cells[gOK] = gateCell{none, []string{"--env", "prod", "--image", r.ref(gOK), "--approved-by", "alice"}, 0, "pushed"}
	case "promote":
		for _, c := range imageCases {
			seed := func(t *testing.T, r *gateRepo, svc string) { r.bump(t, svc, "dev", c) }
			cells[c] = gateCell{seed, []string{"--from", "dev", "--to", "staging"}, 3, refusal[c]}
		}
		inStaging := func(t *testing.T, r *gateRepo, svc string) { r.bump(t, svc, "staging", gOK) }
		cells[gNoApproval] = gateCell{inStaging, []string{"--from", "staging", "--to", "prod"}, 3, refusal[gNoApproval]}
		lock := func(t *testing.T, r *gateRepo, svc string) {
			r.bump(t, svc, "dev", gOK)
			lockSeed(t, r, svc, "staging")
		}
		cells[gLocked] = gateCell{lock, []string{"--from", "dev", "--to", "staging"}, 3, refusal[gLocked]}
		cells[gOK] = gateCell{inStaging, []string{"--from", "staging", "--to", "prod", "--approved-by", "alice"}, 0, "pushed"}
	case "rollback":
		for _, c := range imageCases {
			seed := func(t *testing.T, r *gateRepo, svc string) {
				r.bump(t, svc, "staging", c)
				r.bump(t, svc, "staging", gOK)
			}
			cells[c] = gateCell{seed, []string{"--env", "staging", "--to-digest", r.fx.digests[c], "--reason", "r"}, 3, refusal[c]}
		}
		inProd := func(t *testing.T, r *gateRepo, svc string) {
			r.bump(t, svc, "prod", gOK)
			r.bump(t, svc, "prod", gWrongKey)
		}
		cells[gNoApproval] = gateCell{inProd, []string{"--env", "prod", "--to-digest", r.fx.digests[gOK], "--reason", "r"}, 3, refusal[gNoApproval]}
		cells[gOK] = gateCell{inProd, []string{"--env", "prod", "--to-digest", r.fx.digests[gOK], "--reason", "r", "--approved-by", "alice"}, 0, "pushed"}
	case "switch":
		if layout != "blue-green" {
			cells[gOK] = gateCell{none, []string{"--env", "staging"}, 2, "is not blue_green in paved-gitops.yaml"}
			break
		}
		for _, c := range imageCases {
			seed := func(t *testing.T, r *gateRepo, svc string) { r.bump(t, svc, "staging", c) }
			cells[c] = gateCell{seed, []string{"--env", "staging"}, 3, refusal[c]}
		}
		inProd := func(t *testing.T, r *gateRepo, svc string) { r.bump(t, svc, "prod", gOK) }
		cells[gNoApproval] = gateCell{inProd, []string{"--env", "prod"}, 3, refusal[gNoApproval]}
		lock := func(t *testing.T, r *gateRepo, svc string) { lockSeed(t, r, svc, "staging") }
		cells[gLocked] = gateCell{lock, []string{"--env", "staging"}, 3, refusal[gLocked]}
		cells[gOK] = gateCell{inProd, []string{"--env", "prod", "--approved-by", "alice"}, 0, "pushed"}
	}
	return cells
}

// TestDeployGateTable makes an image enter an environment by every verb,
// on every layout, against every gate, through the CLI with the real gate
// verifier (Cosign signatures and attestations with real Trivy scan reports
// in an in-process registry): a refused gate exits 3 and pushes nothing; the
// control (ok) exits 0 and pushes. Cells that do not apply: rollback of a
// locked service (rollback is what locks, and stays allowed), switch of a
// service that is not blue-green (exit 2, checked). The run verb is in
// TestRunGateTable.
func TestDeployGateTable(t *testing.T) {
	ctx := context.Background()
	fx := newGateFixture(t)
	var matrix []string
	for _, layout := range gateLayouts {
		repo := fx.host + "/acme/" + layout
		fx.publish(t, "acme/"+layout)
		for _, verb := range []string{"bump", "promote", "switch", "rollback"} {
			cells := gateCells(verb, layout, &gateRepo{fx: fx, repo: repo})
			names := make([]string, 0, len(cells))
			for c := range cells {
				names = append(names, c)
			}
			sort.Strings(names)
			r := fx.newGateRepo(t, layout, repo, names)
			for _, c := range names {
				cells[c].seed(t, r, c)
			}
			r.declareGates(t)
			for _, c := range names {
				cell := cells[c]
				t.Run(layout+"/"+verb+"/"+c, func(t *testing.T) {
					before := deployHead(t, r.url)
					var stdout, stderr bytes.Buffer
					args := append([]string{"deploy", verb, "--repo", r.url, "--service", c}, cell.args...)
					code := run(ctx, args, &stdout, &stderr)
					require.Equal(t, cell.code, code, "paved %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
					require.Contains(t, stdout.String()+stderr.String(), cell.want)
					require.Equal(t, cell.code != 0, before == deployHead(t, r.url), "pushed only when every gate passed")
					matrix = append(matrix, fmt.Sprintf("%-10s %-8s %-11s exit %d", layout, verb, c, code))
				})
			}
		}
	}
	t.Logf("layout     verb     case        result\n%s", strings.Join(matrix, "\n"))
}

// TestRunGateTable is the run verb of the gate table: build-scan-deploy of
// go-api deploys through the same gates. It signs and scans the image it
// builds, so an unsigned image or a stale scan cannot reach its deploy step;
// a failed scan stops it at its own gate step, before anything is signed.
func TestRunGateTable(t *testing.T) {
	fx := newGateFixture(t)
	ok := runService(t, fx.host, "")
	commitDir(t, ok)
	vulnerable := runService(t, fx.host, "")
	goModIn(t, vulnerable, "mod", "edit", "-require=golang.org/x/text@v0.3.7")
	goModIn(t, vulnerable, "mod", "download", "golang.org/x/text")
	commitDir(t, vulnerable)
	repo := fx.host + "/services/go-api"
	for _, c := range []string{gWrongKey, gStaleScan} {
		fx.pushImage(t, "services/go-api", c) // the lock seed's history
	}
	cells := []struct {
		c, dir, key, env string
		extra            []string
		code             int
		want             string
	}{
		{gWrongKey, ok, fx.otherKey.PrivateKey, "prod", []string{"--approved-by", "alice"}, 3, "deploy: bumping go-api in prod: verifying"},
		{gFailedScan, vulnerable, fx.envKey.PrivateKey, "staging", nil, 3, "gate: vulnerability gate failed: 1 finding(s) at CRITICAL,HIGH: CVE-2022-32149"},
		{gNoApproval, ok, fx.envKey.PrivateKey, "prod", nil, 3, "deploy: bumping go-api in prod needs an approval"},
		{gLocked, ok, fx.envKey.PrivateKey, "staging", nil, 3, "deploy: go-api in staging is locked since"},
		{gOK, ok, fx.envKey.PrivateKey, "prod", []string{"--approved-by", "alice"}, 0, ""},
	}
	var matrix []string
	for _, layout := range gateLayouts {
		for _, cell := range cells {
			t.Run(layout+"/run/"+cell.c, func(t *testing.T) {
				r := fx.newGateRepo(t, layout, repo, []string{"go-api"})
				if cell.c == gLocked {
					lockSeed(t, r, "go-api", "staging")
				}
				r.declareGates(t)
				before := deployHead(t, r.url)
				out := t.TempDir()
				args := append([]string{"run", "build-scan-deploy", cell.dir, "--db-dir", fx.db, "--key", cell.key, "--env", cell.env,
					"--gitops-repo", r.url, "--trace-annotation=false", "--progress", "none", "--report-dir", out}, cell.extra...)
				if cell.c == gWrongKey {
					// A digest of its own: the same source and key build one
					// digest, which the ok cells sign with the environment's key.
					args = append(args, "--version", "wrongkey-"+layout)
				}
				code, stdout, stderr := runCLI(t, args...)
				require.Equal(t, cell.code, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
				require.Contains(t, stderr, cell.want)
				if cell.c == gWrongKey {
					require.Contains(t, stderr, refusal[gWrongKey])
				}
				require.Equal(t, cell.code != 0, before == deployHead(t, r.url), "pushed only when every gate passed")
				matrix = append(matrix, fmt.Sprintf("%-10s run      %-11s exit %d", layout, cell.c, code))
			})
		}
	}
	t.Logf("layout     verb     case        result\n%s", strings.Join(matrix, "\n"))
}

// goModIn runs the go command in dir.
func goModIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}
