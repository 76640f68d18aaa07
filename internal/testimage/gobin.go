package testimage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// appModule is the module path of the test binary's main package.
const appModule = "example.com/paved/testapp"

// appSource is the test binary: it calls the x/text function that
// CVE-2022-32149 is about, so the dependency is really linked in.
const appSource = `package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	tags, _, err := language.ParseAcceptLanguage(os.Getenv("ACCEPT_LANGUAGE"))
	fmt.Println(tags, err)
}
`

// builds caches one compile per x/text version for the life of the process.
var builds sync.Map // version -> *build

type build struct {
	once sync.Once
	path string
	err  error
}

// GoBinary returns the path of a linux Go binary (CGO_ENABLED=0, -trimpath)
// for the runtime's GOARCH, built from a main package that imports
// golang.org/x/text at xtextVersion. Builds are cached per version in this
// process and, keyed by toolchain and source, in the system temp directory.
// Do not modify or delete the returned file.
func GoBinary(tb testing.TB, xtextVersion string) string {
	tb.Helper()
	if xtextVersion == "" {
		xtextVersion = DefaultXTextVersion
	}
	v, _ := builds.LoadOrStore(xtextVersion, &build{})
	b := v.(*build)
	b.once.Do(func() { b.path, b.err = buildGoBinary(xtextVersion) })
	if b.err != nil {
		tb.Fatalf("testimage: building Go binary with golang.org/x/text %s: %v", xtextVersion, b.err)
	}
	return b.path
}

func buildGoBinary(xtextVersion string) (string, error) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		goCmd = "go"
	}
	key := sha256.Sum256([]byte(strings.Join([]string{runtime.Version(), goarch(), appSource, xtextVersion, "GOEXPERIMENT="}, "\x00")))
	cacheDir := filepath.Join(os.TempDir(), "paved-testimage")
	out := filepath.Join(cacheDir, "server-"+hex.EncodeToString(key[:8]))
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	src, err := os.MkdirTemp(cacheDir, "src-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(src)
	goMod := fmt.Sprintf("module %s\n\ngo 1.21\n\nrequire golang.org/x/text %s\n", appModule, xtextVersion)
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(goMod), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(appSource), 0o644); err != nil {
		return "", err
	}
	tmp := filepath.Join(src, "server")
	steps := [][]string{
		{"mod", "download", "golang.org/x/text"},
		{"build", "-trimpath", "-o", tmp, "."},
	}
	for _, args := range steps {
		if err := runGo(goCmd, src, args...); err != nil {
			return "", err
		}
	}
	// Rename makes the cache entry appear whole, even with concurrent test binaries.
	return out, os.Rename(tmp, out)
}

func runGo(goCmd, dir string, args ...string) error {
	cmd := exec.Command(goCmd, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch(), "GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false", "GOTOOLCHAIN=local",
		// A plain toolchain version string ("go1.26.8", not "go1.26.8-X:jsonv2"), as in a service's release build.
		"GOEXPERIMENT=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func goarch() string { return runtime.GOARCH }
