package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/fleet/campaign"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/pin"
)

func init() { registerFleet(newFleetCampaignCmd) }

// campaignFlags are the flags every campaign subcommand shares.
type campaignFlags struct {
	fleetFile   string
	stateRepo   string
	stateBranch string
	forge       string
	output      string
	githubApp   githubAppFlags
}

func (f *campaignFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.fleetFile, "fleet", getenvOr(envFleetFile, "fleet.yaml"), "fleet file (env "+envFleetFile+"); its repository's origin is the default state repository")
	fl.StringVar(&f.stateRepo, "state-repo", getenv(envCampaignStateRepo), "git repository keeping campaign state (env "+envCampaignStateRepo+"; default: the origin of the fleet file's repository)")
	fl.StringVar(&f.stateBranch, "state-branch", "", "branch of the state repository (default: its HEAD)")
	fl.StringVar(&f.forge, "forge", "", "open pull requests (github: "+envGitHubToken+"; gitea: "+envGiteaToken+" and "+envGiteaAPIURL+") or merge requests (gitlab: "+envGitLabToken+") instead of plain branches")
	f.githubApp.bind(cmd)
	outputFlag(cmd, &f.output)
}

func newFleetCampaignCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "campaign",
		Short: "Move the fleet to a new paved version, base image or Terraform module ref, in waves with health gates",
		Long: `A campaign rewrites one kind of pin in every service repository of the fleet:
the paved version of its CI wrappers (--paved-version), a base image in its
Dockerfiles and paved.yaml (--base OLD=NEW@sha256:...), or a Terraform
module ref (--terraform SOURCE=REF). Every service gets a branch
paved/campaign/<id> with one bump commit and a change: a pull or merge
request with --forge, else the branch itself, which advance --auto-merge
merges (fast-forward, or a merge commit) into the base branch; with
--forge gitea, --auto-merge merges the pull requests through the API.

Services go in waves (--waves), in name order: a canary, then cumulative
percentages (50% = half the fleet is in after this wave), tiers (tier=1)
or services by name (svc-a+svc-b). A wave passes its health gate when the
share --health-ratio of its merged services have a successful run of the
new version on the merge commit or later, within --health-window of the
merge. The evidence, first found first: the forge's CI result of
--health-check on the merge commit, else on the change's head (Gitea
commit statuses); a deploy record in the fleet's GitOps repository
(versions.yaml: the service deployed by the new paved version from the
merge commit or a later one), the evidence of a plain-git fleet; a run
file in .paved/runs/*.json on the base branch. Too many failures halt the campaign, naming each failing
service and step; rollback then reverts the merged bumps with forward
commits (never a force push) and closes the open changes.

The state is campaigns/<id>.yaml in the state repository, committed on
every transition (trailers Paved-Campaign, Paved-Transition,
Paved-Service), so any machine can resume a campaign, and a crashed
advance converges when run again.

Exit codes: 0 done or waiting, 1 internal error, 2 bad input (also: some
repositories could not be moved, each named), 3 halted by the health gate,
4 transient (network; run again).`,
	}
	cmd.AddCommand(newCampaignStartCmd(), newCampaignStatusCmd(), newCampaignAdvanceCmd(), newCampaignHaltCmd(), newCampaignResumeCmd(), newCampaignRollbackCmd())
	return cmd
}

type campaignStartFlags struct {
	campaignFlags
	id, pavedVersion, base, terraform string
	waves                             string
	maxInFlight                       int
	ratio                             float64
	window                            time.Duration
	healthCheck                       string
	policyRepo, policyFile            string
}

func newCampaignStartCmd() *cobra.Command {
	var f campaignStartFlags
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Plan a campaign's waves and record it in the state repository",
		Example: `  paved fleet campaign start --fleet fleet.yaml --paved-version v0.3.0 --waves "canary:5%,50%,100%"
  paved fleet campaign start --fleet fleet.yaml --base python-base:1.0=registry.example.com/platform/python-base:1.0.1@sha256:... \
    --policy-repo https://git.example.com/platform/policy.git --policy-file policy.yaml
  paved fleet campaign start --fleet fleet.yaml --terraform git.example.com/modules/db.git=v3.2.0 --waves "canary:svc-a,tier=1,100%"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCampaignStart(cmd, &f) },
	}
	f.bind(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.id, "id", "", "campaign id (default: from the target, e.g. paved-v0.3.0)")
	fl.StringVar(&f.pavedVersion, "paved-version", "", "move every paved pin to this version")
	fl.StringVar(&f.base, "base", "", "move base image OLD (REPO[:TAG], REPO may be its last path part) to NEW (REPO:TAG@sha256:...), as OLD=NEW")
	fl.StringVar(&f.terraform, "terraform", "", "move Terraform module SOURCE to ?ref=REF, as SOURCE=REF")
	fl.StringVar(&f.waves, "waves", "canary:5%,25%,100%", "waves: NAME:SELECTOR,... with SELECTOR a cumulative N%, tier=T or svc-a+svc-b")
	fl.IntVar(&f.maxInFlight, "max-in-flight", 10, "services worked on at once")
	fl.Float64Var(&f.ratio, "health-ratio", 0.95, "share of a wave's merged services that must run the new version successfully")
	fl.DurationVar(&f.window, "health-window", 24*time.Hour, "time after a wave's last merge for its runs to come in")
	fl.StringVar(&f.healthCheck, "health-check", "paved", "name of paved's CI job among the forge's commit statuses or checks (a pattern: \"ci / paved*\"; \"\" not to read them)")
	fl.StringVar(&f.policyRepo, "policy-repo", "", "git repository of the platform policy (base campaigns: advance --deny-old-base-after)")
	fl.StringVar(&f.policyFile, "policy-file", "policy.yaml", "path of the policy file in --policy-repo")
	return cmd
}

func runCampaignStart(cmd *cobra.Command, f *campaignStartFlags) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	target, err := campaignTarget(f)
	if err != nil {
		return err
	}
	waves, err := campaign.ParseWaves(f.waves)
	if err != nil {
		return usageError{err}
	}
	fl, err := loadFleet(f.fleetFile)
	if err != nil {
		return err
	}
	forges, _, err := forgesFromEnv(cmd.Context(), f.githubApp)
	if err != nil {
		return err
	}
	services, err := fl.Resolve(cmd.Context(), forges)
	if err != nil {
		return err
	}
	e, err := campaignEngine(&f.campaignFlags)
	if err != nil {
		return err
	}
	spec := campaign.Spec{
		ID: f.id, Target: target, Services: services, Waves: waves, MaxInFlight: f.maxInFlight,
		Health: campaign.Health{Ratio: f.ratio, Window: campaign.Duration(f.window), Check: f.healthCheck},
	}
	if fl.GitOps.Repository != "" {
		spec.GitOps = &fl.GitOps
	}
	if f.policyRepo != "" {
		spec.Policy = &campaign.PolicyFile{Repository: f.policyRepo, Path: f.policyFile}
	}
	c, err := e.Start(cmd.Context(), spec)
	if err != nil {
		return err
	}
	return printCampaign(cmd.OutOrStdout(), f.output, c)
}

// campaignTarget reads the one target flag given.
func campaignTarget(f *campaignStartFlags) (rewrite.Target, error) {
	var t rewrite.Target
	n := 0
	if f.pavedVersion != "" {
		t, n = rewrite.Target{Kind: pin.Paved, To: f.pavedVersion}, n+1
	}
	for _, kv := range []struct {
		kind pin.Kind
		flag string
		val  string
	}{{pin.Base, "--base", f.base}, {pin.Module, "--terraform", f.terraform}} {
		if kv.val == "" {
			continue
		}
		from, to, ok := strings.Cut(kv.val, "=")
		if !ok {
			return t, usageError{fmt.Errorf("invalid %s %q: use OLD=NEW", kv.flag, kv.val)}
		}
		t, n = rewrite.Target{Kind: kv.kind, From: from, To: to}, n+1
	}
	if n != 1 {
		return t, usageError{errors.New("give exactly one target: --paved-version, --base or --terraform")}
	}
	if err := t.Validate(); err != nil {
		return t, usageError{err}
	}
	return t, nil
}

func newCampaignStatusCmd() *cobra.Command {
	var f campaignFlags
	cmd := &cobra.Command{
		Use:   "status [ID]",
		Short: "Show a campaign's waves, services and health gate (all campaigns without ID)",
		Example: `  paved fleet campaign status --fleet fleet.yaml
  paved fleet campaign status paved-v0.3.0 --state-repo https://git.example.com/platform/fleet.git --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output == "html" && len(args) == 0 {
				return usageError{errors.New("invalid --output html without ID: the HTML page is one campaign's (give its ID)")}
			} else if f.output != "html" {
				if err := checkOutput(f.output); err != nil {
					return err
				}
			}
			if len(args) == 0 {
				store, err := campaignStore(&f)
				if err != nil {
					return err
				}
				all, err := store.List(cmd.Context())
				if err != nil {
					return err
				}
				return printCampaignList(cmd.OutOrStdout(), f.output, all)
			}
			e, err := campaignEngine(&f)
			if err != nil {
				return err
			}
			r, err := e.Report(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printReport(cmd.OutOrStdout(), f.output, r)
		},
	}
	f.bind(cmd)
	return cmd
}

type campaignAdvanceFlags struct {
	campaignFlags
	autoMerge bool
	denyAfter string
}

func newCampaignAdvanceCmd() *cobra.Command {
	var f campaignAdvanceFlags
	cmd := &cobra.Command{
		Use:   "advance ID",
		Short: "Open (and merge) the current wave's bumps, check its health gate, and start the next wave when it passes",
		Long: `advance does what the campaign allows now and returns: it pushes the bump
branches of the current wave and opens their changes (reusing what exists),
merges them with --auto-merge (plain git remotes), records merges made on a
forge, and once the wave is merged reads its services' runs: the gate passes
(the next wave starts), fails (the campaign halts, exit 3), or waits (status
says who is missing). Run it again, from any machine, to go on.

--deny-old-base-after DATE (base campaigns) also adds the old base to the
platform policy, denied from DATE with the new base as replacement, so
paved build --policy refuses it from then on and warns before. The denial
is added only by the advance that finds the campaign done (every wave
passed its gate): pass the flag on every advance, or advance once more
when it is done. Rollback lifts it again.`,
		Example: `  paved fleet campaign advance paved-v0.3.0 --fleet fleet.yaml --auto-merge
  paved fleet campaign advance base-python-base-1.0.1 --fleet fleet.yaml --auto-merge --deny-old-base-after 2026-12-01
  PAVED_GITHUB_TOKEN=... paved fleet campaign advance paved-v0.3.0 --fleet fleet.yaml --forge github`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runCampaignAdvance(cmd, &f, args[0]) },
	}
	f.bind(cmd)
	cmd.Flags().BoolVar(&f.autoMerge, "auto-merge", false, "merge the wave's plain-git bump branches into their base branches")
	cmd.Flags().StringVar(&f.denyAfter, "deny-old-base-after", "", "base campaigns: once the campaign is done, deny the old base in the platform policy from this date (YYYY-MM-DD)")
	return cmd
}

func runCampaignAdvance(cmd *cobra.Command, f *campaignAdvanceFlags, id string) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	o := campaign.AdvanceOptions{AutoMerge: f.autoMerge}
	if f.denyAfter != "" {
		d, err := time.Parse(time.DateOnly, f.denyAfter)
		if err != nil {
			return usageError{fmt.Errorf("invalid --deny-old-base-after %q: use YYYY-MM-DD", f.denyAfter)}
		}
		o.DenyOldBaseFrom = d
	}
	e, err := campaignEngine(&f.campaignFlags)
	if err != nil {
		return err
	}
	c, err := e.Advance(cmd.Context(), id, o)
	if c != nil {
		if perr := printCampaign(cmd.OutOrStdout(), f.output, c); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func newCampaignHaltCmd() *cobra.Command {
	var f campaignFlags
	var reason string
	cmd := &cobra.Command{
		Use:     "halt ID --reason TEXT",
		Short:   "Stop a campaign: advance refuses it until it is resumed or rolled back",
		Example: `  paved fleet campaign halt paved-v0.3.0 --fleet fleet.yaml --reason "p99 latency up in payments"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			if reason == "" {
				return usageError{errors.New("--reason is required: say why the campaign stops")}
			}
			e, err := campaignEngine(&f)
			if err != nil {
				return err
			}
			c, err := e.Halt(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			return printCampaign(cmd.OutOrStdout(), f.output, c)
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why the campaign stops (recorded in its state)")
	return cmd
}

func newCampaignResumeCmd() *cobra.Command {
	var f campaignFlags
	cmd := &cobra.Command{
		Use:   "resume ID",
		Short: "Let a halted campaign run again; the next advance retries failed services and reads health afresh",
		Long: `resume clears the halt of a campaign (halted by hand or by a health gate)
once its cause is fixed: the next advance retries the failed services of
the current wave and reads its services' health again. A campaign a
rollback has begun on cannot be resumed.`,
		Example: `  paved fleet campaign resume paved-v0.3.0 --fleet fleet.yaml
  paved fleet campaign advance paved-v0.3.0 --fleet fleet.yaml --auto-merge`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			e, err := campaignEngine(&f)
			if err != nil {
				return err
			}
			c, err := e.Resume(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printCampaign(cmd.OutOrStdout(), f.output, c)
		},
	}
	f.bind(cmd)
	return cmd
}

func newCampaignRollbackCmd() *cobra.Command {
	var f campaignFlags
	var reason string
	cmd := &cobra.Command{
		Use:   "rollback ID",
		Short: "Revert the merged bumps with forward commits and close the open changes",
		Long: `rollback undoes the campaign in every wave it started: each merged bump is
reverted by a new commit on the base branch (history kept, never a force
push); each open change is closed (plain git: its branch is deleted; a
forge keeps the branch of a closed pull or merge request). A base campaign
that denied its old base (advance --deny-old-base-after) has that policy
commit reverted by a forward commit too, since the fleet is back on the
old base. Run it again to finish after an error; what is done stays done.`,
		Example: `  paved fleet campaign rollback paved-v0.3.0 --fleet fleet.yaml
  paved fleet campaign rollback paved-v0.3.0 --fleet fleet.yaml --reason "canary regressions" --forge gitlab`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			e, err := campaignEngine(&f)
			if err != nil {
				return err
			}
			c, err := e.Rollback(cmd.Context(), args[0], reason)
			if c != nil {
				if perr := printCampaign(cmd.OutOrStdout(), f.output, c); perr != nil && err == nil {
					err = perr
				}
			}
			return err
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why (default: the halt reason)")
	return cmd
}

// campaignStore opens the state repository: --state-repo, else the origin
// of the git repository holding the fleet file.
func campaignStore(f *campaignFlags) (*campaign.GitStore, error) {
	auth, err := gitAuth()
	if err != nil {
		return nil, err
	}
	repo := f.stateRepo
	if repo == "" {
		if repo, err = fleetOrigin(f.fleetFile); err != nil {
			return nil, err
		}
	}
	sig := gitrepo.Signature{Name: getenvOr(envGitAuthorName, "paved"), Email: getenvOr(envGitAuthorEmail, "paved@localhost")}
	return campaign.NewGitStore(repo, f.stateBranch, auth, sig), nil
}

// fleetOrigin is the origin remote of the git repository holding file.
func fleetOrigin(file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", usageError{err}
	}
	r, err := git.PlainOpenWithOptions(filepath.Dir(abs), &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", usageError{fmt.Errorf("finding the state repository: %s is not in a git repository: give --state-repo", file)}
	}
	rem, err := r.Remote("origin")
	if err != nil || len(rem.Config().URLs) == 0 {
		return "", usageError{fmt.Errorf("finding the state repository: the repository of %s has no origin remote: give --state-repo", file)}
	}
	return rem.Config().URLs[0], nil
}

func campaignEngine(f *campaignFlags) (*campaign.Engine, error) {
	store, err := campaignStore(f)
	if err != nil {
		return nil, err
	}
	auth, err := gitAuth()
	if err != nil {
		return nil, err
	}
	sig := gitrepo.Signature{Name: getenvOr(envGitAuthorName, "paved"), Email: getenvOr(envGitAuthorEmail, "paved@localhost")}
	opts := []campaign.Option{campaign.WithGitAuth(auth), campaign.WithSignature(sig)}
	if f.forge != "" {
		if err := forge.Known(f.forge); err != nil {
			return nil, usageError{fmt.Errorf("invalid --forge: %w", err)}
		}
		// The campaign engine's callers have no context to give.
		_, all, err := forgesFromEnv(context.Background(), f.githubApp)
		if err != nil {
			return nil, err
		}
		changes := all[f.forge]
		if changes == nil {
			env, _ := forgeEnv(f.forge)
			return nil, usageError{fmt.Errorf("--forge %s needs a token in %s", f.forge, env)}
		}
		opts = append(opts, campaign.WithChanges(changes))
	}
	return campaign.New(store, opts...), nil
}

func printCampaignList(w io.Writer, output string, all []*campaign.Campaign) error {
	if output == "json" {
		if all == nil {
			all = []*campaign.Campaign{}
		}
		return writeJSON(w, all)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tTARGET\tWAVE\tUPDATED")
	for _, c := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.State, campaign.DescribeTarget(c.Target), campaign.NewReport(c, nil).WaveName(), c.UpdatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// printCampaign prints c as JSON (with its gate), or as the campaign's
// report (campaign.Report) from its recorded state.
func printCampaign(w io.Writer, output string, c *campaign.Campaign) error {
	return printReport(w, output, campaign.NewReport(c, nil))
}

// printReport prints r as JSON (the campaign with its gate), text or the
// HTML page.
func printReport(w io.Writer, output string, r *campaign.Report) error {
	switch output {
	case "json":
		return writeJSON(w, struct {
			*campaign.Campaign
			Gate campaign.GateResult `json:"gate"`
		}{r.Campaign, r.Gate})
	case "html":
		return r.WriteHTML(w)
	}
	return r.WriteText(w)
}
