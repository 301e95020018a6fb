package gossip

import (
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
)

// reconnectLoop tries, every ReconnectInterval, to join one failed member
// chosen at random among those that failed within ReconnectTimeout.
// memberlist gossips with failed members only for a while, and push/pull
// only with live ones, so without this the two sides of a partition that
// each declared the other failed would stay apart after the network
// heals. A member that left gracefully is never tried.
func (g *Gossip) reconnectLoop() {
	defer g.bg.Done()
	if g.cfg.ReconnectInterval <= 0 {
		return
	}
	t := time.NewTicker(g.cfg.ReconnectInterval)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		var failed []Member
		for _, m := range g.Members() {
			if m.Health == Failed && !m.Self && m.Addr != "" && g.now().Sub(m.Since) < g.cfg.ReconnectTimeout {
				failed = append(failed, m)
			}
		}
		if len(failed) == 0 {
			continue
		}
		m := failed[rand.IntN(len(failed))]
		if _, err := g.ml.Join([]string{m.Addr}); err == nil {
			g.log.Info("gossip: reconnected to a failed member", zap.String("member", m.Name))
		}
	}
}
