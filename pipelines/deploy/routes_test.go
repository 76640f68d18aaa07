package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/pipelines/failure"
)

// routesConfig is testConfig with an Ingress host and class, and the worker
// routed at /jobs.
var routesConfig = strings.Replace(testConfig, "    image: ghcr.io/acme/worker\n", "    image: ghcr.io/acme/worker\n    route: /jobs\n    port: 8080\n", 1) +
	"routes:\n  host: shop.example.com\n  class: nginx\n"

// recorded returns a versions.yaml recording services in dev.
func recorded(services ...string) string {
	var b strings.Builder
	b.WriteString("services:\n")
	for _, s := range services {
		b.WriteString("  " + s + ":\n    dev:\n      version: v1\n      image: ghcr.io/acme/" + s + "@" + digestA + "\n      digest: " + digestA + "\n      deployed_at: \"2026-01-01T00:00:00Z\"\n")
	}
	return b.String()
}

const ingressHead = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\nspec:\n  rules:\n    - http:\n        paths:\n"

func ingressPath(path, svc string) string {
	return "          - path: " + path + "\n            pathType: Prefix\n            backend:\n              service:\n                name: " + svc + "\n                port: {number: 80}\n"
}

func TestCheckRoutes(t *testing.T) {
	const file = "routes/dev/ingress.yaml"
	tests := []struct {
		name     string
		config   string
		versions string
		ingress  string // "" leaves the file out
		want     []string
	}{
		{"every service routed", routesConfig, recorded("checkout", "web"),
			ingressHead + ingressPath("/checkout", "checkout") + ingressPath("/web", "web"), nil},
		{"a service with route none needs no path",
			strings.Replace(routesConfig, "route: /jobs", "route: none", 1), recorded("checkout", "worker"),
			ingressHead + ingressPath("/checkout", "checkout"), nil},
		{"service not routed", routesConfig, recorded("checkout", "web"),
			ingressHead + ingressPath("/checkout", "checkout"),
			[]string{file + ": service web runs in dev (versions.yaml) but no path routes to its Service web: add one (/web)"}},
		{"two services claim one path", routesConfig, recorded("checkout", "web"),
			ingressHead + ingressPath("/shop", "checkout") + ingressPath("/shop", "web"),
			[]string{file + ": path /shop is claimed by Services checkout and web"}},
		{"backend Service missing", routesConfig, recorded("checkout"),
			ingressHead + ingressPath("/checkout", "checkout") + ingressPath("/ghost", "ghost"),
			[]string{file + ": backend Service ghost does not exist in the dev manifests"}},
		{"several problems at once", routesConfig, recorded("checkout", "web", "worker"),
			ingressHead + ingressPath("/a", "checkout") + ingressPath("/a", "ghost"),
			[]string{"path /a is claimed by Services checkout and ghost", "service worker runs in dev (versions.yaml) but no path routes to its Service worker: add one (/jobs)", "service web runs in dev", "backend Service ghost does not exist"}},
		{"not an Ingress", routesConfig, recorded("checkout"),
			"apiVersion: v1\nkind: Service\nmetadata: {name: x}\n", []string{file + ": is v1 Service, want a networking.k8s.io/v1 Ingress"}},
		{"old Ingress API", routesConfig, recorded("checkout"),
			strings.Replace(ingressHead, "networking.k8s.io/v1", "extensions/v1beta1", 1) + ingressPath("/checkout", "checkout"), []string{"is extensions/v1beta1 Ingress"}},
		{"two Ingresses", routesConfig, recorded("checkout"),
			ingressHead + ingressPath("/checkout", "checkout") + "---\n" + ingressHead + ingressPath("/c", "checkout"), []string{file + ": holds 2 documents"}},
		{"no pathType", routesConfig, recorded("checkout"),
			strings.Replace(ingressHead+ingressPath("/checkout", "checkout"), "            pathType: Prefix\n", "", 1), []string{`path "/checkout" of Service checkout: give a path starting with / and pathType`}},
		{"YAML bomb", routesConfig, recorded("checkout"),
			"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
			[]string{"YAML bomb"}},
		{"file missing", routesConfig, recorded("checkout"), "", []string{file + ": no such file: write the routes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := gitopsFiles(t)
			files[ConfigFile], files[VersionsFile] = tt.config, tt.versions
			if tt.ingress != "" {
				files[file] = tt.ingress
			}
			rep, err := CheckRoutes(context.Background(), newBareRemote(t, files), "dev")
			require.NotNil(t, rep)
			require.Equal(t, []string{file}, rep.Files)
			if tt.want == nil {
				require.NoError(t, err)
				require.Empty(t, rep.Problems)
				return
			}
			require.ErrorIs(t, err, ErrRoutes)
			require.Equal(t, failure.Policy, failure.KindOf(err))
			require.Len(t, rep.Problems, len(tt.want), strings.Join(rep.Problems, "\n"))
			for i, w := range tt.want {
				require.Contains(t, rep.Problems[i], w)
				require.Contains(t, err.Error(), rep.Problems[i])
			}
		})
	}
}

func TestWriteRoutes(t *testing.T) {
	ctx := context.Background()
	files := gitopsFiles(t)
	files[ConfigFile] = routesConfig
	url := newBareRemote(t, files)
	images := map[string]string{"worker": "ghcr.io/acme/worker", "web": "ghcr.io/acme/web", "checkout": "registry.acme.internal/mirror/checkout"}
	for _, svc := range []string{"worker", "web", "checkout"} {
		_, err := Bump(ctx, url, bumpReq(svc, "dev", images[svc]+"@"+digestA, "v1"), testOpts(t)...)
		require.NoError(t, err)
	}
	_, err := Bump(ctx, url, bumpReq("checkout", "prod", images["checkout"]+"@"+digestA, "v1"), testOpts(t)...)
	require.NoError(t, err)

	// A dry run shows the Ingress and pushes nothing.
	res, err := WriteRoutes(ctx, url, RoutesRequest{Env: "dev"}, testOpts(t, WithDryRun(true))...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Contains(t, res.Diff, "+++ b/routes/dev/ingress.yaml\n")
	_, log := remoteState(t, url)
	require.Len(t, log, 5)

	res, err = WriteRoutes(ctx, url, RoutesRequest{RunID: "run-3"}, testOpts(t, WithClock(testClock))...)
	require.NoError(t, err)
	require.Equal(t, []string{"routes/dev/ingress.yaml", "routes/prod/ingress.yaml", "routes/staging/ingress.yaml"}, res.Files)
	require.Equal(t, "deploy(routes): write Ingress for dev, staging, prod 0 paths → 4 paths\n\nImage: none (routing only)\n\nPaved-Run: run-3\n", res.Message)
	remote, log := remoteState(t, url)
	require.Len(t, log, 6)
	require.Equal(t, []string{"routes/dev/ingress.yaml", "routes/prod/ingress.yaml", "routes/staging/ingress.yaml"}, changedFiles(t, log[0]))
	for _, env := range []string{"dev", "prod", "staging"} {
		golden := filepath.Join("testdata/golden/routes", env+".yaml.golden")
		if *update {
			require.NoError(t, os.WriteFile(golden, []byte(remote["routes/"+env+"/ingress.yaml"]), 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err)
		require.Equal(t, string(want), remote["routes/"+env+"/ingress.yaml"], env)
	}

	rep, err := CheckRoutes(ctx, url, "")
	require.NoError(t, err, "what --write generates passes --check")
	require.Len(t, rep.Files, 3)

	res, err = WriteRoutes(ctx, url, RoutesRequest{})
	require.NoError(t, err)
	require.False(t, res.Changed, "the same routes twice make no second commit")

	// The Helm chart has no plain Service manifest: the write is refused.
	_, err = Bump(ctx, url, bumpReq("api", "dev", "ghcr.io/acme/api@"+digestA, "v1"), testOpts(t)...)
	require.NoError(t, err)
	_, err = WriteRoutes(ctx, url, RoutesRequest{Env: "dev"})
	require.ErrorIs(t, err, ErrRoutes)
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.ErrorContains(t, err, "routes/dev/ingress.yaml: backend Service api does not exist in the dev manifests")
	_, log = remoteState(t, url)
	require.Len(t, log, 7, "a refused write pushes nothing")
}

func TestParseConfigRoutes(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"route not a path", "environments: [{name: dev}]\nservices:\n  api: {layout: manifests, path: x, image: r.example/api, route: api}\n", `route "api"`},
		{"routes file without env", "environments: [{name: dev}, {name: prod}]\nroutes: {file: ingress.yaml}\n", "put {env} in it"},
		{"bad host", "environments: [{name: dev}]\nroutes: {host: 'a b'}\n", `host "a b"`},
		{"bad port", "environments: [{name: dev}]\nservices:\n  api: {layout: manifests, path: x, image: r.example/api, port: 70000}\n", "port 70000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.src))
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

// TestRenderedIngressDecodes decodes the generated Ingresses strictly into
// Kubernetes' own networking/v1 type.
func TestRenderedIngressDecodes(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		data, err := os.ReadFile(filepath.Join("testdata/golden/routes", env+".yaml.golden"))
		require.NoError(t, err)
		var ing networkingv1.Ingress
		require.NoError(t, k8syaml.UnmarshalStrict(data, &ing), env)
		require.Equal(t, "Ingress", ing.Kind)
		require.Equal(t, "nginx", *ing.Spec.IngressClassName)
		for _, r := range ing.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				require.Equal(t, networkingv1.PathTypePrefix, *p.PathType)
				require.NotZero(t, p.Backend.Service.Port.Number)
			}
		}
	}
}

// FuzzCheckIngress feeds arbitrary files to the Ingress check: it must
// report problems, never panic.
func FuzzCheckIngress(f *testing.F) {
	f.Add([]byte(ingressHead + ingressPath("/checkout", "checkout")))
	f.Add([]byte("apiVersion: networking.k8s.io/v1\nkind: Ingress\nspec: {rules: [{http: {paths: [{path: /a, backend: {}}]}}]}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	cfg, err := ParseConfig([]byte(routesConfig))
	require.NoError(f, err)
	fsys := memfs.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = checkIngress(fsys, cfg, &Versions{Services: map[string]map[string]*Record{}}, "dev", "ingress.yaml", data)
		_ = countPaths(data)
	})
}
