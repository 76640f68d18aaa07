package candidate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/apps"
)

// ErrCompile marks a build whose source does not compile: for the
// candidate, the candidate did not pass.
var ErrCompile = errors.New("paved does not compile")

// Inputs are the files both versions' runs share, checked before anything
// is built.
type Inputs struct {
	// BasesDir holds an OCI layout per base (BasesDir/LAYOUT).
	BasesDir string
	Bases    []apps.Base
	// DBDir is the vulnerability database; Key the signing key.
	DBDir, Key string
}

// ErrInputs is wrapped by the error of Check.
var ErrInputs = errors.New("missing inputs")

// Check returns a bad-input error naming each input that is not given or
// does not exist.
func (in Inputs) Check() error {
	var errs []error
	need := func(what, path string, dir bool) {
		if path == "" {
			errs = append(errs, fmt.Errorf("%s is required", what))
			return
		}
		st, err := os.Stat(path)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %q: %w", what, path, err))
		case st.IsDir() != dir:
			kind := "a file"
			if dir {
				kind = "a directory"
			}
			errs = append(errs, fmt.Errorf("%s %q: want %s", what, path, kind))
		}
	}
	need("the signing key", in.Key, false)
	need("the vulnerability database", in.DBDir, true)
	need("the bases directory", in.BasesDir, true)
	if in.BasesDir != "" && len(errs) == 0 {
		for _, b := range in.Bases {
			need("the bases directory: base "+b.Image+" layout", filepath.Join(in.BasesDir, b.Layout), true)
		}
	}
	if len(errs) > 0 {
		return failure.BadInputErr(fmt.Errorf("checking the release inputs (%w: the signing key, vulnerability database and bases both versions use; hack/release-check.sh builds them): %w", ErrInputs, errors.Join(errs...)))
	}
	return nil
}
