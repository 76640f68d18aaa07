package inventory

import (
	"strings"

	"github.com/paved-dev/paved/fleet/pin"
)

// Matches answers "which services use this base image?", in their sources
// and in what is deployed.
type Matches struct {
	// UsesBase is the question: REPO[:TAG][@DIGEST] (REPO may be a suffix
	// such as python-base) or a bare digest.
	UsesBase string          `json:"usesBase"`
	Sources  []SourceMatch   `json:"sources"`
	Deployed []DeployedMatch `json:"deployed"`
}

// SourceMatch is a base image named in a service's Dockerfile or paved.yaml.
type SourceMatch struct {
	Service string `json:"service"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Image   string `json:"image"`
}

// DeployedMatch is a deployed image built on the base.
type DeployedMatch struct {
	Service     string `json:"service"`
	Environment string `json:"environment"`
	Image       string `json:"image"`
	Digest      string `json:"digest"`
	Base        string `json:"base"`
	BaseDigest  string `json:"baseDigest,omitempty"`
}

// UsesBase answers which services use the base image q, and records the
// answer in inv.Query. Services are in name order, environments sorted.
func (inv *Inventory) UsesBase(q string) *Matches {
	m := &Matches{UsesBase: q, Sources: []SourceMatch{}, Deployed: []DeployedMatch{}}
	for _, s := range inv.Services {
		for _, b := range s.Bases {
			if matchImage(q, b.Image(), b.Digest) {
				m.Sources = append(m.Sources, SourceMatch{Service: s.Name, File: b.File, Line: b.Line, Image: b.Image()})
			}
		}
		for _, d := range s.Deployed {
			if d.Base != "" && matchImage(q, d.Base, d.BaseDigest) {
				m.Deployed = append(m.Deployed, DeployedMatch{Service: s.Name, Environment: d.Environment, Image: d.Image, Digest: d.Digest, Base: d.Base, BaseDigest: d.BaseDigest})
			}
		}
	}
	inv.Query = m
	return m
}

// matchImage reports whether image (with its resolved digest, if known)
// is the base q: same repository or a repository ending in /q's, same tag
// when q has one, same digest when q has one.
func matchImage(q, image, digest string) bool {
	if strings.HasPrefix(q, "sha256:") {
		_, _, d := pin.SplitImage(image)
		return q == digest || q == d
	}
	qRepo, qTag, qDigest := pin.SplitImage(q)
	repo, tag, d := pin.SplitImage(image)
	if repo != qRepo && !strings.HasSuffix(repo, "/"+qRepo) {
		return false
	}
	if qTag != "" && qTag != tag {
		return false
	}
	return qDigest == "" || qDigest == d || qDigest == digest
}
