// Package pins reads and moves what a paved release pins in paved's own
// wrappers, so that the wrappers of release vX.Y.Z install and call exactly
// vX.Y.Z:
//
//   - marked values, a line ending in a "paved-release: NAME" comment (# in
//     YAML and shell, // in Go): the version a wrapper installs by default
//     (version), the release public key it verifies SHA256SUMS.sig with
//     (public-key, the base64 body of the PEM on one line), and the
//     sha256 of that version's SHA256SUMS (sha256sums, "vX.Y.Z HEX");
//   - paved pins as services write them (uses: …@v, component: …@v,
//     dagger call -m …@v, --paved-version v), moved the way a fleet
//     campaign moves them (fleet/campaign/rewrite): the reusable workflow's
//     call of the action, the Dagger one-liner and the reference apps.
//
// paved release publish writes them in the release commit; ci's tests read
// them to check that every wrapper agrees.
package pins

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
)

// Names of the marked values.
const (
	Version    = "version"
	PublicKey  = "public-key"
	SHA256SUMS = "sha256sums"
)

// Files are the globs, relative to the repository root, of the files that
// hold pins.
var Files = []string{
	"ci/github/action.yml",
	".github/workflows/*.yml",
	"templates/*.yml",
	"ci/dagger/*.sh",
	".dagger/*.go",
	"examples/reference-apps/*/.github/workflows/*.yml",
	"examples/reference-apps/*/.gitlab-ci.yml",
}

// marked is a value before a "paved-release: NAME" comment at the end of a
// line: a double-quoted string or a bare word.
var marked = regexp.MustCompile(`^(.*?)("(?:[^"\\]|\\.)*"|[^\s"#]+)(\s+(?:#|//)\s*paved-release:\s*([a-z0-9-]+)\s*)$`)

// Marked is one marked value found in a file.
type Marked struct {
	File  string // slash-separated, relative to the root
	Line  int    // 1-based
	Name  string
	Value string // unquoted
}

// Release is what a release pins.
type Release struct {
	// Version is vX.Y.Z.
	Version string
	// SumsSHA256 is the sha256 (hex) of the release's SHA256SUMS; empty
	// when the release wrote none (the pin is then cleared).
	SumsSHA256 string
	// PublicKeyPEM is the release public key (PKIX PEM, as cosign.pub).
	PublicKeyPEM []byte
}

// values are the marked values r pins.
func (r Release) values() (map[string]string, error) {
	key, err := OneLine(r.PublicKeyPEM)
	if err != nil {
		return nil, err
	}
	sums := ""
	if r.SumsSHA256 != "" {
		sums = r.Version + " " + r.SumsSHA256
	}
	return map[string]string{Version: r.Version, PublicKey: key, SHA256SUMS: sums}, nil
}

// OneLine returns the base64 body of a PEM public key on one line: how the
// wrappers carry it (ci/install.sh makes it a PEM again).
func OneLine(pemKey []byte) (string, error) {
	block, _ := pem.Decode(pemKey)
	if block == nil || block.Type != "PUBLIC KEY" {
		return "", failure.BadInputErr(fmt.Errorf("reading the release public key: not a PEM PUBLIC KEY"))
	}
	return base64.StdEncoding.EncodeToString(block.Bytes), nil
}

// files lists the pinned files under root, sorted, slash-separated.
func files(root string) ([]string, error) {
	var out []string
	for _, g := range Files {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(g)))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			if err != nil {
				return nil, err
			}
			out = append(out, filepath.ToSlash(rel))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Read returns the marked values and the paved pins of the files under root.
func Read(root string) ([]Marked, []pin.Pin, error) {
	names, err := files(root)
	if err != nil {
		return nil, nil, err
	}
	var ms []Marked
	var ps []pin.Pin
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return nil, nil, fmt.Errorf("reading %q: %w", name, err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := marked.FindStringSubmatch(line); m != nil {
				ms = append(ms, Marked{File: name, Line: i + 1, Name: m[4], Value: unquote(m[2])})
			}
		}
		found, err := pin.Scan(name, data)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range found {
			if p.Kind == pin.Paved {
				ps = append(ps, p)
			}
		}
	}
	return ms, ps, nil
}

// Write returns the files under root with every pin moved to r: marked
// values set, paved pins moved to r.Version. Only files that change are
// returned, by slash-separated path relative to root; nothing is written.
// A marked name Write does not know is bad input naming file and line.
func Write(root string, r Release) (map[string][]byte, error) {
	values, err := r.values()
	if err != nil {
		return nil, err
	}
	names, err := files(root)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", name, err)
		}
		next, err := setMarked(name, data, values)
		if err != nil {
			return nil, err
		}
		if next, _, err = rewrite.File(name, next, rewrite.Target{Kind: pin.Paved, To: r.Version}); err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, ".go") {
			// A longer value moves the comments gofmt aligns.
			if next, err = format.Source(next); err != nil {
				return nil, fmt.Errorf("formatting %s after pinning it: %w", name, err)
			}
		}
		if !bytes.Equal(next, data) {
			out[name] = next
		}
	}
	return out, nil
}

func setMarked(name string, data []byte, values map[string]string) ([]byte, error) {
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		m := marked.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, ok := values[m[4]]
		if !ok {
			return nil, failure.BadInputErr(fmt.Errorf("pinning %s line %d: unknown pin %q (want %s, %s or %s)", name, i+1, m[4], Version, PublicKey, SHA256SUMS))
		}
		if strings.HasPrefix(m[2], `"`) || strings.ContainsAny(v, " #:") || v == "" {
			v = strconv.Quote(v)
		}
		lines[i] = m[1] + v + m[3]
	}
	return []byte(strings.Join(lines, "\n")), nil
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}
