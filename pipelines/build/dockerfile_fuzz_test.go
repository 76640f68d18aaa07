package build

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
)

// offline refuses every request, so fuzzed FROM lines never reach a network.
type offline struct{}

func (offline) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzzing: no network")
}

// FuzzDockerfile builds arbitrary Dockerfiles against a small context: the
// builder must never panic, and every failure must be classified (a user
// can act on it) rather than internal.
func FuzzDockerfile(f *testing.F) {
	for _, seed := range []string{
		"FROM scratch\nCOPY a.txt /a\n",
		"ARG X=scratch\nFROM $X AS one\nWORKDIR app\nCOPY . .\nFROM one\nCOPY --from=one /app/a.txt /b\nENV A=1 B=\"$A 2\"\nLABEL a=$A\nUSER 10:10\nEXPOSE 80 81-82/udp\nENTRYPOINT x\nCMD [\"y\"]\n",
		"FROM scratch\nADD arch.tar /x/\nCOPY --chmod=0600 --chown=1:2 dir/ /d/\nHEALTHCHECK CMD true\nSTOPSIGNAL 9\nSHELL [\"/bin/ash\", \"-c\"]\nONBUILD COPY a.txt /\n",
		"FROM scratch\nCOPY <<EOF /here\nhi $HOME\nEOF\nRUN echo\n",
		"FROM --platform=$BUILDPLATFORM scratch\nCOPY dir/*.txt /t/\nCOPY --exclude=*.md dir /e\nVOLUME /v\n",
		"# escape=`\nFROM scratch\nCOPY a.txt `\n  /a\n",
		"FROM registry.invalid/x:1\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	for p, content := range map[string]string{"a.txt": "a\n", "dir/b.txt": "b\n", "dir/c.md": "c\n"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, dockerfile string) {
		df := filepath.Join(t.TempDir(), "Dockerfile")
		if err := os.WriteFile(df, []byte(dockerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		b := Dockerfile(dir, WithDockerfile(df), WithTransport(offline{}), WithCreated(time.Unix(1, 0)))
		res, err := b.Build(context.Background())
		if err != nil {
			if failure.KindOf(err) == failure.Internal {
				t.Fatalf("unclassified failure for %q: %v", dockerfile, err)
			}
			return
		}
		if _, err := res.Digest(); err != nil {
			t.Fatalf("built but cannot hash %q: %v", dockerfile, err)
		}
	})
}
