//go:build admission

package admission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/admission"
)

// ruleOrder is paved's order of the rules: a refusal is named by the
// first rule, in this order, that failed.
var ruleOrder = []string{admission.RuleDigest, admission.RuleRepository, admission.RuleSignature, admission.RuleVulnerabilityScan,
	admission.RuleScanAge, admission.RuleProvenance, admission.RuleBaseAllowed, admission.RuleDeniedBase}

// workloads are a Pod and a Deployment in namespace ENV running image.
const workloads = `apiVersion: v1
kind: Pod
metadata: {name: app, namespace: ENV}
spec:
  containers: [{name: app, image: "IMAGE"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: ENV}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers: [{name: app, image: "IMAGE"}]
`

// kyvernoResult is one result of kyverno apply's policy report (-p).
type kyvernoResult struct {
	Message   string `yaml:"message"`
	Rule      string `yaml:"rule"`
	Result    string `yaml:"result"`
	Resources []struct {
		Kind string `yaml:"kind"`
		Name string `yaml:"name"`
	} `yaml:"resources"`
}

// runKyverno applies policyFile to a Pod and a Deployment running the
// case's image and checks that both are admitted, or refused first by the
// rule the case wants.
func runKyverno(t *testing.T, kyverno, policyFile string, tc admissionCase) {
	t.Run(tc.name, func(t *testing.T) {
		res := filepath.Join(t.TempDir(), "workloads.yaml")
		env := tc.env
		if env == "" {
			env = "prod"
		}
		writeFile(t, res, strings.NewReplacer("IMAGE", tc.image, "ENV", env).Replace(workloads))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := execCommand(ctx, kyverno, "apply", policyFile, "--resource", res, "--registry", "-p", "--remove-color")
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("kyverno apply: %v: %s", err, out)
		}
		var report struct {
			Results []kyvernoResult `yaml:"results"`
		}
		require.NoError(t, yamlUnmarshal(reportYAML(out), &report), out)
		for _, kind := range []string{"Pod", "Deployment"} {
			var passed int
			var failed []kyvernoResult
			for _, r := range report.Results {
				if len(r.Resources) != 1 || r.Resources[0].Kind != kind {
					continue
				}
				require.NotEqual(t, "error", r.Result, "%s: %s", kind, r.Message)
				if r.Result == "fail" {
					failed = append(failed, r)
				} else if r.Result == "pass" {
					passed++
				}
			}
			if tc.want == "" {
				require.Empty(t, failed, "%s %s must be admitted", kind, tc.image)
				require.Positive(t, passed, "%s: the policy matched", kind)
				continue
			}
			require.NotEmpty(t, failed, "%s %s must be refused by %s", kind, tc.image, tc.want)
			first := firstRule(failed)
			require.Equal(t, tc.want, first.rule, "%s refused first by %s: %s", kind, first.rule, first.message)
			require.Contains(t, first.message, tc.wantMessage)
		}
	})
}

// firstRule is the failed result whose rule comes first in paved's order:
// the rule field of a ClusterPolicy ("autogen-" for controllers), the rule
// at the start of a message (ImageValidatingPolicy, Rego), or the
// ClusterImagePolicy authority named after it. A ClusterPolicy's
// verifyImages rule fails twice, in an order the report does not fix: with
// its reason, and again in the validate phase as "unverified image IMAGE";
// the reason wins.
func firstRule(failed []kyvernoResult) struct{ rule, message string } {
	best := struct{ rule, message string }{rule: "none", message: fmt.Sprint(failed)}
	bestAt := len(ruleOrder)
	for _, r := range failed {
		for i, rule := range ruleOrder {
			names := strings.TrimPrefix(r.Rule, "autogen-") == rule || strings.Contains(r.Message, rule+": ") ||
				strings.Contains(r.Message, "authority "+rule+" ")
			echo := i == bestAt && strings.HasPrefix(best.message, "unverified image ")
			if names && (i < bestAt || echo) {
				best, bestAt = struct{ rule, message string }{rule, r.Message}, i
			}
		}
	}
	return best
}

func yamlUnmarshal(s string, v any) error { return yaml.Unmarshal([]byte(s), v) }

// reportYAML cuts the policy report out of kyverno apply's output, which
// also carries warnings and a summary.
func reportYAML(out string) string {
	if i := strings.Index(out, "apiVersion: openreports.io"); i >= 0 {
		return out[i:]
	}
	return out
}

// runTester verifies the case's image with policy-controller's tester
// against each ClusterImagePolicy of policyFile on its own (the tester
// stops at the first policy that refuses) and checks that every one admits
// it, or that the first rule, in paved's order, of the policies that
// refuse it is the one the case wants. An image no policy matches is
// refused (no-match-policy: deny) and named by paved-repository.
func runTester(t *testing.T, tester, policyFile string, tc admissionCase) {
	t.Run(tc.name, func(t *testing.T) {
		data, err := os.ReadFile(policyFile)
		require.NoError(t, err)
		var refusals []kyvernoResult
		for i, doc := range strings.Split(string(data), "\n---\n") {
			file := filepath.Join(t.TempDir(), fmt.Sprintf("cip-%d.yaml", i))
			writeFile(t, file, doc)
			if msg := testerErrors(t, tester, file, tc.image); msg != "" {
				if strings.Contains(msg, tc.image+" is uncovered by policy") {
					msg = admission.RuleRepository + ": " + msg
				}
				refusals = append(refusals, kyvernoResult{Message: msg})
			}
		}
		if tc.want == "" {
			require.Empty(t, refusals, "%s must be admitted", tc.image)
			return
		}
		require.NotEmpty(t, refusals, "%s must be refused by %s", tc.image, tc.want)
		first := firstRule(refusals)
		require.Equal(t, tc.want, first.rule, "refused first by %s: %s", first.rule, first.message)
		require.Contains(t, first.message, tc.wantMessage)
	})
}

// testerErrors runs the tester and returns its errors, joined; empty when
// the image is admitted.
func testerErrors(t *testing.T, tester, file, image string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := execCommand(ctx, tester, "--policy", file, "--image", image, "--log-level", "error")
	if err == nil {
		return ""
	}
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "policy-tester: %v %s", err, out)
	start := strings.Index(out, `{"errors"`)
	require.GreaterOrEqual(t, start, 0, out)
	var res struct{ Errors []string }
	require.NoError(t, json.NewDecoder(strings.NewReader(out[start:])).Decode(&res), out)
	require.NotEmpty(t, res.Errors, out)
	return strings.Join(res.Errors, "; ")
}

// copyByDigest copies image to repo and returns it there, by digest.
func copyByDigest(t *testing.T, image, repo string) string {
	t.Helper()
	copyTo(t, image, repo, "copy")
	d, err := name.NewDigest(image)
	require.NoError(t, err)
	return repo + "@" + d.DigestStr()
}

// execCommand runs a command and returns its standard output, and its
// standard error after it when the command fails.
func execCommand(ctx context.Context, name string, args ...string) (string, error) {
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.String() + "\n" + stderr.String(), err
	}
	return out.String(), nil
}
