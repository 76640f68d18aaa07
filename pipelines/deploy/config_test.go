package deploy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

func TestParseConfigRefuses(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no environments", "services: {}\n", "no environments"},
		{"duplicate environment", "environments: [{name: dev}, {name: dev}]\n", `environment "dev"`},
		{"bad approval", "environments: [{name: dev, approval: maybe}]\n", `approval "maybe"`},
		{"unknown layout", "environments: [{name: dev}]\nservices:\n  api: {layout: jsonnet, path: x}\n", `layout "jsonnet"`},
		{"path outside", "environments: [{name: dev}]\nservices:\n  api: {layout: helm, path: ../x}\n", `path "../x"`},
		{"unknown field", "environments: [{name: dev}]\nservice: {}\n", "field service not found"},
		{"scan gate without key", "environments: [{name: prod, gates: {vulnerability_scan: true}}]\n", "need signature_key"},
		{"bad scan age", "environments: [{name: prod, gates: {signature_key: k.pub, max_scan_age: soon}}]\n", `max_scan_age "soon"`},
		{"key outside the repository", "environments: [{name: prod, gates: {signature_key: ../k.pub}}]\n", `signature_key "../k.pub"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.src))
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, err, ConfigFile)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}
