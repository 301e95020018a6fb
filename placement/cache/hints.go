package cache

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// The policy is not safe for concurrent use and the cache serialises its
// calls under mu, so placement hints and peer copies reach it through the
// cache.

// SetHint passes a placement hint for name to a policy that follows hints
// (policy.Hinted): 0 is neutral, larger keeps the model longer. It reports
// whether the policy took it.
func (c *Cache[M]) SetHint(name string, weight float64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.deps.Policy.(policy.Hinted)
	if !ok {
		return false
	}
	info, err := c.info(name)
	if err != nil {
		return false
	}
	h.SetHint(info.key, weight)
	return true
}

// SetPeerCopy tells a peer-aware policy (policy.PeerAware) that a peer
// holds a loaded copy of name rtt away (rtt <= 0: none does). It reports
// whether the policy took it.
func (c *Cache[M]) SetPeerCopy(name string, rtt time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.deps.Policy.(policy.PeerAware)
	if !ok {
		return false
	}
	info, err := c.info(name)
	if err != nil {
		return false
	}
	p.SetPeerCopy(info.key, rtt)
	return true
}
