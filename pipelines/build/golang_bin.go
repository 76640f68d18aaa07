package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// go build links the binary again whenever its output file is new, even
// when nothing changed: a warm build of a small service is mostly the
// link. Given an output file it wrote before, it checks the file's build
// ID against what it would build and links only when they differ (as go
// install does), so a re-run of unchanged input costs the up-to-date check
// alone. The binary therefore goes to one slot per service directory, main
// package and platform under the user cache directory
// (os.UserCacheDir()/paved/go-bin): the slots are bounded by the services
// built on the machine, a new version overwrites its slot, and a lock held
// from go build to reading the binary keeps concurrent builds of one
// service from reading each other's half-written output. Where no cache
// directory can be had, each build links into a temporary directory.

// binSlot returns the directory to build g's binary for p in and the
// function that releases it.
func (g *goBuilder) binSlot(p v1.Platform) (string, func(), error) {
	if dir, release, err := g.cachedSlot(p); err == nil {
		return dir, release, nil
	}
	dir, err := os.MkdirTemp("", "paved-go-")
	if err != nil {
		return "", nil, fmt.Errorf("creating the build directory: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// cachedSlot locks and returns the slot of g's binary for p.
func (g *goBuilder) cachedSlot(p v1.Platform) (string, func(), error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", nil, err
	}
	abs, err := filepath.Abs(g.dir)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256([]byte(abs + "\x00" + g.o.Main + "\x00" + p.String()))
	dir := filepath.Join(cache, "paved", "go-bin", hex.EncodeToString(sum[:12]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return "", nil, err
	}
	return dir, func() { lock.Close() }, nil // closing releases the lock
}
