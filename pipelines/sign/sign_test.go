package sign_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
)

const testPassword = "correct horse battery staple"

// newRegistry starts an in-process registry and returns its host.
func newRegistry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushRandom pushes a random image to host/repo and returns its digest.
func pushRandom(t testing.TB, host, repo string) name.Digest {
	t.Helper()
	img, err := random.Image(512, 1)
	require.NoError(t, err)
	tag, err := name.NewTag(host + "/" + repo + ":latest")
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img))
	h, err := img.Digest()
	require.NoError(t, err)
	return tag.Context().Digest(h.String())
}

// keyPair generates a key pair encrypted with testPassword.
func keyPair(t testing.TB) *sign.KeyPair {
	t.Helper()
	kp, err := sign.GenerateKeys(t.TempDir(), []byte(testPassword))
	require.NoError(t, err)
	return kp
}

func withKey(kp *sign.KeyPair, opts ...sign.Option) []sign.Option {
	pw := func() ([]byte, error) { return []byte(testPassword), nil }
	return append([]sign.Option{sign.WithKey(kp.PrivateKey), sign.WithPassword(pw)}, opts...)
}

// layers returns how many signatures or attestations the tag holds; 0 if
// the tag does not exist.
func layers(t *testing.T, image name.Digest, suffix string) int {
	t.Helper()
	tag := image.Repository.Tag("sha256-" + strings.TrimPrefix(image.DigestStr(), "sha256:") + suffix)
	img, err := remote.Image(tag)
	if err != nil {
		return 0
	}
	ls, err := img.Layers()
	require.NoError(t, err)
	return len(ls)
}

func spdxDoc() []byte {
	return []byte(`{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"app","documentNamespace":"https://example.com/app","creationInfo":{"created":"2026-11-01T00:00:00Z","creators":["Tool: paved"]},"packages":[]}`)
}

// scanReport is the part of paved's scan report of image that attest and
// verify read.
func scanReport(image name.Digest, passed bool) []byte {
	return []byte(fmt.Sprintf(`{"schemaVersion":%q,"artifact":{"name":%q,"digest":%q,"kind":"image"},"gate":{"passed":%t,"failOn":"HIGH"},"findings":[]}`,
		sign.ScanReportSchema, image.String(), image.DigestStr(), passed))
}

func vulnPred(t testing.TB, image name.Digest, passed bool, finished time.Time) sign.Predicate {
	t.Helper()
	b, err := sign.VulnPredicate(sign.Scan{Report: scanReport(image, passed), ScannerURI: "https://github.com/aquasecurity/trivy", ScannerVersion: "0.69.3", FinishedOn: finished})
	require.NoError(t, err)
	return sign.Predicate{Type: "vuln", Body: b}
}

func provenancePred(t testing.TB) sign.Predicate {
	t.Helper()
	b, err := sign.ProvenancePredicate(sign.Provenance{
		SourceRepository: "https://git.example.com/acme/app", SourceRevision: "9f1e2d3c4b5a69788796a5b4c3d2e1f009182736",
		BaseImage:  "registry.example.com/base@sha256:" + strings.Repeat("ab", 32),
		Parameters: map[string]any{"target": "./cmd/app"},
	})
	require.NoError(t, err)
	return sign.Predicate{Type: "slsaprovenance1", Body: b}
}

func allPredicates(t testing.TB, image name.Digest, finished time.Time) []sign.Predicate {
	return []sign.Predicate{{Type: "spdxjson", Body: spdxDoc()}, vulnPred(t, image, true, finished), provenancePred(t)}
}

var requireAll = []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance}

func TestSignAttestVerify(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t)
	image := pushRandom(t, host, "acme/app")
	kp := keyPair(t)

	res, err := sign.Sign(ctx, image, withKey(kp)...)
	require.NoError(t, err)
	require.True(t, res.Added)
	require.False(t, res.TlogUpload)
	require.Equal(t, image.Repository.String()+":sha256-"+strings.TrimPrefix(image.DigestStr(), "sha256:")+".sig", res.Tag)

	res, err = sign.AttestAll(ctx, image, allPredicates(t, image, time.Now().Add(-time.Hour)), withKey(kp)...)
	require.NoError(t, err)
	require.Equal(t, []string{sign.PredicateSPDX, sign.PredicateVuln, sign.PredicateProvenance}, res.PredicateTypes)
	require.Equal(t, 1, layers(t, image, ".sig"))
	require.Equal(t, 3, layers(t, image, ".att"))

	v, err := sign.Verify(ctx, image, sign.VerifyOptions{Key: kp.PublicKey, Require: requireAll, MaxScanAge: 7 * 24 * time.Hour})
	require.NoError(t, err)
	require.Equal(t, 1, v.Signatures)
	require.Equal(t, map[string]int{sign.PredicateSPDX: 1, sign.PredicateVuln: 1, sign.PredicateProvenance: 1}, v.Attestations)
	require.NotNil(t, v.Scan)
	require.True(t, v.Scan.Passed)
}

func TestSignAndAttestAreIdempotent(t *testing.T) {
	ctx := context.Background()
	image := pushRandom(t, newRegistry(t), "acme/app")
	kp := keyPair(t)
	preds := allPredicates(t, image, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))

	for i := 0; i < 2; i++ {
		res, err := sign.Sign(ctx, image, withKey(kp)...)
		require.NoError(t, err)
		require.Equal(t, i == 0, res.Added, "sign #%d", i+1)
		res, err = sign.AttestAll(ctx, image, preds, withKey(kp)...)
		require.NoError(t, err)
		require.Equal(t, i == 0, res.Added, "attest #%d", i+1)
	}
	require.Equal(t, 1, layers(t, image, ".sig"))
	require.Equal(t, 3, layers(t, image, ".att"))

	// A new scan is new content: only it is added.
	res, err := sign.AttestAll(ctx, image, append(preds, vulnPred(t, image, true, time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))), withKey(kp)...)
	require.NoError(t, err)
	require.Equal(t, []string{sign.PredicateVuln}, res.PredicateTypes)
	require.Equal(t, 4, layers(t, image, ".att"))

	// Another key is another signer: its signature is added.
	res, err = sign.Sign(ctx, image, withKey(keyPair(t))...)
	require.NoError(t, err)
	require.True(t, res.Added)
	require.Equal(t, 2, layers(t, image, ".sig"))

	// --force adds again.
	res, err = sign.Sign(ctx, image, withKey(kp, sign.WithForce(true))...)
	require.NoError(t, err)
	require.True(t, res.Added)
	require.Equal(t, 3, layers(t, image, ".sig"))
}

func TestSignWithEnvKey(t *testing.T) {
	kp := keyPair(t)
	pem, err := os.ReadFile(kp.PrivateKey)
	require.NoError(t, err)
	t.Setenv("PAVED_TEST_SIGNING_KEY", string(pem))
	image := pushRandom(t, newRegistry(t), "acme/app")
	pw := func() ([]byte, error) { return []byte(testPassword), nil }

	_, err = sign.Sign(context.Background(), image, sign.WithKey("env://PAVED_TEST_SIGNING_KEY"), sign.WithPassword(pw))
	require.NoError(t, err)
	_, err = sign.Verify(context.Background(), image, sign.VerifyOptions{Key: kp.PublicKey})
	require.NoError(t, err)
}

// The provenance's base-image dependency records the base as written, so
// that admission policies can match a denial by tag.
func TestProvenanceRecordsTheBaseAsWritten(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	body, err := sign.ProvenancePredicate(sign.Provenance{SourceRepository: "https://git.example.com/acme/app", SourceRevision: strings.Repeat("1", 40),
		BaseImage: "registry.example.com/platform/static@sha256:" + hex, BaseImageName: "registry.example.com/platform/static:1"})
	require.NoError(t, err)
	var pred struct {
		BuildDefinition struct {
			ResolvedDependencies []map[string]any `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
	}
	require.NoError(t, json.Unmarshal(body, &pred))
	require.Equal(t, map[string]any{
		"name": sign.BaseImageDependency, "uri": "oci://registry.example.com/platform/static", "digest": map[string]any{"sha256": hex},
		"annotations": map[string]any{sign.BaseImageNameAnnotation: "registry.example.com/platform/static:1"},
	}, pred.BuildDefinition.ResolvedDependencies[1])

	_, err = sign.ProvenancePredicate(sign.Provenance{SourceRepository: "https://git.example.com/acme/app", SourceRevision: strings.Repeat("1", 40), BaseImageName: "x:1"})
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

// TestScanFromReportRecordsDB: the vulnerability attestation's scanner.db
// names Trivy's database with its schema version and build time, read from
// paved's scan report.
func TestScanFromReportRecordsDB(t *testing.T) {
	report := `{"schemaVersion":"paved.dev/scan-report/v1","scanner":{"name":"trivy","version":"0.69.3"},` +
		`"db":{"schemaVersion":2,"updatedAt":"2026-11-30T06:00:00Z"},"finishedAt":"2026-12-01T10:00:00Z","gate":{"passed":true},"findings":[]}`
	s, err := sign.ScanFromReport([]byte(report), time.Time{})
	require.NoError(t, err)
	require.Equal(t, sign.TrivyDBURI, s.DBURI)
	require.Equal(t, "2 (updated 2026-11-30T06:00:00Z)", s.DBVersion)
	body, err := sign.VulnPredicate(s)
	require.NoError(t, err)
	var pred struct {
		Scanner struct {
			DB struct{ URI, Version string } `json:"db"`
		} `json:"scanner"`
	}
	require.NoError(t, json.Unmarshal(body, &pred))
	require.Equal(t, "2 (updated 2026-11-30T06:00:00Z)", pred.Scanner.DB.Version)
	require.Equal(t, sign.TrivyDBURI, pred.Scanner.DB.URI)
}
