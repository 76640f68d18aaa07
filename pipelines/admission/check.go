package admission

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrStale is returned (wrapped, as a policy failure) when the committed
// export differs from a fresh one; the error names every file.
var ErrStale = errors.New("the committed admission policies are out of date")

// File states in a Report.
const (
	StateCurrent = "current" // the committed file is what the export writes
	StateDiffers = "differs" // the committed file has other contents
	StateMissing = "missing" // the export writes a file that is not there
	StateExtra   = "extra"   // a YAML file the export no longer writes
)

// Report compares an export directory with a fresh export.
type Report struct {
	// Dir is the directory compared.
	Dir string `json:"dir"`
	// Files are every file compared, sorted by path.
	Files []FileState `json:"files"`
}

// FileState is one file of a Report.
type FileState struct {
	// Path is relative to Dir.
	Path string `json:"path"`
	// State is StateCurrent, StateDiffers, StateMissing or StateExtra.
	State string `json:"state"`
}

// Check compares the files of dir with files, a fresh export: every file
// must be there with the same bytes. With whole (an export of every
// environment) no other YAML file may be there either: the directory
// belongs to the export. A stale directory is reported with a
// failure.PolicyErr wrapping ErrStale that names each stale file.
func Check(dir string, files []File, whole bool) (*Report, error) {
	rep := &Report{Dir: dir, Files: []FileState{}}
	want := map[string]bool{}
	for _, f := range files {
		want[f.Path] = true
		old, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		state := StateCurrent
		switch {
		case errors.Is(err, fs.ErrNotExist):
			state = StateMissing
		case err != nil:
			return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", filepath.Join(dir, f.Path), err))
		case !bytes.Equal(old, f.Data):
			state = StateDiffers
		}
		rep.Files = append(rep.Files, FileState{Path: f.Path, State: state})
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", dir, err))
	}
	if !whole {
		entries = nil
	}
	for _, en := range entries {
		n := en.Name()
		if !want[n] && en.Type().IsRegular() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			rep.Files = append(rep.Files, FileState{Path: n, State: StateExtra})
		}
	}
	sort.Slice(rep.Files, func(i, j int) bool { return rep.Files[i].Path < rep.Files[j].Path })
	return rep, rep.err()
}

// Stale returns the files that are not current.
func (r *Report) Stale() []FileState {
	var out []FileState
	for _, f := range r.Files {
		if f.State != StateCurrent {
			out = append(out, f)
		}
	}
	return out
}

// err is the policy failure naming the stale files, or nil.
func (r *Report) err() error {
	stale := r.Stale()
	if len(stale) == 0 {
		return nil
	}
	parts := make([]string, len(stale))
	for i, f := range stale {
		parts[i] = f.Path + " " + f.State
	}
	return failure.PolicyErr(fmt.Errorf("checking %s: %w (%s): export them again and commit the result", r.Dir, ErrStale, strings.Join(parts, ", ")))
}
