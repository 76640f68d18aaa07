//go:build render

package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	k8syaml "sigs.k8s.io/yaml"
)

// The renderers the test runs, from hack/tools.sh (hack/deploy/render-test.sh
// sets these). The test fails, never skips, without them.
const (
	envHelm      = "PAVED_HELM"
	envKustomize = "PAVED_KUSTOMIZE"
)

const renderRepo = "registry.example.com/shop/frontend"

// upstreamFrontend is a Deployment as the Kubernetes guestbook example
// ships its frontend: indentless lists, an upstream image
// (gcr.io/google-samples/gb-frontend:v5), nothing paved wrote.
const upstreamFrontend = "testdata/upstream/frontend-deployment.yaml"

// renderConfig declares services on files as their projects ship them: a
// chart made by `helm create` (its template renders repository:tag), a chart
// that renders repository@digest when its digest value is set, a
// kustomization without images: over a Deployment running an upstream image,
// and that Deployment as a plain manifest.
const renderConfig = `environments:
  - name: dev
  - name: prod
services:
  chart:
    layout: helm
    path: charts/frontend
    image: ` + renderRepo + `
    helm: {file: "values-{env}.yaml"}
  pinned:
    layout: helm
    path: charts/pinned
    image: ` + renderRepo + `
    helm: {file: "values-{env}.yaml"}
  kust:
    layout: kustomize
    path: apps/frontend/{env}
    image: ` + renderRepo + `
    kustomize: {name: gcr.io/google-samples/gb-frontend}
  plain:
    layout: manifests
    path: manifests/frontend/{env}
    image: ` + renderRepo + `
    manifests: {container: php-redis}
`

// TestThreeBumpsRender bumps each service three times in a row to a new
// digest. After each bump, `helm template` and `kustomize build` (and a
// strict decode of the plain manifest) render exactly that digest, and git
// diff of the commit touches only the lines that pin it, and versions.yaml.
func TestThreeBumpsRender(t *testing.T) {
	helm, kustomize := tool(t, envHelm), tool(t, envKustomize)
	upstream, err := os.ReadFile(upstreamFrontend)
	require.NoError(t, err)
	files := map[string]string{ConfigFile: renderConfig}
	for name, data := range helmCreate(t, helm, "frontend") {
		files["charts/frontend/"+name] = data
	}
	for name, data := range digestChart {
		files["charts/pinned/"+name] = data
	}
	for _, env := range []string{"dev", "prod"} {
		files["charts/frontend/values-"+env+".yaml"] = files["charts/frontend/values.yaml"]
		files["charts/pinned/values-"+env+".yaml"] = digestChart["values.yaml"]
		files["apps/frontend/"+env+"/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n"
		files["apps/frontend/"+env+"/deployment.yaml"] = string(upstream)
		files["manifests/frontend/"+env+"/frontend-deployment.yaml"] = string(upstream)
	}
	url := newBareRemote(t, files)
	for i, seed := range []string{"a", "b", "c"} {
		ref := pushTo(t, renderRepo, seed)
		digest := imageDigest(seed)
		version := "v1.0." + seed
		for _, svc := range []string{"chart", "pinned", "kust", "plain"} {
			_, err := Bump(context.Background(), url, bumpReq(svc, "dev", ref, version), testOpts(t)...)
			require.NoError(t, err, "bump %d of %s", i+1, svc)
		}
		dir := gitClone(t, url)
		want := map[string]string{
			"chart":  renderRepo + ":" + version + "@" + digest, // the chart renders repository:tag
			"pinned": renderRepo + "@" + digest,                 // the chart renders repository@digest
			"kust":   renderRepo + "@" + digest,
			"plain":  renderRepo + "@" + digest,
		}
		require.Equal(t, []string{want["chart"]}, deploymentImages(t, runTool(t, helm, "template", "frontend", filepath.Join(dir, "charts/frontend"), "-f", filepath.Join(dir, "charts/frontend/values-dev.yaml"), "--skip-tests")), "helm template after bump %d", i+1)
		require.Equal(t, []string{want["pinned"]}, deploymentImages(t, runTool(t, helm, "template", "pinned", filepath.Join(dir, "charts/pinned"), "-f", filepath.Join(dir, "charts/pinned/values-dev.yaml"))), "helm template after bump %d", i+1)
		require.Equal(t, []string{want["kust"]}, deploymentImages(t, runTool(t, kustomize, "build", filepath.Join(dir, "apps/frontend/dev"))), "kustomize build after bump %d", i+1)
		plain, err := os.ReadFile(filepath.Join(dir, "manifests/frontend/dev/frontend-deployment.yaml"))
		require.NoError(t, err)
		require.Equal(t, []string{want["plain"]}, deploymentImages(t, string(plain)))

		// The commits of this round, newest first.
		for back, svc := range []string{"plain", "kust", "pinned", "chart"} {
			changed := gitDiff(t, dir, back)
			require.Equal(t, intended(svc, i, version, digest), changed, "git diff of the bump %d of %s", i+1, svc)
		}
	}
}

// intended returns the lines the i-th bump of svc may change, outside
// versions.yaml, as git diff --unified=0 writes them ("file: -old", "+new").
func intended(svc string, i int, version, digest string) []string {
	switch svc {
	case "chart":
		lines := []string{`charts/frontend/values-dev.yaml: +  tag: "` + version + "@" + digest + `"`}
		if i == 0 {
			lines = append([]string{"charts/frontend/values-dev.yaml: +  repository: " + renderRepo}, lines...)
		}
		return lines
	case "pinned":
		lines := []string{"charts/pinned/values-dev.yaml: +  digest: \"" + digest + "\"", "charts/pinned/values-dev.yaml: +  tag: \"" + version + "\""}
		if i == 0 {
			lines = append(lines, "charts/pinned/values-dev.yaml: +  repository: "+renderRepo)
		}
		sort.Strings(lines)
		return lines
	case "kust":
		if i == 0 {
			return []string{"apps/frontend/dev/kustomization.yaml: +  digest: " + digest, "apps/frontend/dev/kustomization.yaml: +  newName: " + renderRepo,
				"apps/frontend/dev/kustomization.yaml: +- name: gcr.io/google-samples/gb-frontend", "apps/frontend/dev/kustomization.yaml: +images:"}
		}
		return []string{"apps/frontend/dev/kustomization.yaml: +  digest: " + digest}
	}
	return []string{"manifests/frontend/dev/frontend-deployment.yaml: +        image: " + renderRepo + "@" + digest}
}

// digestChart is a chart in the style of charts that pin by digest when
// given one: {{ repository }}@{{ digest }}, else {{ repository }}:{{ tag }}.
var digestChart = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: pinned\nversion: 0.1.0\nappVersion: \"1.0\"\n",
	"values.yaml": "image:\n  repository: nginx\n  tag: \"1.27\"\n  # The digest wins over the tag when set.\n  digest: \"\"\n",
	"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: app
          {{- if .Values.image.digest }}
          image: "{{ .Values.image.repository }}@{{ .Values.image.digest }}"
          {{- else }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          {{- end }}
`,
}

// gitDiff returns the added lines of the commit back commits before HEAD
// outside versions.yaml, sorted, with `git diff --unified=0`; it fails when
// the commit changed any file but one manifest and versions.yaml, or
// removed more lines than it added.
func gitDiff(t *testing.T, dir string, back int) []string {
	t.Helper()
	rev := "HEAD~" + string(rune('0'+back))
	names := strings.Fields(runTool(t, "git", "-C", dir, "diff", "--name-only", rev+"~1", rev))
	require.Len(t, names, 2, "one manifest and versions.yaml: %v", names)
	require.Contains(t, names, VersionsFile)
	var added []string
	removed := 0
	for _, l := range strings.Split(runTool(t, "git", "-C", dir, "diff", "--unified=0", rev+"~1", rev, "--", ":!"+VersionsFile), "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			added = append(added, names[0]+": "+l)
		case strings.HasPrefix(l, "-"):
			removed++
		}
	}
	require.LessOrEqual(t, removed, len(added))
	sort.Strings(added)
	return added
}

// deploymentImages returns the container images of the Deployments in a
// multi-document YAML stream, each decoded strictly as apps/v1.
func deploymentImages(t *testing.T, stream string) []string {
	t.Helper()
	var out []string
	for _, doc := range strings.Split(stream, "\n---") {
		if !strings.Contains(doc, "kind: Deployment") {
			continue
		}
		var d appsv1.Deployment
		require.NoError(t, k8syaml.UnmarshalStrict([]byte(doc), &d))
		for _, c := range d.Spec.Template.Spec.Containers {
			out = append(out, c.Image)
		}
	}
	return out
}

// helmCreate returns the files of a new chart made by `helm create`.
func helmCreate(t *testing.T, helm, name string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	runTool(t, helm, "create", filepath.Join(dir, name))
	files := map[string]string{}
	root := filepath.Join(dir, name)
	require.NoError(t, filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	}))
	return files
}

// gitClone clones the bare remote with the git binary into a new directory.
func gitClone(t *testing.T, url string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gitops")
	_, err := git.PlainClone(dir, false, &git.CloneOptions{URL: url, ReferenceName: "refs/heads/main"})
	require.NoError(t, err)
	return dir
}

func tool(t *testing.T, env string) string {
	t.Helper()
	p := os.Getenv(env)
	require.NotEmpty(t, p, "%s is not set: run hack/deploy/render-test.sh (make render-test)", env)
	return p
}

// runTool runs a command with a private HOME (helm keeps its settings there)
// and returns its standard output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home, "XDG_DATA_HOME="+home)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), stderr)
	return string(out)
}
