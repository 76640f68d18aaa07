package record_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestContractPackagesImportLittle: the packages other packages decode
// (the run record, the scan report, the annotation keys' reader) link no
// scanner, SBOM generator, signer or git implementation, so a reader of the
// contract does not link the pipeline.
func TestContractPackagesImportLittle(t *testing.T) {
	heavy := []string{
		"github.com/aquasecurity/trivy", "github.com/anchore/syft", "github.com/sigstore/cosign",
		"github.com/go-git/go-git", "github.com/paved-dev/paved/pipelines/build",
	}
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"../record", heavy},
		{"../vuln", heavy},
		// The inventory reads git repositories, but not the builder.
		{"../../fleet/inventory", []string{"github.com/paved-dev/paved/pipelines/build"}},
	}
	for _, tt := range tests {
		out, err := exec.Command("go", "list", "-deps", tt.pkg).CombinedOutput()
		require.NoError(t, err, string(out))
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range tt.forbidden {
				require.False(t, strings.HasPrefix(dep, f), "%s imports %s", tt.pkg, dep)
			}
		}
	}
}
