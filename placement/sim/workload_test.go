package sim

import (
	"errors"
	"testing"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

func TestWorkloadValidate(t *testing.T) {
	two := []profile.Model{model("A", 1, 0), model("B", 2, 0)}
	tests := map[string]*Workload{
		"unknown model":  {Models: two, Requests: []trace.Request{{Model: 2}}},
		"negative model": {Models: two, Requests: []trace.Request{{Model: -1}}},
		"out of order":   {Models: two, Requests: reqs(5, 0, 4, 1)},
		"negative time":  {Models: two, Requests: []trace.Request{{Time: -1}}},
		"negative size":  {Models: []profile.Model{model("A", -1, 0)}},
		"negative load":  {Models: []profile.Model{model("A", 1, -1)}},
	}
	for name, w := range tests {
		t.Run(name, func(t *testing.T) {
			if err := w.Validate(); !errors.Is(err, ErrInvalidWorkload) {
				t.Fatalf("err = %v, want ErrInvalidWorkload", err)
			}
		})
	}
	ok := &Workload{Models: two, Requests: reqs(0, 0, 0, 1, 3, 0)}
	if err := ok.Validate(); err != nil || ok.TotalBytes() != 3 {
		t.Fatalf("valid workload: %v, %d bytes", err, ok.TotalBytes())
	}
}
