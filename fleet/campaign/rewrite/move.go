package rewrite

import (
	"fmt"
	"strings"

	"github.com/paved-dev/paved/fleet/pin"
)

// move rewrites the text of one pin in lines and returns the edit, nil
// when an earlier pin's edit already moved it (two FROMs on one ARG).
func move(lines []string, p pin.Pin, t Target) (*Edit, error) {
	if p.Line < 1 || p.Line > len(lines) {
		return nil, fmt.Errorf("%w: line %d", ErrNotFound, p.Line)
	}
	switch p.Kind {
	case pin.Paved:
		return movePaved(lines, p, t)
	case pin.Base:
		return moveBase(lines, p, t)
	case pin.Module:
		return moveModule(lines, p, t)
	}
	return nil, fmt.Errorf("unknown pin kind %q", p.Kind)
}

func movePaved(lines []string, p pin.Pin, t Target) (*Edit, error) {
	if p.Digest != "" {
		return nil, fmt.Errorf("%w (%s): move it with Renovate or by hand, or pin the tag", ErrCommitPinned, p.Digest)
	}
	if !p.Semver {
		return nil, fmt.Errorf("%w: %q: pin a vMAJOR.MINOR.PATCH tag first", ErrNotSemver, p.Version)
	}
	to := t.To
	if !strings.HasPrefix(p.Version, "v") {
		to = strings.TrimPrefix(to, "v") // GitLab components are often tagged 1.2.3
	}
	line := lines[p.Line-1]
	var at int
	if p.Source == pin.SourcePavedVersion {
		at = flagValue(line, "--paved-version", p.Version)
	} else {
		at = find(line, p.Ref+"@"+p.Version, isVersionChar, isVersionChar)
		if at >= 0 {
			at += len(p.Ref) + 1
		}
	}
	if at < 0 {
		return nil, fmt.Errorf("%w: %s@%s", ErrNotFound, p.Ref, p.Version)
	}
	lines[p.Line-1] = line[:at] + to + line[at+len(p.Version):]
	return &Edit{Line: p.Line, Old: p.Version, New: to}, nil
}

// flagValue returns the offset of value after flag (--flag value,
// --flag=value, quoted or not) in line, -1 when absent.
func flagValue(line, flag, value string) int {
	for from := 0; ; {
		i := strings.Index(line[from:], flag)
		if i < 0 {
			return -1
		}
		j := from + i + len(flag)
		for j < len(line) && (line[j] == ' ' || line[j] == '\t' || line[j] == '=') {
			j++
		}
		if j < len(line) && (line[j] == '"' || line[j] == '\'') {
			j++
		}
		if strings.HasPrefix(line[j:], value) && (j+len(value) == len(line) || !isVersionChar(line[j+len(value)])) {
			return j
		}
		from = j
	}
}

func moveBase(lines []string, p pin.Pin, t Target) (*Edit, error) {
	old := p.Image()
	candidates := []int{p.Line - 1}
	if p.Source == pin.SourceDockerfile {
		// FROM ${BASE}: the image is the default of a global ARG.
		for i, l := range lines {
			if f := strings.Fields(l); len(f) > 1 && strings.EqualFold(f[0], "ARG") && i != p.Line-1 {
				candidates = append(candidates, i)
			}
		}
	}
	for _, i := range candidates {
		if at := find(lines[i], old, isRefChar, isRefChar); at >= 0 {
			lines[i] = lines[i][:at] + t.To + lines[i][at+len(old):]
			return &Edit{Line: i + 1, Old: old, New: t.To}, nil
		}
	}
	for _, i := range candidates {
		if find(lines[i], t.To, isRefChar, isRefChar) >= 0 {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, old)
}

func moveModule(lines []string, p pin.Pin, t Target) (*Edit, error) {
	line := lines[p.Line-1]
	src := strings.Index(line, p.Ref+"?")
	if src < 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, p.Ref)
	}
	q := src + len(p.Ref)
	end := strings.IndexByte(line[q:], '"')
	if end < 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, p.Ref)
	}
	query := line[q : q+end]
	for _, sep := range []string{"?ref=", "&ref="} {
		i := strings.Index(query, sep+p.Version)
		j := i + len(sep) + len(p.Version)
		if i >= 0 && (j == len(query) || query[j] == '&') {
			at := q + i + len(sep)
			lines[p.Line-1] = line[:at] + t.To + line[at+len(p.Version):]
			return &Edit{Line: p.Line, Old: p.Version, New: t.To}, nil
		}
	}
	return nil, fmt.Errorf("%w: %s?ref=%s", ErrNotFound, p.Ref, p.Version)
}

// find returns the offset of the first occurrence of s in line that is
// not glued to a character before (for which before is true) or after.
func find(line, s string, before, after func(byte) bool) int {
	if s == "" {
		return -1
	}
	for from := 0; ; {
		i := strings.Index(line[from:], s)
		if i < 0 {
			return -1
		}
		at := from + i
		end := at + len(s)
		if (at == 0 || !before(line[at-1])) && (end == len(line) || !after(line[end])) {
			return at
		}
		from = at + 1
	}
}

func isVersionChar(c byte) bool {
	return c == '.' || c == '-' || c == '+' || c == '_' || isAlnum(c)
}

// isRefChar reports whether c may be part of an image reference.
func isRefChar(c byte) bool {
	return c == '.' || c == '-' || c == '_' || c == '/' || c == ':' || c == '@' || isAlnum(c)
}

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
