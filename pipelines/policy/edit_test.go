package policy_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/edit/golden")

var denial = policy.Denial{
	Image:       "registry.example/platform/python-base:1.0",
	Reason:      "CVE-2026-1234 in openssl: remote code execution, #1 priority",
	From:        "2026-12-01",
	Replacement: "registry.example/platform/python-base:1.1",
}

// TestAddDenial edits every policy in testdata/edit and compares the result
// with its golden file; the edited policy must deny the image from its date.
func TestAddDenial(t *testing.T) {
	inputs, err := filepath.Glob("testdata/edit/*.yaml")
	require.NoError(t, err)
	inputs = append(inputs, "../../examples/policy.yaml")
	for _, in := range inputs {
		name := filepath.Base(in)
		if strings.HasPrefix(in, "../") {
			name = "example-" + name
		}
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(in)
			require.NoError(t, err)
			old, err := policy.Parse(data)
			require.NoError(t, err)

			out, err := policy.AddDenial(data, denial)
			require.NoError(t, err)
			golden := filepath.Join("testdata/edit/golden", name)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), string(out))
			requireOnlyInserted(t, data, out)

			p, err := policy.Parse(out)
			require.NoError(t, err)
			require.Equal(t, append(old.Bases.Denied, denial), p.Bases.Denied)
			requireDeniedFrom(t, p, denial)

			_, err = policy.AddDenial(out, denial)
			require.ErrorIs(t, err, policy.ErrAlreadyDenied, "a second edit must not deny twice")
		})
	}
}

// requireOnlyInserted checks that the edit only inserted one run of bytes
// (after dropping a null "~" it replaced).
func requireOnlyInserted(t *testing.T, data, out []byte) {
	t.Helper()
	in := strings.Replace(string(data), ": ~", ": ", 1)
	i := 0
	for i < len(in) && in[i] == out[i] {
		i++
	}
	j := 0
	for j < len(in)-i && in[len(in)-1-j] == out[len(out)-1-j] {
		j++
	}
	require.Equal(t, len(in), i+j, "the edit changed bytes it should have kept:\n%s", out)
}

func requireDeniedFrom(t *testing.T, p *policy.Policy, d policy.Denial) {
	t.Helper()
	from, err := time.Parse(time.DateOnly, d.From)
	require.NoError(t, err)
	// Another digest than digestA, which some policies in testdata deny.
	b := base(t, d.Image)
	b.Digest = b.Digest.Context().Digest("sha256:" + strings.Repeat("b", 64))
	dec, err := p.Check(b, from.Add(-time.Hour))
	require.NoError(t, err, "before its date the denial only warns")
	require.Len(t, dec.Warnings, 1)
	require.Contains(t, dec.Warnings[0], d.Reason)

	_, err = p.Check(b, from)
	require.Error(t, err, "from its date the image is denied")
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.Contains(t, err.Error(), "use "+d.Replacement+" instead")

	b = base(t, d.Replacement)
	b.Digest = b.Digest.Context().Digest("sha256:" + strings.Repeat("b", 64))
	_, err = p.Check(b, from.AddDate(1, 0, 0))
	require.NoError(t, err, "the replacement stays allowed")
}

func TestAddDenialRefuses(t *testing.T) {
	const valid = "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  denied:\n    - image: registry.example/platform/python-base:1.0\n      reason: old\n"
	tests := []struct {
		name   string
		policy string
		denial policy.Denial
		want   []string
		is     error
	}{
		{name: "empty image", policy: valid, denial: policy.Denial{Reason: "r", From: "2026-12-01"}, want: []string{"image is empty"}},
		{name: "empty reason", policy: valid, denial: policy.Denial{Image: "x:1", From: "2026-12-01"}, want: []string{"reason is empty"}},
		{name: "no date", policy: valid, denial: policy.Denial{Image: "x:1", Reason: "r"}, want: []string{`from ""`, "YYYY-MM-DD"}},
		{name: "not a date", policy: valid, denial: policy.Denial{Image: "x:1", Reason: "r", From: "1 Dec 2026"}, want: []string{`from "1 Dec 2026"`, "YYYY-MM-DD"}},
		{name: "bad replacement", policy: valid, denial: policy.Denial{Image: "x:1", Reason: "r", From: "2026-12-01", Replacement: "UPPER/Case:!"}, want: []string{"replacement", "not an image reference"}},
		{name: "already denied", policy: valid, denial: denial, want: []string{"registry.example/platform/python-base:1.0", "already denied", "old"}, is: policy.ErrAlreadyDenied},
		{name: "already denied, written differently", policy: strings.Replace(valid, "registry.example/platform/python-base:1.0", "python:3.12", 1), denial: policy.Denial{Image: "docker.io/library/python:3.12", Reason: "r", From: "2026-12-01"}, is: policy.ErrAlreadyDenied},
		{name: "invalid policy", policy: "apiVersion: v0\n", denial: denial, want: []string{"reading policy", "apiVersion"}},
		{name: "bases has an anchor", policy: "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases: &b {allowed: []}\n", denial: denial, want: []string{"bases has an anchor", "by hand"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.AddDenial([]byte(tc.policy), tc.denial)
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
}

// FuzzAddDenial checks that an edit of a policy that parses either parses to
// that policy plus the denial or is refused as bad input; never a broken
// document.
func FuzzAddDenial(f *testing.F) {
	inputs, err := filepath.Glob("testdata/edit/*.yaml")
	require.NoError(f, err)
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		require.NoError(f, err)
		f.Add(data, denial.Reason)
	}
	f.Fuzz(func(t *testing.T, data []byte, reason string) {
		old, err := policy.Parse(data)
		if err != nil {
			return
		}
		d := denial
		d.Reason = reason
		out, err := policy.AddDenial(data, d)
		if err != nil {
			if failure.KindOf(err) != failure.BadInput {
				t.Fatalf("AddDenial(%q) failed as %s: %v", data, failure.KindOf(err), err)
			}
			return
		}
		p, err := policy.Parse(out)
		if err != nil {
			t.Fatalf("AddDenial(%q) = %q, which does not parse: %v", data, out, err)
		}
		if n := len(p.Bases.Denied); n != len(old.Bases.Denied)+1 || p.Bases.Denied[n-1].Image != d.Image {
			t.Fatalf("AddDenial(%q) = %q, which lacks the denial", data, out)
		}
	})
}

func ExampleAddDenial() {
	data := []byte(`apiVersion: paved.dev/v1
kind: PlatformPolicy
bases:
  allowed: ["*/platform/*"] # approved bases only
`)
	out, err := policy.AddDenial(data, policy.Denial{
		Image:       "registry.example/platform/python-base:1.0",
		Reason:      "CVE-2026-1234 in openssl",
		From:        "2026-12-01",
		Replacement: "registry.example/platform/python-base:1.1",
	})
	if err != nil {
		panic(err)
	}
	os.Stdout.Write(out)
	// Output:
	// apiVersion: paved.dev/v1
	// kind: PlatformPolicy
	// bases:
	//   allowed: ["*/platform/*"] # approved bases only
	//   denied:
	//     - image: registry.example/platform/python-base:1.0
	//       reason: CVE-2026-1234 in openssl
	//       from: "2026-12-01"
	//       replacement: registry.example/platform/python-base:1.1
}
