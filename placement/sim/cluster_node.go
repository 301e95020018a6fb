package sim

import (
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/route"
)

// cnode is one node of a cluster replay: its memory (the policy, the
// resident models and when each is ready), its load slots, its run slots
// and the requests it is running or queueing. Per-model state is dense,
// so a node costs O(models) however long the trace.
type cnode struct {
	id, site int
	name     string
	p        policy.Policy
	resident []bool
	// readyAt is when a resident model's load completes; lastUse when a
	// request last reached it here.
	readyAt, lastUse []time.Duration
	// transient is when a load that could not be cached completes: a
	// request arriving before then shares it, as concurrent requests for
	// one model share one load in the node's cache.
	transient []time.Duration
	// disk says the model's bytes are stored here; src is where they
	// would come from (fetchFrom).
	disk         []bool
	src          []source
	used, budget int64 // budget < 0: unbounded
	// loadFree and runFree are when each load slot and run slot is free.
	loadFree, runFree []time.Duration
	// running holds when each request started here finishes, when
	// countQueue (ModelMesh's rule needs the queue; the router reads
	// runWait).
	running    finishHeap
	countQueue bool
	// now is the policy's clock: the trace time of the request being
	// served.
	now time.Duration
	// evictable says a model may be evicted (resident and ready);
	// unhinted, that it may and is not hinted.
	evictable, unhinted func(policy.Key) bool
	// residents lists the resident models; residentAt[k] is k's place in
	// it (-1: none).
	residents, residentAt []int32
	// demand is what it gossips of the requests it served (full system).
	demand demand
	// hints are the models hinted here, sorted; hinted[k] says k is one;
	// next is the plan's new set while it is applied.
	hints, next []int32
	hinted      []bool
	// gossip is what peers know of it (ClusterConfig.GossipDelay).
	gossip gossip
	// busy is when the last request for a model here finishes.
	busy []time.Duration
	// preloadFree is when the preload in progress, if any, completes:
	// the node preloads hinted models one at a time.
	preloadFree time.Duration
}

// source is the nearest node storing a model's bytes that a node has
// seen: from (-1: none yet) among the first seen of the model's stores,
// and the time to fetch them from it.
type source struct {
	from, seen int32
	fetch      time.Duration
}

func newCNode(id, site int, p policy.Policy, models int, budget int64, loadSlots, runSlots int) *cnode {
	n := &cnode{id: id, site: site, name: fmt.Sprintf("n%05d", id), p: p, resident: make([]bool, models),
		readyAt: make([]time.Duration, models), lastUse: make([]time.Duration, models), disk: make([]bool, models),
		transient: make([]time.Duration, models),
		budget:    budget, countQueue: true, loadFree: make([]time.Duration, loadSlots), runFree: make([]time.Duration, runSlots),
		residentAt: make([]int32, models), hinted: make([]bool, models), src: make([]source, models),
		busy: make([]time.Duration, models)}
	for k := range n.residentAt {
		n.residentAt[k] = -1
		n.src[k].from = -1
	}
	n.evictable = func(k policy.Key) bool { return n.resident[k] && n.readyAt[k] <= n.now }
	n.unhinted = func(k policy.Key) bool { return n.evictable(k) && !n.hinted[k] }
	return n
}

// setResident makes k resident or not, keeping the residents list.
func (n *cnode) setResident(k int32, in bool) {
	if n.resident[k] == in {
		return
	}
	n.resident[k] = in
	if in {
		n.residentAt[k] = int32(len(n.residents))
		n.residents = append(n.residents, k)
		return
	}
	i, last := n.residentAt[k], n.residents[len(n.residents)-1]
	n.residents[i], n.residentAt[last] = last, i
	n.residents = n.residents[:len(n.residents)-1]
	n.residentAt[k] = -1
}

// victimFilter is what the node may evict to make need bytes of room:
// as the cache does (placement/cache), hinted models only when the idle
// models that are not hinted cannot make it.
func (n *cnode) victimFilter(need int64, sizes []int64) func(policy.Key) bool {
	if len(n.hints) == 0 {
		return n.evictable
	}
	var idle int64
	for _, k := range n.residents {
		if n.unhinted(policy.Key(k)) {
			idle += sizes[k]
		}
	}
	if idle >= need {
		return n.unhinted
	}
	return n.evictable
}

// free is the memory not held (a large number when unbounded).
func (n *cnode) free() int64 {
	if n.budget < 0 {
		return 1 << 62
	}
	return n.budget - n.used
}

// loadQueue is the wait before a load could start at t.
func (n *cnode) loadQueue(t time.Duration) time.Duration {
	return max(0, n.loadFree[earliest(n.loadFree)]-t)
}

// startLoad takes the earliest load slot for a load of d that may start
// at t and returns when it completes.
func (n *cnode) startLoad(t, d time.Duration) time.Duration {
	i := earliest(n.loadFree)
	done := max(t, n.loadFree[i]) + d
	n.loadFree[i] = done
	return done
}

// run runs a request of run time d whose model is ready at t on the
// earliest free run slot and returns when it finishes.
func (n *cnode) run(t, d time.Duration) time.Duration {
	i := earliest(n.runFree)
	start := max(t, n.runFree[i])
	done := start + d
	n.runFree[i] = done
	if n.countQueue {
		n.queue(n.now) // drop what finished by now, so the heap holds only the queue
		n.running.push(done)
	}
	return done
}

// runModel runs a request for k (run) as run does, and keeps when k is
// busy until.
func (n *cnode) runModel(k int32, t, d time.Duration) time.Duration {
	done := n.run(t, d)
	n.busy[k] = max(n.busy[k], done)
	return done
}

// runWait is how long a request reaching n at t would wait for a run
// slot (its model ready).
func (n *cnode) runWait(t time.Duration) time.Duration {
	return max(0, n.runFree[earliest(n.runFree)]-t)
}

// queue is the number of requests running or queued here at t.
func (n *cnode) queue(t time.Duration) int {
	for len(n.running) > 0 && n.running[0] <= t {
		n.running.pop()
	}
	return len(n.running)
}

// evictsHot is the node's rule for declining a load (route.EvictsHot,
// as node/route.go asks it): making size bytes of room here would evict a
// ready model used within window.
func (n *cnode) evictsHot(size int64, window time.Duration, sizes []int64) bool {
	return route.EvictsHot(size, n.free(), window, func(yield func(int64, time.Duration) bool) {
		for _, k := range n.residents {
			if n.readyAt[k] <= n.now && !yield(sizes[k], n.now-n.lastUse[k]) {
				return
			}
		}
	})
}

func earliest(free []time.Duration) int {
	best := 0
	for i, f := range free {
		if f < free[best] {
			best = i
		}
	}
	return best
}

// finishHeap is a binary min-heap of finish times (written out rather
// than through container/heap, whose interface boxes every value).
type finishHeap []time.Duration

func (h *finishHeap) push(d time.Duration) {
	*h = append(*h, d)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *finishHeap) pop() {
	a := *h
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(a) && a[l] < a[small] {
			small = l
		}
		if r := l + 1; r < len(a) && a[r] < a[small] {
			small = r
		}
		if small == i {
			break
		}
		a[i], a[small] = a[small], a[i]
		i = small
	}
	*h = a
}
