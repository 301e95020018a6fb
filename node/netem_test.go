package node

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/internal/testutil"
)

func TestParseNetem(t *testing.T) {
	s, err := parseNetem([]byte(`{"gossip":[{"to":"127.0.0.5","delay_ms":20},{"to":"127.0.0.6:7946","cut":true}],
		"peers":{"127.0.0.5:8001":"127.0.0.1:20501"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for to, want := range map[string]time.Duration{"127.0.0.5:7946": 20 * time.Millisecond, "127.0.0.6:7946": gossip.Cut,
		"127.0.0.6:7947": 0, "127.0.0.7:7946": 0} {
		if got := s.delay(to); got != want {
			t.Errorf("delay to %s = %v, want %v", to, got, want)
		}
	}
	e := &netem{}
	e.spec.Store(s)
	if got := e.peerAddr("127.0.0.5:8001"); got != "127.0.0.1:20501" {
		t.Errorf("peer address rewritten to %s", got)
	}
	if got := e.peerAddr("127.0.0.9:8001"); got != "127.0.0.9:8001" {
		t.Errorf("an address not in the file rewritten to %s", got)
	}
}

func TestParseNetemRefusesBadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":            `{`,
		"unknown field":       `{"gossip":[{"to":"127.0.0.5","delay":20}]}`,
		"a private address":   `{"gossip":[{"to":"10.0.0.5","delay_ms":20}]}`,
		"a public host name":  `{"gossip":[{"to":"example.com","cut":true}]}`,
		"negative delay":      `{"gossip":[{"to":"127.0.0.5","delay_ms":-5}]}`,
		"delay over a minute": `{"gossip":[{"to":"127.0.0.5","delay_ms":60001}]}`,
		"peer off loopback":   `{"peers":{"127.0.0.5:8001":"192.168.1.1:8001"}}`,
		"peer without port":   `{"peers":{"127.0.0.5":"127.0.0.1:8001"}}`,
		"trailing data":       `{} {}`,
	} {
		if _, err := parseNetem([]byte(body)); err == nil || !strings.Contains(err.Error(), "test netem file") {
			t.Errorf("%s: %v, want an error", name, err)
		}
	}
	if _, err := parseNetem(make([]byte, maxNetemBytes+1)); err == nil {
		t.Error("an oversized file was accepted")
	}
}

// TestNetemRefusedOffLoopback: the rule is checked before anything binds.
func TestNetemRefusedOffLoopback(t *testing.T) {
	c := DefaultClusterConfig()
	c.Region, c.GossipAddr, c.TestNetemFile, c.InsecureCluster = "eu", "0.0.0.0:7946", "netem.json", true
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("validate: %v", err)
	}
}

// TestNetemPartitionsALiveNode: rewriting running nodes' netem files cuts
// their gossip, so both see each other failed, and the heal brings them
// back; a file that does not decode leaves the last one in force.
func TestNetemPartitionsALiveNode(t *testing.T) {
	dir := t.TempDir()
	files := netemFiles{"127.0.3.31": filepath.Join(dir, "a.json"), "127.0.3.32": filepath.Join(dir, "b.json")}
	write := func(body string) { // both ends cut: a stream's source address on loopback need not be its node's
		t.Helper()
		files.write(t, "127.0.3.31", strings.ReplaceAll(body, "PEER", "127.0.3.32"))
		files.write(t, "127.0.3.32", strings.ReplaceAll(body, "PEER", "127.0.3.31"))
	}
	write(`{}`)
	a := clusterNodeWith(t, "a", "127.0.3.31", func(c *Config, _ *Deps) { c.Cluster.TestNetemFile = files["127.0.3.31"] })
	b := clusterNodeWith(t, "b", "127.0.3.32", func(c *Config, _ *Deps) { c.Cluster.TestNetemFile = files["127.0.3.32"] }, a.cluster.g.Addr())
	health := func(from *testNode, name string) gossip.Health {
		for _, m := range from.cluster.g.Members() {
			if m.Name == name {
				return m.Health
			}
		}
		return ""
	}
	testutil.Eventually(t, "a and b see each other", func() bool { return health(a, "b") == gossip.Alive && health(b, "a") == gossip.Alive })
	write(`{"gossip":[{"to":"PEER","cut":true}]}`)
	testutil.Eventually(t, "b declares the cut-off a failed", func() bool { return health(b, "a") == gossip.Failed })
	files.write(t, "127.0.3.31", `{"gossip":`) // broken: the cuts stay
	files.write(t, "127.0.3.32", `{"gossip":`)
	time.Sleep(500 * time.Millisecond)
	if h := health(b, "a"); h != gossip.Failed {
		t.Fatalf("a broken file lifted the cut: b sees a %s", h)
	}
	write(`{}`)
	testutil.Eventually(t, "after the heal b sees a alive", func() bool { return health(b, "a") == gossip.Alive })
}

func FuzzParseNetem(f *testing.F) {
	f.Add([]byte(`{"gossip":[{"to":"127.0.0.5","delay_ms":20}],"peers":{"127.0.0.5:8001":"127.0.0.1:1"}}`))
	f.Add([]byte(`{"gossip":[{"to":"::1","cut":true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseNetem(data)
		if err != nil {
			return
		}
		for to := range s.links {
			if d := s.delay(to); d != gossip.Cut && (d < 0 || d > time.Minute) {
				t.Fatalf("delay to %s out of bounds: %v", to, d)
			}
		}
	})
}
