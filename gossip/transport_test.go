package gossip

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// Streams that arrive while memberlist is busy are still queued in the
// inner transport's accept loop when the node shuts down; Shutdown must
// not wait for that loop forever.
func TestTransportShutdownWithStreamsInFlight(t *testing.T) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Uint64
	tr := newTransport(nt, "127.0.0.1:0", nil, &sent)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(nt.GetAutoBindPort()))
	for range 3 { // one with forwardStreams, one in the accept loop, one in the backlog
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(100 * time.Millisecond) // let the accept loop take them
	done := make(chan struct{})
	go func() { tr.Shutdown(); close(done) }()
	// memberlist, busy until now, reads the streams until its transport
	// is down.
	time.Sleep(100 * time.Millisecond)
	go func() {
		for {
			select {
			case c := <-tr.StreamCh():
				c.Close()
			case <-done:
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown hangs: the inner accept loop is stuck handing over a stream")
	}
}
