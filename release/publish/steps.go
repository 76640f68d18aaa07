package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/ci/pins"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/release/changelog"
	"github.com/paved-dev/paved/release/dist"
	"github.com/paved-dev/paved/release/modpath"
)

type step func(context.Context) error

// checks are the steps that write nothing, in order.
func (p *publisher) checks() []step {
	return []step{
		// The candidate report exists and names a version, commit and verdict.
		p.readCandidate,
		// The work tree is clean, so HEAD is what gets built.
		p.checkTree,
		// The candidate passed and was built from HEAD.
		p.checkCandidate,
		// The change notes, the previous tag and the requested version
		// agree on one version, which the candidate was a candidate of,
		// and whose tag does not exist yet.
		p.decideVersion,
		// Everything the writing steps need is there before any of them runs.
		p.checkReleaseInputs,
	}
}

// release are the steps that write, in order; nothing is committed or
// tagged before the artifacts verified.
func (p *publisher) release(ctx context.Context) error {
	baseRef, err := p.baseImage(ctx)
	if err != nil {
		return err
	}
	built, err := p.build(ctx, baseRef)
	if err != nil {
		return err
	}
	pushed, err := p.push(ctx, built.Index)
	if err != nil {
		return err
	}
	p.res.Image, p.res.Base = pushed.Reference, baseRef
	index, err := name.NewDigest(pushed.Reference)
	if err != nil {
		return fmt.Errorf("parsing pushed reference %q: %w", pushed.Reference, err)
	}
	descs, imgs, err := platformImages(built.Index)
	if err != nil {
		return err
	}
	plats, err := p.sboms(ctx, index.Repository, descs)
	if err != nil {
		return err
	}
	p.res.Platforms = map[string]string{}
	for _, pr := range plats {
		p.res.Platforms[pr.platform.String()] = pr.image.String()
	}
	if err := p.signAll(ctx, index, plats); err != nil {
		return err
	}
	if err := p.verifyAll(ctx, index, plats); err != nil {
		return err
	}
	p.res.Verified = true
	tagged, err := p.checkImageTag(ctx, index)
	if err != nil {
		return err
	}
	if err := p.writeOut(ctx, plats, imgs); err != nil {
		return err
	}
	return p.tag(ctx, index, func() error {
		if tagged {
			return nil
		}
		return p.tagImage(ctx, index, built.Index)
	})
}

func (p *publisher) readCandidate(context.Context) error {
	c, err := ReadCandidate(p.o.CandidateReport)
	if err != nil {
		return err
	}
	p.candidate = c
	p.res.Candidate, p.res.CandidateCommit = c.Version, c.Commit
	return nil
}

func (p *publisher) checkTree(context.Context) error {
	r, err := openRepo(p.o.Dir)
	if err != nil {
		return err
	}
	p.repo = r
	if err := r.checkFullHistory(); err != nil {
		return err
	}
	return r.checkClean()
}

func (p *publisher) checkCandidate(context.Context) error {
	head, branch, err := p.repo.head()
	if err != nil {
		return err
	}
	p.head, p.branch, p.created = head, branch, head.Committer.When.UTC()
	released, err := p.repo.releasedAt(head)
	if err != nil {
		return err
	}
	if released != "" {
		remote := p.o.PushRemote
		if remote == "" {
			remote = "origin"
		}
		return failure.BadInputErr(fmt.Errorf("HEAD is the release commit of %s, tagged here: it is released; if it was not pushed, push only: git push --atomic %s %s %s",
			released, remote, branch.Short(), released))
	}
	if err := p.candidate.check(head.Hash.String()); err != nil {
		return err
	}
	apps, err := fileSHA256(head, AppsFile)
	if err != nil {
		return err
	}
	notes, err := fileSHA256(head, ChangelogFile)
	if err != nil {
		return err
	}
	return p.candidate.checkCovers(apps, notes)
}

func (p *publisher) decideVersion(context.Context) error {
	path := filepath.Join(p.repo.root, ChangelogFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("reading %q: %w: the change notes decide the version", path, err))
	}
	c, err := changelog.Parse(data)
	if err != nil {
		return fmt.Errorf("reading %q: %w", path, err)
	}
	prev, err := p.repo.previous(p.head)
	if err != nil {
		return err
	}
	if err := p.candidate.checkBaseline(prev); err != nil {
		return err
	}
	d, err := c.Decide(prev, p.o.Version)
	if err != nil {
		return err
	}
	// Releasing the notes now surfaces a changelog that cannot be
	// released (a section for the version exists) before anything is built.
	if _, err := changelog.Release(data, d.Version, p.o.Now()); err != nil {
		return err
	}
	p.version = d.Version
	p.res.Version, p.res.Previous, p.res.Reason = d.Version, d.Previous, d.Reason.String()
	if d.Previous == "" {
		p.res.Reason = fmt.Sprintf("the first release (Unreleased has %s)", strings.Join(d.Reason.Groups, ", "))
	}
	if err := p.candidate.checkVersion(d.Version); err != nil {
		return err
	}
	if err := p.checkModulePath(d.Version); err != nil {
		return err
	}
	p.res.Tag = d.Version
	if err := p.repo.checkNoTag(d.Version); err != nil {
		return err
	}
	if p.o.PushRemote == "" {
		return nil
	}
	return p.repo.checkNoRemoteTag(p.o.PushRemote, d.Version)
}

// checkModulePath: a major version from v2 on is released from a module
// at MODULE/vN (semantic import versioning), or go install and go get
// refuse the tag. The tree is clean, so go.mod is HEAD's.
func (p *publisher) checkModulePath(version string) error {
	gomod, err := os.ReadFile(filepath.Join(p.repo.root, "go.mod"))
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("reading go.mod of %q: %w", p.repo.root, err))
	}
	return modpath.Check(gomod, version)
}

func (p *publisher) checkReleaseInputs(context.Context) error {
	if p.o.DryRun {
		return nil
	}
	var missing []string
	for _, in := range []struct{ what, v string }{
		{"an image repository", p.o.Repository}, {"a signing key", p.o.Key}, {"a public key to verify with", p.o.PublicKey},
	} {
		if in.v == "" {
			missing = append(missing, in.what)
		}
	}
	if len(missing) > 0 {
		return failure.BadInputErr(fmt.Errorf("publishing %s needs %s", p.version, strings.Join(missing, " and ")))
	}
	if _, err := name.NewRepository(p.o.Repository); err != nil {
		return failure.BadInputErr(fmt.Errorf("parsing repository %q: %w (want REGISTRY/PATH)", p.o.Repository, err))
	}
	if _, err := p.repo.identity(p.o.Now()); err != nil {
		return err
	}
	if p.o.PushRemote != "" {
		if _, err := p.repo.git.Remote(p.o.PushRemote); err != nil {
			if errors.Is(err, git.ErrRemoteNotFound) {
				return failure.BadInputErr(fmt.Errorf("reading git remote %q: it does not exist: add it or pick another (git remote -v)", p.o.PushRemote))
			}
			return fmt.Errorf("reading git remote %q: %w", p.o.PushRemote, err)
		}
	}
	return nil
}

func (p *publisher) baseImage(ctx context.Context) (string, error) {
	if p.o.Base != "" {
		return p.o.Base, nil
	}
	return p.staticBase(ctx)
}

// writeOut writes each platform's binary archive and SBOM, SHA256SUMS and
// its signature (what the CI wrappers install and verify) into
// OutDir/VERSION, and verifies the signature with the public key first.
func (p *publisher) writeOut(ctx context.Context, plats []platformRelease, imgs []v1.Image) error {
	if p.o.OutDir == "" {
		return nil
	}
	var files []dist.File
	for i, pr := range plats {
		bin, data, err := binary(imgs[i])
		if err != nil {
			return err
		}
		archive := dist.ArchiveName(bin, p.version, pr.platform.OS, pr.platform.Architecture)
		tgz, err := dist.Archive(bin, data, p.created)
		if err != nil {
			return err
		}
		sbomName := strings.TrimSuffix(archive, ".tar.gz") + ".spdx.json"
		files = append(files, dist.File{Name: archive, Data: tgz}, dist.File{Name: sbomName, Data: pr.sbom.Document})
	}
	rel, err := dist.Write(ctx, filepath.Join(p.o.OutDir, p.version), files, p.signSums)
	if rel != nil {
		p.res.Files, p.res.SumsSHA256 = rel.Files, rel.SumsSHA256
	}
	return err
}

// signSums signs SHA256SUMS with the release key and verifies the
// signature with the public key, as the wrappers will.
func (p *publisher) signSums(ctx context.Context, sums []byte) ([]byte, error) {
	sig, err := sign.SignBlob(ctx, sums, sign.WithKey(p.o.Key), sign.WithPassword(p.o.Password))
	if err != nil {
		return nil, err
	}
	if err := sign.VerifyBlob(ctx, sums, sig, p.o.PublicKey); err != nil {
		return nil, err
	}
	return sig, nil
}

// tag moves the change notes into the new version's section, pins the
// wrappers to the release (version, SHA256SUMS checksum, public key), commits
// that and tags the commit, runs tagImage (the registry's version tag; on its
// failure the commit and the git tag are undone), then pushes both when
// asked.
func (p *publisher) tag(ctx context.Context, index name.Digest, tagImage func() error) error {
	files, err := p.releaseFiles(ctx)
	if err != nil {
		return err
	}
	now := p.o.Now()
	who, err := p.repo.identity(now)
	if err != nil {
		return err
	}
	msg := releaseMessage(p.version)
	tagMsg := fmt.Sprintf("paved %s\n\nImage: %s\nCandidate: %s built from %s\n", p.version, index, p.candidate.Version, p.head.Hash)
	commit, err := p.repo.commitAndTag(p.head.Hash, files, msg, p.version, tagMsg, who, tagImage)
	if err != nil {
		return err
	}
	p.res.Commit = commit.String()
	if p.o.PushRemote == "" {
		return nil
	}
	if err := p.repo.push(p.o.PushRemote, p.branch, p.version); err != nil {
		return err
	}
	p.res.Pushed = p.o.PushRemote
	return nil
}

// releaseFiles are the files the release commit changes: CHANGELOG.md with
// Unreleased moved into the version's section, and the wrappers pinned to
// the release (ci/pins).
func (p *publisher) releaseFiles(ctx context.Context) (map[string][]byte, error) {
	data, err := os.ReadFile(filepath.Join(p.repo.root, ChangelogFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ChangelogFile, err)
	}
	released, err := changelog.Release(data, p.version, p.o.Now())
	if err != nil {
		return nil, err
	}
	key, err := sign.PublicKeyPEM(ctx, p.o.PublicKey)
	if err != nil {
		return nil, err
	}
	files, err := pins.Write(p.repo.root, pins.Release{Version: p.version, SumsSHA256: p.res.SumsSHA256, PublicKeyPEM: key})
	if err != nil {
		return nil, err
	}
	for name := range files {
		p.res.Pinned = append(p.res.Pinned, name)
	}
	sort.Strings(p.res.Pinned)
	files[ChangelogFile] = released
	return files, nil
}
