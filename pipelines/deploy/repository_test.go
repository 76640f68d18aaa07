package deploy

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOwnsByRepository: a manifests-layout container is the service's when
// its image, parsed as a reference, is of the service's repository or of one
// paved wrote for it before, Docker's defaults filled in; a tag, a digest or
// both do not matter, a longer name or another registry does.
func TestOwnsByRepository(t *testing.T) {
	tests := []struct {
		name, image, known, service string
		want                        bool
	}{
		{"a tag", "ghcr.io/acme/api:v1", "", "ghcr.io/acme/api", true},
		{"a digest", "ghcr.io/acme/api@" + testDigest, "", "ghcr.io/acme/api", true},
		{"a tag and a digest", "ghcr.io/acme/api:v1@" + testDigest, "", "ghcr.io/acme/api", true},
		{"neither", "ghcr.io/acme/api", "", "ghcr.io/acme/api", true},
		{"a longer name", "ghcr.io/acme/api-worker:v1", "", "ghcr.io/acme/api", false},
		{"a parent path", "ghcr.io/acme:v1", "", "ghcr.io/acme/api", false},
		{"another registry", "quay.io/acme/api:v1", "", "ghcr.io/acme/api", false},
		{"a registry port", "localhost:5000/acme/api:v2", "", "localhost:5000/acme/api", true},
		{"a repository paved wrote before", "localhost:5000/acme/api:v2", "localhost:5000/acme/api@" + testDigest, "ghcr.io/acme/api", true},
		{"Docker Hub's short name", "nginx:1.27", "", "docker.io/library/nginx", true},
		{"Docker Hub's long name", "index.docker.io/library/nginx@" + testDigest, "", "nginx", true},
		{"Docker Hub's other image", "nginx-exporter:1", "", "nginx", false},
		// A placeholder is no reference: paved does not take it for the
		// service's image (the error lists it among the containers found).
		{"no reference", "ghcr.io/acme/api:${TAG}", "", "ghcr.io/acme/api", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &Service{Image: tt.service}
			var rec *Record
			if tt.known != "" {
				rec = &Record{Image: tt.known}
			}
			tgt := target{name: "api", svc: svc, env: "dev", known: rec.repositories()}
			require.Equal(t, tt.want, tgt.owns("app", tt.image))
		})
	}
	byName := target{name: "api", svc: &Service{Image: "ghcr.io/acme/api", Manifests: ManifestsLayout{Container: "app"}}, env: "dev"}
	require.True(t, byName.owns("app", "ghcr.io/acme/api:${TAG}"), "manifests.container names a placeholder's container")
	require.False(t, byName.owns("sidecar", "ghcr.io/acme/api:v1"), "manifests.container: the name decides")
}

// TestRecordRepositories: the repositories of a record and its history,
// newest first, from the images versions.yaml records; an image that does
// not parse (a hand edit) names none.
func TestRecordRepositories(t *testing.T) {
	rec := &Record{Image: "ghcr.io/acme/api@" + testDigest, History: []Deployment{
		{Image: "registry.example.com/acme/api@" + testDigest},
		{Image: "not a reference"},
		{Image: "nginx:1.27"},
	}}
	require.Equal(t, []string{"ghcr.io/acme/api", "registry.example.com/acme/api", "index.docker.io/library/nginx"}, rec.repositories())
	require.Nil(t, (*Record)(nil).repositories())
}

// TestCheckImageName: a service's image is a repository, without tag or
// digest.
func TestCheckImageName(t *testing.T) {
	for _, image := range []string{"ghcr.io/acme/api", "localhost:5000/acme/api", "nginx"} {
		require.NoError(t, checkImageName(image), image)
	}
	for _, image := range []string{"ghcr.io/acme/api:v1", "ghcr.io/acme/api@" + testDigest, "localhost:5000/acme/api:v1", "api:v1", "Ghcr.io/Acme/API"} {
		require.ErrorContains(t, checkImageName(image), "give a repository (REGISTRY/NAME) without tag or digest", image)
	}
	require.ErrorContains(t, checkImageName(""), "image is missing")
}
