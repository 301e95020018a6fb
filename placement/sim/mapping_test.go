package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/trace"
)

func TestMapRoundRobin(t *testing.T) {
	tr := &trace.Trace{Requests: reqs(0, 0, 1, 6)}
	for i := range 7 {
		tr.Models = append(tr.Models, fmt.Sprintf("fn%04d", i))
	}
	set := []profile.Model{model("A", 1, 1), model("B", 2, 2), model("C", 3, 3)}
	w, err := MapRoundRobin(tr, set, 42)
	if err != nil {
		t.Fatal(err)
	}
	perProfile := map[string]int{}
	for i, m := range w.Models {
		name, arch, _ := strings.Cut(m.Name, ":")
		if name != tr.Models[i] {
			t.Fatalf("model %d named %q, want prefix %q", i, m.Name, tr.Models[i])
		}
		perProfile[arch]++
		if want := set[arch[0]-'A']; m.SizeBytes != want.SizeBytes || m.LoadTime != want.LoadTime {
			t.Fatalf("model %s has costs %+v, want %+v", m.Name, m, want)
		}
	}
	if perProfile["A"] != 3 || perProfile["B"] != 2 || perProfile["C"] != 2 {
		t.Fatalf("profiles dealt %v, want 3/2/2", perProfile)
	}
	again, _ := MapRoundRobin(tr, set, 42)
	other, _ := MapRoundRobin(tr, set, 43)
	if fmt.Sprint(again.Models) != fmt.Sprint(w.Models) {
		t.Fatal("same seed, different mapping")
	}
	if fmt.Sprint(other.Models) == fmt.Sprint(w.Models) {
		t.Fatal("seeds 42 and 43 gave the same mapping")
	}
}

func TestMapByName(t *testing.T) {
	set := []profile.Model{model("A", 1, 1), model("B", 2, 2)}
	w, err := MapByName(&trace.Trace{Models: []string{"B", "A"}, Requests: reqs(0, 0, 1, 1)}, set)
	if err != nil || w.Models[0].SizeBytes != 2 || w.Models[1].SizeBytes != 1 {
		t.Fatalf("got %+v, %v", w, err)
	}
	if _, err := MapByName(&trace.Trace{Models: []string{"Z"}}, set); !errors.Is(err, ErrMapping) {
		t.Fatalf("unknown name: err = %v, want ErrMapping", err)
	}
	if _, err := MapRoundRobin(&trace.Trace{Models: []string{"Z"}}, nil, 1); !errors.Is(err, ErrMapping) {
		t.Fatalf("empty set: err = %v, want ErrMapping", err)
	}
}

// TestMapRoundRobinIgnoresNumbering maps the same models numbered in two
// orders (as the Azure converter and the CSV reader number them) and
// expects every name to get the same profile.
func TestMapRoundRobinIgnoresNumbering(t *testing.T) {
	var a, b trace.Trace
	for i := range 50 {
		a.Models = append(a.Models, fmt.Sprintf("fn%04d", i))
		b.Models = append(b.Models, fmt.Sprintf("fn%04d", 49-i))
	}
	set := []profile.Model{model("A", 1, 1), model("B", 2, 2), model("C", 3, 3)}
	wa, _ := MapRoundRobin(&a, set, 5)
	wb, _ := MapRoundRobin(&b, set, 5)
	for i := range 50 {
		if wa.Models[i].Name != wb.Models[49-i].Name {
			t.Fatalf("%s mapped to %s and %s", a.Models[i], wa.Models[i].Name, wb.Models[49-i].Name)
		}
	}
}

// TestMapShared maps 4 functions onto 2 profile models: each model gets
// two functions, every request keeps its time and follows its function,
// and with room for both models only the 2 first requests miss (with the
// per-function mapping, each of the 4 functions misses once).
func TestMapShared(t *testing.T) {
	tr := &trace.Trace{
		Models: []string{"fn0", "fn1", "fn2", "fn3"},
		// Each function twice: fn0 at 0 and 4 s, fn1 at 1 and 5 s...
		Requests: reqs(0, 0, 1000, 1, 2000, 2, 3000, 3, 4000, 0, 5000, 1, 6000, 2, 7000, 3),
	}
	set := []profile.Model{model("A", 1, 100*ms), model("B", 2, 200*ms)}
	w, err := MapShared(tr, set, 7)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(w.Models) != fmt.Sprint(set) {
		t.Fatalf("models %v, want the profile set %v", w.Models, set)
	}
	byFunction := map[int32]int32{}
	perModel := map[int32]map[int32]bool{0: {}, 1: {}}
	for i, r := range w.Requests {
		orig := tr.Requests[i]
		if r.Time != orig.Time {
			t.Fatalf("request %d moved from %v to %v", i, orig.Time, r.Time)
		}
		if m, ok := byFunction[orig.Model]; ok && m != r.Model {
			t.Fatalf("function %d mapped to models %d and %d", orig.Model, m, r.Model)
		}
		byFunction[orig.Model] = r.Model
		perModel[r.Model][orig.Model] = true
	}
	if len(perModel[0]) != 2 || len(perModel[1]) != 2 {
		t.Fatalf("functions per model %v, want two each", perModel)
	}
	for _, tc := range []struct {
		name   string
		mapper func(*trace.Trace, []profile.Model, uint64) (*Workload, error)
		hits   int
	}{{"shared", MapShared, 6}, {"per-function", MapRoundRobin, 4}} {
		w, err := tc.mapper(tr, set, 7)
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.NewLRU(w.Entries())
		if err != nil {
			t.Fatal(err)
		}
		if r := Run(w, p, w.TotalBytes(), Options{}); r.Hits != tc.hits {
			t.Errorf("%s: %d hits of 8 with room for all, want %d", tc.name, r.Hits, tc.hits)
		}
	}
	if _, err := MapShared(&trace.Trace{Models: []string{"fn0"}, Requests: reqs(0, 1)}, set, 1); !errors.Is(err, ErrInvalidWorkload) {
		t.Fatalf("request for an unknown function: err = %v, want ErrInvalidWorkload", err)
	}
	if _, err := MapShared(tr, nil, 1); !errors.Is(err, ErrMapping) {
		t.Fatalf("empty set: err = %v, want ErrMapping", err)
	}
}

// TestMapSharedAgreesWithPerFunction: both mappings deal the same profile
// to each function for a seed.
func TestMapSharedAgreesWithPerFunction(t *testing.T) {
	tr := &trace.Trace{}
	for i := range 30 {
		tr.Models = append(tr.Models, fmt.Sprintf("fn%04d", i))
		tr.Requests = append(tr.Requests, trace.Request{Time: time.Duration(i) * ms, Model: int32(i)})
	}
	set := []profile.Model{model("A", 1, 1), model("B", 2, 2), model("C", 3, 3)}
	shared, _ := MapShared(tr, set, 9)
	per, _ := MapRoundRobin(tr, set, 9)
	for i, r := range shared.Requests {
		if _, arch, _ := strings.Cut(per.Models[i].Name, ":"); set[r.Model].Name != arch {
			t.Fatalf("%s: shared %s, per-function %s", tr.Models[i], set[r.Model].Name, arch)
		}
	}
}
