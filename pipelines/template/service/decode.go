package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/yamldoc"
)

// maxConfigSize bounds a paved.yaml; real ones are well under a KiB.
const maxConfigSize = 1 << 20

// ErrUnknownKey is wrapped by the error for a key paved.yaml does not know.
var ErrUnknownKey = yamldoc.ErrUnknownKey

// Type is paved.yaml's kind of file.
var Type = yamldoc.Type{APIVersion: APIVersion, Kind: Kind, Noun: "paved.yaml"}

// Load reads and validates the paved.yaml at path. Every problem is bad
// input naming the file, and the line where there is one.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", path, err))
	}
	return Parse(path, data)
}

// Parse decodes and validates a paved.yaml read from file (used for
// messages and to resolve relative paths), strictly (see yamldoc.Decode):
// unknown keys come with a "did you mean" suggestion.
func Parse(file string, data []byte) (*Config, error) {
	bad := func(err error) error { return failure.BadInputErr(fmt.Errorf("reading %q: %w", file, err)) }
	if len(data) > maxConfigSize {
		return nil, bad(fmt.Errorf("larger than %d bytes", maxConfigSize))
	}
	c := &Config{}
	if err := yamldoc.Decode(data, c, Type); err != nil {
		if errors.Is(err, yamldoc.ErrEmpty) {
			err = errors.New("empty file: start with apiVersion: " + APIVersion)
		}
		return nil, bad(err)
	}
	c.File, c.Dir = file, filepath.Dir(file)
	if err := c.validate(); err != nil {
		return nil, bad(err)
	}
	return c, nil
}
