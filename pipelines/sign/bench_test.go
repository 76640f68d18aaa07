package sign_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
)

// BenchmarkVerify measures a full offline verification (signature plus
// SBOM, vuln and provenance attestations) against the in-process registry.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	image := pushRandom(b, newRegistry(b), "acme/app")
	kp := keyPair(b)
	_, err := sign.Sign(ctx, image, withKey(kp)...)
	require.NoError(b, err)
	_, err = sign.AttestAll(ctx, image, allPredicates(b, image, time.Now()), withKey(kp)...)
	require.NoError(b, err)
	vo := sign.VerifyOptions{Key: kp.PublicKey, Require: requireAll, MaxScanAge: 7 * 24 * time.Hour}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sign.Verify(ctx, image, vo); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignIdempotent measures re-signing an already signed digest:
// the common case in a re-run pipeline, which writes nothing.
func BenchmarkSignIdempotent(b *testing.B) {
	ctx := context.Background()
	image := pushRandom(b, newRegistry(b), "acme/app")
	kp := keyPair(b)
	_, err := sign.Sign(ctx, image, withKey(kp)...)
	require.NoError(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, err := sign.Sign(ctx, image, withKey(kp)...); err != nil || res.Added {
			b.Fatal(err, res)
		}
	}
}
