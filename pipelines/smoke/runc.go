package smoke

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Runc starts containers with the runc binary. The zero value uses "runc"
// from PATH, a state directory and bundles under os.TempDir. Set the fields
// before the first Start; after that it is safe for concurrent use.
type Runc struct {
	// Binary is the runc executable; default "runc".
	Binary string
	// Dir holds the bundles and runc's state (--root); default a new
	// directory under os.TempDir, so paved's containers never mix with others.
	Dir string
	// Grace is how long Stop waits after SIGTERM before SIGKILL; default 5 s.
	Grace time.Duration

	once    sync.Once
	initErr error
}

// Container is a container started by Runc.Start.
type Container struct {
	// ID is the container's runc id.
	ID     string
	rt     *Runc
	bundle string
	log    *os.File
}

// Start unpacks img into a new bundle, writes its config.json (RuntimeSpec)
// and runs it detached. The container's stdout and stderr go to a log file
// (Logs). Call Stop to kill and remove it.
func (r *Runc) Start(ctx context.Context, img v1.Image, s Spec) (*Container, error) {
	r.once.Do(func() { r.initErr = r.init() })
	if r.initErr != nil {
		return nil, r.initErr
	}
	id := "paved-smoke-" + randomHex(6)
	bundle := filepath.Join(r.Dir, "bundles", id)
	c := &Container{ID: id, rt: r, bundle: bundle}
	if err := c.prepare(img, s); err != nil {
		_ = os.RemoveAll(bundle)
		return nil, err
	}
	cmd := r.command(ctx, "run", "--detach", "--bundle", bundle, "--pid-file", filepath.Join(bundle, "pid"), id)
	// With --detach and no terminal, runc hands its own stdio to the
	// container: the log file keeps receiving output after runc returns.
	cmd.Stdout, cmd.Stderr = c.log, c.log
	if err := cmd.Run(); err != nil {
		logs := c.Logs()
		_ = c.Stop(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("starting %s with %s: %w\n%s", id, r.Binary, err, tail(string(logs), 20))
	}
	return c, nil
}

func (r *Runc) init() error {
	if r.Binary == "" {
		r.Binary = "runc"
	}
	if _, err := exec.LookPath(r.Binary); err != nil {
		return fmt.Errorf("finding runc %q: %w: install it (apt-get install runc) or start the image with docker/podman --network host", r.Binary, err)
	}
	if r.Grace == 0 {
		r.Grace = 5 * time.Second
	}
	if r.Dir == "" {
		dir, err := os.MkdirTemp("", "paved-smoke-")
		if err != nil {
			return err
		}
		r.Dir = dir
	}
	return os.MkdirAll(filepath.Join(r.Dir, "state"), 0o700)
}

func (c *Container) prepare(img v1.Image, s Spec) error {
	rootfs := filepath.Join(c.bundle, "rootfs")
	if err := Unpack(img, rootfs); err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading image config: %w", err)
	}
	spec, err := RuntimeSpec(cf, rootfs, s)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.bundle, "config.json"), data, 0o600); err != nil {
		return err
	}
	c.log, err = os.Create(filepath.Join(c.bundle, "output.log"))
	return err
}

func (r *Runc) command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, r.Binary, append([]string{"--root", filepath.Join(r.Dir, "state")}, args...)...)
}

// Logs returns what the container wrote so far.
func (c *Container) Logs() []byte {
	data, _ := os.ReadFile(filepath.Join(c.bundle, "output.log"))
	return data
}

// Stop sends SIGTERM, waits up to the grace period for the container to
// stop, sends SIGKILL, then deletes the container and its bundle. The logs
// are gone afterwards: read them first.
func (c *Container) Stop(ctx context.Context) error {
	_ = c.rt.command(ctx, "kill", c.ID, "TERM").Run()
	deadline := time.Now().Add(c.rt.Grace)
	for c.running(ctx) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var out bytes.Buffer
	cmd := c.rt.command(ctx, "delete", "--force", c.ID)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil && strings.Contains(out.String(), "does not exist") {
		err = nil
	}
	if c.log != nil {
		c.log.Close()
	}
	if rerr := os.RemoveAll(c.bundle); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("removing container %s: %w: %s", c.ID, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// running asks runc whether the container's process is still there.
func (c *Container) running(ctx context.Context) bool {
	out, err := c.rt.command(ctx, "state", c.ID).Output()
	if err != nil {
		return false
	}
	var st struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(out, &st) == nil && (st.Status == "running" || st.Status == "created")
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand failed"))
	}
	return hex.EncodeToString(b)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
