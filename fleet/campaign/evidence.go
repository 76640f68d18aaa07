package campaign

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Evidence names where a verdict comes from, in the order the gate reads
// them: the forge's CI result for the bump, the GitOps repository's deploy
// record, a run file committed under RunsDir.
const (
	EvidenceCheck  = "check"
	EvidenceDeploy = "deploy"
	EvidenceRun    = "run"
)

// validCheck reports whether a health check name is a valid path.Match
// pattern.
func validCheck(p string) bool {
	_, err := path.Match(p, "")
	return err == nil
}

// health is a merged service's verdict from the first evidence that has
// one: the forge's result of c.Health.Check on the merge commit, else on
// the change's head; a deploy record of the target in versions.yaml; a run
// file. A result still pending on the forge is said in the message of a
// missing verdict.
func (e *Engine) health(ctx context.Context, r *gitrepo.Repo, c *Campaign, s *Service, deadline time.Time, deploys *deployRecords) (*Verdict, error) {
	checked := e.checkVerdict(ctx, c, s)
	if checked != nil && checked.Status != HealthMissing {
		return checked, nil
	}
	if v := deploys.verdict(r, c, s, deadline); v != nil {
		return v, nil
	}
	v, err := verdict(r, c, s, deadline)
	if err != nil {
		return nil, err
	}
	switch {
	case v.Status != HealthMissing:
		v.Evidence = EvidenceRun
	case checked != nil:
		return checked, nil
	case deploys != nil && v.Message == "":
		v.Message = fmt.Sprintf("no deploy record in %s from %s or later yet", deploy.VersionsFile, short(or(mergeOf(s), s.BumpCommit)))
	}
	return v, nil
}

// checkVerdict reads the forge's results on the merge commit, then, when
// the merge commit has none of c.Health.Check (its CI runs on changes
// only), on the change's head. A finished result decides; a pending one on
// the merge commit is waited for. Nil when the forge reads no results or
// no check is named.
func (e *Engine) checkVerdict(ctx context.Context, c *Campaign, s *Service) *Verdict {
	checks, ok := e.changes.(fleet.Checks)
	if !ok || c.Health.Check == "" {
		return nil
	}
	var commits []string
	if s.Change != nil && s.Change.MergeCommit != "" {
		commits = append(commits, s.Change.MergeCommit)
	}
	if s.Change != nil && s.Change.Head != "" && s.Change.Head != s.Change.MergeCommit {
		commits = append(commits, s.Change.Head)
	} else if s.BumpCommit != "" && (s.Change == nil || s.BumpCommit != s.Change.MergeCommit) {
		commits = append(commits, s.BumpCommit)
	}
	missing := &Verdict{Status: HealthMissing, Message: fmt.Sprintf("no %q result on the forge yet", c.Health.Check)}
	for _, commit := range commits {
		pending := false
		results, err := checks.Checks(ctx, s.Repository, commit)
		if err != nil {
			return &Verdict{Status: HealthMissing, Message: err.Error()}
		}
		for _, ch := range results {
			if ok, _ := path.Match(c.Health.Check, ch.Name); !ok {
				continue
			}
			v := &Verdict{Status: HealthOK, Evidence: EvidenceCheck, Commit: commit, Step: ch.Name, URL: ch.URL, Message: ch.Description}
			switch ch.State {
			case fleet.CheckSuccess:
				return v
			case fleet.CheckFailure:
				v.Status = HealthFailed
				return v
			}
			pending = true
			missing.Message = fmt.Sprintf("%s is still %s on %s", ch.Name, ch.State, short(commit))
			missing.URL = ch.URL
		}
		if pending {
			return missing
		}
	}
	return missing
}

// deployRecords is the GitOps repository's versions.yaml, read once per
// gate.
type deployRecords struct {
	versions *deploy.Versions
	commit   string
}

// readDeploys reads versions.yaml at the tip of the campaign's GitOps
// repository; nil without one. A repository that cannot be read fails the
// gate's reading (the gate waits; the advance says why).
func (e *Engine) readDeploys(ctx context.Context, c *Campaign) (*deployRecords, error) {
	if c.GitOps == nil || c.GitOps.Repository == "" {
		return nil, nil
	}
	r, err := gitrepo.Clone(ctx, c.GitOps.Repository, c.GitOps.Branch, e.auth)
	if err != nil {
		return nil, err
	}
	tip, _ := r.Tip(r.Base)
	data, err := r.ReadFile(tip, deploy.VersionsFile)
	fs := memfs.New()
	switch {
	case errors.Is(err, gitrepo.ErrNoFile):
	case err != nil:
		return nil, err
	default:
		if err := util.WriteFile(fs, deploy.VersionsFile, data, 0o644); err != nil {
			return nil, fmt.Errorf("reading %s of %s: %w", deploy.VersionsFile, redact.URL(c.GitOps.Repository), err)
		}
	}
	v, _, err := deploy.LoadVersions(fs)
	if err != nil {
		return nil, fmt.Errorf("reading %s of %s: %w", deploy.VersionsFile, redact.URL(c.GitOps.Repository), err)
	}
	return &deployRecords{versions: v, commit: tip.String()}, nil
}

// verdict is the service's latest deploy record that counts, as an OK
// verdict, or nil: a record of any environment deployed by the target
// paved version (for a paved campaign) from a source revision that is the
// merge commit (else the bump) or a descendant, deployed by deadline. A
// deploy record is written only by a pipeline that got through its gates.
func (d *deployRecords) verdict(r *gitrepo.Repo, c *Campaign, s *Service, deadline time.Time) *Verdict {
	if d == nil {
		return nil
	}
	merge := plumbing.NewHash(or(mergeOf(s), s.BumpCommit))
	if merge.IsZero() {
		return nil
	}
	var best *Verdict
	var latest time.Time
	for env, rec := range d.versions.Services[s.Name] {
		if rec == nil || !isHash(rec.SourceRevision) {
			continue
		}
		if c.Target.Kind == pin.Paved && !sameVersion(rec.PavedVersion, c.Target.To) {
			continue
		}
		at, err := time.Parse(time.RFC3339, rec.DeployedAt)
		if err != nil || at.After(deadline) || (best != nil && !at.After(latest)) {
			continue
		}
		if ok, err := r.IsAncestor(merge, plumbing.NewHash(rec.SourceRevision)); err != nil || !ok {
			continue
		}
		latest = at
		best = &Verdict{Status: HealthOK, Evidence: EvidenceDeploy, Commit: rec.SourceRevision, File: deploy.VersionsFile,
			FinishedAt: &at, Message: fmt.Sprintf("deployed to %s by paved %s (GitOps commit %s)", env, rec.PavedVersion, short(d.commit))}
	}
	return best
}

func mergeOf(s *Service) string {
	if s.Change == nil {
		return ""
	}
	return s.Change.MergeCommit
}

func sameVersion(a, b string) bool {
	return a != "" && trimV(a) == trimV(b)
}

func trimV(s string) string {
	if len(s) > 0 && s[0] == 'v' {
		return s[1:]
	}
	return s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
