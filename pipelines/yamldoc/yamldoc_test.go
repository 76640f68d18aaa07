package yamldoc_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/yamldoc"
)

type doc struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Bases      bases             `yaml:"bases"`
	Labels     map[string]string `yaml:"labels"`
	Items      []item            `yaml:"items"`
}

type bases struct {
	Allowed       []string `yaml:"allowed"`
	RequireDigest bool     `yaml:"requireDigest"`
}

type item struct {
	ID    string `yaml:"id"`
	Count int    `yaml:"count"`
}

var typ = yamldoc.Type{APIVersion: "paved.dev/v1", Kind: "PlatformPolicy", Noun: "platform policy"}

const header = "apiVersion: paved.dev/v1\nkind: PlatformPolicy\n"

func TestDecode(t *testing.T) {
	tests := []struct {
		name, yaml string
		typ        yamldoc.Type
		is         error
		want       string
	}{
		{"unknown key", header + "bases:\n  alowed: []\n", typ, yamldoc.ErrUnknownKey, `line 4: unknown key "alowed" in bases (did you mean "allowed"?)`},
		{"unknown key, no suggestion", header + "xyzzy: 1\n", typ, yamldoc.ErrUnknownKey, `line 3: unknown key "xyzzy" at the top level`},
		{"unknown key in a list item", header + "items:\n  - id: a\n    cuont: 1\n", typ, yamldoc.ErrUnknownKey, `line 5: unknown key "cuont" in items[0] (did you mean "count"?)`},
		{"key twice", header + "bases:\n  allowed: [a]\n  allowed: [b]\n", typ, yamldoc.ErrDuplicateKey, `line 5: key "allowed" in bases given twice (first on line 4): keep one`},
		{"map key twice", header + "labels:\n  a: x\n  a: y\n", typ, yamldoc.ErrDuplicateKey, `line 5: key "a" in labels given twice`},
		{"bool", header + "bases:\n  requireDigest: sometimes\n", typ, yamldoc.ErrWrongType, `line 4: wrong type: bases.requireDigest takes true or false, not the string "sometimes"`},
		{"list", header + "bases:\n  allowed: registry/*\n", typ, yamldoc.ErrWrongType, `line 4: wrong type: bases.allowed takes a list, not the string "registry/*"`},
		{"number", header + "items:\n  - count: many\n", typ, yamldoc.ErrWrongType, `line 4: wrong type: items[0].count takes a number, not the string "many"`},
		{"mapping", header + "bases: [a]\n", typ, yamldoc.ErrWrongType, `line 3: wrong type: bases takes a mapping, not a list`},
		{"not a mapping", "- a\n", typ, yamldoc.ErrWrongType, `line 1: wrong type: a platform policy is a mapping of keys, not a list`},
		{"other kind", "apiVersion: paved.dev/v1\nkind: Fleet\n", typ, yamldoc.ErrWrongKind, `line 2: wrong kind of file: kind is "Fleet", so this is a fleet file, not a platform policy (kind: PlatformPolicy)`},
		{"unknown kind", "apiVersion: paved.dev/v1\nkind: Deployment\n", typ, yamldoc.ErrWrongKind, `kind is "Deployment", so this is kind Deployment, not a platform policy`},
		{"no kind", "apiVersion: paved.dev/v1\n", typ, yamldoc.ErrWrongKind, `line 1: wrong kind of file: no kind: a platform policy starts with apiVersion: paved.dev/v1 and kind: PlatformPolicy`},
		{"no apiVersion", "kind: PlatformPolicy\n", typ, yamldoc.ErrWrongKind, `no apiVersion: set apiVersion: paved.dev/v1`},
		{"other apiVersion", "apiVersion: paved.dev/v2\nkind: PlatformPolicy\n", typ, yamldoc.ErrWrongKind, `line 1: wrong kind of file: apiVersion is "paved.dev/v2": set it to "paved.dev/v1"`},
		{"a kind where none is", "apiVersion: paved.dev/v1\nkind: Service\n", yamldoc.Type{Noun: "ignore file"}, yamldoc.ErrWrongKind, `line 2: wrong kind of file: kind Service is a paved.yaml, not an ignore file`},
		{"empty", "", typ, yamldoc.ErrEmpty, "empty file: start it with apiVersion: paved.dev/v1 and kind: PlatformPolicy"},
		{"syntax", header + "bases: [a\n", typ, nil, "yaml: line 2: did not find expected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := yamldoc.Decode([]byte(tc.yaml), &d, tc.typ)
			require.Error(t, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestDecodeValid(t *testing.T) {
	var d doc
	require.NoError(t, yamldoc.Decode([]byte(header+"bases:\n  allowed: [r/*]\n  requireDigest: true\nitems:\n  - {id: a, count: 2}\n"), &d, typ))
	require.Equal(t, []string{"r/*"}, d.Bases.Allowed)
	require.Equal(t, 2, d.Items[0].Count)

	var none doc
	require.NoError(t, yamldoc.Decode(nil, &none, yamldoc.Type{Noun: "ignore file"}), "a file without a header may be empty")
}

func TestClosest(t *testing.T) {
	require.Equal(t, "main", yamldoc.Closest("mian", []string{"main", "base"}))
	require.Equal(t, "", yamldoc.Closest("xyzzy", []string{"name", "build"}))
	require.Equal(t, "extraFiles", yamldoc.Closest("extrafiles", []string{"extraFiles", "env"}))
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(header + "bases:\n  allowed: [a]\n"))
	f.Add([]byte(header + "items: &a [{id: x}]\nlabels: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		if err := yamldoc.Decode(data, &d, typ); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("a message on more than one line: %q", err)
		}
	})
}
