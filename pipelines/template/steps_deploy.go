package template

import (
	"context"

	"github.com/paved-dev/paved/pipelines/deploy"
)

func (r *run) deploy(ctx context.Context) (Outputs, error) {
	res, err := deploy.Bump(ctx, r.gitopsRepo, deploy.BumpRequest{
		Service: r.cfg.GitOpsService(), Env: r.env, Image: r.digest.String(), Version: r.version,
		SourceRevision: r.rec.Source.Revision, DeployedBy: r.o.deployedBy,
		RunID: r.rec.RunID, TraceID: r.rec.TraceID,
	}, r.bumpOptions()...)
	if err != nil {
		return Outputs{}, err
	}
	r.deployed = res
	changed := res.Changed
	return Outputs{GitOpsCommit: res.Commit, GitOpsChanged: &changed}, nil
}

func (r *run) skipDeploy() string {
	if r.o.skipDeploy {
		return "--skip-deploy"
	}
	return ""
}
