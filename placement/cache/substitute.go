package cache

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// SetSubstitute tells a policy that values equivalents
// (policy.Substitutable) that a request for name can be served by a
// loaded functionally-equivalent model at about cost
// (policy.SubstituteCost; cost < 0, policy.NoSubstitute: none can). The
// caller keeps it current as equivalents load and leave. It reports
// whether the policy took it.
func (c *Cache[M]) SetSubstitute(name string, cost time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.deps.Policy.(policy.Substitutable)
	if !ok {
		return false
	}
	info, err := c.info(name)
	if err != nil {
		return false
	}
	s.SetSubstitute(info.key, cost)
	return true
}
