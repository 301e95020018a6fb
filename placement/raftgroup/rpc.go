package raftgroup

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/raftgroup/rpcpb"
	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"
)

// rpcVersion is the version byte of every frame this build writes; a
// reader refuses another.
const rpcVersion byte = 1

// Bounds on what a reader accepts.
const (
	maxFrameBytes = 64 << 10
	maxServers    = 64
)

// errMalformed is a request or response that does not decode.
var errMalformed = errors.New("raftgroup: malformed request")

// writeFrame writes the version byte, the length and m.
func writeFrame(w io.Writer, m proto.Message) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("raftgroup: encode %T: %w", m, err)
	}
	frame := binary.AppendUvarint([]byte{rpcVersion}, uint64(len(b)))
	_, err = w.Write(append(frame, b...))
	return err
}

// readFrame reads what writeFrame wrote into m.
func readFrame(r *bufio.Reader, m proto.Message) error {
	v, err := r.ReadByte()
	if err != nil {
		return err
	}
	if v != rpcVersion {
		return fmt.Errorf("%w: version %d", errMalformed, v)
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return fmt.Errorf("%w: length: %w", errMalformed, err)
	}
	if n > maxFrameBytes {
		return fmt.Errorf("%w: %d bytes", errMalformed, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil
}

// decodeRequest reads and checks a request.
func decodeRequest(r *bufio.Reader) (*rpcpb.Request, error) {
	req := &rpcpb.Request{}
	if err := readFrame(r, req); err != nil {
		return nil, err
	}
	switch body := req.Body.(type) {
	case *rpcpb.Request_Promise:
		if body.Promise.From == "" {
			return nil, fmt.Errorf("%w: a promise from nobody", errMalformed)
		}
		return req, checkServers(body.Promise.Servers)
	case *rpcpb.Request_Handover:
		if body.Handover.Node == "" {
			return nil, fmt.Errorf("%w: a hand-over of no node", errMalformed)
		}
		return req, nil
	}
	return nil, fmt.Errorf("%w: no body", errMalformed)
}

// decodeResponse reads and checks a response.
func decodeResponse(r *bufio.Reader) (*rpcpb.Response, error) {
	resp := &rpcpb.Response{}
	if err := readFrame(r, resp); err != nil {
		return nil, err
	}
	if p, ok := resp.Body.(*rpcpb.Response_Promise); ok {
		return resp, checkServers(p.Promise.Servers)
	}
	return resp, nil
}

// checkServers: at most maxServers, named, addressed, sorted by name,
// unique.
func checkServers(ss []*rpcpb.Server) error {
	if len(ss) > maxServers {
		return fmt.Errorf("%w: %d servers", errMalformed, len(ss))
	}
	for i, s := range ss {
		if s.Name == "" || s.Addr == "" || (i > 0 && ss[i-1].Name >= s.Name) {
			return fmt.Errorf("%w: servers not named, addressed, sorted and unique", errMalformed)
		}
	}
	return nil
}

// call sends one request to the group member at addr and reads the
// response, within timeout.
func (g *Group) call(ctx context.Context, addr string, req *rpcpb.Request, timeout time.Duration) (*rpcpb.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := g.mux.dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("raftgroup: dial %s: %w", addr, err)
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	w := bufio.NewWriter(c)
	w.WriteByte(groupMarker)
	if err := writeFrame(w, req); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("raftgroup: send to %s: %w", addr, err)
	}
	resp, err := decodeResponse(bufio.NewReader(c))
	if err != nil {
		return nil, fmt.Errorf("raftgroup: response from %s: %w", addr, err)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("raftgroup: %s: %s", addr, resp.Error)
	}
	return resp, nil
}

// serveTimeout bounds serving one request: a hand-over commits hints and
// changes the configuration.
func (g *Group) serveTimeout() time.Duration { return 3 * g.cfg.ApplyTimeout }

// handleConn serves one of the group's requests.
func (g *Group) handleConn(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(g.cfg.RPCTimeout + g.serveTimeout()))
	req, err := decodeRequest(bufio.NewReader(c))
	if err != nil {
		g.metrics.rpc("malformed")
		return
	}
	var resp *rpcpb.Response
	switch body := req.Body.(type) {
	case *rpcpb.Request_Promise:
		g.metrics.rpc("promise")
		resp = &rpcpb.Response{Body: &rpcpb.Response_Promise{Promise: g.answerPromise(body.Promise)}}
	case *rpcpb.Request_Handover:
		g.metrics.rpc("handover")
		gen, err := g.drain(body.Handover.Node)
		resp = &rpcpb.Response{Body: &rpcpb.Response_Handover{Handover: &rpcpb.HandoverReply{Generation: gen}}}
		if err != nil {
			resp.Error = err.Error()
		}
	}
	w := bufio.NewWriter(c)
	if writeFrame(w, resp) == nil {
		w.Flush()
	}
}

// serversPB is a configuration on the wire, sorted by name.
func serversPB(ss []raft.Server) []*rpcpb.Server {
	out := make([]*rpcpb.Server, 0, len(ss))
	for _, s := range ss {
		out = append(out, &rpcpb.Server{Name: string(s.ID), Addr: string(s.Address)})
	}
	slices.SortFunc(out, func(a, b *rpcpb.Server) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
