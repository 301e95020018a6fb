package gossip

import (
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"google.golang.org/protobuf/proto"
)

// PutModel spreads a model record written now (a push here).
func (g *Gossip) PutModel(r *gossippb.ModelRecord) bool {
	return g.putEntry(&gossippb.CatalogEntry{Name: r.Name, Version: r.Version, Stamp: g.clock.Now(), Origin: g.cfg.Name,
		Record: proto.Clone(r).(*gossippb.ModelRecord)})
}

// AnnounceModel spreads a record this node has stored since created (at
// start, for every stored model): stamped with its creation time, it
// loses to any later write or deletion the cluster made meanwhile. It
// returns false when the catalog already holds that or something newer.
func (g *Gossip) AnnounceModel(r *gossippb.ModelRecord, created time.Time) bool {
	return g.putEntry(&gossippb.CatalogEntry{Name: r.Name, Version: r.Version, Stamp: stampAt(created), Origin: g.cfg.Name,
		Record: proto.Clone(r).(*gossippb.ModelRecord)})
}

// DeleteModel spreads the deletion of name:version.
func (g *Gossip) DeleteModel(name string, version int64) bool {
	return g.putEntry(&gossippb.CatalogEntry{Name: name, Version: version, Stamp: g.clock.Now(), Origin: g.cfg.Name, Deleted: true})
}

func (g *Gossip) putEntry(e *gossippb.CatalogEntry) bool {
	if err := checkEntry(e); err != nil {
		return false
	}
	if !g.cat.merge(e, g.now()) {
		return false
	}
	msg, err := encode(&gossippb.Message{Body: &gossippb.Message_Catalog{Catalog: e}})
	if err != nil || len(msg) > fullLimit {
		g.metrics.oversize.Inc() // push/pull carries it
		return true
	}
	g.queueBroadcast(&broadcast{msg: msg, key: ref(e.Name, e.Version)})
	return true
}

// Model looks name:version up in the catalog: its record, or deleted when
// the catalog holds its tombstone; ok is false when neither is known.
func (g *Gossip) Model(name string, version int64) (rec *gossippb.ModelRecord, origin string, deleted, ok bool) {
	e, ok := g.cat.get(name, version)
	if !ok {
		return nil, "", false, false
	}
	return e.Record, e.Origin, e.Deleted, true
}

// Models are the catalog's live records, ordered by name and version.
func (g *Gossip) Models() []*gossippb.ModelRecord { return g.cat.records() }

// CatalogEntry is one model version of the catalog as an operator sees it.
type CatalogEntry struct {
	Model   string    `json:"model"` // "name:version"
	Origin  string    `json:"origin"`
	Deleted bool      `json:"deleted,omitempty"`
	Written time.Time `json:"written"`
}

// Catalog lists every catalog entry, tombstones included.
func (g *Gossip) Catalog() []CatalogEntry {
	all := g.cat.all()
	out := make([]CatalogEntry, 0, len(all))
	for _, e := range all {
		out = append(out, CatalogEntry{Model: ref(e.Name, e.Version), Origin: e.Origin, Deleted: e.Deleted, Written: stampTime(e.Stamp)})
	}
	return out
}
