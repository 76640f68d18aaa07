package policy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// maxPolicySize bounds a policy document; real ones are a few KiB.
const maxPolicySize = 1 << 20

// Load reads a policy from a file path or an http(s) URL. An unreadable or
// invalid policy is bad input naming src; an unreachable URL is transient.
func Load(ctx context.Context, src string, client *http.Client) (*Policy, error) {
	data, err := read(ctx, src, client)
	if err != nil {
		return nil, err
	}
	p, err := Parse(data)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading policy %q: %w", src, err))
	}
	return p, nil
}

func read(ctx context.Context, src string, client *http.Client) ([]byte, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading policy %q: %w", src, err))
		}
		return data, nil
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading policy %q: %w", src, err))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, failure.TransientErr(fmt.Errorf("fetching policy %q: %w", src, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("fetching policy %q: HTTP %s", src, resp.Status)
		if resp.StatusCode >= 500 {
			return nil, failure.TransientErr(err)
		}
		return nil, failure.BadInputErr(err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicySize+1))
	if err != nil {
		return nil, failure.TransientErr(fmt.Errorf("fetching policy %q: %w", src, err))
	}
	return data, nil
}

// Parse decodes and validates a policy document. Unknown keys are errors so
// that a misspelt rule is never silently ignored.
func Parse(data []byte) (*Policy, error) {
	if len(data) > maxPolicySize {
		return nil, fmt.Errorf("policy is larger than %d bytes", maxPolicySize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Policy
	if err := dec.Decode(&p); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("policy is empty")
		}
		return nil, err
	}
	return &p, p.validate()
}

func (p *Policy) validate() error {
	if p.APIVersion != APIVersion {
		return fmt.Errorf("apiVersion is %q: set it to %q", p.APIVersion, APIVersion)
	}
	for i, den := range p.Bases.Denied {
		if strings.TrimSpace(den.Image) == "" {
			return fmt.Errorf("bases.denied[%d]: image is required", i)
		}
		if strings.TrimSpace(den.Reason) == "" {
			return fmt.Errorf("bases.denied[%d] (%s): reason is required", i, den.Image)
		}
		if _, err := den.Target(); err != nil {
			return fmt.Errorf("bases.denied[%d]: image %q is not a repository, tag or digest: write it as repo:tag, repo@sha256:… or sha256:…", i, den.Image)
		}
		if _, err := den.Since(); err != nil {
			return fmt.Errorf("bases.denied[%d] (%s): from %q is not a date (YYYY-MM-DD) or RFC 3339 time", i, den.Image, den.From)
		}
		if den.Replacement != "" {
			if _, err := name.ParseReference(den.Replacement); err != nil {
				return fmt.Errorf("bases.denied[%d] (%s): replacement %q is not an image reference", i, den.Image, den.Replacement)
			}
		}
	}
	return nil
}
