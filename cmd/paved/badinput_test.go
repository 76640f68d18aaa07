package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// badInputCase is one line of testdata/badinput/corpus.txt.
type badInputCase struct {
	line       int
	code       int
	args, want string
}

func readCorpus(t *testing.T) []badInputCase {
	f, err := os.Open(filepath.Join("testdata", "badinput", "corpus.txt"))
	require.NoError(t, err)
	defer f.Close()
	var cases []badInputCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, " | ", 3)
		require.Len(t, parts, 3, "corpus.txt:%d: want EXIT | ARGS | WANT", n)
		code, err := strconv.Atoi(parts[0])
		require.NoError(t, err, "corpus.txt:%d", n)
		cases = append(cases, badInputCase{line: n, code: code, args: parts[1], want: parts[2]})
	}
	require.NoError(t, sc.Err())
	return cases
}

// badInputEnv is what the corpus runs against.
type badInputEnv struct {
	vars                  map[string]string
	registry, gitops, out string
}

const corpusPassword = "corpus password"

func newBadInputEnv(t *testing.T) *badInputEnv {
	reg := testRegistry(t)
	e := &badInputEnv{registry: reg, out: t.TempDir()}
	keys := t.TempDir()
	_, err := sign.GenerateKeys(keys, []byte(corpusPassword))
	require.NoError(t, err)
	other := t.TempDir()
	_, err = sign.GenerateKeys(other, []byte("another password"))
	require.NoError(t, err)
	for _, ext := range []string{".key", ".pub"} {
		require.NoError(t, os.Rename(filepath.Join(other, "cosign"+ext), filepath.Join(keys, "other"+ext)))
	}
	db := t.TempDir()
	require.NoError(t, vulndb.BuildFixture(db, time.Now()))
	e.gitops = deployBareRemote(t, map[string]string{
		"paved-gitops.yaml":                     "environments:\n  - name: dev\n  - name: staging\nservices:\n  api:\n    layout: manifests\n    path: manifests/api/{env}\n    image: " + reg + "/services/api\n",
		"manifests/api/dev/deployment.yaml":     corpusDeployment(reg),
		"manifests/api/staging/deployment.yaml": corpusDeployment(reg),
	})
	image := pushRandomImage(t, reg+"/services/api")
	e.vars = map[string]string{
		"$REG": reg, "$OUT": e.out, "$GITOPS": e.gitops, "$DB": db, "$KEYS": keys, "$IMAGE": image.String(),
		"$RUNS": t.TempDir(), "$REV": "0123456789abcdef0123456789abcdef01234567",
	}
	e.vars["$F"] = corpusFiles(t, e.vars)
	require.NoError(t, os.WriteFile(filepath.Join(e.out, "existing.txt"), []byte("keep me\n"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(e.out, "dir"), 0o755))
	return e
}

func corpusDeployment(reg string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: " + reg + "/services/api:v0\n"
}

// corpusFiles copies testdata/badinput/files with its placeholders filled
// in, and adds the files git cannot hold: a Dockerfile linking to a host
// file and one with a NUL byte.
func corpusFiles(t *testing.T, vars map[string]string) string {
	dst := t.TempDir()
	src := filepath.Join("testdata", "badinput", "files")
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := strings.NewReplacer("@REG@", vars["$REG"], "@KEYS@", vars["$KEYS"], "@GITOPS@", vars["$GITOPS"], "@F@", dst).Replace(string(data))
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), []byte(s), 0o644)
	}))
	require.NoError(t, os.MkdirAll(filepath.Join(dst, "link"), 0o755))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dst, "link", "Dockerfile")))
	require.NoError(t, os.MkdirAll(filepath.Join(dst, "nul"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dst, "nul", "Dockerfile"), []byte("FROM "+vars["$REG"]+"/platform/static:1\nCOPY a\x00 /a\n"), 0o644))
	return dst
}

func (e *badInputEnv) expand(s string) string {
	keys := make([]string, 0, len(e.vars))
	for k := range e.vars {
		keys = append(keys, k)
	}
	// Longest first: $REG before $RUNS and $REV would not matter, but be exact.
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, e.vars[k])
	}
	return s
}

// state is everything a bad input must leave alone: the registry's
// repositories, tags and their digests, the GitOps remote's refs, and the
// output directory's files.
func (e *badInputEnv) state(t *testing.T) []string {
	var out []string
	for _, repo := range catalog(t, e.registry) {
		resp, err := http.Get("http://" + e.registry + "/v2/" + repo + "/tags/list")
		require.NoError(t, err)
		var tags struct{ Tags []string }
		require.NoError(t, jsonDecode(resp, &tags))
		for _, tag := range tags.Tags {
			req, _ := http.NewRequest(http.MethodHead, "http://"+e.registry+"/v2/"+repo+"/manifests/"+tag, nil)
			req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			out = append(out, "registry "+repo+":"+tag+" "+resp.Header.Get("Docker-Content-Digest"))
		}
	}
	repo, err := git.PlainOpen(e.gitops)
	require.NoError(t, err)
	refs, err := repo.References()
	require.NoError(t, err)
	require.NoError(t, refs.ForEach(func(r *plumbing.Reference) error {
		out = append(out, "gitops "+r.String())
		return nil
	}))
	require.NoError(t, filepath.WalkDir(e.out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.out, p)
		if d.IsDir() {
			out = append(out, "out "+rel+"/")
			return nil
		}
		data, err := os.ReadFile(p)
		out = append(out, fmt.Sprintf("out %s %x", rel, sha256.Sum256(data)))
		return err
	}))
	sort.Strings(out)
	return out
}

// TestBadInputCorpus runs every case of testdata/badinput/corpus.txt: the
// documented exit code, one line on stderr naming the input, no secret or
// host file in it, and the registry, GitOps remote and output directory
// unchanged.
func TestBadInputCorpus(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", corpusPassword)
	t.Setenv("CI", "true")
	e := newBadInputEnv(t)
	initial := strings.Join(e.state(t), "\n")
	require.Contains(t, initial, "registry services/api:latest sha256:", "the snapshot sees the registry")
	require.Contains(t, initial, " refs/heads/main\n", "the snapshot sees the GitOps remote")
	require.Contains(t, initial, "out existing.txt", "the snapshot sees the output directory")
	for _, c := range readCorpus(t) {
		t.Run(fmt.Sprintf("line%d", c.line), func(t *testing.T) {
			args := strings.Fields(e.expand(c.args))
			if args[0] == "run" {
				args = append(args, "--progress", "none")
			}
			before := e.state(t)
			code, _, stderr := runCLI(t, args...)
			require.Equal(t, c.code, code, "corpus.txt:%d: paved %s\n%s", c.line, strings.Join(args, " "), stderr)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "corpus.txt:%d: one line on stderr: %q", c.line, stderr)
			require.True(t, strings.HasPrefix(stderr, "paved: "), "corpus.txt:%d: %q", c.line, stderr)
			require.Contains(t, stderr, e.expand(c.want), "corpus.txt:%d", c.line)
			require.NotContains(t, stderr, "root:x:0:0", "corpus.txt:%d: a host file's content in the message", c.line)
			require.NotContains(t, stderr, "CANARY", "corpus.txt:%d: a secret in the message", c.line)
			require.Equal(t, before, e.state(t), "corpus.txt:%d: the registry, GitOps remote or output directory changed", c.line)
		})
	}
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
