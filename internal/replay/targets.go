package replay

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Node is a node a replay may send requests to.
type Node struct {
	// Site is where the node is; requests of this site go to it. "" takes
	// only requests of sites without a node.
	Site string
	// Addr is its gRPC address, host:port.
	Addr string
}

// ParseNode reads a node given as "SITE=ADDR" or "ADDR" (ADDR is
// host:port, with a port in 1-65535).
func ParseNode(s string) (Node, error) {
	site, addr, hasSite := strings.Cut(s, "=")
	if !hasSite {
		site, addr = "", s
	}
	if hasSite && (site == "" || strings.ContainsAny(site, " \t\r\n")) {
		return Node{}, fmt.Errorf("replay: node %q: want SITE=ADDR with a site name without spaces", s)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || strings.ContainsAny(host, " \t\r\n=") {
		return Node{}, fmt.Errorf("replay: node %q: want SITE=ADDR or ADDR, ADDR as host:port", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return Node{}, fmt.Errorf("replay: node %q: port %q is not in 1-65535", s, port)
	}
	return Node{Site: site, Addr: addr}, nil
}

// targets says which node each request goes to: the nodes of its site in
// turn, or, for a site without a node, every node in turn. Only the
// dispatcher calls pick; candidates is safe for concurrent use.
type targets struct {
	nodes  []Node
	bySite map[string][]int
	// next is the turn of each site ("" for requests of sites without a
	// node), owned by the dispatcher.
	next map[string]int
}

func newTargets(nodes []Node) (*targets, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("replay: no node to send to")
	}
	t := &targets{nodes: nodes, bySite: map[string][]int{}, next: map[string]int{}}
	seen := map[string]bool{}
	for i, n := range nodes {
		if seen[n.Addr] {
			return nil, fmt.Errorf("replay: node %s is given twice", n.Addr)
		}
		seen[n.Addr] = true
		if n.Site != "" {
			t.bySite[n.Site] = append(t.bySite[n.Site], i)
		}
	}
	return t, nil
}

// pick returns the index of the node a request of site goes to first.
func (t *targets) pick(site string) int {
	own := t.bySite[site] // none for site ""
	if len(own) == 0 {
		site = ""
	}
	k := t.next[site]
	t.next[site] = k + 1
	if len(own) > 0 {
		return own[k%len(own)]
	}
	return k % len(t.nodes)
}

// candidates lists the nodes a request of site first sent to node first
// tries, in order: first, the other nodes of its site, then the rest. Each
// node appears once, so every retry goes to another node.
func (t *targets) candidates(site string, first int) []int {
	own := t.bySite[site]
	out := make([]int, 0, len(t.nodes))
	out = append(out, first)
	for _, i := range own {
		if i != first {
			out = append(out, i)
		}
	}
	for i := range t.nodes {
		if i != first && !slices.Contains(own, i) {
			out = append(out, i)
		}
	}
	return out
}
