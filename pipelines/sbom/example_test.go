package sbom_test

import (
	"context"
	"fmt"
	"log"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/paved-dev/paved/pipelines/sbom"
)

// Generate an SPDX SBOM of an image in a registry and write it atomically.
func ExampleGenerate() {
	src, err := sbom.ParseSource("registry.example.com/app@sha256:3f1c4b5e9d7a2c6f8b0e1d3a5c7e9f1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c")
	if err != nil {
		log.Fatal(err)
	}
	res, err := sbom.Generate(context.Background(), src, sbom.SPDXJSON, sbom.WithKeychain(authn.DefaultKeychain))
	if err != nil {
		log.Fatal(err)
	}
	if err := sbom.WriteFile("app.spdx.json", res.Document); err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Image, res.Digest, res.Packages)
}
