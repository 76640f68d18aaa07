package template

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/publish"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/redact"
	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template/service"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// PipelineName is the name of the pipeline BuildScanDeploy runs.
const PipelineName = "build-scan-deploy"

// Step names of build-scan-deploy, in order.
const (
	StepPreflight = "preflight"
	StepBuild     = "build"
	StepPush      = "push"
	StepSBOM      = "sbom"
	StepScan      = "scan"
	StepGate      = "gate"
	StepSign      = "sign"
	StepAttest    = "attest"
	StepVerify    = "verify"
	StepDeploy    = "deploy"
	StepRunRecord = "record"
)

// buildScanDeploy is the pipeline. Steps wait only for what they read, so
// push and sbom run together, and so do sign and attest.
var buildScanDeploy = []step{
	// preflight loads the platform policy, checks this paved's version
	// against it, and resolves the source, key and GitOps target, so that
	// a bad input fails before anything is built.
	{name: StepPreflight, run: (*run).preflight},
	// build compiles the service into an image in memory; nothing is
	// pushed yet, and the trace id goes into its annotations.
	{name: StepBuild, after: []string{StepPreflight}, run: (*run).build},
	// push writes the image to the registry, by digest (and any tags).
	{name: StepPush, after: []string{StepBuild}, run: (*run).push},
	// sbom catalogs the in-memory image once (CycloneDX 1.6), layers
	// already catalogued from the layer cache, or reads back the SBOM an
	// earlier run of the same input attested.
	{name: StepSBOM, after: []string{StepBuild}, run: (*run).sbom},
	// scan matches the SBOM's packages against the vulnerability
	// database, so the image's layers are not read a second time, and
	// applies the severity gate and ignore rules to the report, once.
	{name: StepScan, after: []string{StepSBOM}, run: (*run).scan},
	// gate reports the scan's verdict; a failure stops the run before
	// anything is signed or deployed.
	{name: StepGate, after: []string{StepScan}, run: (*run).gate},
	// sign attaches a Cosign signature of the pushed digest, unless an
	// earlier run of the same input did (steps_reuse.go).
	{name: StepSign, after: []string{StepPush, StepGate}, run: (*run).sign, skip: (*run).skipSign},
	// attest attaches the SBOM, vulnerability and SLSA provenance
	// attestations in one registry write; on reused input only a scan with
	// new findings.
	{name: StepAttest, after: []string{StepPush, StepGate}, run: (*run).attest, skip: (*run).skipAttest},
	// verify checks the signature and the three attestations with the
	// public key, as a deployment gate would.
	{name: StepVerify, after: []string{StepSign, StepAttest}, run: (*run).verify},
	// deploy bumps the environment to the digest in the GitOps repository,
	// with the run and trace ids in versions.yaml and the commit trailers.
	{name: StepDeploy, after: []string{StepVerify}, run: (*run).deploy, skip: (*run).skipDeploy},
	// record attaches the run record so far as an attestation, so the
	// image carries the evidence of its own pipeline. It runs after the
	// deploy, so its failure is a warning: the deploy stands, the record
	// is in paved-run.json, and CI does not retry a run that deployed.
	{name: StepRunRecord, after: []string{StepDeploy}, run: (*run).record, skip: (*run).skipRecord, afterDeploy: true},
}

// run is one execution of the pipeline: the inputs and the typed results
// of its steps. Each field is written by one step and read by the steps
// after it.
type run struct {
	cfg    *service.Config
	o      *options
	rec    *record.Run
	obs    Observer
	tracer trace.Tracer
	mu     sync.Mutex // guards rec.Warnings

	// resolved by preflight
	policy     *policy.Policy
	ignores    *vuln.IgnoreFile
	repo       name.Repository
	base       string
	buildArgs  map[string]string
	env        string
	key        string
	publicKey  string
	gitopsRepo string
	created    time.Time
	version    string
	reportDir  string

	// the signing key, decrypted once for sign, attest and record
	signerOnce sync.Once
	signer     *sign.Signer
	signerErr  error

	built   *build.Result
	digest  name.Digest
	pushed  *publish.Result
	bom     *sbom.Result
	reused  *reused
	bomFile string
	report  *vuln.Report
	// gateErr is the policy error of the gate the scan evaluated, or nil.
	gateErr  error
	signed   *sign.Result
	attested *sign.Result
	verified *sign.Verification
	deployed *deploy.Result
}

// BuildScanDeploy runs build-scan-deploy for the service of cfg and
// returns its run record, also when a step failed. The error is the
// failed step's, wrapped once with the step's name ("scan: ...") and
// keeping its failure class.
func BuildScanDeploy(ctx context.Context, cfg *service.Config, opts ...Option) (*record.Run, error) {
	o := newOptions(opts)
	tp := o.tracer
	if tp == nil {
		// Spans are recorded, so the run has a trace id, and exported
		// nowhere.
		sdk := sdktrace.NewTracerProvider()
		defer sdk.Shutdown(context.Background())
		tp = sdk
	}
	r := &run{cfg: cfg, o: o, obs: &lockedObserver{obs: o.observer}, tracer: tp.Tracer("github.com/paved-dev/paved/pipelines/template")}
	// A span already in ctx (the CI job's, from TRACEPARENT) is the
	// parent, so a retried job keeps its trace id and its image digest.
	ctx, span := r.tracer.Start(ctx, PipelineName)
	defer span.End()
	start := time.Now()
	r.rec = &record.Run{
		SchemaVersion: record.Schema, Pipeline: PipelineName, PavedVersion: o.pavedVersion,
		Service: cfg.Name, RunID: o.runID, TraceID: traceID(ctx), StartedAt: start.UTC(), Steps: []record.Step{},
	}
	if r.rec.RunID == "" {
		r.rec.RunID = randomID()
	}
	if o.reportDir == "" {
		dir, err := os.MkdirTemp("", "paved-run-")
		if err != nil {
			return r.rec, fmt.Errorf("creating a report directory: %w", err)
		}
		defer os.RemoveAll(dir)
		r.reportDir = dir
	} else {
		r.reportDir = o.reportDir
	}
	err := r.execute(ctx, buildScanDeploy)
	end := time.Now()
	r.rec.FinishedAt, r.rec.DurationSeconds = end.UTC(), end.Sub(start).Seconds()
	r.rec.Status = record.StatusOK
	if err != nil {
		r.rec.Status = record.StatusFailed
		r.rec.Leftover = r.leftover()
	}
	return r.rec, err
}

// leftover names the image of a failed run that was pushed and not
// deployed, or is nil.
func (r *run) leftover() *record.Leftover {
	ok := func(step string) bool { s := r.rec.Step(step); return s != nil && s.Status == record.StatusOK }
	if !ok(StepPush) || ok(StepDeploy) {
		return nil
	}
	l := &record.Leftover{Image: r.digest.String(), Signed: ok(StepSign), Attested: ok(StepAttest)}
	state := "neither signed nor attested"
	switch {
	case l.Signed && l.Attested:
		state = "signed and attested"
	case l.Signed:
		state = "signed, without attestations"
	case l.Attested:
		state = "attested, without a signature"
	}
	l.Note = fmt.Sprintf("%s is in the registry, %s, and was not deployed: run the pipeline again, or delete it", l.Image, state)
	return l
}

func (r *run) warn(msg string) {
	msg = redact.Text(msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Warnings = append(r.rec.Warnings, msg)
	r.obs.Warn(msg)
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
