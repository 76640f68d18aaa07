package admission

import (
	"fmt"

	"github.com/paved-dev/paved/pipelines/sign"
)

// kyvernoFormat renders Kyverno's ImageValidatingPolicy
// (policies.kyverno.io/v1, Kyverno 1.15 and later): one policy per
// environment whose CEL validations are paved's rules, in order.
type kyvernoFormat struct{}

func init() { register(kyvernoFormat{}) }

func (kyvernoFormat) Name() string { return "kyverno" }

func (f kyvernoFormat) Render(r *Rules) ([]File, error) {
	files := make([]File, 0, len(r.Environments))
	for _, e := range r.Environments {
		spec, err := ivpolSpecOf(e, r.Bases)
		if err != nil {
			return nil, err
		}
		data, err := encode(f.Name(), object{
			APIVersion: "policies.kyverno.io/v1", Kind: "ImageValidatingPolicy",
			Metadata: newMeta(policyName(e.Name, ""), e.Name), Spec: spec,
		})
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: e.Name + ".yaml", Data: data})
	}
	return files, nil
}

type ivpolSpec struct {
	ValidationActions        []string            `yaml:"validationActions"`
	FailurePolicy            string              `yaml:"failurePolicy"`
	WebhookConfiguration     map[string]int      `yaml:"webhookConfiguration"`
	MatchConstraints         ivpolMatch          `yaml:"matchConstraints"`
	MatchConditions          []namedExpression   `yaml:"matchConditions,omitempty"`
	ValidationConfigurations map[string]bool     `yaml:"validationConfigurations"`
	MatchImageReferences     []map[string]string `yaml:"matchImageReferences"`
	Attestors                []ivpolAttestor     `yaml:"attestors"`
	Attestations             []ivpolAttestation  `yaml:"attestations,omitempty"`
	Variables                []namedExpression   `yaml:"variables"`
	Validations              []ivpolValidation   `yaml:"validations"`
}

type ivpolMatch struct {
	ResourceRules     []resourceRule `yaml:"resourceRules"`
	NamespaceSelector *labelSelector `yaml:"namespaceSelector,omitempty"`
}

type resourceRule struct {
	APIGroups   []string `yaml:"apiGroups"`
	APIVersions []string `yaml:"apiVersions"`
	Operations  []string `yaml:"operations"`
	Resources   []string `yaml:"resources"`
}

type namedExpression struct {
	Name       string `yaml:"name"`
	Expression string `yaml:"expression"`
}

type ivpolAttestor struct {
	Name   string      `yaml:"name"`
	Cosign ivpolCosign `yaml:"cosign"`
}

type ivpolCosign struct {
	Key   map[string]string `yaml:"key"`
	CTLog map[string]bool   `yaml:"ctlog"`
}

type ivpolAttestation struct {
	Name   string            `yaml:"name"`
	InToto map[string]string `yaml:"intoto"`
}

type ivpolValidation struct {
	Expression        string `yaml:"expression"`
	MessageExpression string `yaml:"messageExpression"`
}

// ivpolSpecOf is the policy of one environment. Pods are matched; Kyverno
// generates the rules for their controllers (Deployments, Jobs, …) and
// rewrites object.spec and object.metadata to the pod template.
func ivpolSpecOf(e Environment, b Bases) (ivpolSpec, error) {
	s := ivpolSpec{
		ValidationActions: []string{"Deny"}, FailurePolicy: "Fail",
		WebhookConfiguration: map[string]int{"timeoutSeconds": 30},
		MatchConstraints: ivpolMatch{ResourceRules: []resourceRule{{
			APIGroups: []string{""}, APIVersions: []string{"v1"}, Operations: []string{"CREATE", "UPDATE"}, Resources: []string{"pods"},
		}}},
		// paved's own rules check digests and verification, so that each
		// refusal names its rule; Kyverno must not rewrite tags.
		ValidationConfigurations: map[string]bool{"mutateDigest": false, "verifyDigest": false, "required": false},
		// The CRD requires attestors, even where there is no key.
		Attestors: []ivpolAttestor{},
	}
	if ns := e.Scope.namespaces(e.Name); len(ns) > 0 {
		s.MatchConstraints.NamespaceSelector = namespaceSelector(ns)
	}
	if len(e.Scope.Labels) > 0 {
		s.MatchConditions = []namedExpression{{Name: "paved-environment", Expression: celLabels(e.Scope.Labels)}}
	}
	for _, repo := range e.Repositories {
		s.MatchImageReferences = append(s.MatchImageReferences, map[string]string{"glob": repo + "@sha256:*"}, map[string]string{"glob": repo + ":*@sha256:*"})
	}
	if e.Key == nil {
		// Nothing to verify: Kyverno must not fetch any image (no
		// references at all would match every one).
		s.MatchImageReferences = []map[string]string{{"expression": "false"}}
	}
	c := newCELRules(e, b)
	if e.Key != nil {
		s.Attestors = []ivpolAttestor{{Name: "paved", Cosign: ivpolCosign{Key: ivpolKey(e.Key), CTLog: map[string]bool{"insecureIgnoreTlog": true, "insecureIgnoreSCT": true}}}}
		s.Attestations = []ivpolAttestation{{Name: "provenance", InToto: map[string]string{"type": sign.PredicateProvenance}}}
		if e.Vulnerability {
			s.Attestations = append([]ivpolAttestation{{Name: "vuln", InToto: map[string]string{"type": sign.PredicateVuln}}}, s.Attestations...)
		}
	}
	vars, vals, err := c.build()
	if err != nil {
		return s, err
	}
	s.Variables, s.Validations = vars, vals
	return s, nil
}

// ivpolKey is the attestor's key: inline PEM or a KMS URI.
func ivpolKey(k *Key) map[string]string {
	if k.KMS != "" {
		return map[string]string{"kms": k.KMS}
	}
	return map[string]string{"data": k.PEM}
}

// namespaceSelector selects namespaces by name (the label Kubernetes sets
// on every namespace).
func namespaceSelector(names []string) *labelSelector {
	return &labelSelector{MatchExpressions: []selectorExpr{{Key: "kubernetes.io/metadata.name", Operator: "In", Values: names}}}
}

// celLabels is a match condition: the object (the pod, or a controller's
// pod template once Kyverno rewrote it) carries every label.
func celLabels(labels map[string]string) string {
	expr := "has(object.metadata.labels)"
	for _, k := range sortedKeys(labels) {
		expr += fmt.Sprintf(" && object.metadata.labels[?%s].orValue(\"\") == %s", celString(k), celString(labels[k]))
	}
	return expr
}
