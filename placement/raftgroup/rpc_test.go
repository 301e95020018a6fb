package raftgroup

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/internal/testutil"
	"github.com/edgeserve/edgeserve/placement/raftgroup/rpcpb"
	prom "github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
)

func frame(t testing.TB, m proto.Message) []byte {
	var b bytes.Buffer
	if err := writeFrame(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func rawFrame(version byte, body []byte) []byte {
	return append(binary.AppendUvarint([]byte{version}, uint64(len(body))), body...)
}

func promiseReq(servers ...*rpcpb.Server) *rpcpb.Request {
	return &rpcpb.Request{Body: &rpcpb.Request_Promise{Promise: &rpcpb.Promise{From: "a", Servers: servers}}}
}

func TestDecodeRequestMalformed(t *testing.T) {
	good := frame(t, promiseReq(&rpcpb.Server{Name: "a", Addr: "x:1"}))
	many := make([]*rpcpb.Server, maxServers+1)
	for i := range many {
		many[i] = &rpcpb.Server{Name: string(rune('A' + i)), Addr: "x:1"}
	}
	for name, b := range map[string][]byte{
		"empty":            {},
		"version":          append([]byte{rpcVersion + 1}, good[1:]...),
		"no length":        {rpcVersion},
		"huge length":      binary.AppendUvarint([]byte{rpcVersion}, maxFrameBytes+1),
		"truncated":        good[:len(good)-2],
		"not protobuf":     rawFrame(rpcVersion, []byte{0x0a, 0x7f}),
		"no body":          frame(t, &rpcpb.Request{}),
		"promise from -":   frame(t, &rpcpb.Request{Body: &rpcpb.Request_Promise{Promise: &rpcpb.Promise{}}}),
		"server unnamed":   frame(t, promiseReq(&rpcpb.Server{Addr: "x:1"})),
		"server no addr":   frame(t, promiseReq(&rpcpb.Server{Name: "a"})),
		"servers unsorted": frame(t, promiseReq(&rpcpb.Server{Name: "b", Addr: "x:1"}, &rpcpb.Server{Name: "a", Addr: "x:1"})),
		"server twice":     frame(t, promiseReq(&rpcpb.Server{Name: "a", Addr: "x:1"}, &rpcpb.Server{Name: "a", Addr: "x:2"})),
		"too many servers": frame(t, promiseReq(many...)),
		"handover of -":    frame(t, &rpcpb.Request{Body: &rpcpb.Request_Handover{Handover: &rpcpb.Handover{}}}),
	} {
		if _, err := decodeRequest(bufio.NewReader(bytes.NewReader(b))); err == nil {
			t.Errorf("%s: decoded", name)
		} else if name != "empty" && !errors.Is(err, errMalformed) {
			t.Errorf("%s: %v is not errMalformed", name, err)
		}
	}
	if _, err := decodeRequest(bufio.NewReader(bytes.NewReader(good))); err != nil {
		t.Fatal(err)
	}
}

// Garbage on the Raft port is dropped and counted; the group goes on
// answering.
func TestGroupPortDropsMalformed(t *testing.T) {
	r := newRegion(t, "eu", 1, 1)
	r.startAll()
	n := r.leader()
	for _, b := range [][]byte{{groupMarker}, {groupMarker, rpcVersion, 5, 1, 2}, append([]byte{groupMarker}, frame(t, &rpcpb.Request{})...)} {
		c, err := net.DialTimeout("tcp", n.addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(b)
		if cw, ok := c.(*net.TCPConn); ok {
			cw.CloseWrite()
		}
		if resp, err := decodeResponse(bufio.NewReader(c)); err == nil {
			t.Errorf("%x was answered: %v", b, resp)
		}
		c.Close()
	}
	if got := prom.ToFloat64(n.g.metrics.rpcs.WithLabelValues("malformed")); got != 3 {
		t.Errorf("%v malformed requests counted, want 3", got)
	}
	resp, err := n.g.call(t.Context(), n.addr, promiseReq(&rpcpb.Server{Name: "eu-1", Addr: n.addr}), time.Second)
	if err != nil || !resp.GetPromise().GetHasState() {
		t.Fatalf("a good request after the garbage: %v, %v", resp, err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, m := range []*rpcpb.Request{
		promiseReq(&rpcpb.Server{Name: "a", Addr: "x:1"}, &rpcpb.Server{Name: "b", Addr: "y:2"}),
		{Body: &rpcpb.Request_Handover{Handover: &rpcpb.Handover{Node: "a"}}},
	} {
		b := frame(f, m)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeRequest(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		again, err := decodeRequest(bufio.NewReader(bytes.NewReader(frame(t, req))))
		if err != nil || !proto.Equal(req, again) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, m := range []*rpcpb.Response{
		{Body: &rpcpb.Response_Promise{Promise: &rpcpb.PromiseReply{Agree: true, Servers: []*rpcpb.Server{{Name: "a", Addr: "x:1"}}}}},
		{Body: &rpcpb.Response_Handover{Handover: &rpcpb.HandoverReply{Generation: 9}}},
		{Error: "raftgroup: not the leader"},
	} {
		b := frame(f, m)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := decodeResponse(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		if _, err := decodeResponse(bufio.NewReader(bytes.NewReader(frame(t, resp)))); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// Close does not wait for a group request that a client leaves hanging
// (with an hour's timeouts, only closing the connection ends it).
func TestCloseEndsHangingRequests(t *testing.T) {
	r := newRegion(t, "eu", 1, 1)
	r.tune = func(c *Config) { c.RPCTimeout, c.ApplyTimeout = time.Hour, time.Hour }
	r.startAll()
	n := r.leader()
	c, err := net.DialTimeout("tcp", n.addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{groupMarker, rpcVersion})
	testutil.Eventually(t, "the request to be served", func() bool {
		n.g.mux.mu.Lock()
		defer n.g.mux.mu.Unlock()
		return len(n.g.mux.active) == 1
	})
	var closed atomic.Bool
	go func() {
		n.g.Close()
		closed.Store(true)
	}()
	testutil.Eventually(t, "Close to return", closed.Load)
	n.g = nil
}
