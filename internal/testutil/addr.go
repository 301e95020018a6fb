package testutil

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address ("127.0.0.1:port") where nothing
// listens at the moment of the call: a port to start a server on, or one
// where a dial is refused.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
