package template_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
)

func TestBuildScanDeploy(t *testing.T) {
	e := newTestEnv(t)
	// The CI job's trace (TRACEPARENT), so that the re-run below is a
	// retry of the same job.
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	rec, err := template.BuildScanDeploy(ctx, e.config(t), e.options()...)
	require.NoError(t, err)
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", rec.TraceID)

	// The record: every step ran and says what it produced.
	require.Equal(t, record.Schema, rec.SchemaVersion)
	require.Equal(t, record.StatusOK, rec.Status)
	require.Equal(t, "go-api", rec.Service)
	require.Equal(t, "dev", rec.Env)
	require.Equal(t, "run-42", rec.RunID)
	require.Regexp(t, `^[0-9a-f]{32}$`, rec.TraceID)
	require.Equal(t, "https://git.example.com/acme/shop.git", rec.Source.Repository)
	require.Len(t, rec.Source.Revision, 40)
	var names []string
	for _, s := range rec.Steps {
		names = append(names, s.Name)
		require.Equal(t, record.StatusOK, s.Status, s.Name)
		require.NotNil(t, s.StartedAt, s.Name)
	}
	require.Equal(t, []string{"preflight", "build", "push", "sbom", "scan", "gate", "sign", "attest", "verify", "deploy", "record"}, names)
	digest := rec.Step(template.StepPush).Outputs.Digest
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, digest)
	require.Equal(t, e.host+"/services/go-api@"+digest, rec.Image)
	require.Regexp(t, `^sha256:`, rec.Step(template.StepSBOM).Outputs.SBOMDigest)
	require.Equal(t, 0, rec.Step(template.StepScan).Outputs.Findings["HIGH"])
	require.Equal(t, e.host+"/services/go-api:sha256-"+digest[7:]+".sig", rec.Step(template.StepSign).Outputs.Signature)
	for _, f := range []string{template.SBOMFile, template.ScanReportFile, template.ScanSARIFFile} {
		require.FileExists(t, filepath.Join(e.reports, f))
	}

	// The image, by digest, in the registry, annotated with the trace id.
	ref, err := name.NewDigest(rec.Image)
	require.NoError(t, err)
	img, err := remote.Image(ref)
	require.NoError(t, err)
	m, err := img.Manifest()
	require.NoError(t, err)
	require.Equal(t, rec.TraceID, m.Annotations[template.AnnotationTraceID])
	require.Equal(t, rec.Source.Revision, m.Annotations["org.opencontainers.image.revision"])

	// Signature and the SBOM, vulnerability, provenance and run-record
	// attestations verify with the public key.
	v, err := sign.Verify(ctx, ref, sign.VerifyOptions{Key: e.keys.PublicKey, Require: []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance}})
	require.NoError(t, err)
	require.Equal(t, 1, v.Signatures)
	require.True(t, v.Scan.Passed)
	for _, p := range []string{sign.PredicateCycloneDX, sign.PredicateVuln, sign.PredicateProvenance, record.Predicate} {
		require.Equal(t, 1, v.Attestations[p], p)
	}

	// versions.yaml holds the digest and the trace id; the commit trailer
	// carries the same trace id.
	files, log := gitopsState(t, e.gitops)
	require.Len(t, log, 2)
	require.Equal(t, rec.Step(template.StepDeploy).Outputs.GitOpsCommit, log[0].Hash.String())
	require.Contains(t, log[0].Message, "\nPaved-Trace: "+rec.TraceID+"\n")
	require.Contains(t, log[0].Message, "\nPaved-Run: run-42\n")
	var versions deploy.Versions
	require.NoError(t, yaml.Unmarshal([]byte(files[deploy.VersionsFile]), &versions))
	got := versions.Get("go-api", "dev")
	require.NotNil(t, got)
	require.Equal(t, digest, got.Digest)
	require.Equal(t, rec.TraceID, got.TraceID)
	require.Equal(t, rec.Source.Revision, got.SourceRevision)
	require.Contains(t, files["manifests/go-api/dev/deployment.yaml"], "image: "+rec.Image+"\n")

	// The run record file round-trips.
	path := filepath.Join(t.TempDir(), record.File)
	require.NoError(t, rec.Write(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var back record.Run
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, rec.TraceID, back.TraceID)

	// The same job again: the same digest, no new signature, no new
	// GitOps commit.
	again, err := template.BuildScanDeploy(ctx, e.config(t), e.options()...)
	require.NoError(t, err)
	require.Equal(t, digest, again.Step(template.StepPush).Outputs.Digest)
	require.False(t, *again.Step(template.StepDeploy).Outputs.GitOpsChanged)
	_, log = gitopsState(t, e.gitops)
	require.Len(t, log, 2)
	v, err = sign.Verify(ctx, ref, sign.VerifyOptions{Key: e.keys.PublicKey})
	require.NoError(t, err)
	require.Equal(t, 1, v.Signatures)
	// It reused what the first run attached: the attested SBOM, read
	// back and scanned again, and no new attestation.
	require.True(t, again.Step(template.StepSBOM).Outputs.Reused)
	require.Equal(t, rec.Step(template.StepSBOM).Outputs.SBOMDigest, again.Step(template.StepSBOM).Outputs.SBOMDigest)
	require.Equal(t, rec.Step(template.StepSBOM).Outputs.Packages, again.Step(template.StepSBOM).Outputs.Packages)
	require.Equal(t, record.StatusOK, again.Step(template.StepScan).Status)
	for _, s := range []string{template.StepSign, template.StepAttest, template.StepRunRecord} {
		require.Equal(t, record.StatusSkipped, again.Step(s).Status, s)
		require.Contains(t, again.Step(s).Reason, "reused", s)
	}
	for _, p := range []string{sign.PredicateCycloneDX, sign.PredicateVuln, sign.PredicateProvenance, record.Predicate} {
		require.Equal(t, 1, v.Attestations[p], p)
	}
}

func TestBuildScanDeployFailingGate(t *testing.T) {
	e := newTestEnv(t)
	// golang.org/x/text v0.3.7 has CVE-2022-32149 (HIGH) in the fixture DB.
	goMod(t, e.service, "mod", "edit", "-require=golang.org/x/text@v0.3.7")
	goMod(t, e.service, "mod", "download", "golang.org/x/text")
	commitAll(t, e.repo, "")

	rec, err := template.BuildScanDeploy(context.Background(), e.config(t), e.options()...)
	require.Error(t, err)
	require.Equal(t, failure.Policy, failure.KindOf(err), err.Error())
	require.Regexp(t, `^gate: vulnerability gate failed: 1 finding\(s\) at CRITICAL,HIGH: CVE-2022-32149 HIGH golang.org/x/text v0.3.7 installed, fixed in 0.3.8;`, err.Error())

	require.Equal(t, record.StatusFailed, rec.Status)
	require.Equal(t, &record.Failure{Step: "gate", Kind: "policy violation", ExitCode: 3, Message: rec.Failure.Message}, rec.Failure)
	want := map[string]string{
		"preflight": "ok", "build": "ok", "push": "ok", "sbom": "ok", "scan": "ok", "gate": "failed",
		"sign": "skipped", "attest": "skipped", "verify": "skipped", "deploy": "skipped", "record": "skipped",
	}
	for _, s := range rec.Steps {
		require.Equal(t, want[s.Name], s.Status, s.Name)
	}
	require.Equal(t, 1, rec.Step(template.StepScan).Outputs.Findings["HIGH"])
	require.False(t, *rec.Step(template.StepGate).Outputs.GatePassed)
	require.Equal(t, []string{"CVE-2022-32149"}, rec.Step(template.StepGate).Outputs.Failing)

	// No signature, no attestation, no GitOps commit.
	ref, err := name.NewDigest(rec.Image)
	require.NoError(t, err)
	for _, suffix := range []string{".sig", ".att"} {
		tag, err := name.NewTag(ref.Context().String() + ":sha256-" + ref.DigestStr()[7:] + suffix)
		require.NoError(t, err)
		_, err = remote.Head(tag)
		var terr *transport.Error
		require.ErrorAs(t, err, &terr, suffix)
		require.Equal(t, http.StatusNotFound, terr.StatusCode, suffix)
	}
	_, log := gitopsState(t, e.gitops)
	require.Len(t, log, 1, "no GitOps commit after a failed gate")
	require.NotNil(t, rec.Leftover, "the record names the pushed image")
	require.Equal(t, rec.Image, rec.Leftover.Image)
	require.False(t, rec.Leftover.Signed || rec.Leftover.Attested)
	require.Contains(t, rec.Leftover.Note, "neither signed nor attested, and was not deployed")
}

// TestReRunWithAnotherKeySignsAgain: what another key attached is never
// reused; the run catalogues, signs and attests with its own key.
func TestReRunWithAnotherKeySignsAgain(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	noTrace := template.WithTraceAnnotation(false)
	first, err := template.BuildScanDeploy(ctx, e.config(t), e.options(noTrace, template.WithSkipDeploy(true))...)
	require.NoError(t, err)
	other, err := sign.GenerateKeys(t.TempDir(), []byte(keyPassword))
	require.NoError(t, err)
	again, err := template.BuildScanDeploy(ctx, e.config(t), e.options(noTrace, template.WithSkipDeploy(true),
		template.WithKey(other.PrivateKey), template.WithPublicKey(other.PublicKey))...)
	require.NoError(t, err)
	require.Equal(t, first.Image, again.Image, "the same input builds the same digest")
	require.False(t, again.Step(template.StepSBOM).Outputs.Reused)
	for _, s := range []string{template.StepSign, template.StepAttest, template.StepRunRecord} {
		require.Equal(t, record.StatusOK, again.Step(s).Status, s)
	}
	ref, err := name.NewDigest(again.Image)
	require.NoError(t, err)
	v, err := sign.Verify(ctx, ref, sign.VerifyOptions{Key: other.PublicKey, Require: []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance}})
	require.NoError(t, err)
	require.Equal(t, 1, v.Signatures)
}
