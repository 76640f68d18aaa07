package sbom

import (
	"context"
	"sync"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
)

// licenseValues holds Syft's license scanner, built once per process:
// building it compiles every SPDX license pattern, which costs about a
// second and 100 MB of allocations, far more than cataloging a typical
// service image. Syft shares one scanner between its parallel catalogers,
// so sharing it between Generate calls is safe.
var licenseValues = sync.OnceValues(func() (context.Context, error) {
	return syft.SetContextLicenseScanner(context.Background(), cataloging.DefaultLicenseConfig())
})

// withLicenseScanner returns ctx carrying the shared license scanner.
func withLicenseScanner(ctx context.Context) (context.Context, error) {
	values, err := licenseValues()
	if err != nil {
		return nil, err
	}
	return valuesFrom{Context: ctx, values: values}, nil
}

// valuesFrom is ctx (deadline, cancellation, values) with values looked up
// in a second context when ctx has none for a key.
type valuesFrom struct {
	context.Context
	values context.Context
}

func (c valuesFrom) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.values.Value(key)
}
