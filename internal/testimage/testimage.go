package testimage

import (
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Paths inside the image where New puts its contents.
const (
	// GoBinaryPath is the Go binary built from the test's main package.
	GoBinaryPath = "/app/server"
	// DpkgStatusPath is the dpkg status database.
	DpkgStatusPath = "/var/lib/dpkg/status"
	// PythonSitePackages is where Python distributions are installed.
	PythonSitePackages = "/usr/lib/python3/dist-packages"
	// NodeModules is where npm packages are installed.
	NodeModules = "/app/node_modules"
)

// DefaultXTextVersion is the golang.org/x/text version New uses when
// Options.XTextVersion is empty. It is the first release with the fix for
// CVE-2022-32149; VulnerableXTextVersion is the last release without it.
const (
	DefaultXTextVersion    = "v0.3.8"
	VulnerableXTextVersion = "v0.3.7"
)

// Package is a language package (Python or npm) by name and version.
type Package struct {
	Name    string
	Version string
}

// Options says what goes into an image. Nil slices take the defaults below;
// an empty, non-nil slice leaves that kind of package out.
type Options struct {
	// XTextVersion is the golang.org/x/text module version the Go binary is
	// built with, e.g. "v0.3.7". Empty means DefaultXTextVersion.
	XTextVersion string
	// NoGoBinary leaves the Go binary out (no compile needed).
	NoGoBinary bool
	// Debian lists the packages of the dpkg status file. Nil means
	// DefaultDebianPackages.
	Debian []DebianPackage
	// Python lists dist-info distributions. Nil means DefaultPythonPackages.
	Python []Package
	// NPM lists node_modules packages. Nil means DefaultNPMPackages.
	NPM []Package
	// DpkgFiles gives every Debian package files of its own, listed in
	// /var/lib/dpkg/info/NAME.list as on a real Debian system, so that SBOM
	// tools see packages that contain files.
	DpkgFiles bool
}

// DefaultPythonPackages is requests 2.31.0 (affected by CVE-2024-35195,
// fixed in 2.32.0).
var DefaultPythonPackages = []Package{{Name: "requests", Version: "2.31.0"}}

// DefaultNPMPackages is lodash 4.17.20 (affected by CVE-2021-23337, fixed in
// 4.17.21).
var DefaultNPMPackages = []Package{{Name: "lodash", Version: "4.17.20"}}

// epoch is the modification time of every file in every layer.
var epoch = time.Unix(0, 0).UTC()

// New builds an image from opts: a base layer (os-release, dpkg status), a
// layer of Python and npm packages, and a layer with the Go binary. Building
// the binary needs the go command; a failure fails tb.
func New(tb testing.TB, opts Options) v1.Image {
	tb.Helper()
	opts = opts.withDefaults()
	layers := [][]file{baseFiles(opts.Debian), languageFiles(opts.Python, opts.NPM)}
	if opts.DpkgFiles {
		layers[0] = append(layers[0], dpkgFiles(opts.Debian)...)
	}
	if !opts.NoGoBinary {
		bin := GoBinary(tb, opts.XTextVersion)
		layers = append(layers, []file{{path: GoBinaryPath, mode: 0o755, src: bin}})
	}
	img := empty.Image
	for _, files := range layers {
		layer, err := tarLayer(files)
		if err != nil {
			tb.Fatalf("testimage: making layer: %v", err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "paved testimage"}}); err != nil {
			tb.Fatalf("testimage: appending layer: %v", err)
		}
	}
	img, err := withConfig(img)
	if err != nil {
		tb.Fatalf("testimage: setting config: %v", err)
	}
	return img
}

func (o Options) withDefaults() Options {
	if o.XTextVersion == "" {
		o.XTextVersion = DefaultXTextVersion
	}
	if o.Debian == nil {
		o.Debian = DefaultDebianPackages
	}
	if o.Python == nil {
		o.Python = DefaultPythonPackages
	}
	if o.NPM == nil {
		o.NPM = DefaultNPMPackages
	}
	return o
}

func withConfig(img v1.Image) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = goarch()
	cf.OS = "linux"
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = []string{GoBinaryPath}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	return mutate.ConfigFile(img, cf)
}

// tarLayer makes a gzip layer from files.
func tarLayer(files []file) (v1.Layer, error) {
	data, err := tarFiles(files)
	if err != nil {
		return nil, err
	}
	l, err := tarball.LayerFromOpener(opener(data))
	if err != nil {
		return nil, err
	}
	return plainLayer{l}, nil
}

// plainLayer hides the tarball layer's Descriptor method, whose empty
// (non-nil) annotation map does not survive a manifest round trip and so
// fails validate.Image.
type plainLayer struct{ v1.Layer }
