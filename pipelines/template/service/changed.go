package service

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Change is a service whose sources changed.
type Change struct {
	// Name is the service's name from its paved.yaml.
	Name string `json:"name"`
	// Dir is the service's directory, relative to the repository root.
	Dir string `json:"dir"`
	// Files are the changed files that affect it (at most MaxFiles).
	Files []string `json:"files"`
	// Error is set when the service's paved.yaml does not parse; its
	// sources are then its directory alone.
	Error string `json:"error,omitempty"`
}

// MaxFiles bounds Change.Files.
const MaxFiles = 20

// Changed lists the services under root (a directory of a git work tree)
// whose sources changed between the merge base of base and HEAD, and HEAD:
// the committed changes of HEAD's branch since it left base, as `git diff
// base...HEAD` shows them. A service is a directory with a paved.yaml at
// HEAD; its sources are that directory, its build.dir and the paths its
// sources list. Services are sorted by directory.
func Changed(root, base string) ([]Change, error) {
	repo, err := git.PlainOpenWithOptions(root, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("opening the git repository of %q: %w", root, err))
	}
	prefix, err := repoPrefix(repo, root)
	if err != nil {
		return nil, err
	}
	head, from, err := commits(repo, base)
	if err != nil {
		return nil, err
	}
	changed, err := changedFiles(from, head)
	if err != nil {
		return nil, err
	}
	services, err := findServices(head, prefix)
	if err != nil {
		return nil, err
	}
	out := []Change{}
	for _, s := range services {
		if c, ok := s.affectedBy(changed); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// repoPrefix is root relative to the work tree's top, slash-separated ("" at the top).
func repoPrefix(repo *git.Repository, root string) (string, error) {
	wt, err := repo.Worktree()
	if err != nil {
		return "", failure.BadInputErr(fmt.Errorf("reading the work tree of %q: %w", root, err))
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	top, err := filepath.EvalSymlinks(wt.Filesystem.Root())
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", failure.BadInputErr(fmt.Errorf("%q is not inside the work tree %q", root, top))
	}
	if rel == "." {
		return "", nil
	}
	return filepath.ToSlash(rel), nil
}

// commits resolves HEAD and the merge base of base and HEAD.
func commits(repo *git.Repository, base string) (head, from *object.Commit, err error) {
	resolve := func(rev string) (*object.Commit, error) {
		h, err := repo.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("resolving revision %q: %w (fetch it first, e.g. git fetch origin main)", rev, err))
		}
		return repo.CommitObject(*h)
	}
	if head, err = resolve("HEAD"); err != nil {
		return nil, nil, err
	}
	if from, err = resolve(base); err != nil {
		return nil, nil, err
	}
	bases, err := from.MergeBase(head)
	if err != nil {
		return nil, nil, fmt.Errorf("finding the merge base of %q and HEAD: %w", base, err)
	}
	if len(bases) > 0 {
		from = bases[0]
	}
	return head, from, nil
}

// changedFiles lists the paths added, removed, renamed or modified from a to b.
func changedFiles(a, b *object.Commit) ([]string, error) {
	ta, err := a.Tree()
	if err != nil {
		return nil, err
	}
	tb, err := b.Tree()
	if err != nil {
		return nil, err
	}
	changes, err := object.DiffTree(ta, tb)
	if err != nil {
		return nil, fmt.Errorf("comparing %s and %s: %w", a.Hash, b.Hash, err)
	}
	seen := map[string]bool{}
	for _, c := range changes {
		for _, p := range []string{c.From.Name, c.To.Name} {
			if p != "" {
				seen[p] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// candidate is a service found at HEAD and the paths it depends on.
type candidate struct {
	name, dir, err string
	paths          []string
}

// findServices reads every paved.yaml under prefix in head's tree.
func findServices(head *object.Commit, prefix string) ([]candidate, error) {
	tree, err := head.Tree()
	if err != nil {
		return nil, err
	}
	var out []candidate
	err = tree.Files().ForEach(func(f *object.File) error {
		if path.Base(f.Name) != ConfigFile || (prefix != "" && !within(f.Name, prefix)) {
			return nil
		}
		dir := path.Dir(f.Name)
		c := candidate{name: path.Base(dir), dir: dir, paths: []string{dir}}
		data, err := f.Contents()
		if err != nil {
			return err
		}
		cfg, err := Parse(f.Name, []byte(data))
		if err != nil {
			c.err = err.Error()
			out = append(out, c)
			return nil
		}
		c.name = cfg.Name
		c.paths = append(c.paths, path.Join(dir, orDefault(cfg.Build.Dir, ".")))
		for _, s := range cfg.Sources {
			c.paths = append(c.paths, path.Join(dir, filepath.ToSlash(s)))
		}
		out = append(out, c)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out, err
}

func (c candidate) affectedBy(changed []string) (Change, bool) {
	ch := Change{Name: c.name, Dir: c.dir, Files: []string{}, Error: c.err}
	n := 0
	for _, f := range changed {
		for _, p := range c.paths {
			if within(f, p) {
				n++
				if len(ch.Files) < MaxFiles {
					ch.Files = append(ch.Files, f)
				}
				break
			}
		}
	}
	return ch, n > 0
}

// within reports whether the slash path f is p or below it; "." and ""
// contain everything.
func within(f, p string) bool {
	p = path.Clean(p)
	return p == "." || f == p || strings.HasPrefix(f, p+"/")
}
