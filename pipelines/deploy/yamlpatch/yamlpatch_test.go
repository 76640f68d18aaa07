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
		{"empty plain", "digest:\nx: 1\n", "digest", "sha256:00", "digest: sha256:00\nx: 1\n"},
		{"empty plain at the end", "image:\n  tag:", "image.tag", "v1", "image:\n  tag: v1"},
		{"empty plain with blanks and comment", "newTag:   # set by paved\n", "newTag", "v1", "newTag: v1   # set by paved\n"},
		{"empty plain in a list item", "- tag:\n  x: 1\n", "0.tag", "v1", "- tag: v1\n  x: 1\n"},
		{"empty explicit key", "? tag\n:\n", "tag", "v1", "? tag\n: v1\n"},
		{"tilde", "tag: ~\n", "tag", "v1", "tag: v1\n"},
		{"empty in flow", "image: {tag: , x: 1}\n", "image.tag", "v1", "image: {tag: v1, x: 1}\n"},
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
			doc := f.Documents()[0]
			if rest, ok := strings.CutPrefix(tt.path, "0."); ok { // the first item of a top-level list
				doc, tt.path = doc.Content[0].Content[0], rest
			}
			n := yamlpatch.Lookup(doc, yamlpatch.SplitPath(tt.path)...)
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

func TestAppend(t *testing.T) {
	entries := []yamlpatch.Entry{{Key: "name", Value: "r.example/app"}, {Key: "digest", Value: "sha256:00"}}
	item := func(t *testing.T, src, key string) (string, error) {
		f, err := yamlpatch.Parse("kustomization.yaml", []byte(src))
		require.NoError(t, err)
		if err := f.AppendItem(yamlpatch.Lookup(f.Documents()[0], key), entries...); err != nil {
			return "", err
		}
		out, err := f.Bytes()
		return string(out), err
	}
	list := func(t *testing.T, src string) (string, error) {
		f, err := yamlpatch.Parse("kustomization.yaml", []byte(src))
		require.NoError(t, err)
		if err := f.AppendList(f.Documents()[0].Content[0], "images", entries...); err != nil {
			return "", err
		}
		out, err := f.Bytes()
		return string(out), err
	}
	tests := []struct {
		name, src, want string
		list            bool // AppendList on the top-level mapping, else AppendItem on "images"
	}{
		{"item after a nested item", "images:\n  - name: a # the first\n    newTag: v1\n\npatches:\n  - path: p.yaml\n", "images:\n  - name: a # the first\n    newTag: v1\n  - name: r.example/app\n    digest: sha256:00\n\npatches:\n  - path: p.yaml\n", false},
		{"item of an indentless list", "images:\n- name: a\nnamespace: dev\n", "images:\n- name: a\n- name: r.example/app\n  digest: sha256:00\nnamespace: dev\n", false},
		{"item after a block scalar and a comment", "images:\n  - name: a\n    note: |\n      two\n\n      lines\n    # inside\n# outside\nx: 1\n", "images:\n  - name: a\n    note: |\n      two\n\n      lines\n    # inside\n  - name: r.example/app\n    digest: sha256:00\n# outside\nx: 1\n", false},
		{"item after a flow mapping over lines", "images:\n  - {name: a,\n     newTag: v1}\n", "images:\n  - {name: a,\n     newTag: v1}\n  - name: r.example/app\n    digest: sha256:00\n", false},
		{"item at the end without a line break", "images:\n  - name: a", "images:\n  - name: a\n  - name: r.example/app\n    digest: sha256:00", false},
		{"item with crlf", "images:\r\n  - name: a\r\n", "images:\r\n  - name: a\r\n  - name: r.example/app\r\n    digest: sha256:00\r\n", false},
		{"item into a flow list refused", "images: [a]\n", "", false},
		{"list at the end", "resources:\n  - d.yaml\nnamespace: dev # the env\n", "resources:\n  - d.yaml\nnamespace: dev # the env\nimages:\n  - name: r.example/app\n    digest: sha256:00\n", true},
		{"list in the file's indentless style", "resources:\n- d.yaml\n\n# trailing comment\n", "resources:\n- d.yaml\nimages:\n- name: r.example/app\n  digest: sha256:00\n\n# trailing comment\n", true},
		{"list before the next document", "kind: Kustomization\n---\nkind: Other\n", "kind: Kustomization\nimages:\n  - name: r.example/app\n    digest: sha256:00\n---\nkind: Other\n", true},
		{"list as the empty value", "images:\nnamespace: dev\n", "images:\n  - name: r.example/app\n    digest: sha256:00\nnamespace: dev\n", true},
		{"list as the empty value with a comment", "images: # none yet\n", "images: # none yet\n  - name: r.example/app\n    digest: sha256:00\n", true},
		{"null value refused", "images: ~\n", "", true},
		{"empty flow list refused", "images: []\n", "", true},
		{"flow mapping refused", "{kind: K}\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out string
			var err error
			if tt.list {
				out, err = list(t, tt.src)
			} else {
				out, err = item(t, tt.src, "images")
			}
			if tt.want == "" {
				require.Error(t, err)
				require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
				require.ErrorContains(t, err, "kustomization.yaml")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, out)
		})
	}
}
