package yamlpatch_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

func TestSet(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		path  string
		value string
		want  string
	}{
		{"plain with comment", "a: 1 # keep\nimage:\n  tag: v1   # the tag\n", "image.tag", "v2", "a: 1 # keep\nimage:\n  tag: v2   # the tag\n"},
		{"double quoted", "image:\n  tag: \"v1\"\n", "image.tag", "sha256:abc", "image:\n  tag: \"sha256:abc\"\n"},
		{"single quoted", "tag: 'v1'\n", "tag", "it's", "tag: 'it''s'\n"},
		{"plain that would not read as a string", "tag: v1\n", "tag", "1.10", "tag: \"1.10\"\n"},
		{"number becomes string", "tag: 1.2\n", "tag", "v1.3", "tag: v1.3\n"},
		{"empty quoted", "digest: \"\"\n", "digest", "sha256:00", "digest: \"sha256:00\"\n"},
		{"empty plain", "digest:\nx: 1\n", "digest", "sha256:00", ""},
		{"flow mapping", "image: {repository: r, tag: v1}\n", "image.tag", "v2", "image: {repository: r, tag: v2}\n"},
		{"flow mapping unsafe value", "image: {tag: v1}\n", "image.tag", "a,b", "image: {tag: \"a,b\"}\n"},
		{"anchored value", "tag: &t v1\nother: *t\n", "tag", "v2", "tag: &t v2\nother: *t\n"},
		{"tagged string", "tag: !!str 12\n", "tag", "13", "tag: !!str \"13\"\n"},
		{"crlf", "a: b\r\ntag: v1\r\n", "tag", "v2", "a: b\r\ntag: v2\r\n"},
		{"utf8 before value", "ünï: \"é\"\ntag: v1\n", "tag", "v2", "ünï: \"é\"\ntag: v2\n"},
		{"same value", "tag: v1 #c\n", "tag", "v1", "tag: v1 #c\n"},
		{"block scalar refused", "tag: |\n  v1\n", "tag", "v2", ""},
		{"multi-line plain refused", "tag: v1\n  v1b\n", "tag", "v2", ""},
		{"int tag refused", "tag: !!int 1\n", "tag", "v2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := yamlpatch.Parse("values.yaml", []byte(tt.src))
			require.NoError(t, err)
			n := yamlpatch.Lookup(f.Documents()[0], yamlpatch.SplitPath(tt.path)...)
			require.NotNil(t, n)
			err = f.Set(n, tt.value)
			if tt.want == "" {
				if err == nil {
					_, err = f.Bytes()
				}
				require.Error(t, err)
				require.Contains(t, err.Error(), "values.yaml")
				return
			}
			require.NoError(t, err)
			out, err := f.Bytes()
			require.NoError(t, err)
			require.Equal(t, tt.want, string(out))
		})
	}
}

func TestInsert(t *testing.T) {
	src := "image:\n  # the repository\n  repository: r # c\n  tag: v1\nother: 1\n"
	f, err := yamlpatch.Parse("values.yaml", []byte(src))
	require.NoError(t, err)
	require.NoError(t, f.Insert(yamlpatch.Lookup(f.Documents()[0], "image"), "digest", "sha256:00"))
	out, err := f.Bytes()
	require.NoError(t, err)
	require.Equal(t, "image:\n  # the repository\n  repository: r # c\n  tag: v1\n  digest: sha256:00\nother: 1\n", string(out))

	f, err = yamlpatch.Parse("values.yaml", []byte("image:\n  tag: v1\n  ports: [1]"))
	require.NoError(t, err)
	require.NoError(t, f.Insert(yamlpatch.Lookup(f.Documents()[0], "image"), "digest", "d"))
	out, err = f.Bytes()
	require.NoError(t, err)
	require.Equal(t, "image:\n  digest: d\n  tag: v1\n  ports: [1]", string(out))

	f, err = yamlpatch.Parse("values.yaml", []byte("- image: x\n  ports: [1]\n"))
	require.NoError(t, err)
	m := f.Documents()[0].Content[0].Content[0]
	require.NoError(t, f.Insert(m, "digest", "d"))
	out, err = f.Bytes()
	require.NoError(t, err)
	require.Equal(t, "- image: x\n  digest: d\n  ports: [1]\n", string(out))

	// A kustomize images entry: two insertions land after the last entry,
	// in order, at the column of the entry's keys.
	f, err = yamlpatch.Parse("kustomization.yaml", []byte("images:\n  - name: app # logical\n    newTag: \"0.0.0\"\nnamespace: dev\n"))
	require.NoError(t, err)
	m = yamlpatch.Lookup(f.Documents()[0], "images").Content[0]
	require.NoError(t, f.Insert(m, "newName", "r.example/app"))
	require.NoError(t, f.Insert(m, "digest", "sha256:00"))
	out, err = f.Bytes()
	require.NoError(t, err)
	require.Equal(t, "images:\n  - name: app # logical\n    newTag: \"0.0.0\"\n    newName: r.example/app\n    digest: sha256:00\nnamespace: dev\n", string(out))

	f, err = yamlpatch.Parse("values.yaml", []byte("- image:\n    x: 1\n  ports: [1]\n"))
	require.NoError(t, err)
	err = f.Insert(f.Documents()[0].Content[0].Content[0], "digest", "d")
	require.ErrorContains(t, err, "add \"digest\" by hand")

	f, err = yamlpatch.Parse("values.yaml", []byte("tag: v1"))
	require.NoError(t, err)
	require.NoError(t, f.Insert(f.Documents()[0].Content[0], "digest", "d"))
	out, err = f.Bytes()
	require.NoError(t, err)
	require.Equal(t, "tag: v1\ndigest: d", string(out))
}

func TestMultiDocument(t *testing.T) {
	src := "# first\na: 1\n---\nb: x # c\n...\n---\nc: [y, z]\n"
	f, err := yamlpatch.Parse("all.yaml", []byte(src))
	require.NoError(t, err)
	require.Len(t, f.Documents(), 3)
	require.NoError(t, f.Set(yamlpatch.Lookup(f.Documents()[1], "b"), "new"))
	require.NoError(t, f.Set(yamlpatch.Lookup(f.Documents()[2], "c").Content[1], "w"))
	out, err := f.Bytes()
	require.NoError(t, err)
	require.Equal(t, "# first\na: 1\n---\nb: new # c\n...\n---\nc: [y, w]\n", string(out))
	require.True(t, f.Changed())
}

func TestParseRefuses(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, l := range "bcdefghijk" {
		bomb += string(l) + ": &" + string(l) + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = string(l)
	}
	tests := []struct {
		name, src, want string
	}{
		{"billion laughs", bomb, "YAML bomb"},
		{"does not parse", "a: [b\n", "fix the YAML"},
		{"duplicate key", "a: 1\na: 2\n", "already defined"},
		{"unknown anchor", "a: *nope\n", "fix the YAML"},
		{"not utf-8", "a: \xff\n", "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := yamlpatch.Parse("bad.yaml", []byte(tt.src))
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, err, "bad.yaml")
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}
