package cache

import (
	"fmt"
	"math"
)

// usage is memory in the cache's two budget dimensions: host memory, and
// GPU memory where the node has a GPU budget.
type usage struct {
	host, gpu int64
}

func (u usage) plus(v usage) usage  { return usage{u.host + v.host, u.gpu + v.gpu} }
func (u usage) minus(v usage) usage { return usage{u.host - v.host, u.gpu - v.gpu} }

// excess is how far u exceeds limit in each dimension (0 where it fits).
func (u usage) excess(limit usage) usage {
	return usage{max(u.host-limit.host, 0), max(u.gpu-limit.gpu, 0)}
}

// fits says whether u is within limit in both dimensions.
func (u usage) fits(limit usage) bool { return u.host <= limit.host && u.gpu <= limit.gpu }

// covers says whether u frees at least need in both dimensions.
func (u usage) covers(need usage) bool { return u.host >= need.host && u.gpu >= need.gpu }

// capacity is the budget; a GPU budget of 0 means GPU memory is not
// limited.
func (c Config) capacity() usage {
	u := usage{host: c.CapacityBytes, gpu: c.GPUCapacityBytes}
	if u.gpu == 0 {
		u.gpu = math.MaxInt64
	}
	return u
}

// limitLocked is the budget less what the runtime holds outside every
// charge (Deps.HeldBytes): what the charges may use. The caller holds mu.
func (c *Cache[M]) limitLocked() usage {
	u := c.cfg.capacity()
	u.host -= c.heldLocked()
	return u
}

// heldLocked is Deps.HeldBytes, 0 without it. The caller holds mu.
func (c *Cache[M]) heldLocked() int64 {
	if c.deps.HeldBytes == nil {
		return 0
	}
	return max(c.deps.HeldBytes(), 0)
}

// measure reads a loaded model's measured usage.
func measure[M Resident](m M) usage {
	u := usage{host: m.MemoryBytes()}
	if g, ok := any(m).(GPUResident); ok {
		u.gpu = g.GPUMemoryBytes()
	}
	return u
}

// String reads "300 bytes", or "300 bytes and 100 GPU bytes".
func (u usage) String() string {
	if u.gpu == 0 {
		return fmt.Sprintf("%d bytes", u.host)
	}
	return fmt.Sprintf("%d bytes and %d GPU bytes", u.host, u.gpu)
}
