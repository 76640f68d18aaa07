package sbom_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdxlib"
	"github.com/spdx/tools-golang/utils"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
)

// sha1OfNothing is what a verification code over no SHA-1 comes out as.
const sha1OfNothing = "da39a3ee5e6b4b0d3255bfef95601890afd80709"

// spdxSchema compiles the SPDX 2.3 JSON schema of the SPDX specification
// (spdx/spdx-spec schemas/spdx-schema.json, as Syft's module ships it for
// its own schema tests), from the module cache.
func spdxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/anchore/syft").Output()
	require.NoError(t, err)
	file := filepath.Join(strings.TrimSpace(string(out)), "schema", "spdx-json", "spdx-schema-2.3.json")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("spdx-schema-2.3.json", doc))
	s, err := c.Compile("spdx-schema-2.3.json")
	require.NoError(t, err)
	return s
}

// TestSPDXIsValid: paved's SPDX 2.3 SBOM passes the specification's JSON
// schema and the SPDX Go tools' reader and document validation; every file
// has the SHA-1 SPDX 2.3 requires; every verification code is the one the
// SPDX tools compute from the package's files (never the SHA-1 of
// nothing); and the operating system is a package stock Trivy recognises.
func TestSPDXIsValid(t *testing.T) {
	img := testimage.New(t, testimage.Options{DpkgFiles: true})
	res, err := sbom.Generate(context.Background(), sbom.Image(img, "registry.example/app"), sbom.SPDXJSON)
	require.NoError(t, err)

	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(res.Document))
	require.NoError(t, err)
	require.NoError(t, spdxSchema(t).Validate(v))

	doc, err := spdxjson.Read(bytes.NewReader(res.Document))
	require.NoError(t, err)
	require.NoError(t, spdxlib.ValidateDocument(doc))

	require.NotEmpty(t, doc.Files)
	files := map[common.ElementID]*spdx.File{}
	for _, f := range doc.Files {
		require.True(t, hasSHA1(f.Checksums), "file %s has no SHA-1", f.FileName)
		files[f.FileSPDXIdentifier] = f
	}
	contains := map[common.ElementID][]*spdx.File{}
	for _, r := range doc.Relationships {
		if f, ok := files[r.RefB.ElementRefID]; ok && r.Relationship == common.TypeRelationshipContains {
			contains[r.RefA.ElementRefID] = append(contains[r.RefA.ElementRefID], f)
		}
	}
	coded, osPkgs := 0, 0
	for _, p := range doc.Packages {
		if p.PrimaryPackagePurpose == "OPERATING_SYSTEM" {
			osPkgs++
			require.True(t, strings.HasPrefix(string(p.PackageSPDXIdentifier), "OperatingSystem-"), "Trivy finds the OS by this id prefix")
			require.Equal(t, "debian", p.PackageName)
			require.Equal(t, "12", p.PackageVersion)
		}
		if strings.Contains(refLocator(p), "pkg:deb/") {
			require.True(t, strings.HasPrefix(p.PackageSourceInfo, "built package from: "), "%s: %q", p.PackageName, p.PackageSourceInfo)
		}
		if p.PackageVerificationCode == nil {
			continue
		}
		coded++
		want, err := utils.GetVerificationCode(contains[p.PackageSPDXIdentifier], "")
		require.NoError(t, err)
		require.Equal(t, want.Value, p.PackageVerificationCode.Value, p.PackageName)
		require.NotEqual(t, sha1OfNothing, p.PackageVerificationCode.Value, p.PackageName)
	}
	require.Positive(t, coded, "no package has a verification code")
	require.Equal(t, 1, osPkgs)
}

func hasSHA1(cs []common.Checksum) bool {
	for _, c := range cs {
		if c.Algorithm == common.SHA1 && len(c.Value) == 40 {
			return true
		}
	}
	return false
}

func refLocator(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r.RefType == "purl" {
			return r.Locator
		}
	}
	return ""
}
