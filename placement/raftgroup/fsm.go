package raftgroup

import (
	"errors"
	"io"

	"github.com/edgeserve/edgeserve/placement/hints"
	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// fsm is raft's view of the hint state machine.
type fsm struct {
	h   *hints.FSM
	log *zap.Logger
}

var _ raft.FSM = fsm{}

// Apply applies a command entry. What it returns is the ApplyFuture's
// response: nil, or the error. An entry this build cannot read changes
// nothing and is logged as an error (and counted by the FSM).
func (f fsm) Apply(l *raft.Log) any {
	err := f.h.Apply(l.Data)
	if err != nil && !errors.Is(err, hints.ErrStale) {
		f.log.Error("rejected a log entry", zap.Uint64("index", l.Index), zap.Uint64("term", l.Term), zap.Error(err))
	}
	return err
}

func (f fsm) Snapshot() (raft.FSMSnapshot, error) { return fsmSnapshot{f.h.Snapshot()}, nil }

func (f fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return f.h.Restore(rc)
}

type fsmSnapshot struct{ s *hints.Snapshot }

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.s.Persist(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (fsmSnapshot) Release() {}
