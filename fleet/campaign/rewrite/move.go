package rewrite

import (
	"fmt"
	"regexp"
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
	if c := commentAt(line); c >= 0 && at > c {
		return nil, nil // in a trailing comment (# was uses: …@v0.1.0): not a pin
	}
	lines[p.Line-1] = line[:at] + to + line[at+len(p.Version):]
	return &Edit{Line: p.Line, Old: p.Version, New: to}, nil
}

// commentAt returns the offset of the # that starts a trailing comment
// in line (at the start or after a blank, outside quotes), -1 when none.
func commentAt(line string) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		}
	}
	return -1
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
	i := p.Line - 1
	if p.Source == pin.SourceDockerfile {
		if names := fromArgs(lines[i]); len(names) > 0 {
			// FROM ${BASE}: the image is the default of global ARG BASE.
			return moveArg(lines, names, old, t)
		}
	}
	if at := find(lines[i], old, isRefChar, isRefChar); at >= 0 {
		lines[i] = lines[i][:at] + t.To + lines[i][at+len(old):]
		return &Edit{Line: i + 1, Old: old, New: t.To}, nil
	}
	if find(lines[i], t.To, isRefChar, isRefChar) >= 0 {
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, old)
}

// argRef matches a variable in a Dockerfile word: $NAME or ${NAME...}.
var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// fromArgs returns the variables the image of a FROM line refers to.
func fromArgs(line string) []string {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.EqualFold(f[0], "FROM") {
		return nil
	}
	for _, w := range f[1:] {
		if strings.HasPrefix(w, "--") {
			continue // --platform=$BUILDPLATFORM
		}
		var names []string
		for _, m := range argRef.FindAllStringSubmatch(w, -1) {
			names = append(names, m[1])
		}
		return names
	}
	return nil
}

// moveArg moves the image old in the default of the global ARG (one
// declared before the first FROM; the last declaration wins) that the
// FROM line names, and in no other ARG.
func moveArg(lines []string, names []string, old string, t Target) (*Edit, error) {
	if len(names) != 1 {
		return nil, fmt.Errorf("%w: the image %s is assembled from ARGs %s: move it by hand", ErrNotFound, old, strings.Join(names, ", "))
	}
	name := names[0]
	line, from, to := -1, 0, 0
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if strings.EqualFold(f[0], "FROM") {
			break
		}
		if strings.EqualFold(f[0], "ARG") {
			if a, b, ok := argValue(l, name); ok {
				line, from, to = i, a, b
			}
		}
	}
	if line < 0 {
		return nil, fmt.Errorf("%w: no global ARG %s with a default naming %s", ErrNotFound, name, old)
	}
	value := lines[line][from:to]
	if at := find(value, old, isRefChar, isRefChar); at >= 0 {
		at += from
		lines[line] = lines[line][:at] + t.To + lines[line][at+len(old):]
		return &Edit{Line: line + 1, Old: old, New: t.To}, nil
	}
	if find(value, t.To, isRefChar, isRefChar) >= 0 {
		return nil, nil // an earlier FROM ${name} moved it
	}
	return nil, fmt.Errorf("%w: ARG %s does not name %s", ErrNotFound, name, old)
}

// argValue returns the span of NAME's default in an ARG line
// (ARG A=x NAME=value), quotes included.
func argValue(line, name string) (int, int, bool) {
	for from := 0; ; {
		i := strings.Index(line[from:], name+"=")
		if i < 0 {
			return 0, 0, false
		}
		at := from + i
		if at > 0 && line[at-1] != ' ' && line[at-1] != '\t' {
			from = at + 1
			continue
		}
		start := at + len(name) + 1
		end := start
		for end < len(line) && line[end] != ' ' && line[end] != '\t' && line[end] != '\n' && line[end] != '\r' {
			end++
		}
		return start, end, true
	}
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
