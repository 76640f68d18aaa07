package vulndb

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	fixtures "github.com/aquasecurity/bolt-fixtures"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
)

// Fixtures holds the fixture database source: Trivy bolt-fixtures YAML with
// real advisories (see the comments in each file). BuildFixture loads every
// *.yaml file in it.
//
//go:embed fixtures/*.yaml
var Fixtures embed.FS

// FixtureValidity is how long after its build a fixture database says it is
// current (metadata NextUpdate).
const FixtureValidity = 24 * time.Hour

// BuildFixture builds a database in dir from bolt-fixtures YAML: the
// embedded Fixtures when files is empty, else the given files. Its metadata
// has SchemaVersion and UpdatedAt = DownloadedAt = now (UTC). An existing
// database in dir is replaced only once the new one is complete.
func BuildFixture(dir string, now time.Time, files ...string) error {
	stage, err := stageDir(dir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	if len(files) == 0 {
		if files, err = writeEmbedded(stage); err != nil {
			return err
		}
	}
	loader, err := fixtures.New(filepath.Join(stage, DBFile), files)
	if err != nil {
		return fmt.Errorf("creating fixture database in %q: %w", dir, err)
	}
	if err := loader.Load(); err != nil {
		_ = loader.Close()
		return fmt.Errorf("loading fixture YAML %q: %w", files, err)
	}
	if err := loader.Close(); err != nil {
		return fmt.Errorf("closing fixture database: %w", err)
	}
	now = now.UTC()
	meta := Metadata{Version: SchemaVersion, UpdatedAt: now, NextUpdate: now.Add(FixtureValidity), DownloadedAt: now}
	if err := metadata.NewClient(stage).Update(meta); err != nil {
		return fmt.Errorf("writing fixture metadata: %w", err)
	}
	return install(stage, dir)
}

// writeEmbedded copies the embedded fixture files into dir/yaml and returns
// their paths (bolt-fixtures reads files by path).
func writeEmbedded(dir string) ([]string, error) {
	yamlDir := filepath.Join(dir, "yaml")
	if err := os.MkdirAll(yamlDir, 0o755); err != nil {
		return nil, err
	}
	names, err := fs.Glob(Fixtures, "fixtures/*.yaml")
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(names))
	for _, n := range names {
		data, err := Fixtures.ReadFile(n)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(yamlDir, filepath.Base(n))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// stageDir makes a temporary directory inside dir, so that install can
// rename files into place on the same file system.
func stageDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating database directory %q: %w", dir, err)
	}
	stage, err := os.MkdirTemp(dir, ".stage-")
	if err != nil {
		return "", fmt.Errorf("creating staging directory in %q: %w", dir, err)
	}
	return stage, nil
}

// install checks the database staged in stage and moves it into dir:
// trivy.db first, metadata.json last, each by an atomic rename.
func install(stage, dir string) error {
	if _, err := Check(stage, -1, time.Now()); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{DBFile, MetadataFile} {
		if err := os.Rename(filepath.Join(stage, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("installing %s into %q: %w", name, dir, err)
		}
	}
	return nil
}
