package pin

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// scanDockerfile returns the base image of every stage that is not built on
// an earlier stage or on scratch, with global ARGs expanded to their
// defaults. It uses BuildKit's own parser, the one builds use.
func scanDockerfile(file string, data []byte) ([]Pin, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %q: %w", file, err))
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %q: %w", file, err))
	}
	lex := shell.NewLex(res.EscapeToken)
	var env []string
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value == nil {
				continue
			}
			// As a build does: a default is a shell word (quotes removed,
			// earlier ARGs expanded).
			v, _, err := lex.ProcessWord(*kv.Value, shell.EnvsFromSlice(env))
			if err != nil {
				v = *kv.Value
			}
			env = append(env, kv.Key+"="+v)
		}
	}
	named := map[string]bool{}
	var pins []Pin
	for _, st := range stages {
		base, _, err := lex.ProcessWord(st.BaseName, shell.EnvsFromSlice(env))
		if err != nil || base == "" {
			base = st.BaseName // an unexpandable ARG: report it as written
		}
		if !named[strings.ToLower(base)] && base != "scratch" {
			pins = append(pins, imagePin(SourceDockerfile, file, firstLine(st.Location), base))
		}
		if st.Name != "" {
			named[strings.ToLower(st.Name)] = true
		}
	}
	return pins, nil
}

func firstLine(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// scanPavedYAML returns build.base of a paved.yaml. It reads only that key,
// leniently: a paved.yaml that paved config validate would reject still
// tells which base it names.
func scanPavedYAML(file string, data []byte) ([]Pin, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %q: %w", file, err))
	}
	base := lookup(&doc, "build", "base")
	if base == nil || base.Kind != yaml.ScalarNode || base.Value == "" {
		return nil, nil
	}
	return []Pin{imagePin(SourcePavedYAML, file, base.Line, base.Value)}, nil
}

// lookup follows mapping keys from a document node, nil when absent.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// imagePin splits an image reference as written into repository, tag and
// digest, without normalising it (python stays python).
func imagePin(source, file string, line int, image string) Pin {
	repo, tag, digest := SplitImage(image)
	return Pin{Kind: Base, Source: source, File: file, Line: line, Ref: repo, Version: tag, Digest: digest, Semver: IsSemver(tag)}
}

// SplitImage splits REPO[:TAG][@DIGEST] as written. A colon before the last
// slash is a registry port, not a tag.
func SplitImage(image string) (repo, tag, digest string) {
	repo, digest, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	return repo, tag, digest
}

// terraformSource matches source = "…?ref=…" in a module block.
var terraformSource = regexp.MustCompile(`^\s*source\s*=\s*"([^"]*)"`)

// scanTerraform returns module sources that pin a git ref (?ref=).
func scanTerraform(file string, data []byte) ([]Pin, error) {
	var pins []Pin
	eachLine(data, func(n int, line string) {
		m := terraformSource.FindStringSubmatch(line)
		if m == nil {
			return
		}
		src, query, ok := strings.Cut(m[1], "?")
		if !ok {
			return
		}
		for _, kv := range strings.Split(query, "&") {
			if ref, ok := strings.CutPrefix(kv, "ref="); ok {
				pins = append(pins, Pin{Kind: Module, Source: SourceTerraform, File: file, Line: n, Ref: src, Version: ref, Semver: IsSemver(ref)})
			}
		}
	})
	return pins, nil
}
