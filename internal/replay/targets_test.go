package replay

import (
	"slices"
	"strings"
	"testing"
)

func TestParseNode(t *testing.T) {
	good := map[string]Node{
		"eu-1=127.0.0.1:8001": {Site: "eu-1", Addr: "127.0.0.1:8001"},
		"127.0.0.2:8001":      {Addr: "127.0.0.2:8001"},
		"us=[::1]:9000":       {Site: "us", Addr: "[::1]:9000"},
		"a=node-3.edge:1":     {Site: "a", Addr: "node-3.edge:1"},
	}
	for in, want := range good {
		if got, err := ParseNode(in); err != nil || got != want {
			t.Errorf("ParseNode(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "=127.0.0.1:1", "eu=", "eu=127.0.0.1", "eu=127.0.0.1:0", "eu=127.0.0.1:65536",
		"eu=127.0.0.1:x", "e u=127.0.0.1:1", "eu=:8001", "a=b=127.0.0.1:1", "eu=127.0.0.1:1:2"} {
		if n, err := ParseNode(in); err == nil {
			t.Errorf("ParseNode(%q) = %+v, want an error", in, n)
		} else if !strings.HasPrefix(err.Error(), "replay: node ") {
			t.Errorf("ParseNode(%q): error %q does not name the node", in, err)
		}
	}
}

func FuzzParseNode(f *testing.F) {
	for _, s := range []string{"eu-1=127.0.0.1:8001", "127.0.0.1:1", "=", "a=[::1]:2", "a=b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNode(s)
		if err != nil {
			return
		}
		if n.Addr == "" || strings.ContainsAny(n.Site, "= \t\r\n") {
			t.Fatalf("ParseNode(%q) = %+v", s, n)
		}
		if again, err := ParseNode(n.Site + "=" + n.Addr); n.Site != "" && (err != nil || again != n) {
			t.Fatalf("%+v does not read back: %+v, %v", n, again, err)
		}
	})
}

// TestTargets: requests of a site go to its nodes in turn; requests of a
// site without a node go to every node in turn; a retry goes to the
// site's other nodes first, then the rest, each once.
func TestTargets(t *testing.T) {
	tg, err := newTargets([]Node{{"a", "h:1"}, {"b", "h:2"}, {"a", "h:3"}, {"", "h:4"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, site := range []string{"a", "a", "a", "b", "b", "zz", "zz", "zz", "zz", "zz", "", "a"} {
		got = append(got, tg.pick(site))
	}
	if want := []int{0, 2, 0, 1, 1, 0, 1, 2, 3, 0, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v", got, want)
	}
	for _, c := range []struct {
		site  string
		first int
		want  []int
	}{{"a", 2, []int{2, 0, 1, 3}}, {"b", 1, []int{1, 0, 2, 3}}, {"zz", 3, []int{3, 0, 1, 2}}} {
		if got := tg.candidates(c.site, c.first); !slices.Equal(got, c.want) {
			t.Errorf("candidates(%q, %d) = %v, want %v", c.site, c.first, got, c.want)
		}
	}
	if _, err := newTargets([]Node{{"a", "h:1"}, {"b", "h:1"}}); err == nil {
		t.Fatal("an address given twice was accepted")
	}
	if _, err := newTargets(nil); err == nil {
		t.Fatal("no nodes was accepted")
	}
}
