package smoke

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Spec is what a smoke run adds to the image config.
type Spec struct {
	// Env adds KEY=VALUE pairs after the image's (a later key wins).
	Env []string
	// Args, when set, replace the image's entrypoint and command.
	Args []string
}

// capabilities are the few a service needs: runc's default set.
var capabilities = []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}

// RuntimeSpec makes the OCI runtime config of cf's image unpacked in rootfs:
// its entrypoint and command, env, working directory and user (names
// resolved through rootfs's /etc/passwd and /etc/group), a read-only root
// with a tmpfs /tmp, and no network namespace, so the container listens on
// the host's loopback.
func RuntimeSpec(cf *v1.ConfigFile, rootfs string, s Spec) (*specs.Spec, error) {
	args := append(append([]string{}, cf.Config.Entrypoint...), cf.Config.Cmd...)
	if len(s.Args) > 0 {
		args = s.Args
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("the image has no entrypoint or command: give one (Spec.Args)")
	}
	user, err := resolveUser(rootfs, cf.Config.User)
	if err != nil {
		return nil, err
	}
	cwd := cf.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: rootfs, Readonly: true},
		Process: &specs.Process{
			Args: args, Env: mergeEnv(cf.Config.Env, s.Env), Cwd: cwd, User: user,
			NoNewPrivileges: true,
			Capabilities: &specs.LinuxCapabilities{
				Bounding: capabilities, Effective: capabilities, Permitted: capabilities,
			},
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Hostname: "smoke",
		Mounts:   mounts(),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
				"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
			},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}, nil
}

// mounts are the usual /proc and /dev, /sys bound read-only (a container in
// the host's network namespace may not mount a new sysfs), a tmpfs /tmp, and
// the host's resolv.conf and hosts so names resolve as on the host.
func mounts() []specs.Mount {
	nodev := []string{"nosuid", "noexec", "nodev"}
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: append(nodev, "mode=1777", "size=65536k")},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: nodev},
		{Destination: "/sys", Type: "none", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: append(nodev, "mode=1777", "size=65536k")},
		{Destination: "/etc/resolv.conf", Type: "none", Source: "/etc/resolv.conf", Options: []string{"bind", "ro"}},
		{Destination: "/etc/hosts", Type: "none", Source: "/etc/hosts", Options: []string{"bind", "ro"}},
	}
}

// mergeEnv appends extra to env; a later KEY replaces an earlier one in place.
func mergeEnv(env, extra []string) []string {
	out := append([]string{}, env...)
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, o := range out {
			if ok, _, _ := strings.Cut(o, "="); ok == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// resolveUser reads USER[:GROUP] (names or ids) the way a runtime does: an
// empty user is root, a name is looked up in rootfs, a user without a group
// gets the passwd entry's group (0 for a bare id not in passwd).
func resolveUser(rootfs, u string) (specs.User, error) {
	if u == "" {
		return specs.User{}, nil
	}
	name, group, hasGroup := strings.Cut(u, ":")
	uid, gid, err := lookup(filepath.Join(rootfs, "etc/passwd"), name, 2, 3)
	if err != nil {
		return specs.User{}, fmt.Errorf("resolving image user %q: %w", u, err)
	}
	if hasGroup {
		if gid, _, err = lookup(filepath.Join(rootfs, "etc/group"), group, 2, -1); err != nil {
			return specs.User{}, fmt.Errorf("resolving image group %q: %w", u, err)
		}
	}
	return specs.User{UID: uid, GID: gid}, nil
}

// lookup returns fields idField and gidField (-1: none) of the colon-separated
// file's line for name, or name itself when it is a number not in the file.
func lookup(file, name string, idField, gidField int) (uint32, uint32, error) {
	n, numErr := strconv.ParseUint(name, 10, 32)
	f, err := os.Open(file)
	if err != nil && numErr == nil {
		return uint32(n), 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("no %s to look %q up in", file, name)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) <= idField || len(fields) <= gidField {
			continue
		}
		if fields[0] != name && (numErr != nil || fields[idField] != name) {
			continue
		}
		id, err := strconv.ParseUint(fields[idField], 10, 32)
		if err != nil {
			continue
		}
		var gid uint64
		if gidField >= 0 {
			gid, _ = strconv.ParseUint(fields[gidField], 10, 32)
		}
		return uint32(id), uint32(gid), nil
	}
	if numErr == nil {
		return uint32(n), 0, nil
	}
	return 0, 0, fmt.Errorf("%q is not in %s", name, file)
}
