// Package e2e runs the built binaries as an operator would: several
// edgeserve-node processes on 127.0.0.x, driven by the edgeserve CLI.
// Every address is a loopback address.
package e2e
