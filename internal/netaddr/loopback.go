// Package netaddr holds the address rules that the node and its clients
// share.
package netaddr

import (
	"net"
	"net/netip"
	"strings"
)

// IsLoopback reports whether the host of addr ("host:port", or a bare
// host) can only be reached from this machine: "localhost", 127.0.0.0/8 or
// ::1. An empty host (":8001") listens on every interface, so it is not.
func IsLoopback(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
