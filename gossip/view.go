package gossip

import (
	"slices"
	"time"
)

// Health is what the failure detector says of a member.
type Health string

const (
	Alive   Health = "alive"
	Suspect Health = "suspect" // missed probes; declared failed unless it refutes in time
	Failed  Health = "failed"
	Left    Health = "left" // left gracefully
)

// Member is one node as this node sees it.
type Member struct {
	Name     string   `json:"name"`
	Region   string   `json:"region,omitempty"`
	Site     string   `json:"site,omitempty"`
	Addr     string   `json:"gossip_addr"`
	Services Services `json:"services"`
	Protocol int      `json:"protocol"`
	Health   Health   `json:"health"`
	Self     bool     `json:"self,omitempty"`
	// RTT is the predicted round-trip time from this node; RTTKnown is
	// false until the member's coordinate is known.
	RTT      time.Duration `json:"rtt_ns"`
	RTTKnown bool          `json:"rtt_known"`
	// Since is when the member's health last changed (as seen here).
	Since time.Time `json:"since"`
	// State is the member's last gossiped state; nil while none arrived
	// (and once it failed or left).
	State *State `json:"state,omitempty"`
}

// State is a member's gossiped state.
type State struct {
	Epoch int64  `json:"epoch"`
	Seq   uint64 `json:"seq"`
	// Loaded are the model versions ("name:version") the member has
	// loaded, sorted. LoadedBehind says a change was missed: the set is
	// older than Seq until the next full state arrives.
	Loaded       []string `json:"loaded"`
	LoadedBehind bool     `json:"loaded_behind,omitempty"`
	// Loading are the model versions whose load is in progress there,
	// sorted (always whole, never behind).
	Loading []string `json:"loading"`
	// Stored are the model versions whose bytes the member stores, sorted
	// (behind with Loaded).
	Stored              []string `json:"stored"`
	MemoryBudgetBytes   int64    `json:"memory_budget_bytes"`
	MemoryHeadroomBytes int64    `json:"memory_headroom_bytes"`
	// GPUs is empty on a member without a GPU.
	GPUs            []GPU  `json:"gpus"`
	LoadsInProgress int    `json:"loads_in_progress"`
	QueueDepth      int    `json:"queue_depth"`
	Rates           []Rate `json:"rates,omitempty"`
	// Placement is the member's view of its region's placement group (nil:
	// it runs none).
	Placement *Placement `json:"placement,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Placement is a node's view of its region's placement group.
type Placement struct {
	Leader string `json:"leader"`
	Term   uint64 `json:"term"`
	// Generation is the hint set the node follows; Hinted the models it
	// asks this node to keep loaded, Following how many of them are.
	Generation uint64 `json:"generation"`
	Hinted     int    `json:"hinted"`
	Following  int    `json:"following"`
}

// GPU is one GPU's memory.
type GPU struct {
	Index      int    `json:"index"`
	FreeBytes  uint64 `json:"free_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
}

// Rate is one model's request rate, per second.
type Rate struct {
	Model     string  `json:"model"`
	PerSecond float64 `json:"per_second"`
}

// Has reports whether the member has model ("name:version") loaded.
func (m Member) Has(model string) bool {
	if m.State == nil {
		return false
	}
	for _, l := range m.State.Loaded {
		if l == model {
			return true
		}
	}
	return false
}

// IsLoading reports whether the member is loading model ("name:version").
func (m Member) IsLoading(model string) bool {
	if m.State == nil {
		return false
	}
	_, ok := slices.BinarySearch(m.State.Loading, model)
	return ok
}

// Stores reports whether the member stores the bytes of model
// ("name:version").
func (m Member) Stores(model string) bool {
	if m.State == nil {
		return false
	}
	_, ok := slices.BinarySearch(m.State.Stored, model)
	return ok
}

// View is the read-only cluster view other packages use.
type View interface {
	// Self is this node.
	Self() Member
	// Members are every member known, failed and left ones included,
	// ordered by name.
	Members() []Member
	// Holders are the live members other than this node that have model
	// ("name:version") loaded: alive ones nearest (predicted RTT) first,
	// then suspect ones.
	Holders(model string) []Member
	// RTT is the predicted round-trip time to a member.
	RTT(node string) (time.Duration, bool)
	// Subscribe delivers changes until cancel is called. A subscriber
	// that falls behind loses events (they are counted), never blocks.
	Subscribe(buffer int) (events <-chan Event, cancel func())
}

// EventKind is what changed.
type EventKind string

const (
	MemberJoined  EventKind = "joined"
	MemberFailed  EventKind = "failed"
	MemberLeft    EventKind = "left"
	StateChanged  EventKind = "state"
	ModelPut      EventKind = "model-put"
	ModelDeleted  EventKind = "model-deleted"
	MemberUpdated EventKind = "updated" // metadata changed
)

// Event is one change of the view.
type Event struct {
	Kind EventKind
	Node string
	// Model is "name:version" for the model events.
	Model string
}
