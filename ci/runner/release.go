package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/paved-dev/paved/ci/pins"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/release/dist"
)

// Release is a release of paved the wrappers install: the paved tree pinned
// to it, and its files, served by a Server.
type Release struct {
	// Version is the release version, vX.Y.Z[-PRE].
	Version string
	// Tree is a git repository of paved's tree pinned to Version (ci/pins),
	// committed and tagged Version: what a service's @Version resolves.
	Tree string
	// Files is the directory of the release files, Files/Version/FILE.
	Files string
	// GitRoot holds a bare clone of Tree at GitRoot/paved-dev/paved.git,
	// which the GitLab stand-in serves.
	GitRoot string
	// SumsSHA256 is the sha256 of SHA256SUMS, which the tree pins.
	SumsSHA256 string
}

// ReleaseOptions say what to release.
type ReleaseOptions struct {
	// Source is paved's tree: a git work tree (its tracked and untracked,
	// not ignored files are taken, so uncommitted changes are tested) or a
	// plain directory.
	Source string
	// Version is the version to release; Binary paved built for this
	// machine's platform with that version stamped in.
	Version, Binary string
	// Key signs SHA256SUMS (a cosign.key file, env://VAR or a KMS URI)
	// with Password; PublicKey is the key the tree pins.
	Key, PublicKey string
	Password       sign.PassFunc
	// Dir receives the tree (Dir/tree) and the files (Dir/files).
	Dir string
	// Reuse, when set, is a release of the same version and binary whose
	// files are copied instead of packing Binary again (a variant of the
	// tree, or of the files, for one test).
	Reuse *Release
}

// NewRelease writes the release files of o.Binary with release/dist (the
// archive for this platform, SHA256SUMS, its signature), then copies the
// tree and pins it to the release with ci/pins, as paved release publish's
// release commit does, and commits and tags it.
func NewRelease(ctx context.Context, o ReleaseOptions) (*Release, error) {
	r := &Release{Version: o.Version, Tree: filepath.Join(o.Dir, "tree"), Files: filepath.Join(o.Dir, "files"), GitRoot: filepath.Join(o.Dir, "git")}
	if err := r.writeFiles(ctx, o); err != nil {
		return nil, err
	}
	if err := copyTree(ctx, o.Source, r.Tree); err != nil {
		return nil, err
	}
	key, err := sign.PublicKeyPEM(ctx, o.PublicKey)
	if err != nil {
		return nil, err
	}
	files, err := pins.Write(r.Tree, pins.Release{Version: o.Version, SumsSHA256: r.SumsSHA256, PublicKeyPEM: key})
	if err != nil {
		return nil, err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(r.Tree, filepath.FromSlash(name)), data, 0o644); err != nil {
			return nil, fmt.Errorf("pinning %s: %w", name, err)
		}
	}
	if err := commitAll(ctx, r.Tree, "chore(release): "+o.Version, o.Version); err != nil {
		return nil, err
	}
	bare := filepath.Join(r.GitRoot, filepath.FromSlash(Project)+".git")
	if out, err := git(ctx, o.Dir, "clone", "-q", "--bare", r.Tree, bare); err != nil {
		return nil, fmt.Errorf("cloning %q for the GitLab stand-in: %w: %s", r.Tree, err, out)
	}
	return r, nil
}

// copyTree copies src into dst: a git work tree's tracked and untracked
// files that are not ignored, or every file of a plain directory.
func copyTree(ctx context.Context, src, dst string) error {
	if !isWorkTree(ctx, src) {
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			return fmt.Errorf("copying %q: %w", src, err)
		}
		return nil
	}
	out, err := exec.CommandContext(ctx, "git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("listing the files of %q: %w", src, err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(src, name)
		st, err := os.Lstat(from)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink or submodule
		}
		data, err := os.ReadFile(from)
		if err != nil {
			return fmt.Errorf("copying %q: %w", from, err)
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(to, data, st.Mode().Perm()); err != nil {
			return fmt.Errorf("copying %q: %w", from, err)
		}
	}
	return nil
}

// isWorkTree reports whether dir is the top of a git work tree (an export
// inside another repository's ignored directory is not).
func isWorkTree(ctx context.Context, dir string) bool {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return false
	}
	abs, err := filepath.Abs(dir) // git names the top absolute; dir may be ".."
	if err != nil {
		return false
	}
	a, errA := filepath.EvalSymlinks(top)
	b, errB := filepath.EvalSymlinks(abs)
	return errA == nil && errB == nil && a == b
}

// commitAll makes dir a git repository (if it is not one), commits every
// file with message and, when tag is set, tags the commit.
func commitAll(ctx context.Context, dir, message, tag string) error {
	steps := [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"},
		{"-c", "user.name=paved test", "-c", "user.email=test@paved.invalid", "commit", "-q", "--allow-empty", "-m", message}}
	if tag != "" {
		steps = append(steps, []string{"tag", "-f", tag})
	}
	for _, args := range steps {
		if out, err := git(ctx, dir, args...); err != nil {
			return fmt.Errorf("running git %s in %q: %w: %s", strings.Join(args, " "), dir, err, out)
		}
	}
	return nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// writeFiles writes the release files: the archive of o.Binary for this
// platform, SHA256SUMS and its signature, or a copy of o.Reuse's.
func (r *Release) writeFiles(ctx context.Context, o ReleaseOptions) error {
	if o.Reuse != nil {
		r.SumsSHA256 = o.Reuse.SumsSHA256
		if err := os.CopyFS(r.Files, os.DirFS(o.Reuse.Files)); err != nil {
			return fmt.Errorf("copying release files %q: %w", o.Reuse.Files, err)
		}
		return nil
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return fmt.Errorf("reading paved binary %q: %w", o.Binary, err)
	}
	tgz, err := dist.Archive("paved", bin, time.Unix(0, 0))
	if err != nil {
		return err
	}
	signer := func(ctx context.Context, sums []byte) ([]byte, error) {
		return sign.SignBlob(ctx, sums, sign.WithKey(o.Key), sign.WithPassword(o.Password))
	}
	archive := dist.ArchiveName("paved", o.Version, runtime.GOOS, runtime.GOARCH)
	rel, err := dist.Write(ctx, filepath.Join(r.Files, o.Version), []dist.File{{Name: archive, Data: tgz}}, signer)
	if err != nil {
		return err
	}
	r.SumsSHA256 = rel.SumsSHA256
	return nil
}

// Alias makes refs (tags a service pins, say v0.1.0) name the release's
// commit too, in the tree and in the repository the GitLab stand-in serves:
// the service's own CI file then runs the release's wrappers, as act's
// --local-repository maps any ref of paved-dev/paved to the tree.
func (r *Release) Alias(ctx context.Context, refs ...string) error {
	bare := filepath.Join(r.GitRoot, filepath.FromSlash(Project)+".git")
	for _, ref := range refs {
		for _, dir := range []string{r.Tree, bare} {
			if out, err := git(ctx, dir, "tag", "-f", ref, r.Version); err != nil {
				return fmt.Errorf("tagging %s as %s in %q: %w: %s", r.Version, ref, dir, err, out)
			}
		}
	}
	return nil
}
