package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"

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
