package candidate

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// git runs git in repo and returns its trimmed standard output.
func git(ctx context.Context, repo string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// State is the repository a candidate is built from.
type State struct {
	// Commit is HEAD; Dirty says the work tree has uncommitted changes
	// (they are not in the candidate, which is built from a git archive
	// of HEAD).
	Commit string
	Dirty  bool
}

// RepoState reads HEAD and whether the work tree is dirty. A shallow
// clone is bad input: its missing history would hide the release tags
// (making any candidate a first release) and the apps' pinned commits.
// A full clone without tags is a first release, and the report says so.
func RepoState(ctx context.Context, repo string) (State, error) {
	shallow, err := git(ctx, repo, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return State{}, fmt.Errorf("reading the history of %q: %w", repo, err)
	}
	if shallow == "true" {
		return State{}, failure.BadInputErr(fmt.Errorf("reading the history of %q: it is a shallow clone, so the previous release and the apps' commits may be missing: fetch full history and tags (git fetch --unshallow --tags; in CI a checkout with fetch-depth: 0)", repo))
	}
	head, err := git(ctx, repo, "rev-parse", "HEAD")
	if err != nil {
		return State{}, fmt.Errorf("reading HEAD of %q: %w", repo, err)
	}
	status, err := git(ctx, repo, "status", "--porcelain")
	if err != nil {
		return State{}, fmt.Errorf("reading the status of %q: %w", repo, err)
	}
	return State{Commit: head, Dirty: status != ""}, nil
}

// ErrNoRelease is returned by LatestRelease when no release tag is
// reachable: the candidate is the first release.
var ErrNoRelease = errors.New("no release tag vX.Y.Z reachable from HEAD")

// LatestRelease returns the highest vX.Y.Z tag (no pre-release, no build
// metadata) reachable from HEAD, and its commit.
func LatestRelease(ctx context.Context, repo string) (tag, commit string, err error) {
	out, err := git(ctx, repo, "tag", "--merged", "HEAD", "--list", "v*")
	if err != nil {
		return "", "", fmt.Errorf("listing the release tags of %q: %w", repo, err)
	}
	var best *semver.Version
	for _, t := range strings.Fields(out) {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(t, "v"))
		if err != nil || v.Prerelease() != "" || v.Metadata() != "" {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, tag = v, t
		}
	}
	if best == nil {
		return "", "", ErrNoRelease
	}
	commit, err = git(ctx, repo, "rev-list", "-n", "1", tag)
	if err != nil {
		return "", "", fmt.Errorf("resolving release tag %q: %w", tag, err)
	}
	return tag, commit, nil
}

// CheckVersion checks a candidate version: vX.Y.Z with a pre-release
// (vX.Y.Z-rc.N), above the baseline's when there is one.
func CheckVersion(version, baseline string) error {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(version, "v"))
	if err != nil || !strings.HasPrefix(version, "v") {
		return failure.BadInputErr(fmt.Errorf("parsing candidate version %q: want semver vX.Y.Z-rc.N", version))
	}
	if v.Prerelease() == "" {
		return failure.BadInputErr(fmt.Errorf("candidate version %q has no pre-release: a candidate is vX.Y.Z-rc.N, the release is tagged by paved release publish", version))
	}
	if baseline == "" {
		return nil
	}
	b, err := semver.StrictNewVersion(strings.TrimPrefix(baseline, "v"))
	if err == nil && !v.GreaterThan(b) {
		return failure.BadInputErr(fmt.Errorf("candidate version %q is not above the previous release %s: pick the next version's -rc.N", version, baseline))
	}
	return nil
}

// CommitTime returns the commit time of rev, the SOURCE_DATE_EPOCH of
// both runs of an app.
func CommitTime(ctx context.Context, repo, rev string) (time.Time, error) {
	out, err := git(ctx, repo, "show", "-s", "--format=%ct", rev)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the time of commit %s: %w", rev, err)
	}
	secs, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing the time of commit %s %q: %w", rev, out, err)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// HasCommit reports whether repo holds the commit object.
func HasCommit(ctx context.Context, repo, commit string) bool {
	_, err := git(ctx, repo, "cat-file", "-e", commit+"^{commit}")
	return err == nil
}

// HasPath reports whether path exists in the tree of commit (false too
// when the commit is missing: see HasCommit).
func HasPath(ctx context.Context, repo, commit, path string) bool {
	_, err := git(ctx, repo, "cat-file", "-e", commit+":"+path)
	return err == nil
}

// Export writes the files of rev under paths (all of the tree when none)
// into dst, with git archive.
func Export(ctx context.Context, repo, rev, dst string, paths ...string) error {
	args := append([]string{"-C", repo, "archive", "--format=tar", rev, "--"}, paths...)
	cmd := exec.CommandContext(ctx, "git", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("exporting %s of %q: %w", rev, repo, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exporting %s of %q: %w", rev, repo, err)
	}
	xerr := extract(out, dst)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("exporting %s of %q: %w: %s", rev, repo, err, strings.TrimSpace(stderr.String()))
	}
	return xerr
}

// extract writes a git archive tar stream (regular files, directories,
// symbolic links) under dst.
func extract(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		name := filepath.Join(dst, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, filepath.Clean(dst)+string(filepath.Separator)) {
			return fmt.Errorf("archive entry %q leaves %q", h.Name, dst)
		}
		if err := writeEntry(tr, h, name); err != nil {
			return err
		}
	}
}

func writeEntry(tr *tar.Reader, h *tar.Header, name string) error {
	switch h.Typeflag {
	case tar.TypeDir:
		return os.MkdirAll(name, 0o755)
	case tar.TypeSymlink:
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		return os.Symlink(h.Linkname, name)
	case tar.TypeReg:
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return fmt.Errorf("writing %q: %w", name, err)
		}
		return f.Close()
	}
	return nil // git archive writes a global pax header; nothing else
}
