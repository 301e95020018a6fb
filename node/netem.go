package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/internal/netaddr"
)

// A test-only network emulation for real node processes (there is no netem
// here): the file named by Cluster.TestNetemFile (the hidden flag
// --test-netem) delays or cuts this node's gossip to other nodes and
// sends its peer calls through other addresses (an end-to-end test's
// Toxiproxy proxies, which delay or cut the peer links). The node rereads
// the file while it runs, so a test can partition and heal a live
// cluster. Every address in it must be a loopback address, and a node
// whose gossip address is not on loopback refuses the flag.
//
//	{
//	  "gossip": [{"to": "127.0.0.5", "delay_ms": 20}, {"to": "127.0.0.6", "cut": true}],
//	  "peers": {"127.0.0.5:8001": "127.0.0.1:20501"}
//	}
//
// "to" is a gossip address's host, or host:port. "delay_ms" is the
// one-way delay of each packet and new stream; "cut" drops them. "peers"
// maps a peer's gRPC address to the address to dial instead (connections
// already open keep their address).

// netemSpec is the decoded file.
type netemSpec struct {
	Gossip []netemLink        `json:"gossip"`
	Peers  map[string]string  `json:"peers"`
	links  map[string]float64 // "to" -> one-way delay in ms, -1 for cut
}

type netemLink struct {
	To      string  `json:"to"`
	DelayMs float64 `json:"delay_ms"`
	Cut     bool    `json:"cut"`
}

// maxNetemBytes bounds the file.
const maxNetemBytes = 1 << 20

// errNetem wraps every problem with the file.
var errNetem = errors.New("node: test netem file")

// parseNetem decodes and checks a netem file: known fields only, loopback
// addresses only, delays between 0 and a minute.
func parseNetem(data []byte) (*netemSpec, error) {
	if len(data) > maxNetemBytes {
		return nil, fmt.Errorf("%w: over %d bytes", errNetem, maxNetemBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s netemSpec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", errNetem, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", errNetem)
	}
	s.links = make(map[string]float64, len(s.Gossip))
	for i, l := range s.Gossip {
		if !netaddr.IsLoopback(l.To) {
			return nil, fmt.Errorf("%w: gossip[%d]: %q is not a loopback address", errNetem, i, l.To)
		}
		if !(l.DelayMs >= 0 && l.DelayMs <= 60_000) {
			return nil, fmt.Errorf("%w: gossip[%d]: delay_ms %v must be between 0 and 60000", errNetem, i, l.DelayMs)
		}
		d := l.DelayMs
		if l.Cut {
			d = -1
		}
		s.links[l.To] = d
	}
	for from, to := range s.Peers {
		if !isLoopbackHostPort(from) || !isLoopbackHostPort(to) {
			return nil, fmt.Errorf("%w: peers: %q -> %q: both must be loopback host:port addresses", errNetem, from, to)
		}
	}
	return &s, nil
}

// delay is the one-way delay to a gossip address (gossip.Cut for a cut
// link).
func (s *netemSpec) delay(to string) time.Duration {
	d, ok := s.links[to]
	if !ok {
		host, _, err := net.SplitHostPort(to)
		if err != nil {
			return 0
		}
		if d, ok = s.links[host]; !ok {
			return 0
		}
	}
	if d < 0 {
		return gossip.Cut
	}
	return time.Duration(d * float64(time.Millisecond))
}

// netem follows the file: the spec in force, replaced when the file
// changes and decodes; a file that does not decode leaves the last one in
// force (and is logged).
type netem struct {
	path string
	spec atomic.Pointer[netemSpec]
	mod  time.Time
	size int64
	log  *zap.Logger
}

// newNetem reads the file once; it must exist and decode.
func newNetem(path string, log *zap.Logger) (*netem, error) {
	e := &netem{path: path, log: log}
	if err := e.reload(); err != nil {
		return nil, err
	}
	return e, nil
}

// reload reads the file again if it changed.
func (e *netem) reload() error {
	fi, err := os.Stat(e.path)
	if err != nil {
		return fmt.Errorf("%w: %v", errNetem, err)
	}
	if e.spec.Load() != nil && fi.ModTime().Equal(e.mod) && fi.Size() == e.size {
		return nil
	}
	data, err := os.ReadFile(e.path)
	if err != nil {
		return fmt.Errorf("%w: %v", errNetem, err)
	}
	s, err := parseNetem(data)
	if err != nil {
		return err
	}
	e.spec.Store(s)
	e.mod, e.size = fi.ModTime(), fi.Size()
	return nil
}

// follow rereads the file every interval until ctx ends.
func (e *netem) follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.reload(); err != nil {
				e.log.Warn("test netem: file not applied; the last one stays in force", zap.Error(err))
			}
		}
	}
}

// delayFunc is the gossip transport's delay.
func (e *netem) delayFunc(_, to string) time.Duration { return e.spec.Load().delay(to) }

// peerAddr is the address to dial for a peer's gRPC address.
func (e *netem) peerAddr(addr string) string {
	if to, ok := e.spec.Load().Peers[addr]; ok {
		return to
	}
	return addr
}

func isLoopbackHostPort(addr string) bool {
	_, _, err := net.SplitHostPort(addr)
	return err == nil && netaddr.IsLoopback(addr)
}
