package raftgroup

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// snapshotsRetained is how many snapshots the file store keeps.
const snapshotsRetained = 2

// openStores opens the log and stable store (one bbolt file, raft.db) and
// the snapshot store (snapshots/) under dir.
func openStores(dir string, log hclog.Logger) (*raftboltdb.BoltStore, *raft.FileSnapshotStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("raftgroup: data directory: %w", err)
	}
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, nil, fmt.Errorf("raftgroup: open raft.db: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotsRetained, log.Named("snapshot"))
	if err != nil {
		bolt.Close()
		return nil, nil, fmt.Errorf("raftgroup: snapshot store: %w", err)
	}
	return bolt, snaps, nil
}
