package replay

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// msd is the test's shorthand for a number of milliseconds.
func msd(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// smallTrace: five requests over models m0, m1 at sites s0, s1.
func smallTrace() *trace.Trace {
	return &trace.Trace{Models: []string{"m0", "m1"}, Sites: []string{"s0", "s1"}, Requests: []trace.Request{
		{Time: msd(0), Model: 0, Site: 0}, {Time: msd(10), Model: 1, Site: 1}, {Time: msd(20), Model: 0, Site: 1},
		{Time: msd(30), Model: 1, Site: 0}, {Time: msd(40), Model: 0, Site: 0}}}
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name               string
		start, length, max time.Duration
		want               []time.Duration
	}{
		{"all", 0, 0, 0, []time.Duration{0, msd(10), msd(20), msd(30), msd(40)}},
		{"from 10ms, shifted", msd(10), 0, 0, []time.Duration{0, msd(10), msd(20), msd(30)}},
		{"[10ms, 30ms)", msd(10), msd(20), 0, []time.Duration{0, msd(10)}},
		{"at most 3", 0, 0, 3, []time.Duration{0, msd(10), msd(20)}},
		{"after the end", msd(41), 0, 0, nil},
		{"huge length", msd(40), time.Duration(1<<63 - 1), 0, []time.Duration{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Window(smallTrace(), tt.start, tt.length, int(tt.max))
			if err != nil {
				t.Fatal(err)
			}
			var got []time.Duration
			for _, r := range w.Requests {
				got = append(got, r.Time)
			}
			if !slices.Equal(got, tt.want) || len(w.Models) != 2 || len(w.Sites) != 2 {
				t.Fatalf("times %v (models %v, sites %v), want %v", got, w.Models, w.Sites, tt.want)
			}
		})
	}
	if _, err := Window(smallTrace(), -1, 0, 0); err == nil {
		t.Fatal("a negative start was accepted")
	}
	if _, err := Window(smallTrace(), 0, 0, -1); err == nil {
		t.Fatal("a negative count was accepted")
	}
}

// TestPlanKeepsSites: requests name their model and site; a trace without
// sites gives "".
func TestPlanKeepsSites(t *testing.T) {
	tr := smallTrace()
	w, err := Map(tr, []string{"m0", "m1"}, MapName, 1)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := Plan(w, tr.Sites)
	if err != nil {
		t.Fatal(err)
	}
	want := []Request{{0, "m0", "s0"}, {msd(10), "m1", "s1"}, {msd(20), "m0", "s1"}, {msd(30), "m1", "s0"}, {msd(40), "m0", "s0"}}
	if !slices.Equal(reqs, want) {
		t.Fatalf("Plan = %v, want %v", reqs, want)
	}
	if got := Models(reqs); !slices.Equal(got, []string{"m0", "m1"}) {
		t.Fatalf("Models = %v", got)
	}
	noSites := &sim.Workload{Models: w.Models, Requests: []trace.Request{{Model: 1}}}
	if reqs, err := Plan(noSites, nil); err != nil || reqs[0].Site != "" || reqs[0].Model != "m1" {
		t.Fatalf("without sites: %v, %v", reqs, err)
	}
	for name, bad := range map[string]trace.Request{"model": {Model: 2}, "site": {Site: 2}, "negative site": {Site: -1}} {
		if _, err := Plan(&sim.Workload{Models: w.Models, Requests: []trace.Request{bad}}, tr.Sites); err == nil {
			t.Errorf("a request with a bad %s was planned", name)
		}
	}
}

// TestMap: name keeps the trace's models; shared deals them as the
// simulator does; auto picks name when every model is served; the
// per-function mapping is refused.
func TestMap(t *testing.T) {
	tr := smallTrace()
	served := []string{"alpha", "beta", "gamma"}
	w, err := Map(tr, served, MapShared, 7)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := sim.MapShared(tr, []profile.Model{{Name: "alpha"}, {Name: "beta"}, {Name: "gamma"}}, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range w.Requests {
		if got, want := w.Models[r.Model].Name, ref.Models[ref.Requests[i].Model].Name; got != want || r.Site != tr.Requests[i].Site {
			t.Fatalf("request %d: %s at site %d, want %s as sim.MapShared deals it", i, got, r.Site, want)
		}
	}
	if auto, err := Map(tr, served, MapAuto, 7); err != nil || !slices.Equal(names(auto), names(w)) {
		t.Fatalf("auto with unserved names = %v, %v; want the shared mapping", names(auto), err)
	}
	byName, err := Map(tr, []string{"m1", "m0", "x"}, MapAuto, 7)
	if err != nil || !slices.Equal(names(byName), []string{"m0", "m1", "m0", "m1", "m0"}) {
		t.Fatalf("auto with served names = %v, %v; want them by name", names(byName), err)
	}
	if _, err := Map(tr, served, MapName, 1); !errors.Is(err, sim.ErrMapping) {
		t.Fatalf("name with unserved names = %v, want sim.ErrMapping", err)
	}
	if _, err := Map(tr, served, "per-function", 1); err == nil {
		t.Fatal("the per-function mapping was accepted")
	}
}

// names lists the model of each request of w.
func names(w *sim.Workload) []string {
	out := make([]string, len(w.Requests))
	for i, r := range w.Requests {
		out[i] = w.Models[r.Model].Name
	}
	return out
}
