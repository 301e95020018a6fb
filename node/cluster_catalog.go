package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"github.com/edgeserve/edgeserve/node/codec"
	"github.com/edgeserve/edgeserve/store"
)

// publishModel puts a model pushed here in the cluster's catalog.
func (n *Node) publishModel(ctx context.Context, r store.Record) {
	if n.cluster != nil {
		n.cluster.g.PutModel(n.catalogRecord(ctx, r))
	}
}

// catalogRecord is r as the catalog carries it, with its signature read
// from the stored file when the record declares none, so that other nodes
// can check requests and answer metadata without the bytes.
func (n *Node) catalogRecord(ctx context.Context, r store.Record) *gossippb.ModelRecord {
	if len(r.Inputs) == 0 {
		if sig, err := n.signature(ctx, r); err == nil {
			for _, s := range sig.Inputs {
				r.Inputs = append(r.Inputs, store.TensorSpec{Name: s.Name, Datatype: codec.DataTypeName(s.Type), Shape: s.Shape})
			}
			for _, s := range sig.Outputs {
				r.Outputs = append(r.Outputs, store.TensorSpec{Name: s.Name, Datatype: codec.DataTypeName(s.Type), Shape: s.Shape})
			}
		}
	}
	return toCatalog(r)
}

// forget spreads the deletion of a model version stored here.
func (n *Node) forget(r store.Record) {
	if n.cluster != nil {
		n.cluster.g.DeleteModel(r.Name, r.Version)
	}
	if n.group != nil {
		go n.forgetHints(context.Background(), r.Ref())
	}
}

// remoteRecords are the catalog's live records of name (all names when
// "") and version ("" for all) that this node does not store.
func (n *Node) remoteRecords(name, version string, local []store.Record) []*gossippb.ModelRecord {
	if n.cluster == nil {
		return nil
	}
	here := make(map[string]bool, len(local))
	for _, r := range local {
		here[r.Ref()] = true
	}
	var out []*gossippb.ModelRecord
	for _, r := range n.cluster.g.Models() {
		if (name == "" || r.Name == name) && (version == "" || strconv.FormatInt(r.Version, 10) == version) &&
			!here[fmt.Sprintf("%s:%d", r.Name, r.Version)] {
			out = append(out, r)
		}
	}
	return out
}

// remoteIndex lists the catalog's models stored elsewhere only.
func (n *Node) remoteIndex(local []store.Record) []indexEntry {
	var out []indexEntry
	for _, r := range n.remoteRecords("", "", local) {
		rec := fromCatalog(r)
		_, origin, _, _ := n.cluster.g.Model(r.Name, r.Version)
		out = append(out, indexEntry{Name: rec.Name, Version: versionString(rec), State: stateUnavailable, Record: rec, Origin: origin})
	}
	return out
}

// remoteRecord is the catalog's record of name (version "" for the
// latest) when this node does not store it; nil when there is none.
func (n *Node) remoteRecord(name, version string) *gossippb.ModelRecord {
	recs := n.remoteRecords(name, version, nil)
	if len(recs) == 0 {
		return nil
	}
	return recs[len(recs)-1]
}

// forgetElsewhere deletes from the catalog the versions of name it lists
// that this node does not store; false when there are none.
func (n *Node) forgetElsewhere(name, version string) bool {
	recs := n.remoteRecords(name, version, nil)
	for _, r := range recs {
		n.cluster.g.DeleteModel(r.Name, r.Version)
	}
	return len(recs) > 0
}

// fromCatalog is a catalog record as the node's listings show it.
func fromCatalog(c *gossippb.ModelRecord) store.Record {
	r := store.Record{Name: c.Name, Version: c.Version, SizeBytes: c.SizeBytes, Task: c.Task, Accuracy: c.Accuracy,
		Parameters: c.Parameters, Labels: c.Labels, CreatedAt: time.UnixMilli(c.CreatedUnixMs).UTC(),
		MaxBatchSize: int(c.MaxBatchSize), Platform: c.Platform, Format: c.Format}
	copy(r.Digest[:], c.Digest)
	for _, s := range c.Inputs {
		r.Inputs = append(r.Inputs, store.TensorSpec{Name: s.Name, Datatype: s.Datatype, Shape: s.Shape})
	}
	for _, s := range c.Outputs {
		r.Outputs = append(r.Outputs, store.TensorSpec{Name: s.Name, Datatype: s.Datatype, Shape: s.Shape})
	}
	return r
}

// fetchForLoad stores from a peer the model version a load found missing
// (notFound) or corrupt here: the catalog's record, or the local one.
func (n *Node) fetchForLoad(ctx context.Context, name, version string, local store.Record, cause error) error {
	r := n.remoteRecord(name, version)
	if r == nil {
		if errors.Is(cause, store.ErrNotFound) {
			return cause
		}
		r = toCatalog(local)
	}
	_, err := n.fetchModel(ctx, r)
	return err
}
