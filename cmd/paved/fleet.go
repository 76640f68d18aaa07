package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/fleet/inventory"
	"github.com/paved-dev/paved/pipelines/policy"
)

func init() { register(newFleetCmd) }

const envFleetFile = "PAVED_FLEET" // default of --fleet

func newFleetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Read and change the paved pins of every service in a fleet",
		Long: `fleet works on every service repository listed in a fleet file (fleet.yaml):

  apiVersion: paved.dev/v1
  kind: Fleet
  gitops:
    repository: https://git.example.com/platform/gitops.git
  services:
    - repository: https://git.example.com/payments/go-api.git
      tier: "1"          # optional labels
      team: payments
      name: go-api       # default: paved.yaml's name, else the repository name
      branch: main       # default: the remote's HEAD

Relative repository paths are relative to the fleet file. Git credentials
come from PAVED_GIT_TOKEN (HTTPS) or PAVED_GIT_SSH_KEY, registry credentials
from the Docker config or PAVED_REGISTRY_USERNAME/PASSWORD.

discover entries ask a forge for an organisation's repositories: forge:
github needs PAVED_GITHUB_TOKEN (PAVED_GITHUB_API_URL for GitHub
Enterprise), forge: gitlab needs PAVED_GITLAB_TOKEN (PAVED_GITLAB_API_URL for
a self-managed GitLab), forge: gitea needs PAVED_GITEA_TOKEN and
PAVED_GITEA_API_URL (https://gitea.example.com/api/v1).`,
	}
	cmd.AddCommand(newFleetInventoryCmd())
	for _, newCmd := range fleetCommands {
		cmd.AddCommand(newCmd())
	}
	return cmd
}

// fleetCommands are further subcommands of "paved fleet", registered from
// their own files with registerFleet.
var fleetCommands []func() *cobra.Command

func registerFleet(newCmd func() *cobra.Command) { fleetCommands = append(fleetCommands, newCmd) }

type fleetInventoryFlags struct {
	fleetFile  string
	output     string
	out        string
	usesBase   string
	cacheDir   string
	jobs       int
	latest     string
	policy     string
	noRegistry bool
	githubApp  githubAppFlags
}

func newFleetInventoryCmd() *cobra.Command {
	var f fleetInventoryFlags
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Report which paved version, base images and module refs every service pins, and what is deployed",
		Long: `inventory fetches every repository of the fleet (at depth 1, into a local
cache that later runs update instead of cloning again), reads the paved
version pinned in its CI wrappers (GitHub uses:, GitLab component:, dagger
call -m, dagger.json), the base images of its Dockerfiles and paved.yaml and
its Terraform ?ref= module sources, and from the GitOps repository's
versions.yaml the digest deployed in every environment with its base image
(read from the image's org.opencontainers.image.base.* annotations).

A service is outdated when it pins an older paved than --latest (default:
the newest pinned anywhere), and blocked when a campaign could not move it
as it is: unreachable, no pin, a pin that is not a release version, pins
that disagree, a locked environment, or (with --policy) a version or a
deployed base the platform policy refuses. Such problems are reported per
service; the command still exits 0. It exits 2 for a bad fleet file.

--uses-base IMAGE answers "which services use IMAGE?" for sources and for
what is deployed; IMAGE is REPO[:TAG][@DIGEST], where REPO may be the end of
the repository path (python-base:1.0), or a bare sha256: digest.`,
		Example: `  paved fleet inventory --fleet fleet.yaml
  paved fleet inventory --fleet fleet.yaml --uses-base python-base:1.0
  paved fleet inventory --fleet fleet.yaml --output html --out inventory.html
  paved fleet inventory --fleet fleet.yaml --output json --latest v0.4.0 --policy policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFleetInventory(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.fleetFile, "fleet", gitEnvOr(envFleetFile, "fleet.yaml"), "fleet file (env "+envFleetFile+")")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json or html")
	fl.StringVar(&f.out, "out", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.usesBase, "uses-base", "", "also answer which services use this base image (REPO[:TAG][@DIGEST] or a digest)")
	fl.StringVar(&f.cacheDir, "cache-dir", defaultFleetCache(), "directory of the shallow repository copies")
	fl.IntVar(&f.jobs, "jobs", 8, "repositories fetched at once")
	fl.StringVar(&f.latest, "latest", "", "newest paved version (default: the newest pinned in the fleet)")
	fl.StringVar(&f.policy, "policy", "", "platform policy (file or URL): versions and deployed bases it refuses block a service")
	fl.BoolVar(&f.noRegistry, "no-registry", false, "do not read the deployed images' base annotations from the registry")
	f.githubApp.bind(cmd)
	return cmd
}

func runFleetInventory(cmd *cobra.Command, f *fleetInventoryFlags) error {
	if f.output != "table" && f.output != "json" && f.output != "html" {
		return usageError{fmt.Errorf("invalid --output %q: use table, json or html", f.output)}
	}
	if f.jobs < 1 {
		return usageError{fmt.Errorf("invalid --jobs %d: use 1 or more", f.jobs)}
	}
	fl, err := loadFleet(f.fleetFile)
	if err != nil {
		return err
	}
	auth, err := gitAuth()
	if err != nil {
		return err
	}
	opts := []inventory.Option{
		inventory.WithCacheDir(f.cacheDir), inventory.WithJobs(f.jobs), inventory.WithLatest(f.latest),
		inventory.WithKeychain(keychain()), inventory.WithGitAuth(auth),
	}
	if f.noRegistry {
		opts = append(opts, inventory.WithoutRegistry())
	}
	forges, _, err := forgesFromEnv(cmd.Context(), f.githubApp)
	if err != nil {
		return err
	}
	for name, fg := range forges {
		opts = append(opts, inventory.WithForge(name, fg))
	}
	if f.policy != "" {
		p, err := policy.Load(cmd.Context(), f.policy, nil)
		if err != nil {
			return err
		}
		opts = append(opts, inventory.WithPolicy(p))
	}
	inv, err := inventory.Run(cmd.Context(), fl, opts...)
	if err != nil {
		return err
	}
	if f.usesBase != "" {
		inv.UsesBase(f.usesBase)
	}
	var buf bytes.Buffer
	switch f.output {
	case "json":
		err = inv.WriteJSON(&buf)
	case "html":
		err = inv.WriteHTML(&buf)
	default:
		err = inv.WriteTable(&buf)
	}
	if err != nil {
		return fmt.Errorf("rendering the inventory: %w", err)
	}
	warnUnread(cmd.ErrOrStderr(), inv)
	if f.out == "" {
		_, err = cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	return writeFileAtomic(f.out, buf.Bytes())
}

// warnUnread says on stderr how many repositories could not be read, so a
// JSON or HTML report does not hide it.
func warnUnread(w io.Writer, inv *inventory.Inventory) {
	n := inv.Counts()[inventory.StatusUnreachable]
	if n > 0 {
		fmt.Fprintf(w, "paved: %d of %d repositories could not be read; see the report\n", n, len(inv.Services))
	}
	if inv.GitOps != nil && inv.GitOps.Error != "" {
		fmt.Fprintf(w, "paved: the GitOps repository could not be read: %s\n", inv.GitOps.Error)
	}
}

// defaultFleetCache is the user's cache directory's paved/fleet.
func defaultFleetCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "paved-fleet-cache")
	}
	return filepath.Join(dir, "paved", "fleet")
}
