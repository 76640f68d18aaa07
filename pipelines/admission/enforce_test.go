//go:build admission

// The exported policies, enforced by the real enforcers: the Kyverno CLI
// (kyverno apply --registry) on Pods and Deployments, and Sigstore
// policy-controller's tester, against images in a loopback registry that
// went through paved run build-scan-deploy or paved's own sign and attest
// steps. Run with -tags admission (make admission-test): the tools come
// from hack/tools.sh; the tests fail, never skip, when a tool cannot run.

package admission_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/admission"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/policy"
)

// admissionCase is one image the policies of an environment admit or
// refuse.
type admissionCase struct {
	name   string
	image  string
	env    string // prod when empty
	policy string // key of the policy variant the export is made from
	// want is the rule that must refuse the image; empty is admitted.
	want string
	// wantIVPOL is what Kyverno 1.19.1 does with the ImageValidatingPolicy
	// when it differs from want: its verifyAttestationSignatures ignores
	// insecureIgnoreTlog (kyverno/kyverno#17109, fix pending in #17217), so
	// every attestation paved signed offline fails to verify and the first
	// attestation rule refuses the image.
	wantIVPOL string
	// wantTester is what policy-controller does when it differs from want.
	wantTester string
	// wantMessage is in the refusal's message, as written in the policy.
	wantMessage string
}

func TestAdmissionByTheEnforcers(t *testing.T) {
	kyverno, tester := tool(t, "kyverno"), tool(t, "policy-tester")
	c := newCluster(t)
	admitted := c.pipeline(t)
	yesterday, tomorrow := time.Now().Add(-24*time.Hour).UTC(), time.Now().Add(24*time.Hour).UTC()
	staticTag := c.host + "/platform/static:1"
	// A reason with what each policy language quotes or substitutes.
	const reason = `CVE-2026-4242 in ca-certificates ('critical', "see {{ advisory }}", C:\fix)`
	// Denials of other bases, which must not refuse go-api.
	others := []policy.Denial{
		{Image: "sha256:" + strings.Repeat("b", 64), Reason: "a known-bad build"},
		{Image: c.host + "/platform/node-base:*", Reason: "node 18 is end of life", From: yesterday.Format(time.RFC3339)},
		{Image: c.host + "/platform/static:0", Reason: "an old tag"},
	}
	policies := map[string]*policy.Policy{
		"base": basePolicy(c, others...),
		"denied": basePolicy(c, append(others, policy.Denial{Image: staticTag, Reason: reason,
			From: yesterday.Format(time.RFC3339), Replacement: c.host + "/platform/static:2"})...),
		"denied later":     basePolicy(c, append(others, policy.Denial{Image: staticTag, Reason: "CVE-2026-4242 in ca-certificates", From: tomorrow.Format(time.RFC3339)})...),
		"denied by digest": basePolicy(c, append(others, policy.Denial{Image: c.base, Reason: "a broken CA bundle"})...),
	}
	const bug17109 = admission.RuleVulnerabilityScan
	cases := []admissionCase{
		{name: "built by build-scan-deploy", image: admitted, policy: "base", wantIVPOL: bug17109},
		{name: "unsigned", image: c.push(t, "services/go-api"), policy: "base", want: admission.RuleSignature},
		{name: "signed with another key", image: c.attested(t, c.other, true, time.Now()), policy: "base", want: admission.RuleSignature},
		{name: "failed scan", image: c.attested(t, c.key, false, time.Now()), policy: "base", want: admission.RuleVulnerabilityScan},
		{name: "scan older than max_scan_age", image: c.attested(t, c.key, true, time.Now().Add(-10*24*time.Hour)), policy: "base", want: admission.RuleScanAge, wantIVPOL: bug17109},
		// A rescan adds an attestation. ClusterPolicy requires every
		// attestation of the type to pass; policy-controller any of them;
		// the ImageValidatingPolicy judges the last one (with #17109 fixed).
		{name: "stale scan and a fresh rescan", image: c.rescanned(t, c.attested(t, c.key, true, time.Now().Add(-10*24*time.Hour)), true, time.Now()),
			policy: "base", want: admission.RuleScanAge, wantIVPOL: bug17109, wantTester: "-"},
		{name: "passed scan and a failed rescan", image: c.rescanned(t, c.attested(t, c.key, true, time.Now().Add(-time.Hour)), false, time.Now()),
			policy: "base", want: admission.RuleVulnerabilityScan, wantIVPOL: bug17109, wantTester: "-"},
		{name: "denied base after its date", image: admitted, policy: "denied", want: admission.RuleDeniedBase, wantIVPOL: bug17109,
			wantMessage: reason + "; rebuild on " + c.host + "/platform/static:2"},
		{name: "denied base before its date", image: admitted, policy: "denied later", wantIVPOL: bug17109},
		{name: "base denied by digest", image: admitted, policy: "denied by digest", want: admission.RuleDeniedBase, wantIVPOL: bug17109},
		{name: "base from outside the allowed repositories", policy: "base", want: admission.RuleBaseAllowed, wantIVPOL: bug17109,
			image: c.attestedOn(t, c.key, true, time.Now(), c.host+"/other/base@sha256:"+strings.Repeat("c", 64), c.host+"/other/base:1")},
		// policy-controller's mutating webhook pins a tag to its digest
		// before its validating webhook checks it: the tag is resolved and
		// the digest admitted, never refused (wantTester "-": admitted).
		{name: "tag instead of digest", image: copyTo(t, admitted, c.host+"/services/go-api", "1.0"), policy: "base", want: admission.RuleDigest, wantTester: "-"},
		{name: "repository outside the allowed list", image: copyByDigest(t, admitted, c.host+"/other/go-api"), policy: "base", want: admission.RuleRepository},
	}
	// dev has no gates: any digest of a service's repository runs there.
	unsigned := cases[1].image
	cases = append(cases,
		admissionCase{name: "dev: an unsigned digest", image: unsigned, env: "dev", policy: "base"},
		admissionCase{name: "dev: a tag", image: cases[len(cases)-2].image, env: "dev", policy: "base", want: admission.RuleDigest, wantTester: "-"},
		admissionCase{name: "dev: another repository", image: cases[len(cases)-1].image, env: "dev", policy: "base", want: admission.RuleRepository},
	)
	t.Run("kyverno-clusterpolicy", func(t *testing.T) {
		for _, tc := range cases {
			tc.wantIVPOL = ""
			runKyverno(t, kyverno, c.export(t, "kyverno-clusterpolicy", policies[tc.policy], tc.env), tc)
		}
	})
	t.Run("kyverno", func(t *testing.T) {
		for _, tc := range cases {
			if tc.wantIVPOL != "" {
				tc.want, tc.wantMessage = tc.wantIVPOL, ""
			}
			runKyverno(t, kyverno, c.export(t, "kyverno", policies[tc.policy], tc.env), tc)
		}
	})
	t.Run("policy-controller", func(t *testing.T) {
		for _, tc := range cases {
			if tc.wantTester == "-" {
				tc.want = ""
			}
			runTester(t, tester, c.export(t, "policy-controller", policies[tc.policy], tc.env), tc)
		}
	})
}

// basePolicy is the platform policy of the cluster: the platform's bases,
// and denied.
func basePolicy(c *cluster, denied ...policy.Denial) *policy.Policy {
	return &policy.Policy{APIVersion: policy.APIVersion, Kind: "PlatformPolicy", Bases: policy.Bases{Allowed: []string{c.host + "/platform/*"}, Denied: denied}}
}

// export renders env's policies (prod's when empty) from the GitOps work
// tree and p, and returns env's file.
func (c *cluster) export(t *testing.T, format string, p *policy.Policy, env string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.gitops, deploy.ConfigFile))
	require.NoError(t, err)
	cfg, err := deploy.ParseConfig(data)
	require.NoError(t, err)
	if env == "" {
		env = "prod"
	}
	rules, err := admission.Derive(cfg, p, repoFiles(c.gitops), admission.WithEnvironments(env))
	require.NoError(t, err)
	files, err := admission.Render(rules, format)
	require.NoError(t, err)
	dir := t.TempDir()
	for _, f := range files {
		writeFile(t, filepath.Join(dir, f.Path), string(f.Data))
	}
	return filepath.Join(dir, env+".yaml")
}

// tool returns the path of a pinned tool, building it once (hack/tools.sh).
func tool(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	out, err := execCommand(ctx, filepath.Join("..", "..", "hack", "tools.sh"), name)
	require.NoError(t, err, "hack/tools.sh %s: %s", name, out)
	return strings.TrimSpace(out)
}
