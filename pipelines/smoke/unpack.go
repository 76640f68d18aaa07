package smoke

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"golang.org/x/sys/unix"
)

// Unpack writes img's filesystem (its layers flattened, whiteouts applied)
// into the directory rootfs, keeping modes and owners. Every path is resolved
// inside rootfs, so an entry or a symlink in the image cannot write outside
// it. Device nodes are skipped: the runtime mounts its own /dev.
func Unpack(img v1.Image, rootfs string) error {
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return fmt.Errorf("creating rootfs %q: %w", rootfs, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading image layers: %w", err)
		}
		if err := unpackEntry(rootfs, hdr, tr); err != nil {
			return fmt.Errorf("unpacking %q: %w", hdr.Name, err)
		}
	}
}

func unpackEntry(root string, hdr *tar.Header, r io.Reader) error {
	name := filepath.Clean("/" + hdr.Name)
	if name == "/" {
		return nil
	}
	// The parent is resolved inside root; the entry itself is not followed,
	// so a symlink entry replaces whatever was there.
	parent, err := securejoin.SecureJoin(root, filepath.Dir(name))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	dst := filepath.Join(parent, filepath.Base(name))
	mode := os.FileMode(hdr.Mode & 0o777)
	switch hdr.Typeflag {
	case tar.TypeDir:
		if fi, err := os.Lstat(dst); err != nil || !fi.IsDir() {
			_ = os.RemoveAll(dst)
			if err := os.Mkdir(dst, mode); err != nil {
				return err
			}
		}
	case tar.TypeReg:
		_ = os.RemoveAll(dst)
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	case tar.TypeSymlink:
		_ = os.RemoveAll(dst)
		if err := os.Symlink(hdr.Linkname, dst); err != nil {
			return err
		}
		return chown(dst, hdr)
	case tar.TypeLink:
		target, err := securejoin.SecureJoin(root, filepath.Clean("/"+hdr.Linkname))
		if err != nil {
			return err
		}
		_ = os.RemoveAll(dst)
		return os.Link(target, dst)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return nil
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	return attrs(dst, hdr, mode)
}

// attrs sets owner, mode (after chown, which clears setuid) and file
// capabilities.
func attrs(dst string, hdr *tar.Header, mode os.FileMode) error {
	if err := chown(dst, hdr); err != nil {
		return err
	}
	if err := os.Chmod(dst, mode|modeBits(hdr.Mode)); err != nil {
		return err
	}
	for k, v := range hdr.PAXRecords {
		if attr, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok && attr == "security.capability" {
			if os.Geteuid() != 0 {
				continue
			}
			if err := unix.Lsetxattr(dst, attr, []byte(v), 0); err != nil {
				return fmt.Errorf("setting %s: %w", attr, err)
			}
		}
	}
	return nil
}

// chown keeps the entry's owner. Only root may give files away; as another
// user the files stay that user's, which is enough to inspect a rootfs (runc
// needs root anyway).
func chown(dst string, hdr *tar.Header) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return os.Lchown(dst, hdr.Uid, hdr.Gid)
}

// modeBits maps tar's setuid, setgid and sticky bits to os.FileMode's.
func modeBits(m int64) os.FileMode {
	var fm os.FileMode
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}
