package gossip

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/hashicorp/serf/coordinate"
)

// coords holds this node's Vivaldi coordinate client and the latest
// coordinate known for every other node (from a probe's ack, or from its
// gossiped state).
type coords struct {
	client *coordinate.Client

	mu     sync.Mutex
	others map[string]*coordinate.Coordinate // guarded by mu
}

func newCoords() (*coords, error) {
	c, err := coordinate.NewClient(coordinate.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("gossip: coordinates: %w", err)
	}
	return &coords{client: c, others: map[string]*coordinate.Coordinate{}}, nil
}

// observe updates this node's coordinate from one measured RTT to node.
func (c *coords) observe(node string, other *coordinate.Coordinate, rtt time.Duration) error {
	c.remember(node, other)
	if _, err := c.client.Update(node, other, rtt); err != nil {
		return fmt.Errorf("gossip: coordinate update from %s: %w", node, err)
	}
	return nil
}

func (c *coords) remember(node string, other *coordinate.Coordinate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.others[node] = other
}

func (c *coords) forget(node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.others, node)
	c.client.ForgetNode(node)
}

// rtt predicts the round-trip time to node; false while its coordinate is
// unknown.
func (c *coords) rtt(node string) (time.Duration, bool) {
	c.mu.Lock()
	other := c.others[node]
	c.mu.Unlock()
	if other == nil {
		return 0, false
	}
	if !c.client.GetCoordinate().IsCompatibleWith(other) {
		return 0, false
	}
	return c.client.DistanceTo(other), true
}

func (c *coords) self() *coordinate.Coordinate { return c.client.GetCoordinate() }

// toWire and fromWire convert between serf's coordinate and the payload.
func toWire(c *coordinate.Coordinate) *gossippb.Coordinate {
	return &gossippb.Coordinate{Vec: append([]float64(nil), c.Vec...), Error: c.Error, Adjustment: c.Adjustment, Height: c.Height}
}

func fromWire(w *gossippb.Coordinate) *coordinate.Coordinate {
	return &coordinate.Coordinate{Vec: append([]float64(nil), w.Vec...), Error: w.Error, Adjustment: w.Adjustment, Height: w.Height}
}

// dimensionality is the coordinates' (serf's default).
var dimensionality = coordinate.DefaultConfig().Dimensionality

// maxCoordinate bounds a coordinate's components, in seconds: far above
// any RTT (serf refuses RTTs over 10 s), yet low enough that no distance
// overflows a time.Duration (which would predict a negative RTT and put
// the member first in Holders).
const maxCoordinate = 1000.0

// checkCoordinate refuses a coordinate this node cannot use: the wrong
// number of dimensions, a component that is not finite or out of range,
// or a negative height (which could make a distance negative).
func checkCoordinate(w *gossippb.Coordinate) error {
	if uint(len(w.Vec)) != dimensionality {
		return fmt.Errorf("%w: coordinate of %d dimensions", errMalformed, len(w.Vec))
	}
	if !fromWire(w).IsValid() {
		return fmt.Errorf("%w: coordinate not finite", errMalformed)
	}
	if w.Height < 0 {
		return fmt.Errorf("%w: coordinate height %g", errMalformed, w.Height)
	}
	for _, x := range append([]float64{w.Error, w.Adjustment, w.Height}, w.Vec...) {
		if math.Abs(x) > maxCoordinate {
			return fmt.Errorf("%w: coordinate component %g out of range", errMalformed, x)
		}
	}
	return nil
}
