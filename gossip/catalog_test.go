package gossip

import (
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/gossip/gossippb"
)

func rec(name string, version int64, task string) *gossippb.ModelRecord {
	return &gossippb.ModelRecord{Name: name, Version: version, Task: task}
}

func put(name string, version int64, stamp uint64, origin, task string) *gossippb.CatalogEntry {
	return &gossippb.CatalogEntry{Name: name, Version: version, Stamp: stamp, Origin: origin, Record: rec(name, version, task)}
}

func del(name string, version int64, stamp uint64, origin string) *gossippb.CatalogEntry {
	return &gossippb.CatalogEntry{Name: name, Version: version, Stamp: stamp, Origin: origin, Deleted: true}
}

func TestCatalogLastWriterWins(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	s := stampAt(now)
	c := newCatalog(time.Hour)
	if !c.merge(put("m", 1, s, "a", "old"), now) {
		t.Fatal("first record not taken")
	}
	if !c.merge(put("m", 1, s+1, "a", "new"), now) {
		t.Fatal("a later record not taken")
	}
	if c.merge(put("m", 1, s, "z", "older"), now) {
		t.Fatal("an older record replaced a later one, whatever its origin")
	}
	if e, _ := c.get("m", 1); e.Record.Task != "new" {
		t.Fatalf("record %+v: want the later", e.Record)
	}
	if c.merge(put("m", 1, s+1, "a", "new"), now) {
		t.Fatal("the same entry again reported a change")
	}
	if !c.merge(put("m", 2, s, "a", "v2"), now) || len(c.records()) != 2 {
		t.Fatal("another version is another key")
	}
}

func TestCatalogTiesGoToTheHigherOrigin(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	s := stampAt(now)
	for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
		c := newCatalog(time.Hour)
		c.merge(put("m", 1, s, order[0], "from "+order[0]), now)
		c.merge(put("m", 1, s, order[1], "from "+order[1]), now)
		if e, _ := c.get("m", 1); e.Origin != "b" {
			t.Fatalf("arrival %v: origin %s wins, want b", order, e.Origin)
		}
	}
	// Same stamp and origin: the deletion wins in either order.
	for _, delFirst := range []bool{false, true} {
		c := newCatalog(time.Hour)
		p, d := put("m", 1, s, "a", "x"), del("m", 1, s, "a")
		if delFirst {
			p, d = d, p
		}
		c.merge(p, now)
		c.merge(d, now)
		if e, _ := c.get("m", 1); !e.Deleted {
			t.Fatalf("deletion first %v: the record won a tie with its own deletion", delFirst)
		}
	}
}

func TestCatalogTombstoneWinsOverAStaleRecord(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	c := newCatalog(time.Hour)
	c.merge(put("m", 1, stampAt(now.Add(-time.Minute)), "a", "x"), now)
	if !c.merge(del("m", 1, stampAt(now), "b"), now) {
		t.Fatal("deletion not taken")
	}
	// A record written before the deletion, arriving after it (a node that
	// was away, a slow path): it loses, from any origin.
	for _, origin := range []string{"a", "z"} {
		if c.merge(put("m", 1, stampAt(now.Add(-time.Second)), origin, "stale"), now) {
			t.Fatalf("a stale record from %s replaced the tombstone", origin)
		}
	}
	if e, ok := c.get("m", 1); !ok || !e.Deleted || len(c.records()) != 0 {
		t.Fatalf("entry %+v: want the tombstone and no live record", e)
	}
	if len(c.all()) != 1 {
		t.Fatal("all() must list the tombstone")
	}
	// A write after the deletion brings the model back.
	if !c.merge(put("m", 1, stampAt(now.Add(time.Second)), "a", "again"), now) || len(c.records()) != 1 {
		t.Fatal("a record newer than the tombstone not taken")
	}
}

func TestCatalogTombstonesExpire(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	c := newCatalog(time.Hour)
	c.merge(del("old", 1, stampAt(now.Add(-2*time.Hour)), "a"), now.Add(-2*time.Hour))
	c.merge(del("young", 1, stampAt(now.Add(-time.Minute)), "a"), now)
	c.merge(put("live", 1, stampAt(now.Add(-3*time.Hour)), "a", "x"), now)
	if n := c.expire(now); n != 1 {
		t.Fatalf("expired %d: want the one tombstone older than the ttl", n)
	}
	if _, ok := c.get("old", 1); ok {
		t.Fatal("the expired tombstone is still there")
	}
	if _, ok := c.get("young", 1); !ok {
		t.Fatal("a young tombstone expired")
	}
	if _, ok := c.get("live", 1); !ok {
		t.Fatal("a record expired: only tombstones do")
	}
	// A tombstone already older than the ttl is not taken in.
	if c.merge(del("gone", 1, stampAt(now.Add(-2*time.Hour)), "a"), now) {
		t.Fatal("an expired tombstone was merged")
	}
}

func TestCatalogAllIsOrdered(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	c := newCatalog(time.Hour)
	for _, e := range []*gossippb.CatalogEntry{put("b", 2, 1, "a", ""), put("a", 3, 1, "a", ""), put("b", 1, 1, "a", ""), del("a", 1, stampAt(now), "a")} {
		c.merge(e, now)
	}
	var got []string
	for _, e := range c.all() {
		got = append(got, ref(e.Name, e.Version))
	}
	if want := "[a:1 a:3 b:1 b:2]"; fmtList(got) != want {
		t.Fatalf("order %v, want %s", got, want)
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}
