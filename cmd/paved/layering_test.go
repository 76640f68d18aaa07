package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

// outsideTheCLI are the trees that may speak the CLI's words, and why:
//   - cmd/paved is the CLI;
//   - ci/ and .dagger/ are the wrappers: they build paved command lines on
//     purpose (ci/ runs the wrappers in tests; .dagger/ is its own module);
//   - hack/ holds developer tools, each its own main program with its flags;
//   - examples/ are the reference services, their own module, not paved;
//   - the test-support packages below are imported by tests only (checked).
var outsideTheCLI = []string{"cmd/paved", "ci", ".dagger", "hack", "examples"}

var testSupport = []string{"internal/giteatest", "internal/testimage"}

// flagWords are the strings outside the CLI that name one of its flags on
// purpose, by file and flag, with the reason.
var flagWords = map[string]string{
	// paved fleet moves the pin of paved's wrappers: it reads the flag.
	"fleet/pin/wrappers.go --paved-version": "a pattern that finds the pin in CI files",
	// The bytes of generated files are an output contract: policy export
	// --check and routes compare them, so a new header or message would
	// make every committed file out of date.
	"pipelines/admission/yaml.go --format":          "the header of generated policies",
	"pipelines/admission/messages.go --scan-report": "a message inside generated policies",
	"pipelines/deploy/ingress.go --write":           "the header of generated Ingresses",
}

// envWords are the strings outside the CLI that name one of the variables
// paved reads (envVars) on purpose, by file and variable, with the reason.
var envWords = map[string]string{
	// SOURCE_DATE_EPOCH is also BuildKit's build argument of that name.
	"pipelines/build/buildkit.go SOURCE_DATE_EPOCH":      "the build-arg BuildKit's frontend reads",
	"pipelines/build/buildkit_plan.go SOURCE_DATE_EPOCH": "the build-arg a Dockerfile may declare",
	// The release harness runs the paved it releases as a CI job would: it
	// sets that paved's environment.
	"release/candidate/run.go SOURCE_DATE_EPOCH":        "the candidate's environment",
	"release/candidate/run.go PAVED_GIT_AUTHOR_NAME":    "the candidate's environment",
	"release/candidate/run.go PAVED_GIT_AUTHOR_EMAIL":   "the candidate's environment",
	"release/candidate/runenv.go COSIGN_PASSWORD":       "the candidate's environment",
	"release/candidate/wrappers.go COSIGN_PASSWORD":     "the wrappers' secrets",
	"release/candidate/wrappers.go PAVED_DB_REPOSITORY": "the wrappers' variables",
}

// TestLibrariesSpeakNoCLI checks that no package outside the CLI imports a
// CLI package, reads the environment, or names a flag of the paved CLI or a
// variable it reads in a string: libraries name the paved.yaml key or return
// an error the CLI words, and take values through options.
func TestLibrariesSpeakNoCLI(t *testing.T) {
	flags := cliFlags()
	// A flag named in prose: not a Dockerfile instruction's own flag (COPY
	// --from, FROM --platform), and not an argument of another program
	// (a literal that is a whole argv element, "--root" or "--format=%ct").
	flagRef := regexp.MustCompile(`(\b[A-Z]+ )?--([a-z][a-z0-9-]*[a-z0-9])`)
	argv := regexp.MustCompile(`^--[a-z0-9-]+(=\S*)?$`)
	// A variable named in prose. Only names with an underscore: CI and
	// TRACEPARENT are words a message may use for something else.
	envRef := regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b`)
	var problems []string
	used := map[string]bool{} // file and word pairs found, for the allowlists
	fset := token.NewFileSet()
	for _, path := range libraryFiles(t) {
		file, err := parser.ParseFile(fset, filepath.Join("../..", path), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, imp := range file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "github.com/spf13/cobra" || p == "github.com/spf13/pflag" || p == "flag" || strings.HasPrefix(p, "github.com/paved-dev/paved/cmd/") {
				problems = append(problems, path+": imports "+p)
			}
			for _, s := range testSupport {
				if p == "github.com/paved-dev/paved/"+s {
					problems = append(problems, path+": imports the test-support package "+s)
				}
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && id.Name == "os" && (n.Sel.Name == "Getenv" || n.Sel.Name == "LookupEnv" || n.Sel.Name == "Environ") {
					problems = append(problems, strings.TrimPrefix(fset.Position(n.Pos()).String(), "../../")+": reads the environment (os."+n.Sel.Name+")")
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				text, err := strconv.Unquote(n.Value)
				if err != nil || argv.MatchString(text) {
					return true
				}
				for _, v := range envRef.FindAllString(text, -1) {
					used[path+" "+v] = true
					if _, ok := envVars[v]; ok && envWords[path+" "+v] == "" {
						problems = append(problems, strings.TrimPrefix(fset.Position(n.Pos()).String(), "../../")+": names the environment variable "+v)
					}
				}
				for _, m := range flagRef.FindAllStringSubmatch(text, -1) {
					used[path+" --"+m[2]] = true
					if m[1] == "" && flags[m[2]] && flagWords[path+" --"+m[2]] == "" {
						problems = append(problems, strings.TrimPrefix(fset.Position(n.Pos()).String(), "../../")+": names the CLI flag --"+m[2])
					}
				}
			}
			return true
		})
	}
	for _, allowed := range []map[string]string{flagWords, envWords} {
		for k := range allowed {
			if !used[k] {
				problems = append(problems, k+": allowed, but no longer named there: remove it from the allowlist")
			}
		}
	}
	sort.Strings(problems)
	require.Empty(t, problems, "libraries speak the CLI's words (see outsideTheCLI for the exceptions)")
}

// cliFlags returns the name of every flag of every paved verb.
func cliFlags() map[string]bool {
	names := map[string]bool{}
	for _, c := range allCommands() {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		}
	}
	delete(names, "help")
	return names
}

// allCommands returns paved's root command and every verb below it, built
// from the current environment.
func allCommands() []*cobra.Command {
	all := []*cobra.Command{newRootCmd(os.Stdout, os.Stderr)}
	for i := 0; i < len(all); i++ {
		all = append(all, all[i].Commands()...)
	}
	return all
}

// libraryFiles returns the module's non-test Go files outside the CLI's
// trees and test data, relative to the module root.
func libraryFiles(t *testing.T) []string {
	var files []string
	skip := append(append([]string{}, outsideTheCLI...), testSupport...)
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			for _, s := range skip {
				if rel == s {
					return filepath.SkipDir
				}
			}
			if d.Name() == "testdata" || d.Name() == ".git" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
			files = append(files, rel)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}
