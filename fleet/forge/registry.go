package forge

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/pipelines/failure"
)

// Client is what a registered forge gives paved: repository discovery for
// fleet.yaml's discover entries and the bump changes of a campaign's
// --forge.
type Client interface {
	fleet.Forge
	fleet.Changes
}

// Config is how a registered forge is reached.
type Config struct {
	// Token authenticates every call; it never appears in an error.
	Token string
	// BaseURL is the API's base URL: "" means the forge's default, and is
	// bad input for a forge that has none (a self-hosted one).
	BaseURL string
	// Options are passed on to the forge's API client.
	Options []Option
}

// APIOptions returns Options, after WithBaseURL(BaseURL) when BaseURL is
// set.
func (c Config) APIOptions() []Option {
	if c.BaseURL == "" {
		return c.Options
	}
	return append([]Option{WithBaseURL(c.BaseURL)}, c.Options...)
}

// Constructor returns a forge's client for cfg.
type Constructor func(cfg Config) (Client, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Constructor{}
)

// Register adds the forge name, the word fleet.yaml's discover entries and
// a campaign's --forge use, from its package's init: a new forge is one
// package and one Register line. Registering a name twice panics.
func Register(name string, c Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup || name == "" || c == nil {
		panic(fmt.Sprintf("forge: registering forge %q twice, or with no name or constructor", name))
	}
	registry[name] = c
}

// Names returns the registered forge names, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Known returns nil when name is a registered forge, else bad input that
// lists the registered names.
func Known(name string) error {
	registryMu.RLock()
	_, ok := registry[name]
	registryMu.RUnlock()
	if ok {
		return nil
	}
	return failure.BadInputErr(fmt.Errorf("unknown forge %q: use %s", name, list(Names())))
}

// New returns the client of the registered forge name for cfg; an unknown
// name is Known's error.
func New(name string, cfg Config) (Client, error) {
	if err := Known(name); err != nil {
		return nil, err
	}
	registryMu.RLock()
	c := registry[name]
	registryMu.RUnlock()
	return c(cfg)
}

// list joins names as "a, b or c".
func list(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
