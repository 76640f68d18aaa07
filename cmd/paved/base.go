package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/publish"
)

func init() { register(newBaseCmd) }

type baseFlags struct {
	rootfs, root, platform, user string
	push, layout                 string
	tags, env, labels            []string
	output                       string
}

func newBaseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "base",
		Short: "Assemble an approved base image from real files",
		Long: `Assemble a platform base image without a container daemon.

'paved base rootfs' packs a root filesystem tarball (for example one made by
mmdebstrap from Debian packages) into a one-layer image, keeping its dpkg
database so scanners see its packages.

'paved base static' makes a distroless-style base for static Go binaries from
this machine's Debian packages: CA certificates, time zones, os-release,
/etc/passwd with nonroot (65532), and their dpkg status entries.

SOURCE_DATE_EPOCH (default 0) sets every timestamp, so the same files give
the same digest.`,
	}
	cmd.AddCommand(newBaseRootfsCmd(), newBaseStaticCmd())
	return cmd
}

func newBaseRootfsCmd() *cobra.Command {
	f := &baseFlags{}
	cmd := &cobra.Command{
		Use:   "rootfs --rootfs FILE",
		Short: "Make a base image from a root filesystem tarball",
		Example: `  mmdebstrap --variant=apt --include=python3 bookworm python.tar
  paved base rootfs --rootfs python.tar --push 127.0.0.1:5000/platform/python-base --tag 1.0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.rootfs == "" {
				return usageError{errors.New("--rootfs is required: a root filesystem tarball")}
			}
			return runBase(cmd, f, func(c base.Config, ps []v1.Platform) (publish.Artifact, error) {
				if len(ps) > 1 {
					return publish.Artifact{}, usageError{fmt.Errorf("invalid --platform %q: a rootfs tarball holds one platform's files: run paved base rootfs once per platform", f.platform)}
				}
				c.Platform = ps[0]
				img, err := base.FromRootfs(f.rootfs, c)
				return publish.Artifact{Image: img}, err
			})
		},
	}
	cmd.Flags().StringVar(&f.rootfs, "rootfs", "", "root filesystem tarball (.tar or .tar.gz)")
	cmd.Flags().StringVar(&f.user, "user", "", "user the image runs as (default root)")
	baseCommonFlags(cmd, f)
	return cmd
}

func newBaseStaticCmd() *cobra.Command {
	f := &baseFlags{}
	cmd := &cobra.Command{
		Use:     "static",
		Short:   "Make a static base for Go services from this machine's Debian packages",
		Example: `  paved base static --push 127.0.0.1:5000/platform/static --tag 1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBase(cmd, f, func(c base.Config, ps []v1.Platform) (publish.Artifact, error) {
				if len(ps) == 1 {
					c.Platform = ps[0]
					img, err := base.Static(f.root, c)
					return publish.Artifact{Image: img}, err
				}
				idx, err := base.StaticIndex(f.root, c, ps)
				return publish.Artifact{Index: idx}, err
			})
		},
	}
	cmd.Flags().StringVar(&f.root, "root", "/", "root of the Debian system whose packages are used")
	cmd.Flags().StringVar(&f.user, "user", "", "user the image runs as (default 65532:65532)")
	baseCommonFlags(cmd, f)
	return cmd
}

func baseCommonFlags(cmd *cobra.Command, f *baseFlags) {
	cmd.Flags().StringVar(&f.platform, "platform", "linux/amd64", "platform of the files (static: a comma-separated list makes an image index)")
	cmd.Flags().StringVar(&f.push, "push", "", "repository to push to, by digest")
	cmd.Flags().StringSliceVar(&f.tags, "tag", nil, "tags to point at the pushed digest")
	cmd.Flags().StringVar(&f.layout, "oci-layout", "", "OCI image layout directory to write")
	cmd.Flags().StringArrayVar(&f.env, "env", nil, "environment variable KEY=VALUE")
	cmd.Flags().StringArrayVar(&f.labels, "label", nil, "image label KEY=VALUE")
	outputFlag(cmd, &f.output)
}

func runBase(cmd *cobra.Command, f *baseFlags, make func(base.Config, []v1.Platform) (publish.Artifact, error)) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	if f.push == "" && f.layout == "" {
		return usageError{errors.New("nothing to write: give --push REPO and/or --oci-layout DIR")}
	}
	ps, err := parsePlatforms(strings.Split(f.platform, ","))
	if err != nil {
		return err
	}
	labels, err := keyValues("--label", f.labels)
	if err != nil {
		return err
	}
	created, ok, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	if !ok {
		created = time.Unix(0, 0).UTC()
	}
	art, err := make(base.Config{Created: created, User: f.user, Env: f.env, Labels: labels}, ps)
	if err != nil {
		return err
	}
	var pubs []publish.Publisher
	if f.push != "" {
		p, err := publish.Registry(f.push, f.tags, keychain(), nil)
		if err != nil {
			return err
		}
		pubs = append(pubs, p)
	}
	if f.layout != "" {
		p, err := publish.Layout(f.layout)
		if err != nil {
			return err
		}
		pubs = append(pubs, p)
	}
	res, err := publish.All(cmd.Context(), art, pubs...)
	if err != nil {
		return err
	}
	if f.output == "json" {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	if res.Reference != "" {
		fmt.Fprintln(cmd.OutOrStdout(), res.Reference)
	} else {
		fmt.Fprintln(cmd.OutOrStdout(), res.Digest)
	}
	return nil
}
