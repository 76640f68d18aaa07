package template_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
)

// refuseAttestations answers 403 to every attestation manifest upload, as
// a registry whose token may push images and signatures but not the
// ".att" tags would.
type refuseAttestations struct{ next http.RoundTripper }

func (rt refuseAttestations) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/manifests/") && strings.HasSuffix(req.URL.Path, ".att") {
		if req.Body != nil {
			req.Body.Close()
		}
		return &http.Response{StatusCode: http.StatusForbidden, Status: "403 Forbidden", Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	}
	return rt.next.RoundTrip(req)
}

// TestBuildScanDeployLeftover: a run that fails at attest after its image
// is pushed and signed deploys nothing, its record names the leftover, and
// paved verify calls the image a leftover of a failed run.
func TestBuildScanDeployLeftover(t *testing.T) {
	e := newTestEnv(t)
	rec, err := template.BuildScanDeploy(context.Background(), e.config(t), e.options(template.WithTransport(refuseAttestations{oci.Transport}))...)
	require.Error(t, err)
	require.Equal(t, template.StepAttest, rec.Failure.Step, err.Error())
	require.Equal(t, record.StatusOK, rec.Step(template.StepSign).Status)

	require.NotNil(t, rec.Leftover)
	require.Equal(t, record.Leftover{
		Image: rec.Image, Signed: true,
		Note: rec.Image + " is in the registry, signed, without attestations, and was not deployed: run the pipeline again, or delete it",
	}, *rec.Leftover)
	_, log := gitopsState(t, e.gitops)
	require.Len(t, log, 1, "no GitOps commit after a failed attest")

	ref, err := name.NewDigest(rec.Image)
	require.NoError(t, err)
	_, err = sign.Verify(context.Background(), ref, sign.VerifyOptions{Key: e.keys.PublicKey, Require: []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance}})
	require.ErrorContains(t, err, "the leftover of a failed run (signed, without its provenance, sbom, vuln attestation;")
}
