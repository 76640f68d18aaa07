package admission

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
)

// globRegexp translates repository globs, as the platform policy's
// bases.allowed writes them, into one RE2 group (anchor it to use it) with the
// meaning of the policy's own check: * and ? as in path.Match (never
// crossing a /), and a glob ending in "/*" also matching deeper paths.
// The enforcers' languages (CEL, JMESPath, Rego) all match RE2, not
// path.Match. Character classes and escapes are refused: no repository
// name needs them, and an approximate translation could allow more than
// the policy does.
func globRegexp(globs []string) (string, error) {
	alts := make([]string, 0, len(globs))
	for _, g := range globs {
		if strings.ContainsAny(g, `[]\`) {
			return "", failure.BadInputErr(fmt.Errorf("platform policy bases.allowed %q: character classes and escapes cannot be exported to admission policies: write the repositories with * and ?", g))
		}
		alts = append(alts, globBody(g))
		if prefix, ok := strings.CutSuffix(g, "*"); ok && strings.HasSuffix(prefix, "/") {
			// The policy compares this prefix literally.
			alts = append(alts, regexp.QuoteMeta(prefix)+".+")
		}
	}
	return "(" + strings.Join(alts, "|") + ")", nil
}

// globBody translates one glob of * and ? into RE2, without anchors.
func globBody(g string) string {
	var b strings.Builder
	for _, c := range g {
		switch c {
		case '*':
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}
