package node

import "github.com/edgeserve/edgeserve/internal/netaddr"

// IsLoopback reports whether the host of addr ("host:port", or a bare
// host) can only be reached from this machine: "localhost", 127.0.0.0/8 or
// ::1. An empty host (":8001") listens on every interface, so it is not.
func IsLoopback(addr string) bool { return netaddr.IsLoopback(addr) }
