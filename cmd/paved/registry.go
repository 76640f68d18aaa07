package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/registry"
)

func init() { register(newRegistryCmd) }

func newRegistryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run paved's embedded OCI registry",
	}
	var dir, addr string
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve an OCI registry on loopback, persisted under --dir",
		Long: `Serve go-containerregistry's OCI registry on a loopback address for the demo
and tests. Blobs are stored under DIR/blobs and manifest writes are journaled
under DIR/manifests, so pushed images survive a restart. It has no
authentication and refuses non-loopback addresses.`,
		Example: `  paved registry serve --dir .paved/registry --addr 127.0.0.1:5000`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := registry.Listen(addr)
			if err != nil {
				return err
			}
			h, err := registry.Handler(dir)
			if err != nil {
				l.Close()
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "serving OCI registry on http://%s (data in %s)\n", l.Addr(), dir)
			return registry.Serve(cmd.Context(), l, h)
		},
	}
	serve.Flags().StringVar(&dir, "dir", ".paved/registry", "directory holding the registry's blobs and manifests")
	serve.Flags().StringVar(&addr, "addr", "127.0.0.1:5000", "loopback address to listen on (port 0 picks a free one)")
	cmd.AddCommand(serve)
	return cmd
}
