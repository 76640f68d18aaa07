package admission

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/sign"
)

// celRules builds an ImageValidatingPolicy's variables and validations.
// Each rule is a variable listing the images it refuses and a validation
// that the list is empty, whose message names the rule and the images. A
// rule only looks at the images every earlier check let through (pinned,
// from a service's repository, with the attestation it reads), so that a
// refusal names the rule that failed first, never a follow-on error.
type celRules struct {
	e    Environment
	b    Bases
	vars []namedExpression
	vals []ivpolValidation
}

func newCELRules(e Environment, b Bases) *celRules { return &celRules{e: e, b: b} }

// rule adds variable name = expr, refused when not empty.
func (c *celRules) rule(rule, name, expr, text string) {
	c.vars = append(c.vars, namedExpression{Name: name, Expression: expr})
	c.vals = append(c.vals, ivpolValidation{
		Expression:        fmt.Sprintf("size(variables.%s) == 0", name),
		MessageExpression: fmt.Sprintf("%s + variables.%s.join(\", \") + %s", celString(rule+": "), name, celString(": "+text)),
	})
}

func (c *celRules) build() ([]namedExpression, []ivpolValidation, error) {
	c.vars = append(c.vars, namedExpression{Name: "allImages", Expression: "object.spec.?containers.orValue([]).map(c, c.image) + " +
		"object.spec.?initContainers.orValue([]).map(c, c.image) + object.spec.?ephemeralContainers.orValue([]).map(c, c.image)"})
	c.rule(RuleDigest, "unpinned", "variables.allImages.filter(i, !i.matches(\"@sha256:[0-9a-f]{64}$\"))", digestText)
	c.rule(RuleRepository, "foreign", fmt.Sprintf("variables.allImages.filter(i, !(%s))", celRepositories(c.e.Repositories)), c.e.repositoryText())
	if c.e.Key == nil {
		return c.vars, c.vals, nil
	}
	// images holds what matchImageReferences let through: the services'
	// repositories, by digest.
	c.vars = append(c.vars, namedExpression{Name: "checked",
		Expression: "(images.containers + images.initContainers + images.ephemeralContainers).filter(i, !(i in variables.unpinned))"})
	c.rule(RuleSignature, "unsigned", "variables.checked.filter(i, verifyImageSignatures(i, [attestors.paved]) == 0)", c.e.signatureText())
	if c.e.Vulnerability {
		c.vulnerability()
	}
	c.rule(RuleProvenance, "unproven", "variables.checked.filter(i, verifyAttestationSignatures(i, attestations.provenance, [attestors.paved]) == 0)", c.e.provenanceText())
	return c.vars, c.vals, c.bases()
}

// vulnerability adds the scan verdict and age rules.
func (c *celRules) vulnerability() {
	c.rule(RuleVulnerabilityScan, "unscanned", "variables.checked.filter(i, verifyAttestationSignatures(i, attestations.vuln, [attestors.paved]) == 0 || "+
		"extractPayload(i, attestations.vuln).?predicate.?scanner.?result.?gate.?passed.orValue(false) != true)", c.e.vulnerabilityText())
	if c.e.MaxScanAge <= 0 {
		return
	}
	c.rule(RuleScanAge, "stale", fmt.Sprintf("variables.checked.filter(i, !(i in variables.unscanned) && "+
		"time.now() - timestamp(extractPayload(i, attestations.vuln).?predicate.?metadata.?scanFinishedOn.orValue(\"1970-01-01T00:00:00Z\")) > duration(%s))",
		celString(goDuration(c.e.MaxScanAge))), c.e.scanAgeText())
}

// bases adds the rules on the provenance's base image.
func (c *celRules) bases() error {
	const proven = "variables.checked.filter(i, !(i in variables.unproven) && "
	if len(c.b.Allowed) > 0 {
		re, err := globRegexp(c.b.Allowed)
		if err != nil {
			return err
		}
		c.rule(RuleBaseAllowed, "foreignBase", proven+celBases+fmt.Sprintf(".exists(d, !d.?uri.orValue(\"\").matches(%s)))", celString("^oci://"+re+"$")), baseAllowedText(c.b))
	}
	for i, d := range c.b.Denied {
		expr := proven + celBases + ".exists(d, " + celDenial(d.Target) + "))"
		if !d.From.IsZero() {
			expr = fmt.Sprintf("time.now() < timestamp(%s) ? [] : %s", celString(d.From.Format(time.RFC3339)), expr)
		}
		c.rule(RuleDeniedBase, "deniedBase"+strconv.Itoa(i), expr, d.text())
	}
	return nil
}

// celBases lists the base-image dependencies of image i's provenance.
var celBases = "extractPayload(i, attestations.provenance).?predicate.?buildDefinition.?resolvedDependencies.orValue([]).filter(d, d.?name.orValue(\"\") == " + celString(sign.BaseImageDependency) + ")"

// celDenial matches a base-image dependency d against a denial.
func celDenial(t policy.Target) string {
	var conds []string
	if t.Repository != "" {
		conds = append(conds, "d.?uri.orValue(\"\") == "+celString("oci://"+t.Repository))
	}
	if t.Digest != "" {
		conds = append(conds, "d.?digest.?sha256.orValue(\"\") == "+celString(strings.TrimPrefix(t.Digest, "sha256:")))
	}
	if t.Tag != "" {
		conds = append(conds, fmt.Sprintf("d.?annotations[?%s].orValue(\"\") == %s", celString(sign.BaseImageNameAnnotation), celString(t.Repository+":"+t.Tag)))
	}
	return strings.Join(conds, " && ")
}

// celRepositories matches image i against the repositories, by digest or
// by tag.
func celRepositories(repos []string) string {
	alts := make([]string, 0, 2*len(repos))
	for _, r := range repos {
		alts = append(alts, fmt.Sprintf("i.startsWith(%s) || i.startsWith(%s)", celString(r+"@"), celString(r+":")))
	}
	return strings.Join(alts, " || ")
}

// celString quotes s as a CEL string literal (CEL accepts Go's escapes).
func celString(s string) string { return strconv.Quote(s) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
