package template

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/publish"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sbom"
)

// AnnotationTraceID is the manifest annotation that carries the run's
// trace id.
const AnnotationTraceID = "dev.paved.trace-id"

// Report file names in the report directory.
const (
	SBOMFile       = "sbom.cdx.json"
	ScanReportFile = "scan.json"
	ScanSARIFFile  = "scan.sarif"
)

func (r *run) build(ctx context.Context) (record.Outputs, error) {
	b, err := r.builder()
	if err != nil {
		return record.Outputs{}, err
	}
	res, err := b.Build(ctx)
	if err != nil {
		return record.Outputs{}, err
	}
	d, err := res.Digest()
	if err != nil {
		return record.Outputs{}, err
	}
	r.built, r.digest = res, r.repo.Digest(d.String())
	out := record.Outputs{Digest: d.String(), Warnings: res.Warnings}
	for _, w := range res.Warnings {
		r.warn(w)
	}
	for _, b := range res.Bases {
		out.Bases = append(out.Bases, b.Digest.String())
	}
	return out, nil
}

// builder turns paved.yaml's build section into a Builder.
func (r *run) builder() (build.Builder, error) {
	bc := r.cfg.Build
	var platforms []v1.Platform
	for _, p := range bc.Platforms {
		pl, err := v1.ParsePlatform(p)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("parsing platform %q: %w", p, err))
		}
		platforms = append(platforms, *pl)
	}
	ann := map[string]string{
		oci.AnnotationRevision: r.rec.Source.Revision,
		oci.AnnotationSource:   r.rec.Source.Repository,
		oci.AnnotationVersion:  r.version,
	}
	if !r.o.noTraceAnn {
		ann[AnnotationTraceID] = r.rec.TraceID
	}
	opts := []build.Option{
		build.WithPlatforms(platforms...), build.WithKeychain(r.o.keychain), build.WithTransport(r.o.transport),
		build.WithPolicy(r.policy), build.WithClock(r.o.now), build.WithCreated(r.created), build.WithAnnotations(ann),
	}
	dir := r.cfg.BuildDir()
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, failure.BadInputErr(fmt.Errorf("reading build directory %q: not a directory", dir))
	}
	if bc.Kind == "dockerfile" {
		opts = append(opts, build.WithDockerfile(orDefault(bc.Dockerfile, "Dockerfile")), build.WithBuildArgs(r.buildArgs), build.WithTarget(bc.Target))
		if r.o.buildkit != nil {
			return build.BuildKit(dir, *r.o.buildkit, opts...), nil
		}
		return build.Dockerfile(dir, opts...), nil
	}
	var extra []build.ExtraFile
	for _, f := range bc.ExtraFiles {
		extra = append(extra, build.ExtraFile{Src: f.Src, Dst: orDefault(f.Dst, path.Join("/app", filepath.Base(f.Src)))})
	}
	opts = append(opts, build.WithBase(r.base), build.WithMain(orDefault(bc.Main, ".")), build.WithEnv(bc.Env...),
		build.WithExtraFiles(extra...), build.WithGoEnv(r.o.goEnv...), build.WithLabels(bc.Labels),
		build.WithVersion(orDefault(bc.VersionVar, build.DefaultVersionVar), r.version))
	if bc.WorkDir != "" {
		opts = append(opts, build.WithWorkDir(bc.WorkDir))
	}
	if bc.User != "" {
		opts = append(opts, build.WithUser(bc.User))
	}
	return build.Go(dir, opts...), nil
}

func (r *run) push(ctx context.Context) (record.Outputs, error) {
	pub, err := publish.Registry(r.repo.String(), r.cfg.Image.Tags, r.o.keychain, r.o.transport)
	if err != nil {
		return record.Outputs{}, err
	}
	res, err := publish.All(ctx, publish.Artifact{Image: r.built.Image, Index: r.built.Index}, pub)
	if err != nil {
		return record.Outputs{}, err
	}
	r.pushed = res
	r.rec.Image = res.Reference
	return record.Outputs{Digest: res.Digest, Reference: res.Reference}, nil
}

func (r *run) sbom(ctx context.Context) (record.Outputs, error) {
	img, err := r.sbomImage()
	if err != nil {
		return record.Outputs{}, err
	}
	var res *sbom.Result
	if r.reused = r.findReused(ctx); r.reused != nil {
		res = r.reused.sbom
	} else if res, err = sbom.Generate(ctx, sbom.Image(img, r.digest.String()), sbom.CycloneDXJSON, sbom.WithCreated(r.created), sbom.WithLayerCache(r.o.layerCache)); err != nil {
		return record.Outputs{}, err
	}
	r.bom = res
	r.bomFile = filepath.Join(r.reportDir, SBOMFile)
	if err := writeReport(r.bomFile, res.Document); err != nil {
		return record.Outputs{}, err
	}
	return record.Outputs{SBOMDigest: res.Digest, SBOMFormat: string(res.Format), Packages: res.Total, Files: r.files(r.bomFile), Reused: r.reused != nil}, nil
}

// sbomImage is the image the SBOM describes: the built image, or the
// default platform's image of a multi-platform index.
func (r *run) sbomImage() (v1.Image, error) {
	if r.built.Image != nil {
		return r.built.Image, nil
	}
	m, err := r.built.Index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading the built index: %w", err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.Satisfies(sbom.DefaultPlatform) {
			return r.built.Index.Image(d.Digest)
		}
	}
	if len(m.Manifests) == 0 {
		return nil, errors.New("the built index holds no image")
	}
	return r.built.Index.Image(m.Manifests[0].Digest)
}

// files lists report files for the record, unless they are written to a
// temporary directory that the run removes.
func (r *run) files(paths ...string) []string {
	if r.o.reportDir == "" {
		return nil
	}
	return paths
}

func writeReport(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return failure.BadInputErr(fmt.Errorf("creating report directory %q: %w", filepath.Dir(path), err))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return failure.BadInputErr(fmt.Errorf("writing report %q: %w", path, err))
	}
	return nil
}
