package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/mirror"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/oci"
)

// GitOps is what the GitOps repository says is deployed.
type GitOps struct {
	Repository string `json:"repository"`
	Commit     string `json:"commit,omitempty"`
	// Environments is every environment of versions.yaml, sorted.
	Environments []string `json:"environments,omitempty"`
	// Unlisted are services deployed but not in the fleet.
	Unlisted []string `json:"unlisted,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// Deployment is what one environment of a service runs.
type Deployment struct {
	Environment  string `json:"environment"`
	Version      string `json:"version,omitempty"`
	Image        string `json:"image"`
	Digest       string `json:"digest"`
	PavedVersion string `json:"pavedVersion,omitempty"`
	DeployedAt   string `json:"deployedAt,omitempty"`
	// Locked is the reason of a rollback lock, which blocks bumps.
	Locked string `json:"locked,omitempty"`
	// Base and BaseDigest come from the image's annotations
	// (org.opencontainers.image.base.name and .digest); BaseError says why
	// they could not be read.
	Base       string `json:"base,omitempty"`
	BaseDigest string `json:"baseDigest,omitempty"`
	BaseError  string `json:"baseError,omitempty"`
}

// readGitOps reads versions.yaml and attaches each record to its service.
func readGitOps(ctx context.Context, cache *mirror.Cache, g fleet.GitOps, services []Service, o *options) *GitOps {
	out := &GitOps{Repository: g.Repository}
	versions, commit, err := loadVersions(ctx, cache, g)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Commit = commit
	byName := map[string]*Service{}
	for i := range services {
		byName[services[i].Name] = &services[i]
	}
	envs := map[string]bool{}
	var deps []*Deployment
	for svcName, records := range versions.Services {
		svc := byName[svcName]
		if svc == nil {
			out.Unlisted = append(out.Unlisted, svcName)
		}
		for env, r := range records {
			envs[env] = true
			if svc == nil || r == nil {
				continue
			}
			d := Deployment{Environment: env, Version: r.Version, Image: r.Image, Digest: r.Digest, PavedVersion: r.PavedVersion, DeployedAt: r.DeployedAt}
			if r.Lock != nil {
				d.Locked = r.Lock.Reason
			}
			svc.Deployed = append(svc.Deployed, d)
		}
	}
	for i := range services {
		sort.Slice(services[i].Deployed, func(a, b int) bool { return services[i].Deployed[a].Environment < services[i].Deployed[b].Environment })
		for j := range services[i].Deployed {
			deps = append(deps, &services[i].Deployed[j])
		}
	}
	for env := range envs {
		out.Environments = append(out.Environments, env)
	}
	sort.Strings(out.Environments)
	sort.Strings(out.Unlisted)
	if o.registry {
		lookupBases(ctx, deps, o)
	}
	return out
}

// loadVersions fetches the GitOps repository and parses its versions.yaml
// (missing: nothing deployed).
func loadVersions(ctx context.Context, cache *mirror.Cache, g fleet.GitOps) (*deploy.Versions, string, error) {
	snap, err := cache.Fetch(ctx, g.Repository, g.Branch)
	if err != nil {
		return nil, "", err
	}
	fs := memfs.New()
	data, err := snap.ReadFile(deploy.VersionsFile)
	switch {
	case errors.Is(err, object.ErrFileNotFound):
	case err != nil:
		return nil, "", err
	default:
		if err := util.WriteFile(fs, deploy.VersionsFile, data, 0o644); err != nil {
			return nil, "", fmt.Errorf("reading %s: %w", deploy.VersionsFile, err)
		}
	}
	v, _, err := deploy.LoadVersions(fs)
	return v, snap.Commit, err
}

// lookupBases reads the base annotations of every deployed digest, each
// distinct digest once, jobs at a time. After a registry fails to answer
// at all, its other images are not asked again.
func lookupBases(ctx context.Context, deps []*Deployment, o *options) {
	refs := map[string][]*Deployment{}
	var keys []string
	for _, d := range deps {
		k := d.Image + "@" + d.Digest
		if refs[k] == nil {
			keys = append(keys, k)
		}
		refs[k] = append(refs[k], d)
	}
	var mu sync.Mutex
	down := map[string]error{}
	each(ctx, len(keys), o.jobs, func(i int) {
		base, digest, err := lookupBase(ctx, keys[i], o, &mu, down)
		var msg string
		if err != nil {
			msg = err.Error()
		}
		mu.Lock()
		defer mu.Unlock()
		for _, d := range refs[keys[i]] {
			d.Base, d.BaseDigest, d.BaseError = base, digest, msg
		}
	})
}

// lookupBase reads one image's base annotations, unless its registry is
// already known to be down.
func lookupBase(ctx context.Context, key string, o *options, mu *sync.Mutex, down map[string]error) (string, string, error) {
	ref, err := name.NewDigest(key)
	if err != nil {
		return "", "", fmt.Errorf("parsing reference %q: %w", key, err)
	}
	host := ref.Context().RegistryStr()
	mu.Lock()
	err = down[host]
	mu.Unlock()
	if err != nil {
		return "", "", err
	}
	desc, err := remote.Get(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain), remote.WithTransport(o.transport))
	if err != nil {
		err = fmt.Errorf("reading %q: %w", key, err)
		var terr *transport.Error
		if !errors.As(err, &terr) {
			mu.Lock()
			down[host] = fmt.Errorf("registry %s is unreachable: %w", host, err)
			mu.Unlock()
		}
		return "", "", err
	}
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return "", "", fmt.Errorf("parsing the manifest of %q: %w", key, err)
	}
	base, digest := m.Annotations[oci.AnnotationBaseName], m.Annotations[oci.AnnotationBaseDigest]
	if base == "" && digest == "" {
		return "", "", fmt.Errorf("image %q has no %s annotation: build it with paved", key, oci.AnnotationBaseName)
	}
	return base, digest, nil
}
