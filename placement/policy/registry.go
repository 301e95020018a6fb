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
	"edgeserve":       func(m []Entry) (Policy, error) { return NewEdgeServe(DefaultEdgeServeConfig(), m) },
	"edgeserve-fixed": func(m []Entry) (Policy, error) { return newFixedEdgeServe(FixedEdgeServeConfig(), m) },
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
