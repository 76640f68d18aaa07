package pin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
)

// The forms of a pinned paved version, the ones ci/renovate/paved.json
// bumps. The reference is any path with a "paved" segment, so a platform
// team's fork (acme/paved/...) counts too.
var (
	githubUses      = regexp.MustCompile(`(?:^|\s|-)uses:\s*['"]?([^@\s'"]+)@([^\s'"#]+)['"]?(?:\s+#\s*(\S+))?`)
	gitlabComponent = regexp.MustCompile(`(?:^|\s|-)component:\s*['"]?([^@\s'"]+)@([^\s'"#]+)['"]?`)
	daggerModule    = regexp.MustCompile(`(?:^|\s)(?:-m|--mod)[=\s]+['"]?([^@\s'"]+)@([^\s'"#;&|)]+)['"]?`)
	pavedVersion    = regexp.MustCompile(`--paved-version[=\s]+['"]?([^\s'"#;&|)]+)['"]?`)
	commitSHA       = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// isPaved reports whether a reference names paved: one of its path
// segments is "paved".
func isPaved(ref string) bool {
	for _, seg := range strings.Split(ref, "/") {
		if seg == "paved" {
			return true
		}
	}
	return false
}

// eachLine calls fn with every line of data that is not a comment line.
func eachLine(data []byte, fn func(n int, line string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		fn(n, line)
	}
}

// pavedPin builds a paved pin; a commit SHA followed by a "# vX.Y.Z"
// comment is read as that version at that commit.
func pavedPin(source, file string, line int, ref, version, comment string) Pin {
	p := Pin{Kind: Paved, Source: source, File: file, Line: line, Ref: ref, Version: version}
	if commitSHA.MatchString(version) {
		p.Digest = version
		p.Version = ""
		if IsSemver(comment) {
			p.Version = comment
		}
	}
	p.Semver = IsSemver(p.Version)
	return p
}

func scanGitHub(file string, data []byte) ([]Pin, error) {
	var pins []Pin
	eachLine(data, func(n int, line string) {
		for _, m := range githubUses.FindAllStringSubmatch(line, -1) {
			if isPaved(m[1]) {
				pins = append(pins, pavedPin(SourceGitHub, file, n, m[1], m[2], m[3]))
			}
		}
	})
	return pins, nil
}

func scanGitLab(file string, data []byte) ([]Pin, error) {
	var pins []Pin
	eachLine(data, func(n int, line string) {
		for _, m := range gitlabComponent.FindAllStringSubmatch(line, -1) {
			if isPaved(m[1]) {
				pins = append(pins, pavedPin(SourceGitLab, file, n, m[1], m[2], ""))
			}
		}
	})
	return pins, nil
}

// scanDaggerCalls finds `dagger call -m <module>@<version>` and
// `--paved-version <version>` in scripts, Makefiles and CI files.
func scanDaggerCalls(file string, data []byte) ([]Pin, error) {
	var pins []Pin
	eachLine(data, func(n int, line string) {
		if !strings.Contains(line, "dagger") && !strings.Contains(line, "--paved-version") {
			return
		}
		for _, m := range daggerModule.FindAllStringSubmatch(line, -1) {
			if isPaved(m[1]) {
				pins = append(pins, pavedPin(SourceDaggerCall, file, n, m[1], m[2], ""))
			}
		}
		for _, m := range pavedVersion.FindAllStringSubmatch(line, -1) {
			pins = append(pins, pavedPin(SourcePavedVersion, file, n, "--paved-version", m[1], ""))
		}
	})
	return pins, nil
}

// daggerJSON is the part of dagger.json that pins dependencies.
type daggerJSON struct {
	Dependencies []struct {
		Name   string `json:"name"`
		Source string `json:"source"`
		Pin    string `json:"pin"`
	} `json:"dependencies"`
}

// scanDaggerJSON reads the paved dependency of a Dagger module:
// {"source": "github.com/paved-dev/paved@v1.2.3", "pin": "<commit>"}.
func scanDaggerJSON(file string, data []byte) ([]Pin, error) {
	var d daggerJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %q: %w", file, err))
	}
	var pins []Pin
	for _, dep := range d.Dependencies {
		ref, version, _ := strings.Cut(dep.Source, "@")
		if !isPaved(ref) {
			continue
		}
		p := pavedPin(SourceDaggerJSON, file, lineOf(data, dep.Source), ref, version, "")
		if dep.Pin != "" {
			p.Digest = dep.Pin
		}
		pins = append(pins, p)
	}
	return pins, nil
}

// lineOf returns the 1-based line of the first occurrence of s in data, 0
// when absent.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 || s == "" {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}
