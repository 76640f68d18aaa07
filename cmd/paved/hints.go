package main

import (
	"errors"
	"fmt"

	"github.com/paved-dev/paved/fleet/campaign"
	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/release/candidate"
	"github.com/paved-dev/paved/release/publish"
)

// flagHints say which flag or environment variable fixes a library error.
// Libraries name the paved.yaml key or wrap one of these sentinels; only the
// CLI knows its flags and variables, so it adds them here, once, at the edge.
var flagHints = []struct {
	err  error
	hint string
}{
	{build.ErrNoBase, "or pass --base"},
	{build.ErrNeedsContainer, "--buildkit-host or BUILDKIT_HOST names the endpoint"},
	{build.ErrNoBuildKit, "--buildkit-host or BUILDKIT_HOST"},
	{build.ErrBuildKitTLS, "--buildkit-tlscacert, --buildkit-tlscert and --buildkit-tlskey"},
	{build.ErrNoBuildArg, "or pass --build-arg NAME=VALUE"},
	{build.ErrNoDockerfile, "or pass --dockerfile"},
	{sign.ErrNoKey, "pass --key"},
	{sign.ErrNoPublicKey, "pass --key"},
	{sign.ErrNoPassword, "set " + envKeyPassword},
	{sign.ErrWrongPassword, "check " + envKeyPassword},
	{oci.ErrCredentials, "check docker login, or " + envRegistryUsername + " and " + envRegistryPassword},
	{deploy.ErrLocked, "bump with --unlock --reason to lift the lock"},
	{deploy.ErrNeedsApproval, "give --approved-by"},
	{deploy.ErrRoutes, "paved deploy routes --write writes them"},
	{scan.ErrNoDB, "pass --db-dir"},
	{candidate.ErrInputs, "give them with --key, --db-dir and --bases"},
	{publish.ErrNoCandidateReport, "pass --candidate-report"},
	{campaign.ErrExists, "give it with --id"},
	{campaign.ErrCredentialsInURL, "set " + envGitToken},
	{campaign.ErrNoPolicyFile, "start the campaign with --policy-repo and --policy-file"},
	{template.ErrNoSigningKey, "or pass --key"},
	{template.ErrNoPublicKey, "or pass --public-key"},
	{template.ErrNoGitOpsRepo, "or pass --gitops-repo, or --skip-deploy"},
	{template.ErrNoRevision, "or pass --revision"},
}

// hinted is an error with the CLI's flag hint after its message.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() + "; " + h.hint }
func (h hinted) Unwrap() error { return h.err }

// withFlagHint adds the hint of the first sentinel in err's chain.
func withFlagHint(err error) error {
	if ms := (*build.MissingSecretError)(nil); errors.As(err, &ms) {
		return hinted{err: err, hint: fmt.Sprintf("pass --secret id=%s,env=VAR or --secret id=%s,src=FILE", ms.ID, ms.ID)}
	}
	for _, h := range flagHints {
		if errors.Is(err, h.err) {
			return hinted{err: err, hint: h.hint}
		}
	}
	return err
}
