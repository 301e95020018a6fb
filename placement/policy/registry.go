package policy

import (
	"fmt"
	"slices"
)

// constructors maps each registered name to its constructor with default
// settings. It is read-only after package initialisation.
var constructors = map[string]func([]Entry) (Policy, error){
	"lru":  func(m []Entry) (Policy, error) { return NewLRU(m) },
	"lfu":  func(m []Entry) (Policy, error) { return NewLFU(m) },
	"gdsf": func(m []Entry) (Policy, error) { return NewGDSF(m) },
	"cremebrulee": func(m []Entry) (Policy, error) {
		return NewCremeBrulee(DefaultCremeBruleeConfig(), m)
	},
	"cremebrulee-decay": func(m []Entry) (Policy, error) {
		return NewCremeBrulee(DecayedCremeBruleeConfig(), m)
	},
}

// edgeServeConfigs are EdgeServe's registered configurations: the default,
// the earlier constants, and the variants the cross-validation of
// docs/policies.md chooses among (cvVariantConfig).
var edgeServeConfigs = map[string]func() EdgeServeConfig{
	"edgeserve":           DefaultEdgeServeConfig,
	"edgeserve-fixed":     FixedEdgeServeConfig,
	"edgeserve-cv-long":   func() EdgeServeConfig { return cvVariantConfig("long") },
	"edgeserve-cv-wide":   func() EdgeServeConfig { return cvVariantConfig("wide") },
	"edgeserve-cv-noknap": func() EdgeServeConfig { return cvVariantConfig("noknap") },
}

func init() {
	for name, config := range edgeServeConfigs {
		constructors[name] = func(m []Entry) (Policy, error) { return newNamedEdgeServe(name, config(), m) }
	}
}

// Names lists the registered policies in a stable order.
func Names() []string {
	names := make([]string, 0, len(constructors))
	for n := range constructors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// New returns the named policy with its default settings over models,
// whose keys must be 0..len(models)-1.
func New(name string, models []Entry) (Policy, error) {
	c, ok := constructors[name]
	if !ok {
		return nil, fmt.Errorf("policy: %q (known: %v): %w", name, Names(), ErrUnknownPolicy)
	}
	return c(models)
}
