package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/buildkitd"
)

func init() { register(newBuildKitCmd) }

// buildkitFlags are paved build's BuildKit flags.
type buildkitFlags struct {
	host, caCert, cert, key, serverName string
	secrets, cacheFrom, cacheTo         []string
	log                                 io.Writer
}

func addBuildKitFlags(cmd *cobra.Command, f *buildkitFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.host, "buildkit-host", "", "BuildKit endpoint that builds Dockerfiles (unix:///PATH or tcp://HOST:PORT; default $BUILDKIT_HOST)")
	fl.StringVar(&f.caCert, "buildkit-tlscacert", "", "CA certificate (PEM) of a tcp:// BuildKit endpoint")
	fl.StringVar(&f.cert, "buildkit-tlscert", "", "client certificate (PEM) for a tcp:// BuildKit endpoint")
	fl.StringVar(&f.key, "buildkit-tlskey", "", "client key (PEM) for a tcp:// BuildKit endpoint")
	fl.StringVar(&f.serverName, "buildkit-tlsservername", "", "server name to check in the BuildKit endpoint's certificate")
	fl.StringArrayVar(&f.secrets, "secret", nil, "secret for RUN --mount=type=secret: id=ID,env=VAR or id=ID,src=FILE (BuildKit)")
	fl.StringArrayVar(&f.cacheFrom, "cache-from", nil, "build cache to import: type=registry,ref=REF or type=local,src=DIR (BuildKit)")
	fl.StringArrayVar(&f.cacheTo, "cache-to", nil, "build cache to export: type=registry,ref=REF[,mode=max] or type=local,dest=DIR (BuildKit)")
}

// dockerfileBuilder builds through BuildKit when an endpoint is given and
// daemonless otherwise.
func dockerfileBuilder(dir string, f *buildkitFlags, opts []build.Option) (build.Builder, error) {
	cfg, err := buildkitConfig(f)
	if err != nil || cfg == nil {
		return build.Dockerfile(dir, opts...), err
	}
	return build.BuildKit(dir, *cfg, opts...), nil
}

// buildkitConfig turns the BuildKit flags into a configuration; nil when no
// endpoint is given (--buildkit-host or $BUILDKIT_HOST).
func buildkitConfig(f *buildkitFlags) (*build.BuildKitConfig, error) {
	host := f.host
	if host == "" {
		host = getenv(envBuildKitHost)
	}
	if host == "" {
		if len(f.secrets) > 0 || len(f.cacheFrom) > 0 || len(f.cacheTo) > 0 {
			return nil, usageError{errors.New("--secret, --cache-from and --cache-to need a BuildKit endpoint: give --buildkit-host or set BUILDKIT_HOST")}
		}
		return nil, nil
	}
	cfg := &build.BuildKitConfig{Host: host, CACert: f.caCert, Cert: f.cert, Key: f.key, ServerName: f.serverName, Log: f.log}
	var err error
	if cfg.Secrets, err = parseSecrets(f.secrets); err != nil {
		return nil, err
	}
	for _, s := range f.cacheFrom {
		c, err := build.ParseCache(s)
		if err != nil {
			return nil, usageError{fmt.Errorf("invalid --cache-from: %w", err)}
		}
		cfg.CacheFrom = append(cfg.CacheFrom, c)
	}
	for _, s := range f.cacheTo {
		c, err := build.ParseCache(s)
		if err != nil {
			return nil, usageError{fmt.Errorf("invalid --cache-to: %w", err)}
		}
		cfg.CacheTo = append(cfg.CacheTo, c)
	}
	return cfg, nil
}

// parseSecrets reads --secret id=ID,env=VAR|src=FILE. Values come from the
// environment or a file, never from argv, and are never printed.
func parseSecrets(specs []string) ([]build.Secret, error) {
	var out []build.Secret
	for _, spec := range specs {
		var s build.Secret
		var env string
		for _, field := range strings.Split(spec, ",") {
			k, v, ok := strings.Cut(field, "=")
			switch {
			case !ok || v == "":
				return nil, usageError{fmt.Errorf("invalid --secret %q: want id=ID,env=VAR or id=ID,src=FILE", spec)}
			case k == "id":
				s.ID = v
			case k == "env":
				env = v
			case k == "src" || k == "source":
				s.File = v
			default:
				return nil, usageError{fmt.Errorf("invalid --secret %q: unknown key %q (want id, env or src)", spec, k)}
			}
		}
		if s.ID == "" || (env == "") == (s.File == "") {
			return nil, usageError{fmt.Errorf("invalid --secret %q: want id=ID and exactly one of env=VAR or src=FILE", spec)}
		}
		if env != "" {
			v, ok := lookupUserEnv(env)
			if !ok {
				return nil, usageError{fmt.Errorf("secret %q: environment variable %s is not set", s.ID, env)}
			}
			s.Value = []byte(v)
		}
		out = append(out, s)
	}
	return out, nil
}

func newBuildKitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "buildkit",
		Short: "Run a local BuildKit daemon for Dockerfiles with RUN",
	}
	var root, socket, binary string
	var insecure []string
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run buildkitd (runc, overlayfs) on a unix socket until interrupted",
		Long: `Run a local BuildKit daemon for 'paved build --buildkit-host': buildkitd as
root with runc and the overlayfs snapshotter, host network, state and build
cache under --root. It pulls from loopback registries (such as 'paved registry
serve') over plain HTTP; name other plain-HTTP registries with
--insecure-registry.

buildkitd comes from --buildkitd, else from hack/buildkit/install.sh's cache
($XDG_CACHE_HOME/paved/buildkit), else from PATH. The script builds BuildKit
` + buildkitd.Version + ` from the Go module proxy and installs runc from Debian.`,
		Example: `  hack/buildkit/install.sh
  paved buildkit serve &
  paved build ./svc --buildkit-host unix://$HOME/.cache/paved/buildkit/state/buildkitd.sock --push 127.0.0.1:5000/services/svc`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBuildKitServe(cmd, root, socket, binary, insecure)
		},
	}
	fl := serve.Flags()
	fl.StringVar(&root, "root", "", "state and cache directory (default $XDG_CACHE_HOME/paved/buildkit/state)")
	fl.StringVar(&socket, "socket", "", "unix socket to listen on (default ROOT/buildkitd.sock)")
	fl.StringVar(&binary, "buildkitd", "", "buildkitd binary (default: install.sh's cache, then PATH)")
	fl.StringArrayVar(&insecure, "insecure-registry", nil, "registry HOST:PORT to reach over plain HTTP (loopback always is)")
	cmd.AddCommand(serve)
	return cmd
}

func runBuildKitServe(cmd *cobra.Command, root, socket, binary string, insecure []string) error {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cache = filepath.Join(cache, "paved", "buildkit")
	if binary == "" {
		if binary, err = buildkitd.Lookup(cache); err != nil {
			return usageError{err}
		}
	}
	if root == "" {
		root = filepath.Join(cache, "state")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := buildkitd.Start(ctx, buildkitd.Config{Binary: binary, Root: root, Socket: socket,
		InsecureRegistries: insecure, Log: cmd.ErrOrStderr()})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "serving BuildKit %s on %s (state in %s)\nBUILDKIT_HOST=%s\n", d.Version, d.Address, root, d.Address)
	select {
	case <-ctx.Done():
		return d.Stop()
	case <-waitChan(d):
		return errors.New("buildkitd exited: see its output above")
	}
}

func waitChan(d *buildkitd.Daemon) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- d.Wait() }()
	return ch
}
