package raftgroup

import (
	"context"
	"net"
)

// Network is how the group listens and dials. The default is TCP; tests
// put faults in between (a partitioned node).
type Network interface {
	Listen(addr string) (net.Listener, error)
	Dial(ctx context.Context, addr string) (net.Conn, error)
}

// TCP is the plain TCP network.
type TCP struct{}

// Listen listens on addr.
func (TCP) Listen(addr string) (net.Listener, error) {
	return (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
}

// Dial dials addr.
func (TCP) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
}
