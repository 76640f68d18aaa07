package candidate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// inherited are the variables a run keeps from the harness's environment:
// the tools' path, the shared Go and npm caches (so runs stay offline and
// cheap), the key's password and the locale. Everything else (CI tokens,
// registry credentials, a developer's settings) stays out of the runs.
var inherited = []string{
	"PATH", "GOEXPERIMENT", "COSIGN_PASSWORD",
	"GOCACHE", "GOMODCACHE", "GOENV", "GOPROXY", "GOFLAGS", "GONOSUMDB", "GOSUMDB", "GOTOOLCHAIN",
	"npm_config_cache", "NPM_OFFLINE", "LANG", "TZ", "TMPDIR",
}

// SharedCaches returns env with the Go build and module caches, the go env
// file and the npm cache named explicitly (GOCACHE, GOMODCACHE, GOENV,
// npm_config_cache),
// where they would be by default under env's HOME: each run gets its own
// HOME (IsolatedEnv) and must still find them.
func SharedCaches(env []string) []string {
	get := func(k string) string { return lookup(env, k) }
	out := slices.Clone(env)
	home := get("HOME")
	cache := get("XDG_CACHE_HOME")
	if cache == "" && home != "" {
		cache = filepath.Join(home, ".cache")
	}
	gopath := get("GOPATH")
	if gopath == "" && home != "" {
		gopath = filepath.Join(home, "go")
	}
	gopath, _, _ = strings.Cut(gopath, string(filepath.ListSeparator))
	config := get("XDG_CONFIG_HOME")
	if config == "" && home != "" {
		config = filepath.Join(home, ".config")
	}
	defaults := map[string]string{"GOCACHE": "", "GOMODCACHE": "", "GOENV": "", "npm_config_cache": ""}
	if config != "" {
		// go env -w settings (GOPROXY, GOFLAGS, …) live here.
		defaults["GOENV"] = filepath.Join(config, "go", "env")
	}
	if cache != "" {
		defaults["GOCACHE"] = filepath.Join(cache, "go-build")
	}
	if gopath != "" {
		defaults["GOMODCACHE"] = filepath.Join(gopath, "pkg", "mod")
	}
	if home != "" {
		defaults["npm_config_cache"] = filepath.Join(home, ".npm")
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOENV", "npm_config_cache"} {
		if get(k) == "" && defaults[k] != "" {
			out = append(out, k+"="+defaults[k])
		}
	}
	return out
}

// IsolatedEnv is the environment of one run in dir: the inherited
// variables of env, and a HOME and XDG directories of its own under dir.
func IsolatedEnv(env []string, dir string) ([]string, error) {
	home := filepath.Join(dir, "home")
	var out []string
	for _, k := range inherited {
		if v := lookup(env, k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	xdg := map[string]string{"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache"), "XDG_CONFIG_HOME": filepath.Join(home, ".config")}
	for _, k := range []string{"HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"} {
		if err := os.MkdirAll(xdg[k], 0o755); err != nil {
			return nil, err
		}
		out = append(out, k+"="+xdg[k])
	}
	return out, nil
}

// lookup returns the last value of k in env.
func lookup(env []string, k string) string {
	v := ""
	for _, e := range env {
		if name, val, ok := strings.Cut(e, "="); ok && name == k {
			v = val
		}
	}
	return v
}
