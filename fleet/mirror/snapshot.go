package mirror

import (
	"fmt"
	"io"
	"path"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/paved-dev/paved/pipelines/redact"
)

// MaxFileSize bounds the files ReadFiles returns; larger ones are skipped,
// since no CI wrapper, Dockerfile or module file is that large.
const MaxFileSize = 1 << 20

// skipDirs are directories that hold other projects' files.
var skipDirs = map[string]bool{"node_modules": true, "vendor": true, ".terraform": true}

// Snapshot is one commit of a cached repository.
type Snapshot struct {
	// URL is the repository; Commit the fetched commit's SHA and Time its
	// committer time.
	URL    string
	Commit string
	Time   time.Time

	repo *git.Repository
	tree *object.Tree
}

// File is one file of a snapshot: its slash-separated path and contents.
type File struct {
	Path string
	Data []byte
}

// ReadFiles returns the regular files of the snapshot whose path wanted
// accepts, in tree order. It skips node_modules, vendor and .terraform
// directories and files over MaxFileSize, and reads no other blob.
func (s *Snapshot) ReadFiles(wanted func(path string) bool) ([]File, error) {
	var files []File
	err := s.walk(s.tree, "", wanted, &files)
	return files, err
}

func (s *Snapshot) walk(t *object.Tree, dir string, wanted func(string) bool, files *[]File) error {
	for _, e := range t.Entries {
		p := path.Join(dir, e.Name)
		switch {
		case e.Mode == filemode.Dir:
			if skipDirs[e.Name] {
				continue
			}
			sub, err := s.repo.TreeObject(e.Hash)
			if err != nil {
				return fmt.Errorf("reading %s at %s in %s: %w", p, s.Commit, redact.URL(s.URL), err)
			}
			if err := s.walk(sub, p, wanted, files); err != nil {
				return err
			}
		case e.Mode.IsFile() && wanted(p):
			data, err := s.read(e.Hash, p)
			if err != nil {
				return err
			}
			if data != nil {
				*files = append(*files, File{Path: p, Data: data})
			}
		}
	}
	return nil
}

// ReadFile returns the contents of the file at p, or an error wrapping
// object.ErrFileNotFound; nil contents for a file over MaxFileSize.
func (s *Snapshot) ReadFile(p string) ([]byte, error) {
	f, err := s.tree.File(p)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, s.Commit, redact.URL(s.URL), err)
	}
	return s.read(f.Hash, p)
}

// read returns a blob's contents, nil when it is over MaxFileSize.
func (s *Snapshot) read(hash plumbing.Hash, p string) ([]byte, error) {
	b, err := s.repo.BlobObject(hash)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, s.Commit, redact.URL(s.URL), err)
	}
	if b.Size > MaxFileSize {
		return nil, nil
	}
	r, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, s.Commit, redact.URL(s.URL), err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, s.Commit, redact.URL(s.URL), err)
	}
	return data, nil
}
