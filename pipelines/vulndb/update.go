package vulndb

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/name"

	trivydb "github.com/aquasecurity/trivy/pkg/db"
	ftypes "github.com/aquasecurity/trivy/pkg/fanal/types"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// DefaultRepositories are the OCI repositories Update tries in order when
// none are given: Trivy's own defaults.
var DefaultRepositories = []string{trivydb.DefaultGCRRepository, trivydb.DefaultGHCRRepository}

// UpdateOption configures Update.
type UpdateOption func(*updateOptions)

type updateOptions struct {
	repos     []string
	transport http.RoundTripper
	registry  ftypes.RegistryOptions
}

// WithRepositories sets the OCI repositories (e.g. a mirror,
// "registry.example.com/trivy-db:2") that Update tries in order.
func WithRepositories(refs ...string) UpdateOption {
	return func(o *updateOptions) { o.repos = refs }
}

// WithTransport sets the HTTP transport of the download, instead of
// Trivy's default.
func WithTransport(rt http.RoundTripper) UpdateOption {
	return func(o *updateOptions) { o.transport = rt }
}

// WithRegistryAuth sets basic credentials for the repositories (Trivy's
// registry options; the Docker config is used when they are empty).
func WithRegistryAuth(username, password string) UpdateOption {
	return func(o *updateOptions) {
		o.registry.Credentials = []ftypes.Credential{{Username: username, Password: password}}
	}
}

// Update downloads the vulnerability database into dir with Trivy's own
// client (an OCI artifact pull) and returns its metadata. The download goes
// to a staging directory and replaces dir's database only once it checks
// out. Network failures are transient; a bad repository name is bad input.
func Update(ctx context.Context, dir string, opts ...UpdateOption) (Metadata, error) {
	o := updateOptions{repos: DefaultRepositories}
	for _, opt := range opts {
		opt(&o)
	}
	refs := make([]name.Reference, 0, len(o.repos))
	for _, r := range o.repos {
		ref, err := name.ParseReference(r)
		if err != nil {
			return Metadata{}, failure.BadInputErr(fmt.Errorf("parsing database repository %q: %w", r, err))
		}
		refs = append(refs, ref)
	}
	stage, err := stageDir(dir)
	if err != nil {
		return Metadata{}, err
	}
	defer os.RemoveAll(stage)
	if o.transport != nil {
		ctx = withTransport(ctx, o.transport)
	}
	client := trivydb.NewClient(stage, true, trivydb.WithDBRepository(refs))
	if err := client.Download(ctx, stage, o.registry); err != nil {
		return Metadata{}, oci.Classify(fmt.Errorf("downloading vulnerability database from %q: %w", o.repos, err))
	}
	if err := install(stage, dir); err != nil {
		return Metadata{}, err
	}
	return Check(dir, -1, timeNow())
}
