package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/admission"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

func init() { register(newPolicyCmd) }

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Admission policies from the platform policy and the environments' gates",
	}
	cmd.AddCommand(newPolicyExportCmd())
	return cmd
}

// policyExportFlags are the flags of paved policy export.
type policyExportFlags struct {
	dir, policy, format, out, output string
	envs, namespaces, selectors      []string
	clusters                         []string
	check                            bool
}

// policyExportOutput is the JSON result of paved policy export (covered
// by semver): the files compared or written and their state before.
type policyExportOutput struct {
	Format string `json:"format"`
	*admission.Report
}

func newPolicyExportCmd() *cobra.Command {
	var f policyExportFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write (or --check) the admission policies of a GitOps repository",
		Long: `export derives admission policies from the platform policy (allowed base
repositories, denied bases with their dates) and each environment's gates in
paved-gitops.yaml (signature key, vulnerability verdict, maximum scan age),
and writes one file per environment into --out (default admission/FORMAT in
the GitOps repository --dir). Per environment the policies admit only images
pinned by digest, from a service's repository, signed with the environment's
key, with a passing vulnerability scan no older than max_scan_age and SLSA
provenance whose base image is allowed and not denied. Formats: kyverno
(ImageValidatingPolicy; Kyverno 1.19 cannot verify attestations signed
offline, kyverno/kyverno#17109), kyverno-clusterpolicy (ClusterPolicy with
verifyImages), policy-controller (Sigstore ClusterImagePolicy). Kyverno
policies match the namespace named like the environment unless --namespace,
--selector or --cluster say otherwise. The output is deterministic: commit it,
and run export --check in CI, which exits 3 when the committed policies are
out of date. --out belongs to the export: exporting every environment removes
YAML files it no longer writes.`,
		Example: `  paved policy export --dir gitops --policy policy.yaml --format kyverno
  paved policy export --dir gitops --policy policy.yaml --format kyverno-clusterpolicy --namespace prod=shop,payments
  paved policy export --dir gitops --policy policy.yaml --format policy-controller --selector prod=paved.dev/environment=prod
  paved policy export --dir gitops --policy https://platform.example.com/policy.yaml --format kyverno --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			files, out, err := f.render(cmd)
			if err != nil {
				return err
			}
			rep, err := admission.Check(out, files, len(f.envs) == 0)
			if err != nil && (f.check || failure.KindOf(err) != failure.Policy) {
				if rep != nil {
					if perr := printPolicyReport(cmd.OutOrStdout(), f, rep); perr != nil {
						return perr
					}
				}
				return err
			}
			if !f.check {
				if err := writePolicies(out, files, rep); err != nil {
					return err
				}
			}
			return printPolicyReport(cmd.OutOrStdout(), f, rep)
		},
	}
	f.addFlags(cmd)
	return cmd
}

// addFlags declares the flags of paved policy export.
func (f *policyExportFlags) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", ".", "the GitOps repository's work tree (paved-gitops.yaml and the key files)")
	fl.StringVar(&f.policy, "policy", "", "platform policy: path or http(s) URL (required)")
	fl.StringVar(&f.format, "format", "", "kyverno (ImageValidatingPolicy), kyverno-clusterpolicy or policy-controller (required)")
	fl.StringVar(&f.out, "out", "", "directory of the export, relative to --dir (default admission/FORMAT)")
	fl.StringSliceVar(&f.envs, "env", nil, "environments to export (default: every one)")
	fl.StringArrayVar(&f.namespaces, "namespace", nil, "ENV=NS[,NS]: the namespaces an environment's Kyverno policies apply to (default: its name)")
	fl.StringArrayVar(&f.selectors, "selector", nil, "ENV=KEY=VALUE: apply an environment's policies to objects with this label instead (repeat to require several)")
	fl.StringArrayVar(&f.clusters, "cluster", nil, "ENV: apply an environment's policies to the whole cluster")
	fl.BoolVar(&f.check, "check", false, "write nothing; exit 3 when the committed export is out of date")
	for _, name := range []string{"policy", "format"} {
		_ = cmd.MarkFlagRequired(name)
	}
	outputFlag(cmd, &f.output)
}

// render reads the GitOps repository and the policy and renders the
// export; it returns the files and the export's directory.
func (f policyExportFlags) render(cmd *cobra.Command) ([]admission.File, string, error) {
	if _, err := admission.Lookup(f.format); err != nil {
		return nil, "", err
	}
	out := f.out
	if out == "" {
		out = filepath.Join("admission", f.format)
	}
	if filepath.IsAbs(out) || strings.HasPrefix(filepath.Clean(out), "..") {
		return nil, "", usageError{fmt.Errorf("invalid --out %q: give a directory inside the GitOps repository (relative to --dir)", f.out)}
	}
	opts, err := f.options()
	if err != nil {
		return nil, "", err
	}
	fsys := osfs.New(f.dir, osfs.WithBoundOS())
	cfg, err := deploy.LoadConfig(fsys)
	if err != nil {
		return nil, "", err
	}
	p, err := policy.Load(cmd.Context(), f.policy, nil)
	if err != nil {
		return nil, "", err
	}
	rules, err := admission.Derive(cfg, p, func(path string) ([]byte, error) { return util.ReadFile(fsys, path) }, opts...)
	if err != nil {
		return nil, "", err
	}
	files, err := admission.Render(rules, f.format)
	if err != nil {
		return nil, "", err
	}
	return files, filepath.Join(f.dir, out), nil
}

// options turns --env, --namespace, --selector and --cluster into
// admission options.
func (f policyExportFlags) options() ([]admission.Option, error) {
	opts := []admission.Option{admission.WithEnvironments(f.envs...)}
	scopes := map[string]*admission.Scope{}
	scope := func(env string) *admission.Scope {
		if scopes[env] == nil {
			scopes[env] = &admission.Scope{}
		}
		return scopes[env]
	}
	for _, v := range f.namespaces {
		env, ns, ok := strings.Cut(v, "=")
		if !ok || env == "" || ns == "" {
			return nil, usageError{fmt.Errorf("invalid --namespace %q: want ENV=NAMESPACE[,NAMESPACE]", v)}
		}
		scope(env).Namespaces = append(scope(env).Namespaces, strings.Split(ns, ",")...)
	}
	for _, v := range f.selectors {
		env, label, ok := strings.Cut(v, "=")
		k, val, ok2 := strings.Cut(label, "=")
		if !ok || !ok2 || env == "" || k == "" {
			return nil, usageError{fmt.Errorf("invalid --selector %q: want ENV=KEY=VALUE", v)}
		}
		s := scope(env)
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[k] = val
	}
	for _, env := range f.clusters {
		scope(env).Cluster = true
	}
	for env, s := range scopes {
		opts = append(opts, admission.WithScope(env, *s))
	}
	return opts, nil
}

// writePolicies writes the files that are not current and removes the
// YAML files the export no longer has. Every file was rendered before the
// first is written; each is replaced atomically.
func writePolicies(dir string, files []admission.File, rep *admission.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return failure.BadInputErr(fmt.Errorf("creating %q: %w", dir, err))
	}
	data := map[string][]byte{}
	for _, f := range files {
		data[f.Path] = f.Data
	}
	for _, s := range rep.Stale() {
		path := filepath.Join(dir, filepath.FromSlash(s.Path))
		if s.State == admission.StateExtra {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("removing %q: %w", path, err)
			}
			continue
		}
		if err := writeFileAtomic(path, data[s.Path]); err != nil {
			return err
		}
	}
	return nil
}

// printPolicyReport prints one line per file, or the JSON report.
func printPolicyReport(w io.Writer, f policyExportFlags, rep *admission.Report) error {
	if f.output == "json" {
		return writeJSON(w, policyExportOutput{Format: f.format, Report: rep})
	}
	verb := map[string]string{admission.StateCurrent: "unchanged", admission.StateDiffers: "updated", admission.StateMissing: "written", admission.StateExtra: "removed"}
	if f.check {
		verb = map[string]string{admission.StateCurrent: "current", admission.StateDiffers: "stale (differs)", admission.StateMissing: "stale (missing)", admission.StateExtra: "stale (no longer exported)"}
	}
	for _, s := range rep.Files {
		if _, err := fmt.Fprintf(w, "%s: %s\n", verb[s.State], filepath.Join(rep.Dir, s.Path)); err != nil {
			return err
		}
	}
	return nil
}
