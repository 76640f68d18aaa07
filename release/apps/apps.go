package apps

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// File is the default location of the apps file, relative to the
// repository root.
const File = "release/apps.yaml"

// Kind and APIVersion identify an apps file.
const (
	APIVersion = "paved.dev/v1"
	Kind       = "ReferenceApps"
)

// Apps is the content of release/apps.yaml.
type Apps struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Bases      []Base   `yaml:"bases"`
	Fixtures   Fixtures `yaml:"fixtures"`
	Apps       []App    `yaml:"apps"`
}

// Base is an image the apps build on. Image is a repository path and tag
// without a registry (platform/static:1); Layout names the OCI image layout
// the harness pushes there, in the directory it is given.
type Base struct {
	Image  string `yaml:"image"`
	Layout string `yaml:"layout"`
}

// Fixtures are repository paths exported with every app at its commit:
// the platform policy its paved.yaml names and the GitOps fixture that
// seeds each run's GitOps remote.
type Fixtures struct {
	Policy string `yaml:"policy"`
	GitOps string `yaml:"gitops"`
}

// CI wrappers an app's repository runs paved through.
const (
	// GitHub is .github/workflows/paved.yml (the reusable workflow or the
	// composite action), run with act.
	GitHub = "github"
	// GitLab is .gitlab-ci.yml (the CI/CD component), run with
	// gitlab-ci-local.
	GitLab = "gitlab"
)

// App is one reference app.
type App struct {
	// Name is the app's name, as in its paved.yaml.
	Name string `yaml:"name"`
	// Path is the app's directory in the paved repository: the root of
	// the app's own repository, CI files included.
	Path string `yaml:"path"`
	// Commit is the paved-repository commit of the app's last green run.
	Commit string `yaml:"commit"`
	// CI is the wrapper the harness runs the app through, GitHub or
	// GitLab: the app's own CI file, with its own inputs.
	CI string `yaml:"ci"`
	// Quarantine, when set and not expired, keeps the app from blocking.
	Quarantine *Quarantine `yaml:"quarantine,omitempty"`
}

// Quarantine keeps an app from blocking a release until a date.
type Quarantine struct {
	Reason string `yaml:"reason"`
	// Until is the last day (UTC) the quarantine holds, as YYYY-MM-DD.
	Until string `yaml:"until"`
}

// Active reports whether the quarantine holds at now: through the end of
// its Until day, UTC.
func (q *Quarantine) Active(now time.Time) bool {
	if q == nil {
		return false
	}
	day, err := time.Parse(time.DateOnly, q.Until)
	return err == nil && now.UTC().Before(day.AddDate(0, 0, 1))
}

// ErrUnknownApp is returned by Select for a name that is not in the file.
var ErrUnknownApp = errors.New("unknown app")

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Load reads and parses the apps file at file.
func Load(file string) (*Apps, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading apps file %q: %w", file, err))
	}
	a, err := Parse(data)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing apps file %q: %w", file, err))
	}
	return a, nil
}

// Parse parses an apps file and checks its structure (not quarantine
// expiry, which depends on the day: see CheckQuarantines).
func Parse(data []byte) (*Apps, error) {
	var a Apps
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		return nil, err
	}
	if a.APIVersion != APIVersion || a.Kind != Kind {
		return nil, fmt.Errorf("want apiVersion %s and kind %s, got %q and %q", APIVersion, Kind, a.APIVersion, a.Kind)
	}
	if len(a.Apps) == 0 {
		return nil, errors.New("no apps: list the reference apps under apps:")
	}
	for _, b := range a.Bases {
		if b.Image == "" || b.Layout == "" || strings.Contains(b.Layout, "/") {
			return nil, fmt.Errorf("base %q: want image (REPO:TAG without registry) and layout (a directory name)", b.Image)
		}
	}
	seen := map[string]bool{}
	for _, app := range a.Apps {
		if err := app.check(); err != nil {
			return nil, err
		}
		if seen[app.Name] {
			return nil, fmt.Errorf("app %q is listed twice", app.Name)
		}
		seen[app.Name] = true
	}
	return &a, nil
}

func (app App) check() error {
	switch {
	case app.Name == "":
		return errors.New("an app without a name")
	case app.Path == "" || path.IsAbs(app.Path) || strings.HasPrefix(path.Clean(app.Path), ".."):
		return fmt.Errorf("app %q: path %q must be a directory inside the repository", app.Name, app.Path)
	case !commitRE.MatchString(app.Commit):
		return fmt.Errorf("app %q: commit %q must be a full 40-digit commit id (its last green run)", app.Name, app.Commit)
	case app.CI != GitHub && app.CI != GitLab:
		return fmt.Errorf("app %q: ci %q: want %s (its .github/workflows/paved.yml) or %s (its .gitlab-ci.yml)", app.Name, app.CI, GitHub, GitLab)
	}
	if q := app.Quarantine; q != nil {
		if strings.TrimSpace(q.Reason) == "" {
			return fmt.Errorf("app %q: a quarantine needs a reason", app.Name)
		}
		if _, err := time.Parse(time.DateOnly, q.Until); err != nil {
			return fmt.Errorf("app %q: quarantine until %q must be a date, YYYY-MM-DD", app.Name, q.Until)
		}
	}
	return nil
}

// MaxQuarantineDays is how far ahead a quarantine's until may be: a
// quarantine is a short excuse, renewed on purpose, not a way to drop an
// app from every release.
const MaxQuarantineDays = 30

// CheckQuarantines returns a bad-input error naming every app whose
// quarantine has expired at now or reaches more than MaxQuarantineDays
// ahead.
func (a *Apps) CheckQuarantines(now time.Time) error {
	var errs []error
	limit := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, MaxQuarantineDays)
	for _, app := range a.Apps {
		q := app.Quarantine
		if q == nil {
			continue
		}
		if !q.Active(now) {
			errs = append(errs, fmt.Errorf("app %q: quarantine (%s) expired on %s: renew it in %s with a new until date, or fix the app and remove it", app.Name, q.Reason, q.Until, File))
			continue
		}
		if day, _ := time.Parse(time.DateOnly, q.Until); day.After(limit) {
			errs = append(errs, fmt.Errorf("app %q: quarantine (%s) until %s is more than %d days ahead: set until to %s at the latest in %s and renew it when it expires", app.Name, q.Reason, q.Until, MaxQuarantineDays, limit.Format(time.DateOnly), File))
		}
	}
	if len(errs) > 0 {
		return failure.BadInputErr(errors.Join(errs...))
	}
	return nil
}

// Select returns the apps named, in the file's order; no names means all.
func (a *Apps) Select(names []string) ([]App, error) {
	if len(names) == 0 {
		return a.Apps, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []App
	for _, app := range a.Apps {
		if want[app.Name] {
			out = append(out, app)
			delete(want, app.Name)
		}
	}
	for n := range want {
		return nil, failure.BadInputErr(fmt.Errorf("selecting app %q: %w (apps in %s: %s)", n, ErrUnknownApp, File, strings.Join(a.names(), ", ")))
	}
	return out, nil
}

func (a *Apps) names() []string {
	var out []string
	for _, app := range a.Apps {
		out = append(out, app.Name)
	}
	return out
}
