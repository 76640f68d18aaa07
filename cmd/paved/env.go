package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Every environment variable paved reads, by name. Read them with getenv or
// lookupEnv, which refuse a name that envVars does not document; no other
// file of paved calls os.Getenv (TestEnvRegistry checks both, and that the
// README's table lists exactly these).
const (
	envRegistryHost     = "PAVED_REGISTRY"
	envRegistryUsername = "PAVED_REGISTRY_USERNAME"
	envRegistryPassword = "PAVED_REGISTRY_PASSWORD"

	envGitToken         = "PAVED_GIT_TOKEN"
	envGitUsername      = "PAVED_GIT_USERNAME"
	envGitSSHKey        = "PAVED_GIT_SSH_KEY"
	envGitSSHPassphrase = "PAVED_GIT_SSH_PASSPHRASE"
	envGitKnownHosts    = "PAVED_GIT_SSH_KNOWN_HOSTS"
	envGitAuthorName    = "PAVED_GIT_AUTHOR_NAME"
	envGitAuthorEmail   = "PAVED_GIT_AUTHOR_EMAIL"
	envGitOpsRepo       = "PAVED_GITOPS_REPO"
	envRunID            = "PAVED_RUN_ID"
	envTraceID          = "PAVED_TRACE_ID"

	envKeyPassword = "COSIGN_PASSWORD"
	envIDToken     = "SIGSTORE_ID_TOKEN"

	envDBDir          = "PAVED_DB_DIR"
	envDBRepository   = "PAVED_DB_REPOSITORY"
	envDBRepoUsername = "PAVED_DB_USERNAME"
	envDBRepoPassword = "PAVED_DB_PASSWORD"

	envSourceDateEpoch = "SOURCE_DATE_EPOCH"
	envLayerCache      = "PAVED_LAYER_CACHE"
	envBuildKitHost    = "BUILDKIT_HOST"

	envOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envOTLPTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envTraceParent        = "TRACEPARENT"
	envCI                 = "CI"

	envGitHubStepSummary = "GITHUB_STEP_SUMMARY"
	envGitHubOutput      = "GITHUB_OUTPUT"

	envFleetFile         = "PAVED_FLEET"
	envCampaignStateRepo = "PAVED_CAMPAIGN_STATE_REPO"
	envAct               = "PAVED_ACT"
	envGitLabCILocal     = "PAVED_GITLAB_CI_LOCAL"

	// Forge tokens are handed to the forge clients; they never appear in
	// flags, logs or errors. forgeEnv spells each forge's pair.
	envGitHubToken  = "PAVED_GITHUB_TOKEN"
	envGitHubAPIURL = "PAVED_GITHUB_API_URL"
	envGitHubAppKey = "PAVED_GITHUB_APP_PRIVATE_KEY"
	envGitLabToken  = "PAVED_GITLAB_TOKEN"
	envGitLabAPIURL = "PAVED_GITLAB_API_URL"
	envGiteaToken   = "PAVED_GITEA_TOKEN"
	envGiteaAPIURL  = "PAVED_GITEA_API_URL"
)

// envDoc says what a variable sets and whether its value is a secret (a
// secret is never a flag default, so --help never shows it).
type envDoc struct {
	sets   string
	secret bool
}

const secret = true

// envVars documents every variable paved reads; the README's
// "Environment variables" table is checked against it.
var envVars = map[string]envDoc{
	envRegistryHost:     {"the registry host PAVED_REGISTRY_USERNAME/PASSWORD are for (default: every host)", !secret},
	envRegistryUsername: {"registry user name (with PAVED_REGISTRY_PASSWORD; else the Docker config)", !secret},
	envRegistryPassword: {"registry password or token", secret},

	envGitToken:         {"HTTPS token for the GitOps, campaign state and service repositories", secret},
	envGitUsername:      {"HTTPS user name going with PAVED_GIT_TOKEN (default x-access-token)", !secret},
	envGitSSHKey:        {"path of a private SSH key for git remotes (instead of a token)", !secret},
	envGitSSHPassphrase: {"passphrase of PAVED_GIT_SSH_KEY", secret},
	envGitKnownHosts:    {"known_hosts file for SSH remotes (default: the user's)", !secret},
	envGitAuthorName:    {"author name of paved's GitOps commits", !secret},
	envGitAuthorEmail:   {"author email of paved's GitOps commits", !secret},
	envGitOpsRepo:       {"default of --repo (deploy) and --gitops-repo (run)", !secret},
	envRunID:            {"default of --run-id", !secret},
	envTraceID:          {"default of --trace-id (deploy)", !secret},

	envKeyPassword: {"password of the Cosign private key (as Cosign reads it; set and empty means no password)", secret},
	envIDToken:     {"OIDC identity token for keyless signing", secret},

	envDBDir:          {"default of --db-dir", !secret},
	envDBRepository:   {"vulnerability DB repository of paved db update (default: Trivy's)", !secret},
	envDBRepoUsername: {"user name for PAVED_DB_REPOSITORY", !secret},
	envDBRepoPassword: {"password for PAVED_DB_REPOSITORY", secret},

	envSourceDateEpoch: {"creation time of images and SBOMs, in Unix seconds (a non-negative integer, as date +%s prints)", !secret},
	envLayerCache:      {"default of --layer-cache", !secret},
	envBuildKitHost:    {"default of --buildkit-host", !secret},

	envOTLPEndpoint:       {"OTLP endpoint the run's trace spans are exported to (none: no export)", !secret},
	envOTLPTracesEndpoint: {"OTLP endpoint for traces only", !secret},
	envOTLPProtocol:       {"OTLP protocol: http/protobuf (default) or grpc", !secret},
	envOTLPTracesProtocol: {"OTLP protocol for traces only", !secret},
	envTraceParent:        {"W3C traceparent the run's spans continue", !secret},
	envCI:                 {"true: --progress auto prints plain lines even on a terminal", !secret},

	envGitHubStepSummary: {"file paved ci github appends the job summary to (set by GitHub Actions)", !secret},
	envGitHubOutput:      {"file paved ci github appends the step outputs to (set by GitHub Actions)", !secret},

	envFleetFile:         {"default of --fleet", !secret},
	envCampaignStateRepo: {"default of --state-repo", !secret},
	envAct:               {"default of --act (release candidate)", !secret},
	envGitLabCILocal:     {"default of --gitlab-ci-local (release candidate)", !secret},

	envGitHubToken:  {"GitHub token for fleet discovery and bump pull requests", secret},
	envGitHubAPIURL: {"GitHub Enterprise API URL (https://github.example.com/api/v3)", !secret},
	envGitHubAppKey: {"a GitHub App's private key (PEM), instead of --github-app-private-key-file", secret},
	envGitLabToken:  {"GitLab token for fleet discovery and bump merge requests", secret},
	envGitLabAPIURL: {"self-managed GitLab API URL (https://gitlab.example.com/api/v4)", !secret},
	envGiteaToken:   {"Gitea token for fleet discovery and bump pull requests", secret},
	envGiteaAPIURL:  {"Gitea API URL (https://gitea.example.com/api/v1), required with PAVED_GITEA_TOKEN", !secret},
}

// getenv returns the value of the documented variable name, "" when unset.
func getenv(name string) string {
	v, _ := lookupEnv(name)
	return v
}

// getenvOr returns the value of the documented variable name, def when it
// is unset or empty.
func getenvOr(name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// lookupEnv returns the value of the documented variable name and whether
// it is set. An undocumented name is a bug in paved.
func lookupEnv(name string) (string, bool) {
	if _, ok := envVars[name]; !ok {
		panic(fmt.Sprintf("environment variable %s is not in envVars", name))
	}
	return os.LookupEnv(name)
}

// lookupUserEnv returns a variable the user named on the command line
// (--secret id=ID,env=VAR), which no registry can list.
func lookupUserEnv(name string) (string, bool) { return os.LookupEnv(name) }

// environ is this process's whole environment, for child processes that
// inherit it (the release candidate's runners).
func environ() []string { return os.Environ() }

// sourceDateEpoch returns the time $SOURCE_DATE_EPOCH gives, in UTC, and
// whether it is set. The value is Unix seconds as date +%s prints them (the
// reproducible-builds.org rule): digits only, no sign, no fraction. Anything
// else is bad input naming the variable.
func sourceDateEpoch() (time.Time, bool, error) {
	v := getenv(envSourceDateEpoch)
	if v == "" {
		return time.Time{}, false, nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 || v[0] == '+' {
		return time.Time{}, false, failure.BadInputErr(fmt.Errorf("parsing %s %q: give Unix seconds, digits only, as date +%%s prints them", envSourceDateEpoch, v))
	}
	return time.Unix(secs, 0).UTC(), true, nil
}
