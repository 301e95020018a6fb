package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// writeAzure writes an invocations file of the sample's layout under name
// in a new directory and returns the directory.
func writeAzure(t *testing.T, name, counts string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(counts), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSimFoldsAndReferences: --azure takes a directory whose only
// invocations file has another name and starts at a later minute;
// --minutes A-B keeps a fold of it; --references none replays the named
// policy alone, feasible adds lru and feasible, whose JSON names the
// schedule that won.
func TestSimFoldsAndReferences(t *testing.T) {
	counts := "HashFunction,HashApp,HashOwner,minute_721,minute_722,minute_723\n" +
		"f0,a,o,30,0,5\nf1,a,o,0,40,0\nf2,a,o,10,10,10\n"
	dir := writeAzure(t, "invocations-minutes-0721-1440.csv", counts)
	rows := func(args ...string) []sim.Row {
		t.Helper()
		out, err := runCLI(t, append([]string{"sim", "--azure", dir, "--profiles", "poster", "--capacities", "0.2", "--json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var rs []sim.Row
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			t.Fatalf("not JSON rows: %v\n%s", err, out)
		}
		return rs
	}
	alone := rows("--policies", "edgeserve", "--references", "none", "--minutes", "722-723")
	if len(alone) != 1 || alone[0].Policy != "edgeserve" || alone[0].Requests != 65 {
		t.Fatalf("edgeserve alone on minutes 722-723: %+v, want one row of 65 requests", alone)
	}
	with := rows("--policies", "edgeserve", "--references", "feasible", "--minutes", "721-721")
	names := []string{}
	for _, r := range with {
		names = append(names, r.Policy)
		if r.Requests != 40 {
			t.Fatalf("minute 721 only: %d requests, want 40", r.Requests)
		}
		if r.FeasibleBy == "" || strings.HasPrefix(r.FeasibleBy, "feasible") {
			t.Fatalf("row %s: FeasibleBy %q, want the winning schedule's name", r.Policy, r.FeasibleBy)
		}
	}
	if strings.Join(names, ",") != "edgeserve,lru,feasible" {
		t.Fatalf("--references feasible: rows %v", names)
	}
}

func TestSimFoldFlagsRejectBadInput(t *testing.T) {
	one := "HashFunction,HashApp,HashOwner,minute_1,minute_2\nf0,a,o,1,1\n"
	two := writeAzure(t, "invocations-a.csv", one)
	if err := os.WriteFile(filepath.Join(two, "invocations-b.csv"), []byte(one), 0o600); err != nil {
		t.Fatal(err)
	}
	good := writeAzure(t, "invocations-x.csv", one)
	tests := map[string][]string{
		"two files":        {"sim", "--azure", two},
		"empty directory":  {"sim", "--azure", t.TempDir()},
		"minutes reversed": {"sim", "--azure", good, "--minutes", "2-1"},
		"minutes zero":     {"sim", "--azure", good, "--minutes", "0-1"},
		"minutes text":     {"sim", "--azure", good, "--minutes", "a-b"},
		"minutes negative": {"sim", "--azure", good, "--minutes", "-3"},
		"minutes outside":  {"sim", "--azure", good, "--minutes", "5-6"},
		"bad references":   {"sim", "--azure", good, "--references", "some"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := runCLI(t, args...); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestParseMinutes(t *testing.T) {
	for in, want := range map[string][2]int{"": {0, 0}, "30": {0, 30}, "361-720": {361, 360}, "5-5": {5, 1}} {
		first, n, err := parseMinutes(in)
		if err != nil || first != want[0] || n != want[1] {
			t.Errorf("parseMinutes(%q) = %d, %d, %v; want %v", in, first, n, err, want)
		}
	}
	for _, in := range []string{"x", "1-", "-", "3-2", "0-4", "1-2-3", " 1-2"} {
		if _, _, err := parseMinutes(in); err == nil {
			t.Errorf("parseMinutes(%q) accepted", in)
		}
	}
}

func FuzzParseMinutes(f *testing.F) {
	for _, s := range []string{"", "30", "361-720", "3-2", "a-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, n, err := parseMinutes(s)
		if err == nil && (first < 0 || n < 0 || (first > 0 && n < 1)) {
			t.Fatalf("parseMinutes(%q) = %d, %d", s, first, n)
		}
	})
}
