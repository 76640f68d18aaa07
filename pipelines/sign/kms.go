package sign

// Cosign resolves KMS key URIs through the providers registered with
// sigstore's kms package; the cosign binary registers these four in its
// main package, and paved does the same here so that --key awskms://,
// gcpkms://, azurekms:// and hashivault:// work wherever this package is used.
import (
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)
