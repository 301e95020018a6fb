package raftgroup

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// groupMarker is the first byte of a connection that carries one of the
// group's own requests. Raft's first byte is its RPC type (0 to 4 in
// hashicorp/raft v1.7), so the two never meet.
const groupMarker byte = 0xE5

// mux is the Raft port: raft.StreamLayer for Raft's transport, and the
// server of the group's own requests on the same listener. Every
// connection, both ways, is TLS when the group has certificates.
type mux struct {
	ln        net.Listener
	advertise net.Addr
	network   Network
	serverTLS *tls.Config
	clientTLS *tls.Config
	timeout   time.Duration // for a connection's first byte and handshake
	handle    func(net.Conn)
	log       *zap.Logger

	raftC chan net.Conn // owned by route: connections for Raft's Accept
	done  chan struct{} // closed by Close
	once  sync.Once
	wg    sync.WaitGroup

	mu     sync.Mutex            // guards active
	active map[net.Conn]struct{} // group requests being served; Close closes them
}

var _ raft.StreamLayer = (*mux)(nil)

// newMux listens on bind and serves; advertise "" is the address bound.
// handle serves a connection that carries one of the group's requests.
func newMux(network Network, bind, advertise string, serverTLS, clientTLS *tls.Config, timeout time.Duration, handle func(net.Conn), log *zap.Logger) (*mux, error) {
	if (serverTLS == nil) != (clientTLS == nil) {
		return nil, errors.New("raftgroup: TLS needs both a server and a client configuration")
	}
	ln, err := network.Listen(bind)
	if err != nil {
		return nil, fmt.Errorf("raftgroup: listen: %w", err)
	}
	if advertise == "" {
		advertise = ln.Addr().String()
	}
	addr, err := advertisable(advertise)
	if err != nil {
		ln.Close()
		return nil, err
	}
	m := &mux{ln: ln, advertise: addr, network: network, serverTLS: serverTLS, clientTLS: clientTLS,
		timeout: timeout, handle: handle, log: log, raftC: make(chan net.Conn), done: make(chan struct{}),
		active: map[net.Conn]struct{}{}}
	m.wg.Add(1)
	go m.serve()
	return m, nil
}

// advertisable resolves an address others can dial.
func advertisable(s string) (*net.TCPAddr, error) {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		return nil, fmt.Errorf("raftgroup: advertise address %q: %w", s, err)
	}
	if a.IP == nil || a.IP.IsUnspecified() || a.Port == 0 {
		return nil, fmt.Errorf("raftgroup: advertise address %q is not one others can dial", s)
	}
	return a, nil
}

// serve accepts connections until Close.
func (m *mux) serve() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			m.log.Warn("raft listener", zap.Error(err))
			time.Sleep(50 * time.Millisecond)
			continue
		}
		m.wg.Add(1)
		go m.route(c)
	}
}

// route reads a connection's first byte (after the TLS handshake) and
// gives the connection to the group's handler or to Raft.
func (m *mux) route(c net.Conn) {
	defer m.wg.Done()
	if m.serverTLS != nil {
		c = tls.Server(c, m.serverTLS)
	}
	first := make([]byte, 1)
	c.SetDeadline(time.Now().Add(m.timeout))
	if _, err := c.Read(first); err != nil {
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	if first[0] == groupMarker {
		if m.track(c) {
			m.handle(c)
			m.untrack(c)
		}
		return
	}
	select {
	case m.raftC <- &prefixConn{Conn: c, first: first}:
	case <-m.done:
		c.Close()
	}
}

// track registers a group request being served; false (and the
// connection closed) once the mux is closed.
func (m *mux) track(c net.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.active == nil {
		c.Close()
		return false
	}
	m.active[c] = struct{}{}
	return true
}

func (m *mux) untrack(c net.Conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.active, c)
}

// Accept is Raft's next connection.
func (m *mux) Accept() (net.Conn, error) {
	select {
	case c := <-m.raftC:
		return c, nil
	case <-m.done:
		return nil, net.ErrClosed
	}
}

// Close stops listening; Raft's transport calls it when it closes.
func (m *mux) Close() error {
	m.once.Do(func() {
		close(m.done)
		m.ln.Close()
		m.mu.Lock()
		defer m.mu.Unlock()
		for c := range m.active {
			c.Close()
		}
		m.active = nil
	})
	return nil
}

// wait returns once every connection being routed has been handed on.
func (m *mux) wait() { m.wg.Wait() }

// Addr is the advertised address: Raft's transport names itself by it.
func (m *mux) Addr() net.Addr { return m.advertise }

// Dial is Raft's outgoing connection.
func (m *mux) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return m.dial(ctx, string(addr))
}

// dial connects to addr, through TLS when configured.
func (m *mux) dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := m.network.Dial(ctx, addr)
	if err != nil || m.clientTLS == nil {
		return c, err
	}
	cfg := m.clientTLS.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("raftgroup: tls to %s: %w", addr, err)
	}
	return tc, nil
}

// prefixConn gives back the byte route read.
type prefixConn struct {
	net.Conn
	first []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.first) > 0 && len(b) > 0 {
		n := copy(b, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
