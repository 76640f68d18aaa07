// Package buildkitd runs a local BuildKit daemon for paved's Dockerfile
// builds: buildkitd as root with runc and the overlayfs snapshotter, on a
// unix socket, pulling from loopback registries over plain HTTP. It is the
// embedded default behind "paved buildkit serve" and the BuildKit tests;
// production CI points --buildkit-host at a shared daemon instead.
package buildkitd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

// Version is the BuildKit release hack/buildkit/install.sh builds and
// paved is tested with.
const Version = "v0.26.2"

// ErrNotInstalled is returned when no buildkitd binary is found.
var ErrNotInstalled = errors.New("buildkitd is not installed")

// Config says how to run the daemon.
type Config struct {
	// Binary is the buildkitd executable (see Lookup).
	Binary string
	// Root holds the daemon's state: snapshots, cache, the socket.
	Root string
	// Socket is the unix socket to listen on (default Root/buildkitd.sock).
	Socket string
	// InsecureRegistries are registries (HOST:PORT) reached over plain
	// HTTP. Loopback registries (127.0.0.1, localhost, ::1) always are.
	InsecureRegistries []string
	// Log receives the daemon's own output; nil discards it.
	Log io.Writer
	// StartTimeout bounds the wait for the daemon to answer (default 60s).
	StartTimeout time.Duration
}

// Daemon is a running buildkitd.
type Daemon struct {
	cmd  *exec.Cmd
	done chan error
	// Address is the daemon's endpoint, unix://SOCKET, for --buildkit-host.
	Address string
	// Version is the version the daemon reports.
	Version string
}

// Lookup finds buildkitd: first in cacheDir/VERSION/bin (where
// hack/buildkit/install.sh puts it), then on PATH.
func Lookup(cacheDir string) (string, error) {
	if cacheDir != "" {
		p := filepath.Join(cacheDir, Version, "bin", "buildkitd")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("buildkitd"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w in %s or on PATH: run hack/buildkit/install.sh (builds BuildKit %s from the Go module proxy, installs runc)",
		ErrNotInstalled, filepath.Join(cacheDir, Version, "bin"), Version)
}

// TOML returns the daemon's configuration file.
func TOML(cfg Config) string {
	var b strings.Builder
	b.WriteString("# Written by paved (pipelines/buildkitd).\n[worker.oci]\n  enabled = true\n  snapshotter = \"overlayfs\"\n  gc = true\n\n[worker.containerd]\n  enabled = false\n")
	for _, r := range cfg.InsecureRegistries {
		fmt.Fprintf(&b, "\n[registry.%q]\n  http = true\n  insecure = true\n", r)
	}
	return b.String()
}

// Start starts buildkitd and waits until it answers. The daemon runs until
// Stop, or until it exits on its own.
func Start(ctx context.Context, cfg Config) (*Daemon, error) {
	if cfg.Binary == "" || cfg.Root == "" {
		return nil, errors.New("starting buildkitd: Binary and Root are required")
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("starting buildkitd: it runs as root here (runc, overlayfs): run as root, or build through a running daemon")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return nil, errors.New("starting buildkitd: runc is not installed: run hack/buildkit/install.sh or apt-get install -y runc")
	}
	if err := os.MkdirAll(cfg.Root, 0o700); err != nil {
		return nil, fmt.Errorf("creating buildkitd root %q: %w", cfg.Root, err)
	}
	if cfg.Socket == "" {
		cfg.Socket = filepath.Join(cfg.Root, "buildkitd.sock")
	}
	conf := filepath.Join(cfg.Root, "buildkitd.toml")
	if err := os.WriteFile(conf, []byte(TOML(cfg)), 0o600); err != nil {
		return nil, fmt.Errorf("writing buildkitd config %q: %w", conf, err)
	}
	_ = os.Remove(cfg.Socket) // a stale socket from a killed daemon
	d := &Daemon{Address: "unix://" + cfg.Socket, done: make(chan error, 1)}
	d.cmd = exec.Command(cfg.Binary, "--root", cfg.Root, "--addr", d.Address, "--config", conf,
		"--oci-worker-snapshotter=overlayfs", "--containerd-worker=false", "--oci-worker-net=host")
	d.cmd.Stdout, d.cmd.Stderr = cfg.Log, cfg.Log
	if cfg.Log == nil {
		d.cmd.Stdout, d.cmd.Stderr = io.Discard, io.Discard
	}
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting buildkitd %q: %w", cfg.Binary, err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	timeout := cfg.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if err := d.wait(ctx, timeout); err != nil {
		_ = d.Stop()
		return nil, err
	}
	return d, nil
}

// wait polls the daemon until it reports its version.
func (d *Daemon) wait(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-d.done:
			d.done <- err
			return fmt.Errorf("buildkitd exited while starting: %v: see its log", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		c, err := bkclient.New(ctx, d.Address)
		if err != nil {
			last = err
			continue
		}
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := c.Info(ictx)
		cancel()
		c.Close()
		if err == nil {
			d.Version = info.BuildkitVersion.Version
			return nil
		}
		last = err
	}
	return fmt.Errorf("buildkitd did not answer on %s within %s: %v", d.Address, timeout, last)
}

// Wait returns when the daemon exits, with its exit error.
func (d *Daemon) Wait() error {
	err := <-d.done
	d.done <- err
	return err
}

// Stop asks the daemon to shut down (SIGTERM) and kills it after 20s.
func (d *Daemon) Stop() error {
	if d.cmd.Process == nil {
		return nil
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		d.done <- err
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		err := <-d.done
		d.done <- err
	}
	return nil
}
