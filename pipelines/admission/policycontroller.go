package admission

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/sign"
)

// policyControllerFormat renders Sigstore policy-controller's
// ClusterImagePolicy (policy.sigstore.dev/v1beta1): per environment one
// policy per check (signature, vulnerability scan, provenance), since an
// image must pass every policy whose images match it, and a Rego policy
// (its type "rego") per attestation. policy-controller refuses images that
// match no policy only with no-match-policy: deny, so the export carries
// that setting too. It cannot scope a policy to namespaces: every policy
// applies in each namespace labelled policy.sigstore.dev/include=true, so
// an environment is either a cluster of its own or a label selector.
type policyControllerFormat struct{}

func init() { register(policyControllerFormat{}) }

func (policyControllerFormat) Name() string { return "policy-controller" }

// policyControllerConfig is the file of a policy-controller export that
// holds the controller's configuration (no-match-policy: deny).
const policyControllerConfig = "config-policy-controller.yaml"

// badScope refuses an environment scoped to namespaces.
func badScope(e Environment) error {
	return failure.BadInputErr(fmt.Errorf("environment %q is scoped to namespaces %s, and policy-controller applies every ClusterImagePolicy in every namespace labelled policy.sigstore.dev/include=true: scope it by labels, or give it the whole cluster (a cluster of its own)", e.Name, strings.Join(e.Scope.Namespaces, ", ")))
}

func (f policyControllerFormat) Render(r *Rules) ([]File, error) {
	files := []File{}
	for _, e := range r.Environments {
		if len(e.Scope.Namespaces) > 0 {
			return nil, badScope(e)
		}
		objs, err := cipsOf(e, r.Bases)
		if err != nil {
			return nil, err
		}
		data, err := encode(f.Name(), objs...)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: e.Name + ".yaml", Data: data})
	}
	data, err := encode(f.Name(), object{APIVersion: "v1", Kind: "ConfigMap",
		Metadata: meta{Name: "config-policy-controller", Namespace: "cosign-system", Labels: managedBy},
		Data:     map[string]string{"no-match-policy": "deny"}})
	if err != nil {
		return nil, err
	}
	return append(files, File{Path: policyControllerConfig, Data: data}), nil
}

type cipSpec struct {
	Mode        string              `yaml:"mode"`
	Images      []map[string]string `yaml:"images"`
	Authorities []cipAuthority      `yaml:"authorities"`
	Match       []cipMatch          `yaml:"match,omitempty"`
}

type cipAuthority struct {
	Name         string            `yaml:"name"`
	Key          map[string]string `yaml:"key,omitempty"`
	Static       map[string]string `yaml:"static,omitempty"`
	Attestations []cipAttestation  `yaml:"attestations,omitempty"`
}

type cipAttestation struct {
	Name          string            `yaml:"name"`
	PredicateType string            `yaml:"predicateType"`
	Policy        map[string]string `yaml:"policy"`
}

type cipMatch struct {
	Group    string         `yaml:"group"`
	Version  string         `yaml:"version"`
	Resource string         `yaml:"resource"`
	Selector *labelSelector `yaml:"selector,omitempty"`
}

// cipsOf are one environment's ClusterImagePolicies.
func cipsOf(e Environment, b Bases) ([]object, error) {
	cip := func(suffix string, a cipAuthority) object {
		spec := cipSpec{Mode: "enforce", Authorities: []cipAuthority{a}, Match: cipMatches(e.Scope.Labels)}
		for _, r := range e.Repositories {
			spec.Images = append(spec.Images, map[string]string{"glob": r + "@*"}, map[string]string{"glob": r + ":*"})
		}
		return object{APIVersion: "policy.sigstore.dev/v1beta1", Kind: "ClusterImagePolicy", Metadata: newMeta(policyName(e.Name, suffix), e.Name), Spec: spec}
	}
	if e.Key == nil {
		// The repositories are the allow list; no-match-policy: deny
		// refuses the rest.
		return []object{cip("repository", cipAuthority{Name: RuleRepository, Static: map[string]string{"action": "pass"}})}, nil
	}
	key := map[string]string{"data": e.Key.PEM, "hashAlgorithm": "sha256"}
	if e.Key.KMS != "" {
		key = map[string]string{"kms": e.Key.KMS, "hashAlgorithm": "sha256"}
	}
	objs := []object{cip("signature", cipAuthority{Name: RuleSignature, Key: key})}
	if e.Vulnerability {
		objs = append(objs, cip("vulnerability-scan", cipAuthority{Name: RuleVulnerabilityScan, Key: key, Attestations: []cipAttestation{{
			Name: "vuln", PredicateType: sign.PredicateVuln, Policy: map[string]string{"type": "rego", "data": regoVuln(e)}}}}))
	}
	prov, err := regoProvenance(b)
	if err != nil {
		return nil, err
	}
	return append(objs, cip("provenance", cipAuthority{Name: RuleProvenance, Key: key, Attestations: []cipAttestation{{
		Name: "provenance", PredicateType: sign.PredicateProvenance, Policy: map[string]string{"type": "rego", "data": prov}}}})), nil
}

// cipMatches limits a policy to objects carrying labels (the pod and its
// controllers); nil is every object of the included namespaces.
func cipMatches(labels map[string]string) []cipMatch {
	if len(labels) == 0 {
		return nil
	}
	var out []cipMatch
	for _, r := range [][3]string{{"", "v1", "pods"}, {"apps", "v1", "deployments"}, {"apps", "v1", "statefulsets"}, {"apps", "v1", "daemonsets"},
		{"apps", "v1", "replicasets"}, {"batch", "v1", "jobs"}, {"batch", "v1", "cronjobs"}} {
		out = append(out, cipMatch{Group: r[0], Version: r[1], Resource: r[2], Selector: &labelSelector{MatchLabels: labels}})
	}
	return out
}

// regoVuln passes a vulnerability statement whose gate passed and, with a
// maximum age, whose scan finished within it.
func regoVuln(e Environment) string {
	fresh := "fresh { true }"
	if e.MaxScanAge > 0 {
		fresh = fmt.Sprintf("fresh {\n\ttime.now_ns() - time.parse_rfc3339_ns(input.predicate.metadata.scanFinishedOn) <= %d\n}", e.MaxScanAge.Nanoseconds())
	}
	return fmt.Sprintf(`package sigstore

default passed = false
passed {
	input.predicate.scanner.result.gate.passed == true
}

default fresh = false
%s

isCompliant[r] {
	passed
	fresh
	r := {"result": true, "error": "", "warning": ""}
}

isCompliant[r] {
	not passed
	r := {"result": false, "error": %s, "warning": ""}
}

isCompliant[r] {
	passed
	not fresh
	r := {"result": false, "error": %s, "warning": ""}
}
`, fresh, regoString(RuleVulnerabilityScan+": "+e.vulnerabilityText()), regoString(RuleScanAge+": "+e.scanAgeText()))
}

// regoProvenance passes a provenance statement whose base images are from
// an allowed repository and not denied as of now.
func regoProvenance(b Bases) (string, error) {
	var s strings.Builder
	s.WriteString(`package sigstore

bases[d] {
	d := input.predicate.buildDefinition.resolvedDependencies[_]
	d.name == ` + regoString(sign.BaseImageDependency) + `
}
`)
	if len(b.Allowed) > 0 {
		re, err := globRegexp(b.Allowed)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&s, "\nforeign[d.uri] {\n\tbases[d]\n\tnot regex.match(%s, d.uri)\n}\n", regoString("^oci://"+re+"$"))
	} else {
		s.WriteString("\nforeign := set()\n")
	}
	for _, d := range b.Denied {
		s.WriteString("\ndenials[" + regoString(RuleDeniedBase+": "+d.text()) + "] {\n")
		if !d.From.IsZero() {
			fmt.Fprintf(&s, "\ttime.now_ns() >= %d\n", d.From.UnixNano())
		}
		s.WriteString("\tbases[d]\n" + regoMatch(d.Target) + "}\n")
	}
	if len(b.Denied) == 0 {
		s.WriteString("\ndenials := set()\n")
	}
	fmt.Fprintf(&s, `
isCompliant[r] {
	count(foreign) == 0
	count(denials) == 0
	r := {"result": true, "error": "", "warning": ""}
}

isCompliant[r] {
	count(foreign) > 0
	r := {"result": false, "error": sprintf("%%s: %%s: %%s", [%s, concat(", ", foreign), %s]), "warning": ""}
}

isCompliant[r] {
	count(foreign) == 0
	count(denials) > 0
	r := {"result": false, "error": concat("; ", denials), "warning": ""}
}
`, regoString(RuleBaseAllowed), regoString(baseAllowedText(b)))
	return s.String(), nil
}

// regoMatch is the body lines matching dependency d against a target.
func regoMatch(t policy.Target) string {
	var s strings.Builder
	if t.Repository != "" {
		fmt.Fprintf(&s, "\td.uri == %s\n", regoString("oci://"+t.Repository))
	}
	if t.Digest != "" {
		fmt.Fprintf(&s, "\td.digest.sha256 == %s\n", regoString(strings.TrimPrefix(t.Digest, "sha256:")))
	}
	if t.Tag != "" {
		fmt.Fprintf(&s, "\td.annotations[%s] == %s\n", regoString(sign.BaseImageNameAnnotation), regoString(t.Repository+":"+t.Tag))
	}
	return s.String()
}

// regoString quotes s as a Rego string (JSON syntax).
func regoString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
