package gossip_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/gossip/gossiptest"
	"github.com/edgeserve/edgeserve/internal/testutil"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// keyedNode starts a node on node i's loopback address that joins no one.
func keyedNode(t *testing.T, i int, keys ...[]byte) *gossip.Gossip {
	t.Helper()
	cfg := gossiptest.Config(i, "r0")
	cfg.Keys = keys
	g, err := gossip.New(cfg, gossip.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Shutdown() })
	return g
}

func alive(g *gossip.Gossip) int {
	n := 0
	for _, m := range g.Members() {
		if m.Health == gossip.Alive {
			n++
		}
	}
	return n
}

func TestGossipKeysFailClosed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   [][]byte
		joined bool
	}{
		{"same key", [][]byte{key(1)}, [][]byte{key(1)}, true},
		{"same keyring, other primary (a rotation)", [][]byte{key(1), key(2)}, [][]byte{key(2), key(1)}, true},
		{"different keys", [][]byte{key(1)}, [][]byte{key(2)}, false},
		{"keyed and plain", [][]byte{key(1)}, nil, false},
		{"plain and keyed", nil, [][]byte{key(1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := keyedNode(t, 0, tc.a...), keyedNode(t, 1, tc.b...)
			n, err := b.Join([]string{a.Addr()})
			if tc.joined {
				if err != nil || n != 1 {
					t.Fatalf("join: %d, %v", n, err)
				}
				testutil.Eventually(t, "both see two alive", func() bool { return alive(a) == 2 && alive(b) == 2 })
				return
			}
			if err == nil {
				t.Fatalf("join answered by %d members across mismatched keys", n)
			}
			// Nor does a's side learn of b (a join is one push/pull; give
			// any stray packet time to arrive).
			time.Sleep(300 * time.Millisecond)
			if alive(a) != 1 || alive(b) != 1 {
				t.Fatalf("members seen across mismatched keys: a sees %d alive, b %d", alive(a), alive(b))
			}
		})
	}
}
