package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

var schemaDir = filepath.Join("..", "..", "schema")

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(schemaDir, file))
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	require.NoError(t, c.AddResource(file, doc))
	s, err := c.Compile(file)
	require.NoError(t, err)
	return s
}

// validateResult validates paved deploy's JSON output against its schema.
func validateResult(t *testing.T, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	require.NoError(t, compileSchema(t, "deploy-result.schema.json").Validate(inst))
}

// TestGitOpsSchema: the schema accepts what ParseConfig accepts among real
// configurations and refuses what it refuses.
func TestGitOpsSchema(t *testing.T) {
	s := compileSchema(t, "paved-gitops.schema.json")
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "gitops", ConfigFile))
	require.NoError(t, err)
	envs := "environments: [{name: dev}, {name: prod, approval: required, gates: {signature_key: k.pub, max_scan_age: 7d}}]\n"
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, documented, _ := strings.Cut(string(readme), "## GitOps deploy")
	_, documented, _ = strings.Cut(documented, "```yaml\n")
	documented, _, _ = strings.Cut(documented, "```")
	tests := []struct {
		name  string
		yaml  string
		valid bool
	}{
		{"the reference apps' repository", string(example), true},
		{"the README's example", documented, true},
		{"the tests' repository", testConfig, true},
		{"with routes", routesConfig, true},
		{"every layout key", envs + "services:\n  a: {layout: helm, path: 'c/{env}', image: r.example/svc-a, helm: {file: v.yaml, repository: '-', tag: '', digest: image.digest}}\n" +
			"  b: {layout: kustomize, path: 'k/{env}', image: r.example/svc-b, kustomize: {file: kustomization.yaml, name: upstream/b}}\n" +
			"  c: {layout: manifests, path: 'm/{env}', image: r.example/svc-c, manifests: {files: [a.yaml], container: app}, route: none, port: 8080}\n", true},
		{"unknown key", envs + "services:\n  a: {layout: helm, path: 'c/{env}', image: r.example/svc-a, imag: x}\n", false},
		{"no image", envs + "services:\n  a: {layout: helm, path: 'c/{env}'}\n", false},
		{"unknown layout", envs + "services:\n  a: {layout: jsonnet, path: 'c/{env}', image: r.example/svc-a}\n", false},
		{"bad approval", "environments: [{name: dev, approval: maybe}]\n", false},
		{"bad scan age", "environments: [{name: dev, gates: {signature_key: k.pub, max_scan_age: soon}}]\n", false},
		{"bad container", envs + "services:\n  a: {layout: manifests, path: 'm/{env}', image: r.example/svc-a, manifests: {container: My_App}}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			require.NoError(t, yaml.Unmarshal([]byte(tt.yaml), &v))
			j, err := json.Marshal(v)
			require.NoError(t, err)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
			require.NoError(t, err)
			err = s.Validate(inst)
			_, perr := ParseConfig([]byte(tt.yaml))
			if tt.valid {
				require.NoError(t, err)
				require.NoError(t, perr, "paved must accept what the schema accepts")
			} else {
				require.Error(t, err)
				require.Error(t, perr, "paved must refuse what the schema refuses")
			}
		})
	}
}

// TestSchemasMatchStructs: the schemas and the Go types know the same keys
// at every level, in both directions.
func TestSchemasMatchStructs(t *testing.T) {
	for _, tt := range []struct {
		file, tag string
		typ       reflect.Type
	}{
		{"paved-gitops.schema.json", "yaml", reflect.TypeOf(Config{})},
		{"deploy-result.schema.json", "json", reflect.TypeOf(Result{})},
	} {
		data, err := os.ReadFile(filepath.Join(schemaDir, tt.file))
		require.NoError(t, err)
		var root map[string]any
		require.NoError(t, json.Unmarshal(data, &root))
		compareKeys(t, root, root, tt.typ, tt.tag, tt.file)
	}
}

func compareKeys(t *testing.T, root, node map[string]any, typ reflect.Type, tag, path string) {
	node = resolve(root, node)
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
		key := "items"
		if typ.Kind() == reflect.Map {
			key = "additionalProperties"
		}
		if typ.Kind() != reflect.Pointer {
			sub, ok := node[key].(map[string]any)
			require.True(t, ok, "%s: %s in the schema", path, key)
			node = resolve(root, sub)
		}
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct {
		return
	}
	require.Equal(t, false, node["additionalProperties"], "%s: the schema must refuse unknown keys", path)
	props, _ := node["properties"].(map[string]any)
	fields := map[string]reflect.StructField{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if f.IsExported() && name != "-" && name != "" {
			fields[name] = f
		}
	}
	var schemaKeys, structKeys []string
	for k := range props {
		schemaKeys = append(schemaKeys, k)
	}
	for k := range fields {
		structKeys = append(structKeys, k)
	}
	slices.Sort(schemaKeys)
	slices.Sort(structKeys)
	require.Equal(t, structKeys, schemaKeys, "%s: keys of the schema and of %s", path, typ.Name())
	for k, f := range fields {
		compareKeys(t, root, props[k].(map[string]any), f.Type, tag, path+"."+k)
	}
}

func resolve(root, node map[string]any) map[string]any {
	if ref, ok := node["$ref"].(string); ok {
		return root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
	return node
}
