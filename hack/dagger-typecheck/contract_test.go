package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestModuleContract checks what go vet cannot: the promises the Dagger
// module makes to its callers (VERSIONING.md covers its signatures).
func TestModuleContract(t *testing.T) {
	var cfg struct {
		Name          string `json:"name"`
		EngineVersion string `json:"engineVersion"`
		SDK           struct {
			Source string `json:"source"`
		} `json:"sdk"`
		Source string `json:"source"`
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, "dagger.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cfg))
	require.Equal(t, "paved", cfg.Name)
	require.Equal(t, "go", cfg.SDK.Source)
	require.Equal(t, ".dagger", cfg.Source)

	// The engine and the module agree on the SDK version, and .dagger/go.mod
	// is its one pin: paved's own go.mod does not require it.
	modSDK, err := goList(filepath.Join(repoRoot, ".dagger"), "-m", "-f", "{{.Version}}", sdkModule)
	require.NoError(t, err)
	require.Equal(t, modSDK, cfg.EngineVersion, "dagger.json engineVersion")
	_, err = goList(repoRoot, "-m", "-f", "{{.Version}}", sdkModule)
	require.ErrorContains(t, err, "not a known dependency", "paved's go.mod must not pin %s: .dagger/go.mod does", sdkModule)

	methods, consts := parseModule(t)
	for _, name := range []string{"Build", "Sbom", "Scan", "Sign", "Deploy", "BuildScanDeploy"} {
		fn, ok := methods[name]
		require.True(t, ok, "function %s is missing", name)
		t.Run(name, func(t *testing.T) { checkFunction(t, fn) })
	}
	// Side effects (push, sign, commit), or a result that changes with the
	// registry or the vulnerability database: never from Dagger's cache.
	for _, name := range []string{"Build", "Sbom", "Scan", "Sign", "Deploy", "BuildScanDeploy"} {
		require.Contains(t, methods[name].Doc.Text(), `+cache="never"`, "%s must not be answered from Dagger's cache", name)
	}

	// The Go image is pinned by digest, and the pragma default is the constant.
	img := consts["defaultGoImage"]
	require.Regexp(t, `^golang:[0-9.]+-bookworm@sha256:[0-9a-f]{64}$`, img)
	src, err := os.ReadFile(filepath.Join(repoRoot, ".dagger", "main.go"))
	require.NoError(t, err)
	require.Contains(t, string(src), `+default="`+img+`"`)
}

// checkFunction: the service's source is an explicit *dagger.Directory
// (a +defaultPath would resolve in paved's repository under -m), and
// credentials are secrets.
func checkFunction(t *testing.T, fn *ast.FuncDecl) {
	secretName := regexp.MustCompile(`(?i)(password|token|key)$`)
	found := false
	for _, field := range fn.Type.Params.List {
		typ := typeString(field.Type)
		for _, n := range field.Names {
			if n.Name == "source" {
				found = true
				require.Equal(t, "*dagger.Directory", typ)
			}
			if secretName.MatchString(n.Name) {
				require.Equal(t, "*dagger.Secret", typ, "credential %s", n.Name)
			}
		}
		require.NotContains(t, commentText(field), "+defaultPath", "a function's directory must be passed explicitly")
	}
	require.True(t, found, "no source parameter")
}

func commentText(f *ast.Field) string {
	if f.Doc == nil {
		return ""
	}
	return f.Doc.Text()
}

func typeString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return "*" + typeString(x.X)
	case *ast.SelectorExpr:
		return typeString(x.X) + "." + x.Sel.Name
	case *ast.Ident:
		return x.Name
	case *ast.ArrayType:
		return "[]" + typeString(x.Elt)
	}
	return "?"
}

// parseModule returns the methods of *Paved and the string constants of the
// committed module files.
func parseModule(t *testing.T) (map[string]*ast.FuncDecl, map[string]string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, ".dagger", "*.go"))
	require.NoError(t, err)
	methods, consts := map[string]*ast.FuncDecl{}, map[string]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		if filepath.Base(file) == "dagger.gen.go" {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil && typeString(d.Recv.List[0].Type) == "*Paved" && d.Name.IsExported() {
					methods[d.Name.Name] = d
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok || d.Tok != token.CONST {
						continue
					}
					for i, n := range vs.Names {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
							consts[n.Name] = strings.Trim(lit.Value, `"`)
						}
					}
				}
			}
		}
	}
	return methods, consts
}
