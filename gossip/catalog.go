package gossip

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
	"google.golang.org/protobuf/proto"
)

// catalog is the last-writer-wins map of model records, keyed by name and
// version. An entry replaces another only with a higher (stamp, origin); a
// deletion is a tombstone kept for ttl after its stamp, so a stale record
// that arrives within the bound loses to it.
type catalog struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[catalogKey]*gossippb.CatalogEntry // guarded by mu
}

type catalogKey struct {
	name    string
	version int64
}

func newCatalog(ttl time.Duration) *catalog {
	return &catalog{ttl: ttl, entries: map[catalogKey]*gossippb.CatalogEntry{}}
}

// newer reports whether a wins over b.
func newer(a, b *gossippb.CatalogEntry) bool {
	if a.Stamp != b.Stamp {
		return a.Stamp > b.Stamp
	}
	if a.Origin != b.Origin {
		return a.Origin > b.Origin
	}
	// Same stamp and origin: one writer wrote twice in one tick; a
	// deletion wins, so the outcome does not depend on arrival order.
	return a.Deleted && !b.Deleted
}

// merge applies e and reports whether it changed the map. A tombstone older
// than the ttl is not taken in (it has expired everywhere else too).
func (c *catalog) merge(e *gossippb.CatalogEntry, now time.Time) bool {
	if e.Deleted && now.Sub(stampTime(e.Stamp)) > c.ttl {
		return false
	}
	k := catalogKey{e.Name, e.Version}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[k]; old != nil && !newer(e, old) {
		return false
	}
	c.entries[k] = proto.Clone(e).(*gossippb.CatalogEntry)
	return true
}

// expire drops tombstones older than the ttl; it returns how many.
func (c *catalog) expire(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, e := range c.entries {
		if e.Deleted && now.Sub(stampTime(e.Stamp)) > c.ttl {
			delete(c.entries, k)
			n++
		}
	}
	return n
}

// get returns the entry of name:version, tombstone or record.
func (c *catalog) get(name string, version int64) (*gossippb.CatalogEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[catalogKey{name, version}]
	if !ok {
		return nil, false
	}
	return proto.Clone(e).(*gossippb.CatalogEntry), true
}

// all returns every entry, tombstones included, ordered by name and version.
func (c *catalog) all() []*gossippb.CatalogEntry {
	c.mu.Lock()
	out := make([]*gossippb.CatalogEntry, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, proto.Clone(e).(*gossippb.CatalogEntry))
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b *gossippb.CatalogEntry) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return int(a.Version - b.Version)
	})
	return out
}

// records returns the live records (no tombstones), ordered.
func (c *catalog) records() []*gossippb.ModelRecord {
	var out []*gossippb.ModelRecord
	for _, e := range c.all() {
		if !e.Deleted {
			out = append(out, e.Record)
		}
	}
	return out
}

// ref is a catalog key as the node writes it.
func ref(name string, version int64) string { return fmt.Sprintf("%s:%d", name, version) }
