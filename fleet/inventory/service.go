package inventory

import (
	"context"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/mirror"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
)

// readService fetches one repository and collects its pins. Every failure
// ends up in the returned Service.
func readService(ctx context.Context, cache *mirror.Cache, s fleet.Service) Service {
	svc := Service{Name: s.Name, Repository: s.Repository, Tier: s.Tier, Team: s.Team}
	snap, err := cache.Fetch(ctx, s.Repository, s.Branch)
	if err != nil {
		svc.Name = or(svc.Name, fleet.RepoName(s.Repository))
		svc.Error, svc.ErrorKind = err.Error(), failure.KindOf(err).String()
		return svc
	}
	svc.Commit = snap.Commit
	files, err := snap.ReadFiles(pin.Wanted)
	if err != nil {
		svc.Name = or(svc.Name, fleet.RepoName(s.Repository))
		svc.Error, svc.ErrorKind = err.Error(), failure.KindOf(err).String()
		return svc
	}
	for _, f := range files {
		pins, err := pin.Scan(f.Path, f.Data)
		if err != nil {
			svc.Warnings = append(svc.Warnings, err.Error())
		}
		for _, p := range pins {
			switch p.Kind {
			case pin.Paved:
				svc.Pins = append(svc.Pins, p)
			case pin.Base:
				svc.Bases = append(svc.Bases, p)
			case pin.Module:
				svc.Modules = append(svc.Modules, p)
			}
		}
		if f.Path == "paved.yaml" && svc.Name == "" {
			svc.Name = serviceName(f.Data)
		}
	}
	svc.Name = or(svc.Name, fleet.RepoName(s.Repository))
	return svc
}

// serviceName reads the name (or gitops.service) of a root paved.yaml,
// which is the service's name in the GitOps repository.
func serviceName(data []byte) string {
	var c struct {
		Name   string `yaml:"name"`
		GitOps struct {
			Service string `yaml:"service"`
		} `yaml:"gitops"`
	}
	if yaml.Unmarshal(data, &c) != nil {
		return ""
	}
	return or(c.GitOps.Service, c.Name)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// describe names a pin's place for messages: file:line.
func describe(p pin.Pin) string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}
