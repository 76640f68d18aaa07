package sign_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
)

// TestStockCosignAccepts checks that paved's output is Cosign's format: the
// stock cosign binary verifies paved's signature and each attestation. It
// runs when $PAVED_COSIGN (a cosign v2 binary) is set or cosign is on PATH.
func TestStockCosignAccepts(t *testing.T) {
	bin := os.Getenv("PAVED_COSIGN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("cosign"); err != nil {
			t.Skip("no cosign binary: set PAVED_COSIGN to run the interoperability check")
		}
	}
	ctx := context.Background()
	image := pushRandom(t, newRegistry(t), "acme/app")
	kp := keyPair(t)
	_, err := sign.Sign(ctx, image, withKey(kp)...)
	require.NoError(t, err)
	_, err = sign.AttestAll(ctx, image, allPredicates(t, image, time.Now()), withKey(kp)...)
	require.NoError(t, err)

	cosign := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		// Offline: an empty TUF cache and no trusted-root fetch that matters
		// for key-based verification.
		cmd.Env = append(os.Environ(), "TUF_ROOT="+t.TempDir(), "DOCKER_CONFIG="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := cosign("verify", "--key", kp.PublicKey, "--insecure-ignore-tlog=true", image.String())
	require.NoError(t, err, out)
	t.Logf("cosign verify:\n%s", out)
	for _, typ := range []string{"spdxjson", "vuln", "slsaprovenance1"} {
		out, err := cosign("verify-attestation", "--key", kp.PublicKey, "--type", typ, "--insecure-ignore-tlog=true", image.String())
		require.NoError(t, err, "--type %s: %s", typ, out)
		require.Equal(t, []string{sign.PredicateTypeURI(typ)}, printedPredicateTypes(t, out), "--type %s", typ)
	}
	// And it refuses another key, so the check above can fail.
	out, err = cosign("verify", "--key", keyPair(t).PublicKey, "--insecure-ignore-tlog=true", image.String())
	require.Error(t, err, out)
}

// printedPredicateTypes decodes the DSSE envelopes cosign verify-attestation
// prints, one JSON object a line, and returns their predicate types.
func printedPredicateTypes(t *testing.T, out string) []string {
	t.Helper()
	var types []string
	for _, line := range strings.Split(out, "\n") {
		var env struct{ Payload string }
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &env) != nil {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(env.Payload)
		require.NoError(t, err)
		var st struct{ PredicateType string }
		require.NoError(t, json.Unmarshal(b, &st))
		types = append(types, st.PredicateType)
	}
	return types
}
