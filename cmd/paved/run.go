package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"golang.org/x/term"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/template/service"
)

// Tracing is configured by OpenTelemetry's own variables; without an
// endpoint no exporter is made and nothing goes on the network.
// TRACEPARENT (W3C) makes the run a child of the CI job's trace.
const (
	envOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envOTLPTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envTraceParent        = "TRACEPARENT"
	envCI                 = "CI"
)

func init() { register(newRunCmd) }

type runFlags struct {
	env, registry, dbDir, key, publicKey string
	gitopsRepo, version, runID, by       string
	approvedBy                           string
	sourceURL, revision, reportDir       string
	record, progress, output, layerCache string
	skipDeploy, traceAnnotation          bool
	buildkit                             buildkitFlags
}

func newRunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a pipeline for a service",
	}
	cmd.AddCommand(newRunBuildScanDeployCmd())
	return cmd
}

func newRunBuildScanDeployCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "build-scan-deploy [DIR|FILE]",
		Short: "Build, push, SBOM, scan, gate, sign, attest, verify and GitOps-deploy a service",
		Long: `build-scan-deploy reads the service's paved.yaml (DIR/paved.yaml, default
./paved.yaml) and runs, concurrently where steps do not depend on each other:

  preflight → build → push ┐
                    → sbom → scan → gate ┬→ sign   ┐
                                         └→ attest ┴→ verify → deploy → record

The scan reads the SBOM, so the image is analysed once. A failed step stops
the run: nothing after a failed gate is signed or deployed. The deploy step
passes the image through the environment's gates in paved-gitops.yaml, as
paved deploy bump does: the environment's signature key, scan verdict and
age, and approval (--approved-by). The run record
(paved.dev/run-record/v1) is written to --record, attached to the image as an
attestation when signing ran, and printed with --output json.

Secrets come from the environment: COSIGN_PASSWORD (key password), registry
and git credentials as for paved build and paved deploy. Spans are exported
only when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set.
Exit codes: 0 ok, 1 internal, 2 bad input, 3 policy (gate, verification,
minimum paved version), 4 transient.`,
		Example: `  # go-api into dev, with the embedded registry and a local GitOps remote
  COSIGN_PASSWORD=demo paved run build-scan-deploy examples/reference-apps/go-api \
    --registry 127.0.0.1:5000 --db-dir .paved/db --env dev

  # In CI: plain lines, the record as JSON, no deployment
  paved run build-scan-deploy services/api --skip-deploy --output json > paved-run.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			return runBuildScanDeploy(cmd, target, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.env, "env", "", "environment to deploy to (default: the first of gitops.environments, else dev)")
	fl.StringVar(&f.registry, "registry", "", "registry HOST[:PORT] replacing the one of image.repository (and of build.base when on the same registry)")
	dbDirFlag(cmd, &f.dbDir)
	fl.StringVar(&f.key, "key", "", "signing key overriding signing.key: a cosign.key file, env://VAR or a KMS URI (password from $COSIGN_PASSWORD)")
	fl.StringVar(&f.publicKey, "public-key", "", "public key for the verify step (default: signing.publicKey, the KMS URI, or KEY with .pub for .key)")
	fl.StringVar(&f.gitopsRepo, "gitops-repo", os.Getenv(envGitOpsRepo), "GitOps repository URL overriding gitops.repository (env "+envGitOpsRepo+")")
	fl.BoolVar(&f.skipDeploy, "skip-deploy", false, "stop after verify: no GitOps commit")
	fl.StringVar(&f.version, "version", "", "service version stamped into the binary and recorded (default: the first 12 digits of the source revision)")
	fl.StringVar(&f.runID, "run-id", os.Getenv(envRunID), "run id recorded in the run record, versions.yaml and the Paved-Run trailer (env "+envRunID+"; default random)")
	fl.StringVar(&f.by, "deployed-by", "", "who deploys (default: the git author email)")
	fl.StringVar(&f.approvedBy, "approved-by", "", "who approved the deployment (required where the environment has approval: required)")
	fl.StringVar(&f.sourceURL, "source", "", "source repository URL (default: the origin remote of the service's repository)")
	fl.StringVar(&f.revision, "revision", "", "source revision (default: HEAD of the service's repository)")
	fl.StringVar(&f.reportDir, "report-dir", "", "directory for the SBOM, scan reports and run record (default .paved/runs/SERVICE)")
	fl.StringVar(&f.record, "record", "", "run record file (default REPORT-DIR/"+record.File+")")
	fl.StringVar(&f.progress, "progress", "auto", "progress view: auto (live on a terminal, plain when CI=true or not a terminal), live, plain or none")
	fl.BoolVar(&f.traceAnnotation, "trace-annotation", true, "write the trace id into the image annotations (a new trace then builds a new digest)")
	layerCacheFlag(cmd, &f.layerCache)
	addBuildKitFlags(cmd, &f.buildkit)
	outputFlag(cmd, &f.output)
	return cmd
}

// runBuildScanDeploy loads paved.yaml, runs the pipeline, writes the run
// record and prints the result. The record is written on failure too.
func runBuildScanDeploy(cmd *cobra.Command, target string, f *runFlags) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	cfgFile := target
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		cfgFile = filepath.Join(target, service.ConfigFile)
	}
	cfg, err := service.Load(cfgFile)
	if err != nil {
		return err
	}
	opts, err := pipelineOptions(cfg, f)
	if err != nil {
		return err
	}
	ctx := traceParent(cmd.Context())
	tp, err := tracerProvider(ctx)
	if err != nil {
		return err
	}
	if tp != nil {
		defer shutdownTracing(tp, cmd.ErrOrStderr())
		opts = append(opts, template.WithTracerProvider(tp))
	}
	obs, stop, err := progressView(cmd.ErrOrStderr(), f.progress)
	if err != nil {
		return err
	}
	rec, runErr := template.BuildScanDeploy(ctx, cfg, append(opts, template.WithObserver(obs))...)
	stop()
	if err := rec.Write(f.record); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "paved: %v\n", err)
	}
	if f.output == "json" {
		if err := writeJSON(cmd.OutOrStdout(), rec); err != nil {
			return err
		}
	} else {
		printRunSummary(cmd.OutOrStdout(), rec, f.record)
	}
	return runErr
}

// pipelineOptions turns the flags and the environment into pipeline options.
func pipelineOptions(cfg *service.Config, f *runFlags) ([]template.Option, error) {
	if f.reportDir == "" {
		f.reportDir = filepath.Join(".paved", "runs", cfg.Name)
	}
	if f.record == "" {
		f.record = filepath.Join(f.reportDir, record.File)
	}
	auth, err := gitAuth()
	if err != nil {
		return nil, err
	}
	authorEmail := gitEnvOr(envGitAuthorEmail, "paved@localhost")
	dopts := []deploy.Option{
		deploy.WithAuthor(gitEnvOr(envGitAuthorName, "paved"), authorEmail),
		deploy.WithSecrets(os.Getenv(envGitToken), os.Getenv(envGitSSHPassphrase)),
	}
	if auth != nil {
		dopts = append(dopts, deploy.WithAuth(auth))
	}
	opts := []template.Option{
		template.WithEnv(f.env), template.WithRegistry(f.registry), template.WithDBDir(f.dbDir),
		template.WithKey(f.key), template.WithPublicKey(f.publicKey), template.WithPassword(keyPassword(os.Stderr)),
		template.WithGitOpsRepo(f.gitopsRepo), template.WithSkipDeploy(f.skipDeploy), template.WithDeployOptions(dopts...),
		template.WithKeychain(keychain()), template.WithVersion(f.version), template.WithRunID(f.runID),
		template.WithDeployedBy(orValue(f.by, authorEmail)), template.WithApprovedBy(f.approvedBy), template.WithSource(f.sourceURL, f.revision),
		template.WithReportDir(f.reportDir), template.WithTraceAnnotation(f.traceAnnotation),
		template.WithPavedVersion(version.Get()),
	}
	cache, err := openLayerCache(f.layerCache)
	if err != nil {
		return nil, err
	}
	opts = append(opts, template.WithLayerCache(cache))
	f.buildkit.log = os.Stderr
	bk, err := buildkitConfig(&f.buildkit)
	if err != nil {
		return nil, err
	}
	if bk != nil {
		opts = append(opts, template.WithBuildKit(bk))
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("parsing SOURCE_DATE_EPOCH %q: want seconds since 1970", epoch))
		}
		opts = append(opts, template.WithCreated(time.Unix(secs, 0).UTC()))
	}
	return opts, nil
}

// progressView picks the progress view: live on a terminal outside CI,
// plain timestamped lines otherwise.
func progressView(w io.Writer, mode string) (template.Observer, func(), error) {
	if mode == "auto" {
		mode = "plain"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv(envCI) != "true" {
			mode = "live"
		}
	}
	switch mode {
	case "live":
		v := template.NewLiveView(w, template.Steps())
		return v, v.Stop, nil
	case "plain":
		return template.NewLineView(w), func() {}, nil
	case "none":
		return nil, func() {}, nil
	}
	return nil, nil, usageError{fmt.Errorf("invalid --progress %q: use auto, live, plain or none", mode)}
}

// traceParent makes a W3C TRACEPARENT from the environment the parent of
// the run's spans.
func traceParent(ctx context.Context) context.Context {
	tp := os.Getenv(envTraceParent)
	if tp == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": tp})
}

// tracerProvider returns an exporting tracer provider when an OTLP
// endpoint is configured, else nil (the pipeline then records spans for
// the trace id and exports none). The exporters read the other
// OTEL_EXPORTER_OTLP_* variables (headers, TLS, timeout) themselves.
func tracerProvider(ctx context.Context) (*sdktrace.TracerProvider, error) {
	if os.Getenv(envOTLPEndpoint) == "" && os.Getenv(envOTLPTracesEndpoint) == "" {
		return nil, nil
	}
	proto := orValue(os.Getenv(envOTLPTracesProtocol), os.Getenv(envOTLPProtocol))
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch proto {
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, failure.BadInputErr(fmt.Errorf("parsing %s %q: use grpc or http/protobuf", envOTLPProtocol, proto))
	}
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("configuring the OTLP trace exporter: %w", err))
	}
	res := resource.NewSchemaless(semconv.ServiceName("paved"), semconv.ServiceVersion(version.Get()))
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// shutdownTracing flushes the spans; an unreachable collector only warns.
func shutdownTracing(tp *sdktrace.TracerProvider, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "paved: warning: exporting spans: %v\n", err)
	}
}

// printRunSummary prints what a run produced, one fact per line.
func printRunSummary(w io.Writer, rec *record.Run, recordFile string) {
	fmt.Fprintf(w, "service:   %s (%s)\n", rec.Service, rec.Env)
	fmt.Fprintf(w, "status:    %s\n", rec.Status)
	if rec.Image != "" {
		fmt.Fprintf(w, "image:     %s\n", rec.Image)
	}
	if s := rec.Step(template.StepScan); s != nil && s.Outputs.Findings != nil {
		c := s.Outputs.Findings
		fmt.Fprintf(w, "findings:  CRITICAL %d, HIGH %d, MEDIUM %d, LOW %d\n", c["CRITICAL"], c["HIGH"], c["MEDIUM"], c["LOW"])
	}
	if s := rec.Step(template.StepSign); s != nil && s.Outputs.Signature != "" {
		fmt.Fprintf(w, "signature: %s\n", s.Outputs.Signature)
	}
	if s := rec.Step(template.StepDeploy); s != nil && s.Status == record.StatusOK {
		commit := s.Outputs.GitOpsCommit
		if commit == "" {
			commit = "none (already deployed)"
		}
		fmt.Fprintf(w, "gitops:    %s\n", commit)
	}
	fmt.Fprintf(w, "trace:     %s\n", rec.TraceID)
	fmt.Fprintf(w, "record:    %s\n", recordFile)
}

func orValue(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
