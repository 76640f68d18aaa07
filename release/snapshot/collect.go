package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/paved-dev/paved/pipelines/record"
)

// Input says where one run's outputs are.
type Input struct {
	// ExitCode and Output are paved's exit code and the tail of its
	// output, for a run that left no record.
	ExitCode int
	Output   string
	// Wrapper says the CI wrapper failed (ExitCode and Output are its
	// own): before paved ran when there is no record, or after it.
	Wrapper bool
	// RecordFile is the run record; relative files in it are relative to
	// Dir, paved's working directory. Reports, when set, is where the CI
	// kept the run's reports (an artifact): a file the record names that
	// is gone with the CI's workspace is taken from there by its name.
	RecordFile string
	Dir        string
	Reports    string
	// Registry is the run's registry address (host:port).
	Registry string
	// Source is the service's origin URL when it names the run's own git
	// server (a port of this run); it becomes Source.
	Source string
	// GitOpsRepo is the run's GitOps repository and GitOpsSeed the commit
	// it was seeded with; the change is GitOpsSeed..HEAD.
	GitOpsRepo, GitOpsSeed string
}

// Collect reads the outputs of one run. A run that left no record is a
// failed run at StepCLI; what a failed run did not produce stays zero.
func Collect(ctx context.Context, in Input) (*Snapshot, error) {
	s := &Snapshot{ExitCode: in.ExitCode, Status: StatusFailed}
	step := StepCLI
	if in.Wrapper {
		step = StepWrapper
	}
	rec, err := record.Read(in.RecordFile)
	if errors.Is(err, fs.ErrNotExist) && in.ExitCode != 0 {
		s.Failure = &Failure{Step: step, ExitCode: in.ExitCode, Message: lastLine(in.Output)}
		s.Steps = []Step{{Name: step, Status: StatusFailed, Error: s.Failure.Message}}
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	fromRecord(s, rec)
	if in.ExitCode != 0 && s.Failure == nil {
		// The record says ok, the exit code does not: CI acts on the exit
		// code, so the run failed.
		s.Status = StatusFailed
		s.Failure = &Failure{Step: step, ExitCode: in.ExitCode,
			Message: fmt.Sprintf("exited with %d after paved wrote a run record: %s", in.ExitCode, lastLine(in.Output))}
	}
	digest := ""
	if rec.Image != "" {
		if s.Image, digest, err = image(ctx, rec.Image, replacer(in)); err != nil {
			return nil, err
		}
	}
	if file := sbomFile(rec); file != "" {
		if !filepath.IsAbs(file) {
			file = filepath.Join(in.Dir, file)
		}
		if _, err := os.Stat(file); err != nil && in.Reports != "" {
			file = filepath.Join(in.Reports, filepath.Base(file))
		}
		if s.Packages, err = packages(file); err != nil {
			return nil, err
		}
	}
	if in.GitOpsRepo != "" {
		if s.GitOps, err = gitopsChange(ctx, in.GitOpsRepo, in.GitOpsSeed, replacer(in), digest); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func fromRecord(s *Snapshot, rec *record.Run) {
	s.Status, s.PavedVersion = rec.Status, rec.PavedVersion
	if f := rec.Failure; f != nil {
		s.Failure = &Failure{Step: f.Step, ExitCode: f.ExitCode, Message: f.Message}
	}
	for _, st := range rec.Steps {
		s.Steps = append(s.Steps, Step{Name: st.Name, Status: st.Status, DurationSeconds: st.DurationSeconds, Error: st.Error})
		out := st.Outputs
		if out.Findings != nil {
			s.Findings = out.Findings
		}
		if out.GatePassed != nil {
			s.Gate = &Gate{Passed: *out.GatePassed, Failing: slices.Sorted(slices.Values(out.Failing))}
		}
		if len(out.Attestations) > 0 {
			if s.Attestations == nil {
				s.Attestations = map[string][]string{}
			}
			s.Attestations[st.Name] = slices.Sorted(slices.Values(out.Attestations))
		}
	}
}

// sbomFile is the CycloneDX (or other JSON) SBOM the sbom step wrote.
func sbomFile(rec *record.Run) string {
	for _, st := range rec.Steps {
		if st.Name == "sbom" && st.Status == StatusOK {
			for _, f := range st.Outputs.Files {
				if strings.HasSuffix(f, ".json") {
					return f
				}
			}
		}
	}
	return ""
}

// dropped are annotation and label keys that differ between any two runs
// or paved versions by design (see the package documentation).
var dropped = map[string]bool{
	"dev.paved.pipeline.version": true,
	"dev.paved.trace-id":         true,
}

// image reads the run's image and its digest.
func image(ctx context.Context, ref string, registry *strings.Replacer) (*Image, string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return nil, "", fmt.Errorf("parsing image %q of the run record: %w", ref, err)
	}
	img, err := remote.Image(r, remote.WithContext(ctx))
	if err != nil {
		return nil, "", fmt.Errorf("reading image %q: %w", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, "", fmt.Errorf("reading the config of image %q: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, "", fmt.Errorf("reading the manifest of image %q: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, "", fmt.Errorf("reading the digest of image %q: %w", ref, err)
	}
	c := cf.Config
	out := &Image{
		Entrypoint: c.Entrypoint, Cmd: c.Cmd, User: c.User, WorkingDir: c.WorkingDir,
		Labels: normaliseMap(c.Labels, registry), Annotations: normaliseMap(m.Annotations, registry),
	}
	for _, e := range c.Env {
		out.Env = append(out.Env, normalise(e, registry))
	}
	for p := range c.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, p)
	}
	sort.Strings(out.ExposedPorts)
	for _, d := range cf.RootFS.DiffIDs {
		out.Layers = append(out.Layers, d.String())
	}
	return out, digest.String(), nil
}

func normaliseMap(m map[string]string, registry *strings.Replacer) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !dropped[k] {
			out[k] = normalise(v, registry)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Registry is what a run's registry address becomes, Source its
// service's origin URL.
const (
	Registry = "REGISTRY"
	Source   = "SOURCE"
)

// replacer normalises the run's registry address and origin URL.
func replacer(in Input) *strings.Replacer {
	var pairs []string
	if in.Registry != "" {
		pairs = append(pairs, in.Registry, Registry)
	}
	if in.Source != "" {
		pairs = append(pairs, in.Source, Source)
	}
	return strings.NewReplacer(pairs...)
}

func normalise(s string, r *strings.Replacer) string { return r.Replace(s) }

var (
	digestRE   = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	volatileRE = regexp.MustCompile(`^([+\- ]\s*(paved_version|deployed_at|trace_id|run_id):).*$`)
)

// Digest placeholders in the GitOps change: the run's own image (whose
// digest carries paved's version) and any other image.
const (
	DigestSelf  = "sha256:DIGEST"
	DigestOther = "sha256:OTHER"
)

// gitopsChange is the normalised diff seed..HEAD of the GitOps repository:
// the run's image digest becomes DigestSelf, any other digest DigestOther,
// so a run that deploys another image than it built differs.
func gitopsChange(ctx context.Context, repo, seed string, registry *strings.Replacer, digest string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "diff", "--no-color", "--no-ext-diff", seed, "HEAD").Output()
	if err != nil {
		return "", fmt.Errorf("diffing GitOps repository %q from %s: %w", repo, seed, err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "index ") {
			continue
		}
		l = digestRE.ReplaceAllStringFunc(normalise(l, registry), func(d string) string {
			if d == digest {
				return DigestSelf
			}
			return DigestOther
		})
		lines = append(lines, volatileRE.ReplaceAllString(l, "$1 NORMALISED"))
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n"), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
