package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"time"

	"github.com/edgeserve/edgeserve/client"
)

// Config says where a replay sends and how.
type Config struct {
	// Nodes are the only nodes the replay connects to.
	Nodes []Node
	// Speed is trace time per wall-clock time: 1 replays in real time, 10
	// ten times faster, 0 sends as fast as Concurrency allows.
	Speed float64
	// Concurrency bounds the requests in flight.
	Concurrency int
	// Retries is how many other nodes a failed request is sent to, one
	// after another, before it counts as failed.
	Retries int
	// RequestTimeout bounds one attempt.
	RequestTimeout time.Duration
	// Batch is the size of the inputs' dynamic dimensions.
	Batch int64
	// Seed seeds the inputs' data: every request for a model carries the
	// same bytes.
	Seed uint64
	// Client holds the transport settings (TLS); its addresses, token and
	// dialer are set by the replay.
	Client client.Config
}

// DefaultConfig replays in real time with 16 requests in flight at most
// and one retry.
func DefaultConfig() Config {
	return Config{Speed: 1, Concurrency: 16, Retries: 1, RequestTimeout: time.Minute, Batch: 1, Seed: 1,
		Client: client.DefaultConfig()}
}

func (c Config) validate() error {
	switch {
	case len(c.Nodes) == 0:
		return errors.New("replay: no node to send to")
	case c.Speed < 0 || math.IsNaN(c.Speed) || math.IsInf(c.Speed, 0):
		return fmt.Errorf("replay: speed %v: want a finite number >= 0 (0: as fast as possible)", c.Speed)
	case c.Concurrency < 1:
		return fmt.Errorf("replay: concurrency %d: want at least 1", c.Concurrency)
	case c.Retries < 0:
		return fmt.Errorf("replay: retries %d: want at least 0", c.Retries)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("replay: request timeout %v: want a positive duration", c.RequestTimeout)
	case c.Batch < 1:
		return fmt.Errorf("replay: batch %d: want at least 1", c.Batch)
	}
	return nil
}

// due is when a request at trace time at is sent, from the replay's start.
func (c Config) due(at time.Duration) time.Duration {
	if c.Speed == 0 {
		return 0
	}
	return time.Duration(float64(at) / c.Speed)
}

// Deps are what a replay uses beyond its settings.
type Deps struct {
	// Dialer opens every connection (nil: TCP); see client.Config.Dialer.
	Dialer func(ctx context.Context, addr string) (net.Conn, error)
	// Progress, when not nil, is called with 1 as each request ends.
	Progress func(n int)
}
