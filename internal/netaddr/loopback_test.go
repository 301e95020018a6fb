package netaddr

import "testing"

func TestIsLoopback(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1:8001": true, "127.3.4.5:1": true, "localhost:8001": true, "LOCALHOST": true,
		"[::1]:8001": true, "::1": true, "[::ffff:127.0.0.1]:1": true,
		":8001": false, "0.0.0.0:8001": false, "192.0.2.1:8001": false, "example.com:8001": false,
		"localhost.example.com:1": false, "": false, "[::]:8001": false,
	}
	for addr, want := range cases {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
