package scan_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/vuln"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

var (
	dbOnce sync.Once
	dbDir  string
	dbErr  error
)

// fixtureDB builds the fixture database once per test binary.
func fixtureDB(tb testing.TB) string {
	tb.Helper()
	dbOnce.Do(func() {
		var dir string
		dir, dbErr = os.MkdirTemp("", "paved-scan-db-")
		if dbErr == nil {
			dbDir = filepath.Join(dir, "db")
			dbErr = vulndb.BuildFixture(dbDir, time.Now())
		}
	})
	require.NoError(tb, dbErr)
	return dbDir
}

// goAPIImage is a Go service image like go-api: Debian base packages and
// the Go binary, no Python or npm packages.
func goAPIImage(tb testing.TB, xtext string) testimage.Options {
	return testimage.Options{XTextVersion: xtext, Python: []testimage.Package{}, NPM: []testimage.Package{}}
}

// zlibIgnore is the ignore entry every Debian 12 service needs: Debian
// will not fix CVE-2023-45853 in zlib1g because minizip is not built.
func zlibIgnore(tb testing.TB) *vuln.IgnoreFile {
	tb.Helper()
	expires := time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
	f, err := vuln.ParseIgnoreFile(".paved-ignore.yaml", []byte(`ignores:
  - id: CVE-2023-45853
    package: zlib1g
    reason: minizip is not built in Debian's zlib1g; Debian will not fix
    expires: `+expires+"\n"))
	require.NoError(tb, err)
	return f
}

func findingIDs(fs []vuln.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID+" "+f.Package)
	}
	return ids
}
