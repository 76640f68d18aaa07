package admission

import (
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/deploy"
)

// What each rule says after its name and the images it refused: what
// failed and what would make it pass. The same words in every format.

const digestText = "not pinned by digest: deploy REPOSITORY@sha256:… as paved deploy bump and promote write it"

func (e Environment) repositoryText() string {
	return fmt.Sprintf("not from the repository of a service in %s (%s): deploy the image of a service, or add the service there", deploy.ConfigFile, strings.Join(e.Repositories, ", "))
}

func (e Environment) signatureText() string {
	return fmt.Sprintf("not signed with the %s key (%s): deploy a digest paved signed with it (paved run build-scan-deploy, or paved sign)", e.Name, e.Key.Ref)
}

func (e Environment) vulnerabilityText() string {
	return fmt.Sprintf("no vulnerability attestation signed with the %s key whose gate passed: fix or ignore the findings, rescan and attest (paved run build-scan-deploy, or paved scan and paved attest --scan-report)", e.Name)
}

func (e Environment) scanAgeText() string {
	return fmt.Sprintf("vulnerability scan older than the %s maximum scan age %s: rescan and attest (paved scan and paved attest --scan-report)", e.Name, humanAge(e.MaxScanAge))
}

func (e Environment) provenanceText() string {
	return fmt.Sprintf("no SLSA provenance signed with the %s key: build and attest it with paved run build-scan-deploy", e.Name)
}

func baseAllowedText(b Bases) string {
	return fmt.Sprintf("built on a base image from outside the allowed repositories of the platform policy (%s): rebuild on an approved base", strings.Join(b.Allowed, ", "))
}

func (d DeniedBase) text() string {
	s := "built on the denied base image " + d.Image
	if !d.From.IsZero() {
		s += " (denied from " + d.From.Format(time.RFC3339) + ")"
	}
	s += ": " + d.Reason
	if d.Replacement != "" {
		s += "; rebuild on " + d.Replacement
	}
	return s
}

// humanAge writes d as paved-gitops.yaml would: whole days as "7d".
func humanAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return goDuration(d)
}

// goDuration writes d for a duration parser (CEL duration(), Kyverno's
// Duration operators): whole hours as "168h".
func goDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
