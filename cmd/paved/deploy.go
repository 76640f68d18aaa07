package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// deployOptions are the flags shared by every deploy verb.
type deployOptions struct {
	repo, branch, authorName, authorEmail, template string
	runID, traceID, deployedBy                      string
	dryRun                                          bool
	output                                          string
}

func newDeployCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Change what runs where through the GitOps repository",
		Long: `deploy edits a GitOps repository described by its paved-gitops.yaml: it pins a
service's manifests to an image digest, records the deployment in versions.yaml
and pushes one commit. Git credentials come from the environment:
PAVED_GIT_TOKEN (HTTPS, with PAVED_GIT_USERNAME) or PAVED_GIT_SSH_KEY
(with PAVED_GIT_SSH_PASSPHRASE and PAVED_GIT_SSH_KNOWN_HOSTS).

Every verb that makes an image enter an environment (bump, promote, switch,
rollback) first checks that the image is in its registry (registry
credentials as for paved build) and passes that environment's gates in
paved-gitops.yaml: approval (--approved-by), a Cosign signature with the
environment's key, a passed and fresh vulnerability-scan attestation. A
refused gate exits 3 and pushes nothing; --unlock lifts a lock, never a gate.`,
	}
	cmd.AddCommand(newDeployBumpCmd(), newDeployPromoteCmd(), newDeploySwitchCmd(), newDeployRollbackCmd(), newDeployRoutesCmd())
	return cmd
}

func (o *deployOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", getenv(envGitOpsRepo), "GitOps repository URL (https://, ssh:// or a path; env "+envGitOpsRepo+")")
	f.StringVar(&o.branch, "branch", "main", "branch to commit to")
	f.StringVar(&o.authorName, "author-name", getenvOr(envGitAuthorName, "paved"), "commit author name (env "+envGitAuthorName+")")
	f.StringVar(&o.authorEmail, "author-email", getenvOr(envGitAuthorEmail, "paved@localhost"), "commit author email (env "+envGitAuthorEmail+")")
	f.StringVar(&o.template, "message-template", deploy.DefaultMessageTemplate, "commit message template (text/template: .Service .Env .Action .OldVersion .NewVersion .Image)")
	f.StringVar(&o.runID, "run-id", getenv(envRunID), "pipeline run id, recorded and added as the Paved-Run trailer (env "+envRunID+")")
	f.StringVar(&o.traceID, "trace-id", getenv(envTraceID), "trace id, recorded and added as the Paved-Trace trailer (env "+envTraceID+")")
	f.StringVar(&o.deployedBy, "deployed-by", "", "who deploys (default: the author email)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the diff and the commit message, push nothing")
	outputFlag(cmd, &o.output)
}

// options checks the shared flags and turns them into deploy options.
func (o *deployOptions) options() ([]deploy.Option, error) {
	if err := checkOutput(o.output); err != nil {
		return nil, err
	}
	if o.repo == "" {
		return nil, usageError{fmt.Errorf("--repo is required (or set %s)", envGitOpsRepo)}
	}
	if o.deployedBy == "" {
		o.deployedBy = o.authorEmail
	}
	auth, err := gitAuth()
	if err != nil {
		return nil, err
	}
	opts := []deploy.Option{
		deploy.WithBranch(o.branch), deploy.WithAuthor(o.authorName, o.authorEmail),
		deploy.WithMessageTemplate(o.template), deploy.WithDryRun(o.dryRun),
		deploy.WithSecrets(getenv(envGitToken), getenv(envGitSSHPassphrase)),
		deploy.WithKeychain(keychain()),
	}
	if auth != nil {
		opts = append(opts, deploy.WithAuth(auth))
	}
	return opts, nil
}

// gitAuth reads the git credentials from the environment.
func gitAuth() (transport.AuthMethod, error) {
	token, key := getenv(envGitToken), getenv(envGitSSHKey)
	switch {
	case token != "" && key != "":
		return nil, failure.BadInputErr(fmt.Errorf("both %s and %s are set: keep one", envGitToken, envGitSSHKey))
	case token != "":
		return &githttp.BasicAuth{Username: getenvOr(envGitUsername, "x-access-token"), Password: token}, nil
	case key != "":
		pk, err := gitssh.NewPublicKeysFromFile("git", key, getenv(envGitSSHPassphrase))
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading the SSH key %s (%s): check the file and its passphrase", key, envGitSSHKey))
		}
		var files []string
		if kh := getenv(envGitKnownHosts); kh != "" {
			files = append(files, kh)
		}
		cb, err := gitssh.NewKnownHostsCallback(files...)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading known hosts (%s): %w", envGitKnownHosts, err))
		}
		pk.HostKeyCallback = cb
		return pk, nil
	}
	return nil, nil
}

// printDeployResult prints a deploy result as text or JSON.
func printDeployResult(w io.Writer, o *deployOptions, res *deploy.Result) error {
	if o.output == "json" {
		return writeJSON(w, res)
	}
	switch {
	case !res.Changed:
		_, err := fmt.Fprintln(w, "no change: the repository already has it, nothing committed")
		return err
	case o.dryRun:
		_, err := fmt.Fprintf(w, "%s\n--- commit message (dry run, nothing pushed) ---\n%s", res.Diff, res.Message)
		return err
	}
	_, err := fmt.Fprintf(w, "pushed %s (%d attempt(s)): %s", res.Commit, res.Attempts, res.Message)
	return err
}

func newDeployBumpCmd() *cobra.Command {
	var o deployOptions
	var req deploy.BumpRequest
	var image string
	cmd := &cobra.Command{
		Use:   "bump",
		Short: "Pin a service's manifests in one environment to an image digest, through its gates",
		Args:  cobra.NoArgs,
		Example: `  PAVED_GIT_TOKEN=... paved deploy bump --repo https://git.example.com/acme/gitops.git \
    --service api --env dev --image ghcr.io/acme/api@sha256:3f2a... --version v1.5.0
  paved deploy bump --repo ../gitops --service api --env dev --image ghcr.io/acme/api@sha256:3f2a... --dry-run`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := o.options()
			if err != nil {
				return err
			}
			if req.Unlock && req.Reason == "" {
				return usageError{errors.New("--unlock needs --reason: say why the lock is lifted")}
			}
			if req.Image, err = oci.ParseDigest(image); err != nil {
				return err
			}
			req.DeployedBy, req.RunID, req.TraceID = o.deployedBy, o.runID, o.traceID
			res, err := deploy.Bump(cmd.Context(), o.repo, req, opts...)
			if err != nil {
				return err
			}
			return printDeployResult(cmd.OutOrStdout(), &o, res)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Service, "service", "", "service name, as in paved-gitops.yaml")
	f.StringVar(&req.Env, "env", "", "environment name, as in paved-gitops.yaml")
	f.StringVar(&image, "image", "", "image by digest: REPO@sha256:... (a tag is refused)")
	f.StringVar(&req.Version, "version", "", "human version to record and write to tag fields (default: 12 hex digits of the digest)")
	f.StringVar(&req.SourceRevision, "source-revision", "", "source commit the image was built from")
	f.StringVar(&req.ApprovedBy, "approved-by", "", "identity that approved the change (required where approval: required)")
	f.BoolVar(&req.Unlock, "unlock", false, "lift a rollback lock (needs --reason); the environment's gates still apply")
	f.StringVar(&req.Reason, "reason", "", "why the lock is lifted")
	for _, name := range []string{"service", "env", "image"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newDeployPromoteCmd() *cobra.Command {
	var o deployOptions
	var req deploy.PromoteRequest
	cmd := &cobra.Command{
		Use:   "promote",
		Short: "Run in the next environment the exact digest recorded for the previous one",
		Args:  cobra.NoArgs,
		Example: `  paved deploy promote --repo https://git.example.com/acme/gitops.git --service api --from dev --to staging
  paved deploy promote --repo ../gitops --service api --from staging --to prod --approved-by alice@example.com`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := o.options()
			if err != nil {
				return err
			}
			req.DeployedBy, req.RunID, req.TraceID = o.deployedBy, o.runID, o.traceID
			res, err := deploy.Promote(cmd.Context(), o.repo, req, opts...)
			if err != nil {
				return err
			}
			return printDeployResult(cmd.OutOrStdout(), &o, res)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Service, "service", "", "service name, as in paved-gitops.yaml")
	f.StringVar(&req.From, "from", "", "environment to copy the recorded digest from")
	f.StringVar(&req.To, "to", "", "the next environment in paved-gitops.yaml")
	f.StringVar(&req.ApprovedBy, "approved-by", "", "identity that approved the promotion (required where approval: required)")
	for _, name := range []string{"service", "from", "to"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newDeploySwitchCmd() *cobra.Command {
	var o deployOptions
	var req deploy.SwitchRequest
	cmd := &cobra.Command{
		Use:   "switch",
		Short: "Move a blue-green service's traffic to its other slot, through the environment's gates",
		Long: `switch points the Service of a blue-green service at the blue or green
Deployment (default: the idle one, which the last bump wrote). The image that
slot runs must pass the environment's gates, as for a promotion into it:
--approved-by where approval: required, its signature and vulnerability
attestation where configured. A service locked by a rollback is refused
(bump --unlock first). Only the Service's selector and versions.yaml change.
Exit 3 when a gate refuses.`,
		Args: cobra.NoArgs,
		Example: `  paved deploy switch --repo https://git.example.com/acme/gitops.git --service web --env staging
  paved deploy switch --repo ../gitops --service web --env prod --to green --approved-by alice@example.com`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := o.options()
			if err != nil {
				return err
			}
			req.SwitchedBy, req.RunID, req.TraceID = o.deployedBy, o.runID, o.traceID
			res, err := deploy.Switch(cmd.Context(), o.repo, req, opts...)
			if err != nil {
				return err
			}
			return printDeployResult(cmd.OutOrStdout(), &o, res)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Service, "service", "", "blue-green service name, as in paved-gitops.yaml")
	f.StringVar(&req.Env, "env", "", "environment name, as in paved-gitops.yaml")
	f.StringVar(&req.To, "to", "", "slot to send traffic to: blue or green (default: the idle slot)")
	f.StringVar(&req.ApprovedBy, "approved-by", "", "identity that approved the switch (required where approval: required)")
	for _, name := range []string{"service", "env"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newDeployRollbackCmd() *cobra.Command {
	var o deployOptions
	var req deploy.RollbackRequest
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Return to an earlier digest from versions.yaml history and lock the service there",
		Long: `rollback returns a service in one environment to an earlier digest from its
versions.yaml history, in a forward commit (never a force push), and locks it:
bump refuses it until --unlock --reason. The digest returned to must pass the
environment's gates as they stand (signature, scan verdict and age, approval):
exit 3 otherwise. For a blue-green service whose other slot still runs that
digest, the Service is switched back to that slot; otherwise the live slot is
pinned to the digest.`,
		Args: cobra.NoArgs,
		Example: `  paved deploy rollback --repo ../gitops --service api --env prod --reason "v2 leaks memory"
  paved deploy rollback --repo ../gitops --service api --env prod --to-version v1.4.2 --reason "bad config"`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := o.options()
			if err != nil {
				return err
			}
			req.DeployedBy, req.RunID, req.TraceID = o.deployedBy, o.runID, o.traceID
			res, err := deploy.Rollback(cmd.Context(), o.repo, req, opts...)
			if err != nil {
				return err
			}
			return printDeployResult(cmd.OutOrStdout(), &o, res)
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Service, "service", "", "service name, as in paved-gitops.yaml")
	f.StringVar(&req.Env, "env", "", "environment name, as in paved-gitops.yaml")
	f.StringVar(&req.ToVersion, "to-version", "", "version from the history to return to (default: the previous digest)")
	f.StringVar(&req.ToDigest, "to-digest", "", "digest (sha256:...) from the history to return to")
	f.StringVar(&req.Reason, "reason", "", "why, recorded in the lock that bump --unlock lifts")
	f.StringVar(&req.ApprovedBy, "approved-by", "", "identity that approved the rollback (required where approval: required)")
	for _, name := range []string{"service", "env"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newDeployRoutesCmd() *cobra.Command {
	var o deployOptions
	var req deploy.RoutesRequest
	var check, write bool
	cmd := &cobra.Command{
		Use:   "routes",
		Short: "Check or generate the Ingress that routes a path to each service",
		Long: `routes --check validates the networking.k8s.io/v1 Ingress of each environment
(routes.file in paved-gitops.yaml, default routes/{env}/ingress.yaml): every
service recorded in versions.yaml has a path (route: none opts out), no two
Services claim one path, every backend Service exists in the manifests. It
lists each problem and exits 3. routes --write generates the Ingresses (path
per service: route, default /<service>; port, default 80) and commits them like
a bump, refusing (exit 3) an Ingress that would not pass --check.`,
		Args: cobra.NoArgs,
		Example: `  paved deploy routes --repo https://git.example.com/acme/gitops.git --check
  paved deploy routes --repo ../gitops --write --env staging --dry-run`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if check == write {
				return usageError{fmt.Errorf("give one of --check and --write")}
			}
			opts, err := o.options()
			if err != nil {
				return err
			}
			if write {
				req.RunID, req.TraceID = o.runID, o.traceID
				res, err := deploy.WriteRoutes(cmd.Context(), o.repo, req, opts...)
				if err != nil {
					return err
				}
				return printDeployResult(cmd.OutOrStdout(), &o, res)
			}
			rep, err := deploy.CheckRoutes(cmd.Context(), o.repo, req.Env, opts...)
			if rep != nil {
				if perr := printRoutesReport(cmd.OutOrStdout(), &o, rep); perr != nil {
					return perr
				}
			}
			return err
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&check, "check", false, "validate the Ingresses; exit 3 listing each problem")
	f.BoolVar(&write, "write", false, "generate the Ingresses and commit them")
	f.StringVar(&req.Env, "env", "", "environment (default: every environment)")
	return cmd
}

// printRoutesReport prints a routes check as text (one problem a line) or JSON.
func printRoutesReport(w io.Writer, o *deployOptions, rep *deploy.RoutesReport) error {
	if o.output == "json" {
		return writeJSON(w, rep)
	}
	if len(rep.Problems) == 0 {
		_, err := fmt.Fprintf(w, "ok: %s route every service\n", strings.Join(rep.Files, ", "))
		return err
	}
	for _, p := range rep.Problems {
		if _, err := fmt.Fprintf(w, "problem: %s\n", p); err != nil {
			return err
		}
	}
	return nil
}

func init() { register(newDeployCmd) }
