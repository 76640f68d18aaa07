package publish

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

type registryPublisher struct {
	repo name.Repository
	tags []string
	kc   authn.Keychain
	rt   http.RoundTripper
}

// Registry pushes to repo by digest, then points each of tags at the digest.
// kc and rt may be nil (default keychain and transport).
func Registry(repo string, tags []string, kc authn.Keychain, rt http.RoundTripper) (Publisher, error) {
	r, err := oci.ParseRepository(repo)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		if _, err := name.NewTag(r.Name() + ":" + t); err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("parsing tag %q: %w", t, err))
		}
	}
	return &registryPublisher{repo: r, tags: tags, kc: kc, rt: rt}, nil
}

func (p *registryPublisher) Publish(ctx context.Context, a Artifact) (string, error) {
	d, err := a.Digest()
	if err != nil {
		return "", err
	}
	ref := digestRef(p.repo, d)
	opts := oci.Remote(ctx, p.kc, p.rt)
	if a.Index != nil {
		err = remote.WriteIndex(ref, a.Index, opts...)
	} else {
		err = remote.Write(ref, a.Image, opts...)
	}
	if err != nil {
		return "", oci.Classify(fmt.Errorf("pushing %s: %w", ref.String(), err))
	}
	for _, t := range p.tags {
		tag := p.repo.Tag(t)
		var target remote.Taggable = a.Image
		if a.Index != nil {
			target = a.Index
		}
		if err := remote.Tag(tag, target, opts...); err != nil {
			return "", oci.Classify(fmt.Errorf("tagging %s as %s: %w", ref.String(), tag.String(), err))
		}
	}
	return ref.String(), nil
}
