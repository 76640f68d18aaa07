package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sbom"
)

func init() { register(newSBOMCmd) }

type sbomFlags struct {
	format     string
	out        string
	platform   string
	output     string
	layerCache string
}

// sbomResult is the --output json result.
type sbomResult struct {
	*sbom.Result
	File string `json:"file,omitempty"`
}

func newSBOMCmd() *cobra.Command {
	var f sbomFlags
	cmd := &cobra.Command{
		Use:   "sbom IMAGE",
		Short: "Write the SBOM of an image (SPDX 2.3 or CycloneDX 1.6 JSON) with Syft",
		Long: `Sbom catalogs an image with the Syft library: Debian packages (dpkg), Go
binaries (modules and the Go standard library version), Python and npm
packages, and the rest of Syft's image catalogers. Nothing is looked up on
the network except the image itself, and no container daemon is used.

IMAGE is one of:
  REPO@sha256:...  REPO:tag  registry:REF   an image in a registry
  oci-layout:DIR   oci-dir:DIR   DIR        an OCI image layout directory (one image)
  docker-archive:FILE   FILE.tar   FILE     a 'docker save' tarball (one image)

Registry credentials come from the Docker config file ($DOCKER_CONFIG) or
PAVED_REGISTRY, PAVED_REGISTRY_USERNAME and PAVED_REGISTRY_PASSWORD.

The document is reproducible: the same image gives the same bytes. Its
creation time is the image's creation time, or $SOURCE_DATE_EPOCH when set.
--out writes atomically (nothing is written on error); without --out the
document goes to stdout and the summary to stderr.`,
		Example: `  paved sbom registry.example.com/app@sha256:3f1c... --format spdx-json --out app.spdx.json
  paved sbom oci-layout:build/oci --format cyclonedx-json --out app.cdx.json --output json
  paved sbom image.tar > app.spdx.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSBOM(cmd, args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", string(sbom.SPDXJSON), "SBOM format: "+formatNames())
	cmd.Flags().StringVar(&f.out, "out", "-", "file to write the SBOM to, or - for stdout")
	cmd.Flags().StringVar(&f.platform, "platform", sbom.DefaultPlatform.String(), "platform to pick from a multi-platform image (os/arch[/variant])")
	layerCacheFlag(cmd, &f.layerCache)
	outputFlag(cmd, &f.output)
	return cmd
}

func formatNames() string {
	names := make([]string, len(sbom.Formats))
	for i, f := range sbom.Formats {
		names[i] = string(f)
	}
	return strings.Join(names, " or ")
}

func runSBOM(cmd *cobra.Command, image string, f sbomFlags) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	toStdout := f.out == "-" || f.out == ""
	if toStdout && f.output == "json" {
		return usageError{errors.New("--output json needs --out FILE: stdout carries the SBOM")}
	}
	format, err := sbom.ParseFormat(f.format)
	if err != nil {
		return err
	}
	src, err := sbom.ParseSource(image)
	if err != nil {
		return err
	}
	opts, err := sbomOptions(f)
	if err != nil {
		return err
	}
	res, err := sbom.Generate(cmd.Context(), src, format, opts...)
	if err != nil {
		return err
	}
	if toStdout {
		if _, err := cmd.OutOrStdout().Write(res.Document); err != nil {
			return fmt.Errorf("writing SBOM to stdout: %w", err)
		}
		printSBOMSummary(cmd.ErrOrStderr(), res, "")
		return nil
	}
	if err := sbom.WriteFile(f.out, res.Document); err != nil {
		return err
	}
	if f.output == "json" {
		return writeJSON(cmd.OutOrStdout(), sbomResult{Result: res, File: f.out})
	}
	printSBOMSummary(cmd.OutOrStdout(), res, f.out)
	return nil
}

// sbomOptions turns flags and $SOURCE_DATE_EPOCH into library options.
func sbomOptions(f sbomFlags) ([]sbom.Option, error) {
	opts := []sbom.Option{sbom.WithKeychain(keychain())}
	p, err := v1.ParsePlatform(f.platform)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return nil, usageError{fmt.Errorf("invalid --platform %q: use os/arch, e.g. linux/amd64", f.platform)}
	}
	opts = append(opts, sbom.WithPlatform(*p))
	cache, err := openLayerCache(f.layerCache)
	if err != nil {
		return nil, err
	}
	opts = append(opts, sbom.WithLayerCache(cache))
	created, ok, err := sourceDateEpoch()
	if err != nil {
		return nil, err
	}
	if ok {
		opts = append(opts, sbom.WithCreated(created))
	}
	return opts, nil
}

// layerCacheFlag adds --layer-cache: $PAVED_LAYER_CACHE, else the user
// cache directory.
func layerCacheFlag(cmd *cobra.Command, dst *string) {
	def := getenv(envLayerCache)
	if def == "" {
		if c, err := os.UserCacheDir(); err == nil {
			def = filepath.Join(c, "paved", "sbom-layers")
		}
	}
	cmd.Flags().StringVar(dst, "layer-cache", def, "directory caching the catalogue of each image layer by diff ID, at most 512 MiB; off to catalogue every layer ($"+envLayerCache+")")
}

// openLayerCache opens the --layer-cache directory; "" and "off" are none.
func openLayerCache(dir string) (*sbom.LayerCache, error) {
	if dir == "" || dir == "off" {
		return nil, nil
	}
	c, err := sbom.OpenLayerCache(dir, 0)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("%w: pass another --layer-cache or --layer-cache=off", err))
	}
	return c, nil
}

func printSBOMSummary(w io.Writer, r *sbom.Result, file string) {
	where := "stdout"
	if file != "" {
		where = file
	}
	fmt.Fprintf(w, "SBOM %s %s of %s written to %s\n", r.Format, r.SpecVersion, r.Image, where)
	if r.Image != r.ImageDigest {
		fmt.Fprintf(w, "  image digest: %s\n", r.ImageDigest)
	}
	fmt.Fprintf(w, "  sbom digest: %s\n", r.Digest)
	if r.Distro != "" {
		fmt.Fprintf(w, "  distro: %s\n", r.Distro)
	}
	types := make([]string, 0, len(r.Packages))
	for t := range r.Packages {
		types = append(types, t)
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s %d", t, r.Packages[t])
	}
	fmt.Fprintf(w, "  packages: %d (%s)\n", r.Total, strings.Join(parts, ", "))
	fmt.Fprintf(w, "  layers: %d, %d from the layer cache\n", r.Layers.Total, r.Layers.Cached)
}
