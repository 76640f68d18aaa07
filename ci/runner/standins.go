package runner

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed standins
var standinFiles embed.FS

// standins maps a hosted action's repository to its stand-in under
// standins/: the only actions a wrapper under test may use besides paved's.
var standins = map[string]string{
	"actions/checkout":        "checkout",
	"actions/setup-go":        "setup-go",
	"actions/cache":           "cache",
	"actions/upload-artifact": "upload-artifact",
	"github/codeql-action":    "codeql-action",
}

// Record is what a stand-in action was given.
type Record struct {
	// Action is the stand-in: checkout, setup-go, cache-restore,
	// cache-save, upload-artifact or upload-sarif.
	Action string `json:"action"`
	// Inputs are the inputs it was called with.
	Inputs map[string]string `json:"inputs"`
}

// writeStandins writes the stand-in actions into dir/actions and the
// recorder into dir/bin, and returns the actions directory.
func writeStandins(dir string) (string, error) {
	err := fs.WalkDir(standinFiles, "standins", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := standinFiles.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "standins/")
		dst := filepath.Join(dir, "actions", filepath.FromSlash(rel))
		if rel == "record.sh" {
			dst = filepath.Join(dir, "bin", rel)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o755)
	})
	if err != nil {
		return "", fmt.Errorf("writing the stand-in actions: %w", err)
	}
	return filepath.Join(dir, "actions"), nil
}

// readRecords reads what the stand-ins recorded in dir/records, in order.
func readRecords(dir string) ([]Record, error) {
	files, err := filepath.Glob(filepath.Join(dir, "records", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Record
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r Record
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("reading stand-in record %q: %w", f, err)
		}
		out = append(out, r)
	}
	return out, nil
}
