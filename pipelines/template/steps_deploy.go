package template

import (
	"context"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/record"
)

// bumpRequest is the GitOps bump of the run, once the image is pushed.
func (r *run) bumpRequest() deploy.BumpRequest {
	return deploy.BumpRequest{
		Service: r.cfg.GitOpsService(), Env: r.env, Image: r.digest, Version: r.version,
		SourceRevision: r.rec.Source.Revision, DeployedBy: r.o.deployedBy, ApprovedBy: r.o.approvedBy,
		RunID: r.rec.RunID, TraceID: r.rec.TraceID,
	}
}

// checkDeploy refuses, before anything is built, the values the bump would
// refuse (a run id that would forge a commit trailer, a version that is no
// tag), so that a run does not fail at its last step for its flags.
func (r *run) checkDeploy(context.Context) error {
	if r.o.skipDeploy {
		return nil
	}
	return deploy.CheckRequest(r.bumpRequest())
}

// deploy bumps the environment through the GitOps repository, after the
// image passes the environment's gates (signature key, scan verdict and age,
// approval) as any other verb that makes an image enter it.
func (r *run) deploy(ctx context.Context) (record.Outputs, error) {
	res, err := deploy.Bump(ctx, r.gitopsRepo, r.bumpRequest(), r.bumpOptions()...)
	if err != nil {
		return record.Outputs{}, err
	}
	r.deployed = res
	changed := res.Changed
	return record.Outputs{GitOpsCommit: res.Commit, GitOpsChanged: &changed}, nil
}

func (r *run) skipDeploy() string {
	if r.o.skipDeploy {
		return "--skip-deploy"
	}
	return ""
}
