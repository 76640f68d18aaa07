package service

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

	"github.com/paved-dev/paved/pipelines/yamldoc"
)

var schemaFile = filepath.Join("..", "..", "..", "schema", "paved.schema.json")

// compileSchema compiles schema/paved.schema.json with a draft 2020-12
// validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	require.NoError(t, c.AddResource("paved.schema.json", doc))
	s, err := c.Compile("paved.schema.json")
	require.NoError(t, err)
	return s
}

// yamlInstance turns YAML into the JSON value the validator reads.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(data, &v))
	j, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	require.NoError(t, err)
	return inst
}

func TestSchemaValidatesConfigs(t *testing.T) {
	s := compileSchema(t)
	ref, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "reference-apps", "go-api", "paved.yaml"))
	require.NoError(t, err)
	tests := []struct {
		name  string
		yaml  string
		valid bool
	}{
		{"go-api reference app", string(ref), true},
		{"minimal", validConfig, true},
		{"dockerfile", "apiVersion: paved.dev/v1\nkind: Service\nname: web\nbuild:\n  kind: dockerfile\n  buildArgs: {A: b}\n  target: app\nimage:\n  repository: r.example/web\n", true},
		{"unknown key", validConfig + "polcy: p.yaml\n", false},
		{"go without base", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: go\nimage:\n  repository: r.example/api\n", false},
		{"base in a dockerfile build", "apiVersion: paved.dev/v1\nkind: Service\nname: web\nbuild:\n  kind: dockerfile\n  base: r.example/base:1\nimage:\n  repository: r.example/web\n", false},
		{"bad severity", validConfig + "scan:\n  severity: [SEVERE]\n", false},
		{"bad name", strings.Replace(validConfig, "name: api", "name: My_API", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate(yamlInstance(t, []byte(tt.yaml)))
			_, perr := Parse("paved.yaml", []byte(tt.yaml))
			if tt.valid {
				require.NoError(t, err)
				require.NoError(t, perr, "the Go parser must accept what the schema accepts")
			} else {
				require.Error(t, err)
				require.Error(t, perr, "the Go parser must refuse what the schema refuses")
			}
		})
	}
}

// TestSchemaMatchesStruct checks that the schema and the Config struct
// know the same keys at every level, in both directions.
func TestSchemaMatchesStruct(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	require.NoError(t, err)
	var root map[string]any
	require.NoError(t, json.Unmarshal(data, &root))
	compareKeys(t, root, root, reflect.TypeOf(Config{}), "paved.yaml")
}

func compareKeys(t *testing.T, root, node map[string]any, typ reflect.Type, path string) {
	node = resolve(root, node)
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
		if items, ok := node["items"].(map[string]any); ok {
			node = resolve(root, items)
		}
	}
	if typ.Kind() != reflect.Struct {
		return
	}
	require.Equal(t, false, node["additionalProperties"], "%s: the schema must refuse unknown keys", path)
	props, _ := node["properties"].(map[string]any)
	fields := yamldoc.Fields(typ)
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
		compareKeys(t, root, props[k].(map[string]any), f.Type, path+"."+k)
	}
}

func resolve(root, node map[string]any) map[string]any {
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		return root["$defs"].(map[string]any)[name].(map[string]any)
	}
	return node
}
