package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// Suffixes of a policy name that choose the form Online replays it in. A
// plain name is the policy's own form (policy.New): what it declines to
// cache is served from a transient load that takes no room.
const (
	// ServingSuffix: the form of a node that must hold what it serves
	// (policy.NewServing: no admission control, no forwarding).
	ServingSuffix = "-serving"
	// ForwardSuffix: the policy's own form, what it turns away forwarded
	// to a peer (Options.Forward without the hot rule).
	ForwardSuffix = "-forward"
	// NodeSuffix: what the node runs: the serving form, and the router
	// forwarding the loads the node's hot rule declines (Options.Forward
	// with NodeHotWindow).
	NodeSuffix = "-node"
)

// DefaultForward is the peer a forwarding form assumes when Options has
// none: 5 ms away.
func DefaultForward() Forward { return Forward{RTT: 5 * time.Millisecond} }

// Online replays the online policy name, in the form its suffix names,
// over w at capBytes. opts.Forward sets the peer of the forwarding forms
// (DefaultForward when nil) and is ignored by the others.
func Online(name string, w *Workload, capBytes int64, opts Options) (Result, error) {
	base, form := splitForm(name)
	build := policy.New
	if form == ServingSuffix || form == NodeSuffix {
		build = policy.NewServing
	}
	p, err := build(base, w.Entries())
	if err != nil {
		return Result{}, fmt.Errorf("sim: %w", err)
	}
	opts.Forward = forwardFor(form, opts.Forward)
	return Run(w, p, capBytes, opts), nil
}

// IsOnline reports whether name is a registered policy, with or without a
// form suffix.
func IsOnline(name string) bool {
	base, _ := splitForm(name)
	for _, n := range policy.Names() {
		if n == base {
			return true
		}
	}
	return false
}

// splitForm cuts a form suffix off name ("" for the plain form).
func splitForm(name string) (base, form string) {
	for _, s := range []string{ServingSuffix, ForwardSuffix, NodeSuffix} {
		if b, ok := strings.CutSuffix(name, s); ok {
			return b, s
		}
	}
	return name, ""
}

// forwardFor is the Forward a form replays with.
func forwardFor(form string, peer *Forward) *Forward {
	if form != ForwardSuffix && form != NodeSuffix {
		return nil
	}
	f := DefaultForward()
	if peer != nil {
		f = *peer
	}
	f.HotWindow = 0
	if form == NodeSuffix {
		f.HotWindow = NodeHotWindow
	}
	return &f
}
