package publish

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// exportTree writes the files of c's tree into dir, as `git archive` does:
// only what is committed, so files the work tree hides from git status
// (.gitignore, .git/info/exclude) never reach the release build.
func exportTree(c *object.Commit, dir string) error {
	tree, err := c.Tree()
	if err != nil {
		return fmt.Errorf("reading the tree of %s: %w", short(c.Hash.String()), err)
	}
	return tree.Files().ForEach(func(f *object.File) error {
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("exporting %s: %w", f.Name, err)
		}
		if f.Mode == filemode.Symlink {
			target, err := f.Contents()
			if err != nil {
				return fmt.Errorf("exporting %s: %w", f.Name, err)
			}
			return os.Symlink(target, dst)
		}
		perm := os.FileMode(0o644)
		if f.Mode == filemode.Executable {
			perm = 0o755
		}
		return exportFile(f, dst, perm)
	})
}

func exportFile(f *object.File, dst string, perm os.FileMode) error {
	rd, err := f.Reader()
	if err != nil {
		return fmt.Errorf("exporting %s: %w", f.Name, err)
	}
	defer rd.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("exporting %s: %w", f.Name, err)
	}
	if _, err := io.Copy(out, rd); err != nil {
		out.Close()
		return fmt.Errorf("exporting %s: %w", f.Name, err)
	}
	return out.Close()
}
