package changelog

import (
	"os"
	"testing"
)

// BenchmarkRelease releases paved's own changelog (testdata/paved.md).
func BenchmarkRelease(b *testing.B) {
	data, err := os.ReadFile("testdata/paved.md")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Release(data, "v0.1.0", releaseDate); err != nil {
			b.Fatal(err)
		}
	}
}
