package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// formSuffixes are the policy-name suffixes of sim.Online's forms.
var formSuffixes = []string{sim.ServingSuffix, sim.ForwardSuffix, sim.NodeSuffix}

// formsHelp explains the forms to the commands that take policy names.
const formsHelp = `A policy name alone runs the policy's own form: what it declines to cache
(admission control) is served from a transient load that takes no room.
Suffixes choose another form: "` + sim.ServingSuffix + `" must cache what it serves
(policy.NewServing); "` + sim.ForwardSuffix + `" forwards what it declines to a peer
holding a loaded copy (--forward-rtt-ms away), as placement/route ranks the
options; "` + sim.NodeSuffix + `" is what the node runs: the serving form, its router
forwarding a load that would evict a model used in the last 30 s.`

// forwardFlags describe the peer of the forwarding forms.
type forwardFlags struct {
	rttMs float64
	holds string
}

func (f *forwardFlags) register(fs *pflag.FlagSet) {
	fs.Float64Var(&f.rttMs, "forward-rtt-ms", 5, "forwarding forms: round trip to the peer, in ms")
	fs.StringVar(&f.holds, "forward-peer", "declined", "forwarding forms: what the peer holds loaded: declined (what this node turns away) or all (every model: the router forwards any miss whose load costs more than the round trip)")
}

// peer is the sim.Forward the flags describe.
func (f *forwardFlags) peer() (*sim.Forward, error) {
	if !(f.rttMs >= 0) || f.rttMs > 1e6 {
		return nil, fmt.Errorf("--forward-rtt-ms %v: want a round trip in ms, 0 to 1e6", f.rttMs)
	}
	fwd := &sim.Forward{RTT: time.Duration(f.rttMs * float64(time.Millisecond))}
	switch strings.ToLower(f.holds) {
	case "declined":
	case "all":
		fwd.PeerHoldsAll = true
	default:
		return nil, fmt.Errorf("--forward-peer %q: want declined or all", f.holds)
	}
	return fwd, nil
}
