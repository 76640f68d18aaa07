package admission

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
)

// kmsSchemes are the key URIs both enforcers resolve themselves, through
// the same Sigstore KMS support Cosign has.
var kmsSchemes = []string{"awskms://", "gcpkms://", "azurekms://", "hashivault://"}

// readKey resolves an environment's signature_key into a Key: a KMS URI
// as it is, a file of the GitOps repository as its public key. A key the
// cluster cannot use (env://, a private key) is bad input; the key file's
// contents never appear in an error.
func readKey(env, ref string, keys func(string) ([]byte, error)) (*Key, error) {
	for _, s := range kmsSchemes {
		if strings.HasPrefix(ref, s) {
			return &Key{Ref: ref, KMS: ref}, nil
		}
	}
	if strings.Contains(ref, "://") {
		return nil, failure.BadInputErr(fmt.Errorf("environment %q: signature_key %q cannot be exported: a cluster reads a public key file of the GitOps repository or a KMS key (%s)", env, ref, strings.Join(kmsSchemes, ", ")))
	}
	data, err := keys(ref)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("environment %q: signature_key %q is not in the GitOps repository: commit the public key (cosign.pub) there", env, ref))
	}
	if err != nil {
		return nil, fmt.Errorf("reading signature_key %q of environment %q: %w", ref, env, err)
	}
	block, _ := pem.Decode(data)
	if block != nil && strings.Contains(block.Type, "PRIVATE KEY") {
		return nil, failure.BadInputErr(fmt.Errorf("environment %q: signature_key %q is a private key: point it at the public key (cosign.pub) and keep the private key out of %s's repository", env, ref, deploy.ConfigFile))
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("environment %q: signature_key %q is not a PEM public key (cosign.pub): %w", env, ref, err))
	}
	// Re-encoding makes the export independent of the file's line endings
	// and trailing text.
	out, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding signature_key %q of environment %q: %w", ref, env, err)
	}
	return &Key{Ref: ref, PEM: string(out)}, nil
}
