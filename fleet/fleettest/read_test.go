package fleettest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// fatalTB records a Fatal instead of stopping the test.
type fatalTB struct {
	testing.TB
	failed bool
}

func (f *fatalTB) Helper()               {}
func (f *fatalTB) Fatalf(string, ...any) { f.failed = true; panic(f) }
func (f *fatalTB) Fatal(...any)          { f.failed = true; panic(f) }

func TestReadFileMissing(t *testing.T) {
	r := NewRepo(t, t.TempDir(), "svc", map[string]string{"a.txt": "a\n"})
	require.Equal(t, "a\n", ReadFile(t, r.Dir, "main", "a.txt"))
	got, ok := ReadFileIfExists(t, r.Dir, "main", "b.txt")
	require.False(t, ok)
	require.Empty(t, got)

	tb := &fatalTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		ReadFile(tb, r.Dir, "main", "b.txt")
	}()
	require.True(t, tb.failed, "a missing file fails the test")
}
