package main

import (
	"testing"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// TestSimMapping: --azure traces share the profiled models by default,
// other traces keep a model per trace model, and --mapping overrides both.
func TestSimMapping(t *testing.T) {
	set := []profile.Model{{Name: "A", SizeBytes: 1}, {Name: "B", SizeBytes: 2}}
	fns := &trace.Trace{Models: []string{"f0", "f1", "f2"}, Requests: []trace.Request{{Model: 0}, {Model: 2}}}
	named := &trace.Trace{Models: []string{"B"}, Requests: []trace.Request{{Model: 0}}}
	tests := []struct {
		name, mapping, azure string
		tr                   *trace.Trace
		models               int
	}{
		{"azure default", "auto", "dir", fns, 2},
		{"csv default", "auto", "", fns, 3},
		{"names match", "auto", "dir", named, 1},
		{"shared", "shared", "", fns, 2},
		{"per-function", "per-function", "dir", fns, 3},
		{"round-robin alias", "round-robin", "dir", fns, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := workloadFlags{mapping: tc.mapping, mappingSeed: 1}
			f.azure = tc.azure
			w, err := f.mapTrace(tc.tr, set)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Models) != tc.models {
				t.Fatalf("%d models, want %d", len(w.Models), tc.models)
			}
		})
	}
	if _, err := (&workloadFlags{mapping: "zigzag"}).mapTrace(fns, set); err == nil {
		t.Fatal("unknown mapping accepted")
	}
}
