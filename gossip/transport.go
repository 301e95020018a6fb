package gossip

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// DelayFunc is the one-way delay of a packet from one gossip address
// ("host:port") to another. Tests use it to give loopback a WAN's shape
// (there is no netem here); nil or 0 means no delay, and a negative delay
// (Cut) a link that is down both ways: packets to and from the other end
// are dropped and streams with it fail to open or are closed.
type DelayFunc func(from, to string) time.Duration

// Cut is the DelayFunc answer for a link that is down (a partition).
const Cut time.Duration = -1

// transport wraps memberlist's network transport: it counts the bytes the
// node sends (packets and streams) and, when given a DelayFunc, delays
// each packet and each new stream by the one-way delay to its destination,
// so the RTTs memberlist's probes measure are the matrix's.
type transport struct {
	memberlist.Transport
	self  string
	delay DelayFunc
	sent  *atomic.Uint64

	streamC   chan net.Conn           // fed by forwardStreams; never closed (memberlist does not expect it to be)
	packetC   chan *memberlist.Packet // fed by forwardPackets when there is a DelayFunc
	stop      chan struct{}
	closeOnce sync.Once
}

func newTransport(inner memberlist.Transport, self string, delay DelayFunc, sent *atomic.Uint64) *transport {
	t := &transport{Transport: inner, self: self, delay: delay, sent: sent,
		streamC: make(chan net.Conn), stop: make(chan struct{})}
	go t.forwardStreams()
	if delay != nil {
		t.packetC = make(chan *memberlist.Packet)
		go t.forwardPackets()
	}
	return t
}

func (t *transport) oneWay(to string) time.Duration {
	if t.delay == nil {
		return 0
	}
	return t.delay(t.self, to)
}

// WriteTo sends a packet, after the one-way delay when there is one. The
// time returned is the send call's, as memberlist's probes expect.
func (t *transport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.sent.Add(uint64(len(b)))
	d := t.oneWay(addr)
	if d < 0 {
		return time.Now(), nil // lost on the cut link, as UDP loses packets
	}
	if d == 0 {
		return t.Transport.WriteTo(b, addr)
	}
	buf := append([]byte(nil), b...)
	time.AfterFunc(d, func() {
		select {
		case <-t.stop:
		default:
			t.Transport.WriteTo(buf, addr) //nolint:errcheck // packets are best effort
		}
	})
	return time.Now(), nil
}

// DialTimeout opens a stream, after the one-way delay when there is one.
func (t *transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	d := t.oneWay(addr)
	if d < 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errCut}
	}
	if d > 0 {
		if d >= timeout {
			time.Sleep(timeout)
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errDelayTimeout}
		}
		time.Sleep(d)
		timeout -= d
	}
	c, err := t.Transport.DialTimeout(addr, timeout)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, sent: t.sent}, nil
}

// StreamCh hands memberlist the accepted streams, counted.
func (t *transport) StreamCh() <-chan net.Conn { return t.streamC }

// PacketCh hands memberlist the received packets, without those from the
// other end of a cut link.
func (t *transport) PacketCh() <-chan *memberlist.Packet {
	if t.packetC == nil {
		return t.Transport.PacketCh()
	}
	return t.packetC
}

// cutFrom reports whether the link with addr is cut.
func (t *transport) cutFrom(addr net.Addr) bool { return addr != nil && t.oneWay(addr.String()) < 0 }

func (t *transport) forwardPackets() {
	in := t.Transport.PacketCh()
	for {
		select {
		case p, ok := <-in:
			if !ok {
				return
			}
			if t.cutFrom(p.From) {
				continue
			}
			select {
			case t.packetC <- p:
			case <-t.stop:
				return
			}
		case <-t.stop:
			return
		}
	}
}

func (t *transport) forwardStreams() {
	in := t.Transport.StreamCh()
	for {
		select {
		case c, ok := <-in:
			if !ok {
				return
			}
			if t.cutFrom(c.RemoteAddr()) {
				c.Close()
				continue
			}
			select {
			case t.streamC <- countingConn{Conn: c, sent: t.sent}:
			case <-t.stop:
				c.Close()
				return
			}
		case <-t.stop:
			return
		}
	}
}

// Shutdown stops the inner transport first: its accept loop may be
// handing over a stream, which forwardStreams must still take (memberlist
// reads StreamCh until the transport is down), or the inner Shutdown waits
// for that loop forever.
func (t *transport) Shutdown() error {
	err := t.Transport.Shutdown()
	t.closeOnce.Do(func() { close(t.stop) })
	return err
}

type delayTimeoutError struct{}

func (delayTimeoutError) Error() string   { return "gossip: injected delay exceeds the dial timeout" }
func (delayTimeoutError) Timeout() bool   { return true }
func (delayTimeoutError) Temporary() bool { return true }

var errDelayTimeout = delayTimeoutError{}

type cutError struct{}

func (cutError) Error() string   { return "gossip: the link is cut (an injected partition)" }
func (cutError) Timeout() bool   { return false }
func (cutError) Temporary() bool { return true }

var errCut = cutError{}

// countingConn counts what is written to a stream.
type countingConn struct {
	net.Conn
	sent *atomic.Uint64
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.Add(uint64(n))
	return n, err
}
