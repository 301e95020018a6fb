package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/edgeserve/edgeserve/gossip"
	"github.com/edgeserve/edgeserve/internal/netaddr"
	"github.com/edgeserve/edgeserve/placement/raftgroup"
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
// one-way delay of each packet and new stream; "cut" drops them both ways
// and cuts the Raft connections with that host too. Cut a link in both
// ends' files: on loopback a connection's source address need not be its
// node's, so a node cannot always tell who opened a stream. "peers"
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
	// onReload runs after a new spec is in force (set before follow).
	onReload func()
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
	if e.onReload != nil {
		e.onReload()
	}
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

// raftNetwork is the Raft group's network under the netem file: dials to
// a cut host fail, connections from one are closed as they are accepted,
// and a reload that cuts a host closes the connections open with it, so
// a cut partitions Raft as it does gossip. Delays are not applied to Raft.
type raftNetwork struct {
	e     *netem
	inner raftgroup.Network
	mu    sync.Mutex
	conns map[net.Conn]string // open connections -> remote host
}

func (e *netem) raftNetwork() *raftNetwork {
	rn := &raftNetwork{e: e, inner: raftgroup.TCP{}, conns: map[net.Conn]string{}}
	e.onReload = rn.closeCut
	return rn
}

func (e *netem) cut(host string) bool {
	return e.spec.Load().delay(net.JoinHostPort(host, "0")) == gossip.Cut
}

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func (rn *raftNetwork) Dial(ctx context.Context, addr string) (net.Conn, error) {
	host := hostOf(addr)
	if rn.e.cut(host) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("netem: the link is cut")}
	}
	c, err := rn.inner.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return rn.track(c, host), nil
}

func (rn *raftNetwork) Listen(addr string) (net.Listener, error) {
	l, err := rn.inner.Listen(addr)
	if err != nil {
		return nil, err
	}
	return netemListener{Listener: l, rn: rn}, nil
}

type netemListener struct {
	net.Listener
	rn *raftNetwork
}

func (l netemListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := hostOf(c.RemoteAddr().String())
		if l.rn.e.cut(host) {
			c.Close()
			continue
		}
		return l.rn.track(c, host), nil
	}
}

// trackedConn forgets itself when closed.
type trackedConn struct {
	net.Conn
	rn *raftNetwork
}

func (c trackedConn) Close() error {
	c.rn.mu.Lock()
	delete(c.rn.conns, c.Conn)
	c.rn.mu.Unlock()
	return c.Conn.Close()
}

func (rn *raftNetwork) track(c net.Conn, host string) net.Conn {
	rn.mu.Lock()
	rn.conns[c] = host
	rn.mu.Unlock()
	return trackedConn{Conn: c, rn: rn}
}

// closeCut closes the open connections with hosts that are now cut.
func (rn *raftNetwork) closeCut() {
	rn.mu.Lock()
	var doomed []net.Conn
	for c, host := range rn.conns {
		if rn.e.cut(host) {
			doomed = append(doomed, c)
			delete(rn.conns, c)
		}
	}
	rn.mu.Unlock()
	for _, c := range doomed {
		c.Close()
	}
}
