package admission

import (
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/sign"
)

// clusterPolicyFormat renders Kyverno's ClusterPolicy (kyverno.io/v1) with
// validate and verifyImages rules, for clusters on Kyverno before the
// ImageValidatingPolicy: one policy per environment, one rule per paved
// rule, named after it. Kyverno generates the rules of the pods'
// controllers.
type clusterPolicyFormat struct{}

func init() { register(clusterPolicyFormat{}) }

func (clusterPolicyFormat) Name() string { return "kyverno-clusterpolicy" }

func (f clusterPolicyFormat) Render(r *Rules) ([]File, error) {
	files := make([]File, 0, len(r.Environments))
	for _, e := range r.Environments {
		rules, err := cpolRules(e, r.Bases)
		if err != nil {
			return nil, err
		}
		m := newMeta(policyName(e.Name, ""), e.Name)
		m.Annotations["policies.kyverno.io/title"] = "paved: what may run in " + e.Name
		data, err := encode(f.Name(), object{
			APIVersion: "kyverno.io/v1", Kind: "ClusterPolicy", Metadata: m,
			Spec: cpolSpec{WebhookTimeoutSeconds: 30, FailurePolicy: "Fail", Rules: rules},
		})
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: e.Name + ".yaml", Data: data})
	}
	return files, nil
}

type cpolSpec struct {
	Background            bool       `yaml:"background"`
	WebhookTimeoutSeconds int        `yaml:"webhookTimeoutSeconds"`
	FailurePolicy         string     `yaml:"failurePolicy"`
	Rules                 []cpolRule `yaml:"rules"`
}

type cpolRule struct {
	Name          string        `yaml:"name"`
	Match         cpolMatch     `yaml:"match"`
	Preconditions *anyAll       `yaml:"preconditions,omitempty"`
	Validate      *cpolValidate `yaml:"validate,omitempty"`
	VerifyImages  []cpolVerify  `yaml:"verifyImages,omitempty"`
}

type cpolMatch struct {
	Any []map[string]cpolResources `yaml:"any"`
}

type cpolResources struct {
	Kinds      []string `yaml:"kinds"`
	Namespaces []string `yaml:"namespaces,omitempty"`
}

type anyAll struct {
	Any []condition `yaml:"any,omitempty"`
	All []condition `yaml:"all,omitempty"`
}

type condition struct {
	Key      string `yaml:"key"`
	Operator string `yaml:"operator"`
	Value    any    `yaml:"value"`
	Message  string `yaml:"message,omitempty"`
}

type cpolValidate struct {
	FailureAction string `yaml:"failureAction"`
	Message       string `yaml:"message"`
	Pattern       any    `yaml:"pattern"`
}

type cpolVerify struct {
	ImageReferences []string          `yaml:"imageReferences"`
	FailureAction   string            `yaml:"failureAction"`
	MutateDigest    bool              `yaml:"mutateDigest"`
	VerifyDigest    bool              `yaml:"verifyDigest"`
	Required        bool              `yaml:"required"`
	Attestors       []attestorSet     `yaml:"attestors,omitempty"`
	Attestations    []cpolAttestation `yaml:"attestations,omitempty"`
}

type attestorSet struct {
	Count   int              `yaml:"count"`
	Entries []map[string]any `yaml:"entries"`
}

type cpolAttestation struct {
	Type       string        `yaml:"type"`
	Attestors  []attestorSet `yaml:"attestors"`
	Conditions []anyAll      `yaml:"conditions,omitempty"`
}

// cpolRules are one environment's rules, in paved's order.
func cpolRules(e Environment, b Bases) ([]cpolRule, error) {
	base := cpolRule{Match: cpolMatch{Any: []map[string]cpolResources{{"resources": {Kinds: []string{"Pod"}, Namespaces: e.Scope.namespaces(e.Name)}}}}}
	if len(e.Scope.Labels) > 0 {
		base.Preconditions = &anyAll{}
		for _, k := range sortedKeys(e.Scope.Labels) {
			base.Preconditions.All = append(base.Preconditions.All, condition{
				Key: fmt.Sprintf("{{ request.object.metadata.labels.%s || '' }}", jmesIdent(k)), Operator: "Equals", Value: e.Scope.Labels[k]})
		}
	}
	rule := func(name string) cpolRule { r := base; r.Name = name; return r }
	digest, repos := rule(RuleDigest), rule(RuleRepository)
	digest.Validate = &cpolValidate{FailureAction: "Enforce", Message: kyvernoText(RuleDigest + ": image " + digestText), Pattern: podImages("*@sha256:*")}
	var alts []string
	for _, r := range e.Repositories {
		alts = append(alts, r+"@*", r+":*")
	}
	repos.Validate = &cpolValidate{FailureAction: "Enforce", Message: kyvernoText(RuleRepository + ": image " + e.repositoryText()), Pattern: podImages(strings.Join(alts, " | "))}
	rules := []cpolRule{digest, repos}
	if e.Key == nil {
		return rules, nil
	}
	v := cpolVerifier{e: e}
	sig := rule(RuleSignature)
	sig.VerifyImages = []cpolVerify{v.verify(nil)}
	rules = append(rules, sig)
	if e.Vulnerability {
		rules = append(rules, v.rule(rule(RuleVulnerabilityScan), sign.PredicateVuln, anyAll{All: []condition{{
			Key: "{{ scanner.result.gate.passed }}", Operator: "Equals", Value: true, Message: kyvernoText(RuleVulnerabilityScan + ": " + e.vulnerabilityText())}}}))
	}
	if e.Vulnerability && e.MaxScanAge > 0 {
		rules = append(rules, v.rule(rule(RuleScanAge), sign.PredicateVuln, anyAll{All: []condition{{
			Key: "{{ time_since('', '{{ metadata.scanFinishedOn }}', '') }}", Operator: "DurationLessThanOrEquals", Value: goDuration(e.MaxScanAge),
			Message: kyvernoText(RuleScanAge + ": " + e.scanAgeText())}}}))
	}
	rules = append(rules, v.rule(rule(RuleProvenance), sign.PredicateProvenance))
	if len(b.Allowed) > 0 {
		re, err := globRegexp(b.Allowed)
		if err != nil {
			return nil, err
		}
		rules = append(rules, v.rule(rule(RuleBaseAllowed), sign.PredicateProvenance, anyAll{All: []condition{{
			Key:      fmt.Sprintf("{{ length(%s && !regex_match(%s, uri)]) }}", jmesBases, jmesString("^oci://"+re+"$")),
			Operator: "Equals", Value: 0, Message: kyvernoText(RuleBaseAllowed + ": " + baseAllowedText(b))}}}))
	}
	if len(b.Denied) > 0 {
		var conds []anyAll
		for _, d := range b.Denied {
			conds = append(conds, jmesDenial(d))
		}
		rules = append(rules, v.rule(rule(RuleDeniedBase), sign.PredicateProvenance, conds...))
	}
	return rules, nil
}

// podImages is a pattern every container image of a pod must match.
func podImages(pattern string) map[string]any {
	c := []map[string]string{{"image": pattern}}
	return map[string]any{"spec": map[string]any{"=(ephemeralContainers)": c, "=(initContainers)": c, "containers": c}}
}

// cpolVerifier builds the verifyImages entries of an environment.
type cpolVerifier struct{ e Environment }

func (v cpolVerifier) verify(atts []cpolAttestation) cpolVerify {
	// By digest only: paved-digest refuses tags, which need not be
	// resolved for that.
	var refs []string
	for _, r := range v.e.Repositories {
		refs = append(refs, r+"@*", r+":*@*")
	}
	out := cpolVerify{ImageReferences: refs, FailureAction: "Enforce", Required: true, Attestations: atts}
	if len(atts) == 0 {
		out.Attestors = v.attestors()
	}
	return out
}

// rule makes r verify one attestation of predicateType under conditions.
func (v cpolVerifier) rule(r cpolRule, predicateType string, conds ...anyAll) cpolRule {
	r.VerifyImages = []cpolVerify{v.verify([]cpolAttestation{{Type: predicateType, Attestors: v.attestors(), Conditions: conds}})}
	return r
}

// attestors is the environment's key, offline: no transparency log.
func (v cpolVerifier) attestors() []attestorSet {
	keys := map[string]any{"rekor": map[string]any{"url": "https://rekor.sigstore.dev", "ignoreTlog": true}, "ctlog": map[string]any{"ignoreSCT": true}}
	if v.e.Key.KMS != "" {
		keys["kms"] = v.e.Key.KMS
	} else {
		keys["publicKeys"] = v.e.Key.PEM
	}
	return []attestorSet{{Count: 1, Entries: []map[string]any{{"keys": keys}}}}
}

// jmesBases is the start of a filter of the provenance's base-image
// dependencies; close it with "]".
var jmesBases = "buildDefinition.resolvedDependencies[?name==" + jmesString(sign.BaseImageDependency)

// jmesDenial passes when d has not started or the base is not d's.
func jmesDenial(d DeniedBase) anyAll {
	c := anyAll{Any: []condition{{Key: fmt.Sprintf("{{ length(%s && %s]) }}", jmesBases, jmesMatch(d.Target)), Operator: "Equals", Value: 0,
		Message: kyvernoText(RuleDeniedBase + ": " + d.text())}}}
	if !d.From.IsZero() {
		c.Any = append([]condition{{Key: fmt.Sprintf("{{ time_before('{{ time_now_utc() }}', %s) }}", jmesString(d.From.Format(time.RFC3339))), Operator: "Equals", Value: true}}, c.Any...)
	}
	return c
}

// jmesMatch matches a dependency against a denial's target.
func jmesMatch(t policy.Target) string {
	var conds []string
	if t.Repository != "" {
		conds = append(conds, "uri=="+jmesString("oci://"+t.Repository))
	}
	if t.Digest != "" {
		conds = append(conds, "digest.sha256=="+jmesString(strings.TrimPrefix(t.Digest, "sha256:")))
	}
	if t.Tag != "" {
		conds = append(conds, fmt.Sprintf("annotations.%s==%s", jmesIdent(sign.BaseImageNameAnnotation), jmesString(t.Repository+":"+t.Tag)))
	}
	return strings.Join(conds, " && ")
}

// kyvernoText escapes Kyverno's variables in a message, so that a reason
// written with {{ }} is shown as written.
func kyvernoText(s string) string { return strings.ReplaceAll(s, "{{", `\{{`) }

// jmesString quotes s as a JMESPath raw string literal, in which only a
// quote is escaped (a backslash stays as it is).
func jmesString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// jmesIdent quotes s as a JMESPath identifier.
func jmesIdent(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
