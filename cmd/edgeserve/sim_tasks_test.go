package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// TestImageClassificationFamily: the poster's 11 models with the zoo's
// names and top-5 accuracies.
func TestImageClassificationFamily(t *testing.T) {
	fam, err := imageClassificationFamily()
	if err != nil {
		t.Fatal(err)
	}
	if len(fam) != 11 {
		t.Fatalf("%d variants, want 11", len(fam))
	}
	acc := map[string]float64{}
	for _, v := range fam {
		acc[v.Name] = v.Accuracy
	}
	for name, want := range map[string]float64{"nasnet_large": 0.961, "mobilenet_v1_0.25": 0.741, "squeezenet1.1": 0.729, "inception_v3": 0.938} {
		if math.Abs(acc[name]-want) > 1e-9 {
			t.Fatalf("%s accuracy %v, want %v", name, acc[name], want)
		}
	}
	if _, ok := acc["resnet50"]; ok {
		t.Fatal("resnet50 has no poster profile, yet it is in the family")
	}
}

func TestParseBudgetRanges(t *testing.T) {
	got, err := parseBudgetRanges([]string{"1.5-3", "4-4"})
	if err != nil || len(got) != 2 || got[0] != (sim.BudgetRange{Lo: 1.5, Hi: 3}) || got[1] != (sim.BudgetRange{Lo: 4, Hi: 4}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "3", "3-2", "0-2", "-1-2", "a-b", "1-NaN", "1-Inf", "1-2-3"} {
		if _, err := parseBudgetRanges([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := parseBudgetRanges(nil); err == nil {
		t.Error("no range accepted")
	}
}

// TestSimTasksOnCSVTrace: every contender at one capacity per budget
// range, as JSON; the fixed contenders serve their one model.
func TestSimTasksOnCSVTrace(t *testing.T) {
	csvFile := filepath.Join(t.TempDir(), "tasks.csv")
	var b strings.Builder
	b.WriteString("time_ms,model\n")
	for i := range 200 {
		b.WriteString(strings.Join([]string{strconv.Itoa(i * 500), []string{"app-a", "app-b", "app-c"}[i%3]}, ",") + "\n")
	}
	if err := os.WriteFile(csvFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "sim", "tasks", "--trace", csvFile, "--capacities", "0.2", "--budgets", "1.5-3,4-16", "--json", "--parallel", "1")
	if err != nil {
		t.Fatal(err)
	}
	var res []sim.TaskResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON results: %v\n%s", err, out)
	}
	if len(res) != 2*len(taskContenderNames) {
		t.Fatalf("%d results, want %d", len(res), 2*len(taskContenderNames))
	}
	for _, r := range res {
		if r.Requests != 200 || (r.Budget != "1.5-3" && r.Budget != "4-16") {
			t.Fatalf("result %+v", r)
		}
		switch r.Contender {
		case conMostAcc:
			if r.Served["nasnet_large"] != 200 {
				t.Fatalf("most accurate served %v", r.Served)
			}
		case conFastest:
			if r.Served["mobilenet_v1_0.25"] != 200 {
				t.Fatalf("fastest served %v", r.Served)
			}
		}
	}
	for _, args := range [][]string{
		{"--budgets", "3-1"}, {"--contenders", "oracle"}, {"--policy", "fifo"}, {"--capacities", "0"}, {"--load-slots", "-1"},
	} {
		if _, err := runCLI(t, append([]string{"sim", "tasks", "--trace", csvFile}, args...)...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// FuzzParseBudgetRanges: --budgets never panics, and what it accepts is a
// usable range.
func FuzzParseBudgetRanges(f *testing.F) {
	for _, s := range []string{"1.5-3", "4-16", "3-2", "-", "1e308-1e309", "0x1p-2-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseBudgetRanges([]string{s})
		if err != nil {
			return
		}
		if r := got[0]; !(r.Lo > 0) || !(r.Hi >= r.Lo) || math.IsInf(r.Hi, 0) {
			t.Fatalf("%q accepted as %v", s, r)
		}
	})
}
